package optim

import (
	"math"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/train"
)

// GradNorm is the L2 norm of all the gradients together: the length of the step plain gradient
// descent takes, divided by the learning rate.
func GradNorm(ps []graph.Param) (float64, error) {
	sq := 0.0
	for _, p := range ps {
		if p.Grad == nil {
			return 0, errors.Errorf("optim: gradient norm: parameter %q has no gradient", p.Name)
		}
		switch d := p.Grad.Data().(type) {
		case []float64:
			for _, g := range d {
				sq += g * g
			}
		case []float32:
			for _, g := range d {
				sq += float64(g) * float64(g)
			}
		default:
			return 0, errors.Errorf("optim: gradient norm: parameter %q has dtype %v, want float64 or float32", p.Name, p.Grad.Dtype())
		}
	}
	return math.Sqrt(sq), nil
}

// Meter is an optimizer that records the L2 norm of every update's gradient as the inner
// optimizer receives it (before its clipping), and then hands the update on unchanged. Take
// reports the mean and the largest norm since the last Take and which update was the largest:
// single outlying updates, which can undo what a net has learned, show there.
type Meter struct {
	inner train.Optimizer
	n     int     // updates since the last Take
	sum   float64 // their norms' sum
	max   float64 // the largest
	maxAt int     // its position among them, from 1
}

// NewMeter wraps inner in a Meter. Checkpoints find inner's state through Unwrap.
func NewMeter(inner train.Optimizer) *Meter { return &Meter{inner: inner} }

// Unwrap returns the inner optimizer (train.Wrapper).
func (m *Meter) Unwrap() train.Optimizer { return m.inner }

// Step records the gradient's norm and hands the update to the inner optimizer.
func (m *Meter) Step(ps []graph.Param) error {
	norm, err := GradNorm(ps)
	if err != nil {
		return err
	}
	m.n++
	m.sum += norm
	if norm > m.max || m.n == 1 {
		m.max, m.maxAt = norm, m.n
	}
	return m.inner.Step(ps)
}

// Take returns the norms' mean and maximum since the last Take and the sequence number of the
// largest update, given seen, the number of sequences after the last of them (one sequence per
// update); and starts anew. ok is false if there was no update.
func (m *Meter) Take(seen int) (mean, max float64, at int, ok bool) {
	if m.n == 0 {
		return 0, 0, 0, false
	}
	mean, max, at = m.sum/float64(m.n), m.max, seen-m.n+m.maxAt
	*m = Meter{inner: m.inner}
	return mean, max, at, true
}

// Hold is an optimizer that leaves the named parameters unchanged (their gradients unused)
// until Release, and hands the others to the inner optimizer: a part of a net kept out of
// training, as the paper's sequential construction keeps a memory cell out until it is added
// (Sec. 4, Exps. 2a and 2b).
type Hold struct {
	inner train.Optimizer
	held  map[string]bool
}

// NewHold wraps inner in a Hold of the parameters names. Checkpoints find inner's state
// through Unwrap.
func NewHold(inner train.Optimizer, names ...string) *Hold {
	h := &Hold{inner: inner, held: map[string]bool{}}
	for _, n := range names {
		h.held[n] = true
	}
	return h
}

// Unwrap returns the inner optimizer (train.Wrapper).
func (h *Hold) Unwrap() train.Optimizer { return h.inner }

// Step updates every parameter but the held ones.
func (h *Hold) Step(ps []graph.Param) error {
	if len(h.held) == 0 {
		return h.inner.Step(ps)
	}
	keep := make([]graph.Param, 0, len(ps))
	for _, p := range ps {
		if !h.held[p.Name] {
			keep = append(keep, p)
		}
	}
	return h.inner.Step(keep)
}

// Release lets every parameter train from the next step on.
func (h *Hold) Release() { h.held = nil }
