package datasets_test

import (
	"math/rand"
	"testing"

	"github.com/lstm97/lstm97/datasets"
)

func TestSourceRestoresState(t *testing.T) {
	src := datasets.NewSource(42)
	rng := rand.New(src)
	for i := 0; i < 1000; i++ {
		rng.Float64()
	}
	state, err := src.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{rng.Float64(), rng.NormFloat64(), float64(rng.Intn(1000))}

	src2 := datasets.NewSource(7)
	if err := src2.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	rng2 := rand.New(src2)
	got := []float64{rng2.Float64(), rng2.NormFloat64(), float64(rng2.Intn(1000))}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("draw %d after restore: %v, want %v", i, got[i], want[i])
		}
	}
	if err := src2.UnmarshalBinary([]byte("garbage")); err == nil {
		t.Error("garbage state accepted")
	}
	a, b := rand.New(datasets.NewSource(1)), rand.New(datasets.NewSource(1))
	for i := 0; i < 100; i++ {
		if a.Int63() != b.Int63() {
			t.Fatal("same seed, different draws")
		}
	}
}
