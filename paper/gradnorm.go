package paper

import (
	"math"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/train"
)

// gradNorm is the L2 norm of all the gradients together: the length of the step that plain
// gradient descent takes, divided by α (eq. 17 summed over a sequence's steps).
func gradNorm(ps []graph.Param) (float64, error) {
	sq := 0.0
	for _, p := range ps {
		if p.Grad == nil {
			return 0, errors.Errorf("paper: gradient norm: parameter %q has no gradient", p.Name)
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
			return 0, errors.Errorf("paper: gradient norm: parameter %q has dtype %v, want float64 or float32", p.Name, p.Grad.Dtype())
		}
	}
	return math.Sqrt(sq), nil
}

// normMeter is an optimizer that records the L2 norm of every update's gradient, as the
// inner optimizer receives it (before any clipping), and then hands the update on. The
// learning curve (Options.Metrics) reports the mean and the largest norm of each of its
// intervals, and which update was the largest: single outlying updates show there (see the
// README on 3a and 6b).
type normMeter struct {
	inner train.Optimizer
	n     int     // updates since the last take
	sum   float64 // their norms' sum
	max   float64 // the largest
	maxAt int     // its position among them, from 1
}

func (m *normMeter) Step(ps []graph.Param) error {
	norm, err := gradNorm(ps)
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

// take returns the norms' mean and maximum since the last take and the sequence number of
// the largest update, given seen, the sequences seen after the last of them; and starts anew.
// ok is false if there was no update.
func (m *normMeter) take(seen int) (mean, max float64, at int, ok bool) {
	if m.n == 0 {
		return 0, 0, 0, false
	}
	mean, max, at = m.sum/float64(m.n), m.max, seen-m.n+m.maxAt
	*m = normMeter{inner: m.inner}
	return mean, max, at, true
}

// meterStateful keeps the inner optimizer's state visible to checkpoints.
type meterStateful struct {
	*normMeter
	train.Stateful
}

// metering wraps opt in a normMeter.
func metering(opt train.Optimizer) (*normMeter, train.Optimizer) {
	m := &normMeter{inner: opt}
	if st, ok := opt.(train.Stateful); ok {
		return m, meterStateful{m, st}
	}
	return m, m
}
