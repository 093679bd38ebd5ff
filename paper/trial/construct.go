package trial

import (
	"math/rand"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/paper"
)

// constructState is the progress of the sequential construction (paper.Construction), kept in
// checkpoints.
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
		return errors.Wrapf(err, "trial: construction: parameter %q", name)
	}
	for i := range vals {
		vals[i] = v(i)
	}
	return errors.Wrapf(ps.SetFloat64s(name, vals), "trial: construction: parameter %q", name)
}

// startConstruction zeroes c's held parameters of a net that has not had its cell added yet,
// and releases them (h) in one that has.
func startConstruction(c *paper.Construction, ps *graph.ParamSet, st *constructState, h *optim.Hold) error {
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

// observeConstruction adds one sequence's error and adds the cell when the error has stopped
// decreasing (paper.Construction). It reports whether it did.
func observeConstruction(c *paper.Construction, sqErr float64, seen int, seed int64, ps *graph.ParamSet, st *constructState, h *optim.Hold) (bool, error) {
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
