package datasets_test

import (
	"math/rand"
	"testing"

	"github.com/lstm97/lstm97/datasets"
)

// FuzzAdding: any T, length and seed give an error or a sequence with the task's properties.
func FuzzAdding(f *testing.F) {
	f.Add(100, 105, int64(1))
	f.Add(4, 4, int64(-3))
	f.Add(0, 0, int64(0))
	f.Add(1000, 999, int64(7))
	f.Fuzz(func(t *testing.T, T, length int, seed int64) {
		if T > 5000 || length > 5000 { // keep each run short; Validate's bound is tested below
			if err := (datasets.Adding{T: T}).Validate(); T > datasets.MaxLength && err == nil {
				t.Fatalf("T=%d accepted", T)
			}
			return
		}
		seq, err := datasets.Adding{T: T}.SampleLength(rand.New(datasets.NewSource(seed)), length)
		if err != nil {
			return
		}
		if len(seq.Inputs) != length || length < T || T < 4 {
			t.Fatalf("T=%d length=%d: got %d steps", T, length, len(seq.Inputs))
		}
		marked := 0
		for _, x := range seq.Inputs {
			if x[1] == 1 {
				marked++
			}
		}
		tg := seq.Targets[length-1]
		if marked != 2 || len(tg) != 1 || tg[0] < 0 || tg[0] > 1 {
			t.Fatalf("T=%d length=%d: %d marks, target %v", T, length, marked, tg)
		}
	})
}
