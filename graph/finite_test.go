package graph

import (
	"math"
	"testing"

	"gorgonia.org/tensor"
)

func TestNonFiniteAt(t *testing.T) {
	long := make([]float64, 1027) // not a multiple of the 4-way unrolling
	for i := range long {
		long[i] = float64(i%7) - 3
	}
	for _, tc := range []struct {
		name string
		at   int // where to put the bad value, -1: none
		bad  float64
	}{
		{"all finite", -1, 0},
		{"NaN first", 0, math.NaN()},
		{"+Inf in an unrolled lane", 513, math.Inf(1)},
		{"-Inf in the tail", 1026, math.Inf(-1)},
		{"NaN in the last unrolled block", 1023, math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vs := append([]float64(nil), long...)
			if tc.at >= 0 {
				if tc.at < len(vs)-1 {
					vs[len(vs)-1] = math.NaN() // a later bad value must not be reported first
				}
				vs[tc.at] = tc.bad
			}
			if got := FirstNonFinite(vs); got != tc.at {
				t.Errorf("FirstNonFinite = %d, want %d", got, tc.at)
			}
		})
	}
	if got := FirstNonFinite(nil); got != -1 {
		t.Errorf("FirstNonFinite(nil) = %d, want -1", got)
	}
	if got := FirstNonFinite([]float64{math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64}); got != -1 {
		t.Errorf("extreme finite values: FirstNonFinite = %d, want -1", got)
	}
}

// BenchmarkNonFiniteAt compares the check with the plain per-value test it replaced, on one
// 1,004-wide row (Exp. 2c at p = 1000), which stays in cache.
func BenchmarkNonFiniteAt(b *testing.B) {
	row := make([]float64, 1004)
	row[17] = 1
	b.Run("FirstNonFinite", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if FirstNonFinite(row) >= 0 {
				b.Fatal("finite row reported")
			}
		}
	})
	b.Run("IsNaN||IsInf", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, v := range row {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					b.Fatal("finite row reported")
				}
			}
		}
	})
}

// TestFillScalar: Fill writes into a scalar tensor's own storage, and refuses a wrong count.
func TestFillScalar(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		var v any = 2.5
		if dt == tensor.Float32 {
			v = float32(2.5)
		}
		s := tensor.New(tensor.FromScalar(v))
		if err := Fill(s, []float64{1.25}); err != nil {
			t.Fatal(err)
		}
		if got := Float64View(s)[0]; got != 1.25 {
			t.Errorf("%v: after Fill the scalar is %v, want 1.25", dt, got)
		}
		if err := Fill(s, []float64{1, 2}); err == nil {
			t.Errorf("%v: Fill with 2 values into a scalar: no error", dt)
		}
	}
}
