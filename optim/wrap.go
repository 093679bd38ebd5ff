package optim

import (
	"math"
	"slices"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/train"
)

// GradNorm is the L2 norm of all the gradients together: the length of the step plain gradient
// descent takes, divided by the learning rate.
func GradNorm(ps []vm.Param) (float64, error) {
	sq := 0.0
	for _, p := range ps {
		if p.Grad == nil {
			return 0, errors.Errorf("optim: gradient norm: parameter %q has no gradient", p.Name)
		}
		switch p.Grad.Dtype() {
		case tensor.Float64:
			for _, g := range p.Grad.Float64s() {
				sq += g * g
			}
		case tensor.Float32:
			for _, g := range p.Grad.Float32s() {
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

// Unwrap returns the inner optimizer (checkpoint.Wrapper).
func (m *Meter) Unwrap() train.Optimizer { return m.inner }

// Step hands the update to the inner optimizer and, if it succeeds, records the gradient's
// norm. An update the inner optimizer refuses is not recorded.
func (m *Meter) Step(ps []vm.Param) error {
	if m == nil || m.inner == nil {
		return errors.New("optim: meter: no inner optimizer (use NewMeter)")
	}
	norm, err := GradNorm(ps)
	if err != nil {
		return err
	}
	if err := m.inner.Step(ps); err != nil {
		return err
	}
	m.n++
	m.sum += norm
	if norm > m.max || m.n == 1 {
		m.max, m.maxAt = norm, m.n
	}
	return nil
}

// ChecksFinite reports whether the inner optimizer refuses values, gradients and results that
// are not finite (train.FiniteChecker): the Meter hands it every update.
func (m *Meter) ChecksFinite() bool { return m != nil && checksFinite(m.inner) }

// checksFinite reports whether o is a train.FiniteChecker that checks.
func checksFinite(o train.Optimizer) bool {
	fc, ok := o.(train.FiniteChecker)
	return ok && fc.ChecksFinite()
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
	names []string // the held names in the order given, for messages
}

// NewHold wraps inner in a Hold of the parameters names. Checkpoints find inner's state
// through Unwrap.
func NewHold(inner train.Optimizer, names ...string) *Hold {
	h := &Hold{inner: inner, held: map[string]bool{}}
	for _, n := range names {
		if !h.held[n] {
			h.names = append(h.names, n)
		}
		h.held[n] = true
	}
	return h
}

// Unwrap returns the inner optimizer (checkpoint.Wrapper).
func (h *Hold) Unwrap() train.Optimizer { return h.inner }

// Step updates every parameter but the held ones. A held name that is not among ps (a
// misspelt name would otherwise hold nothing) is an error, and so is a value or gradient that
// is not finite, held or not; then nothing changes.
func (h *Hold) Step(ps []vm.Param) error {
	if h == nil || h.inner == nil {
		return errors.New("optim: hold: no inner optimizer (use NewHold)")
	}
	if len(h.held) == 0 {
		return h.inner.Step(ps)
	}
	if err := check(ps); err != nil { // held parameters too: a NaN anywhere is refused
		return err
	}
	keep := make([]vm.Param, 0, len(ps))
	for _, p := range ps {
		if !h.held[p.Name] {
			keep = append(keep, p)
		}
	}
	if len(ps)-len(keep) != len(h.held) {
		for _, name := range h.names {
			if !slices.ContainsFunc(ps, func(p vm.Param) bool { return p.Name == name }) {
				return errors.Errorf("optim: hold: held parameter %q is not among the %d parameters of this step", name, len(ps))
			}
		}
	}
	return h.inner.Step(keep)
}

// ChecksFinite reports whether the inner optimizer refuses values, gradients and results that
// are not finite (train.FiniteChecker): the Hold checks every value and gradient itself, held
// ones too, and hands the others' updates to the inner optimizer.
func (h *Hold) ChecksFinite() bool { return h != nil && checksFinite(h.inner) }

// Release lets every parameter train from the next step on.
func (h *Hold) Release() { h.held, h.names = nil, nil }

// Held returns the names of the parameters held, in the order given (none after Release):
// for a train.Learner, which updates the parameters itself, to keep them as they are.
func (h *Hold) Held() []string { return append([]string(nil), h.names...) }
