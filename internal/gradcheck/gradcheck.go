// Package gradcheck is the one central-difference gradient checker of the module's tests: it
// compares the gradients a graph computes with (loss(w+h) − loss(w−h)) / 2h, value by value,
// in float64, and keeps the largest difference so that tests can report it.
package gradcheck

import (
	"math"
	"slices"
	"testing"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
)

// Step is the step h of the central differences.
const Step = 1e-6

// nonZero is the magnitude above which a central difference counts as non-zero.
const nonZero = 1e-6

// Tol is a tolerance: a gradient g fails against the central difference fd when
// |g − fd| > Abs + Rel·|fd|.
type Tol struct{ Abs, Rel float64 }

// Checker compares gradients with central differences of Loss, failing T on every value
// outside Tol, and keeps statistics over every value it checked.
type Checker struct {
	T testing.TB
	// Loss returns the loss at the current values of the parameters.
	Loss func() float64
	Tol  Tol
	// MaxDiff is the largest |g − fd| seen, MaxRel the largest |g − fd| / max(|fd|, 1e-3).
	MaxDiff, MaxRel float64
	// Values is the number of values checked, NonZero the number whose |fd| > 1e-6.
	Values, NonZero int
}

// Central returns the central difference (loss(w[i]+h) − loss(w[i]−h)) / 2h, restoring w[i].
func Central(w []float64, i int, h float64, loss func() float64) float64 {
	orig := w[i]
	w[i] = orig + h
	lp := loss()
	w[i] = orig - h
	lm := loss()
	w[i] = orig
	return (lp - lm) / (2 * h)
}

// Check compares grad, the gradient of the loss with respect to w (of the same length), with
// central differences of step Step, perturbing w in place. name labels failures.
func (c *Checker) Check(name string, w, grad []float64) {
	c.T.Helper()
	if len(w) != len(grad) {
		c.T.Fatalf("%s: %d values, %d gradients", name, len(w), len(grad))
	}
	for i := range w {
		fd := Central(w, i, Step, c.Loss)
		d := math.Abs(grad[i] - fd)
		if !(d <= c.Tol.Abs+c.Tol.Rel*math.Abs(fd)) {
			c.T.Errorf("∂loss/∂%s[%d]: graph %.12g, central differences %.12g", name, i, grad[i], fd)
		}
		c.MaxDiff = math.Max(c.MaxDiff, d)
		c.MaxRel = math.Max(c.MaxRel, d/math.Max(math.Abs(fd), 1e-3))
		c.Values++
		if math.Abs(fd) > nonZero {
			c.NonZero++
		}
	}
}

// Report logs the largest differences and fails T if no central difference was non-zero: a
// check of gradients that are all 0 proves nothing. Tests that know how many should be
// non-zero check NonZero as well.
func (c *Checker) Report(what string) {
	c.T.Helper()
	c.T.Logf("%s: largest |graph − central difference| %.3g, relative %.3g (%d values, %d non-zero)",
		what, c.MaxDiff, c.MaxRel, c.Values, c.NonZero)
	if c.NonZero == 0 {
		c.T.Errorf("%s: all %d central differences are 0: the check is vacuous", what, c.Values)
	}
}

// Program checks the gradients of p's parameters named in names (all if none): it zeroes p's
// gradients, runs p once (calling before first, if not nil, as before every run), keeps the
// gradients, compares them
// with central differences of p's loss, reports (Report) and ends with a run at the
// unperturbed parameters. Values must be float64.
func Program(t testing.TB, p *vm.Program, before func(), tol Tol, names ...string) *Checker {
	t.Helper()
	c := &Checker{T: t, Tol: tol, Loss: func() float64 {
		if before != nil {
			before()
		}
		if err := p.Run(); err != nil {
			t.Fatal(err)
		}
		l, err := p.Loss()
		if err != nil {
			t.Fatal(err)
		}
		return l
	}}
	if err := p.ZeroGrads(); err != nil { // gradients accumulate over runs
		t.Fatal(err)
	}
	c.Loss()
	ps, err := p.Params()
	if err != nil {
		t.Fatal(err)
	}
	grads := make([][]float64, len(ps))
	for i, q := range ps {
		grads[i] = slices.Clone(graph.Float64View(q.Grad))
	}
	for i, q := range ps {
		if len(names) == 0 || slices.Contains(names, q.Name) {
			c.Check(q.Name, graph.Float64View(q.Value), grads[i])
		}
	}
	c.Report(t.Name())
	c.Loss()
	return c
}
