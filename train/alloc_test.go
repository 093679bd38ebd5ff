//go:build !race

// The race detector changes allocation counts (sync.Pool drops items at random under it).

package train_test

import (
	"testing"

	"github.com/lstm97/lstm97/train"
)

// TestLengthsAndStateAllocateNothing: a step whose batch has lengths, a missing target and
// continues the previous batch allocates no more than a step of a plain batch of the same
// shape: the trainer stages lengths, mask and carried states in buffers it reuses.
func TestLengthsAndStateAllocateNothing(t *testing.T) {
	tr := newProbe(t, probe{lengths: true, carry: true})
	plain := column(false, []float64{1, 2, 3}, []float64{4, 5, 6})
	plain.Targets[0] = [][]float64{{1}, {1}, {1}}
	rich := column(true, []float64{1, 2, 3}, []float64{4, 5, 6})
	rich.Lengths = []int{2, 1, 2}
	rich.Targets[1][1] = nil
	rich.Targets[0] = [][]float64{nil, {1}, nil}
	allocs := func(bt train.Batch) float64 {
		return testing.AllocsPerRun(20, func() {
			if _, err := tr.Step(bt); err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, err := tr.Step(plain); err != nil {
		t.Fatal(err)
	}
	p, r := allocs(plain), allocs(rich)
	if r > p {
		t.Errorf("%v allocations per step with lengths, a missing target and Continue, %v without", r, p)
	}
}
