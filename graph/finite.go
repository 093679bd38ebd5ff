package graph

import (
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph/fusedop"
)

// FirstNonFinite returns the index of the first NaN or infinite value of vs, or -1 if all are
// finite. It is on the path of every training step (inputs, targets, gradients), where inputs
// can be millions of values (Exp. 2c at q = p = 1000: 1,004-wide one-hot rows over 1,000+
// steps), so the common all-finite case is one branch-free pass: v*0 is ±0 for finite v and NaN
// for NaN or ±Inf, and NaN survives any sum.
func FirstNonFinite(vs []float64) int {
	var a0, a1, a2, a3 float64
	i := 0
	for ; i+4 <= len(vs); i += 4 {
		v := vs[i : i+4 : i+4] // one bounds check for four values
		a0 += v[0] * 0
		a1 += v[1] * 0
		a2 += v[2] * 0
		a3 += v[3] * 0
	}
	for ; i < len(vs); i++ {
		a0 += vs[i] * 0
	}
	if s := a0 + a1 + a2 + a3; s == s {
		return -1
	}
	for i, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return i
		}
	}
	return -1 // unreachable: the sum was NaN
}

// Float64View returns t's values as float64s: t's own storage if it holds float64s (not to be
// modified), a converted copy otherwise.
func Float64View(t *tensor.Dense) []float64 {
	if !t.IsScalar() {
		if v, ok := fusedop.Floats[float64](t); ok {
			return v
		}
	}
	return toFloat64s(t)
}

// Fill copies vals into t's storage, converting them to t's dtype (float64 or float32). vals
// must hold exactly as many values as t; the error says so (callers name t).
func Fill(t *tensor.Dense, vals []float64) error {
	if n := t.Shape().TotalSize(); len(vals) != n {
		return errors.Errorf("got %d values, want %d (shape %v)", len(vals), n, t.Shape())
	}
	// Floats gives t's own storage, scalars included.
	if d, ok := fusedop.Floats[float64](t); ok {
		copy(d, vals)
	} else if d, ok := fusedop.Floats[float32](t); ok {
		for i, v := range vals {
			d[i] = float32(v)
		}
	} else {
		return errors.Errorf("unsupported dtype %v", t.Dtype())
	}
	return nil
}
