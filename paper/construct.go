package paper

import (
	"math/rand"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/optim"
)

// Construction is the paper's sequential network construction (Sec. 4, abuse remedy 1; Exps. 2a
// and 2b): "memory cell and input gate are added once the error has stopped decreasing". The
// net is built whole, but the cell's outgoing weights (Hold) are kept at 0 and not trained, so
// the cell has no effect and, with no error reaching it, its own weights stay as initialised:
// the net is the one without the cell. When the error has stopped decreasing, Hold gets fresh
// uniform weights in [-Init, Init] and trains from then on: the cell is added.
//
// The paper does not say how a plateau was detected (docs/paper.md §6.10). Our reading: the mean
// squared training error over the last Every sequences improved by less than MinGain (a
// fraction) on the mean over the Every sequences before.
type Construction struct {
	Hold    []string // parameters held at 0 until the cell is added, e.g. "out/w"
	Every   int
	MinGain float64
	Init    float64
}

// constructState is the construction's progress, kept in checkpoints.
type constructState struct {
	Added int     `json:"added"` // sequences seen when the cell was added; 0: not yet
	Prev  float64 `json:"prev"`  // mean error of the previous block of Every sequences (0: none yet)
	Sum   float64 `json:"sum"`   // error summed over the current block
	N     int     `json:"n"`
}

// setAll sets every value of parameter name to v(i).
func setAll(ps *graph.ParamSet, name string, v func(i int) float64) error {
	vals, err := ps.Float64s(name)
	if err != nil {
		return errors.Wrapf(err, "paper: construction: parameter %q", name)
	}
	for i := range vals {
		vals[i] = v(i)
	}
	return errors.Wrapf(ps.SetFloat64s(name, vals), "paper: construction: parameter %q", name)
}

// start zeroes the held parameters of a net that has not had its cell added yet.
func (c *Construction) start(ps *graph.ParamSet, st *constructState, h *optim.Hold) error {
	if st.Added > 0 {
		h.Release()
		return nil
	}
	for _, name := range c.Hold {
		if err := setAll(ps, name, func(int) float64 { return 0 }); err != nil {
			return err
		}
	}
	return nil
}

// observe adds one sequence's error and adds the cell when the error has stopped decreasing.
// It reports whether it did.
func (c *Construction) observe(sqErr float64, seen int, seed int64, ps *graph.ParamSet, st *constructState, h *optim.Hold) (bool, error) {
	if st.Added > 0 {
		return false, nil
	}
	st.Sum += sqErr
	st.N++
	if st.N < c.Every {
		return false, nil
	}
	mean := st.Sum / float64(st.N)
	prev := st.Prev
	st.Prev, st.Sum, st.N = mean, 0, 0
	if prev == 0 || prev-mean >= c.MinGain*prev {
		return false, nil
	}
	rng := rand.New(datasets.NewSource(seed + 5_000_011))
	for _, name := range c.Hold {
		if err := setAll(ps, name, func(int) float64 { return (2*rng.Float64() - 1) * c.Init }); err != nil {
			return false, err
		}
	}
	st.Added = seen
	h.Release()
	return true, nil
}
