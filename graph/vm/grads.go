package vm

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph/fusedop"
)

// grads holds the accumulated gradients of a Program's parameters and adds each run's to them.
//
// The accumulators of the float64 parameters lie one after the other, in parameter order, in
// one vector, and so do those of the float32 ones: zeroing them is one clear each. A run's
// gradients are added by a list of adds made at compile time, each a run of values of one
// node's value added to a run of accumulators; the gradients that a fused op (fusedop.FlatGrad)
// computes for consecutive parameters lie one after the other in its flat vector, in the same
// order, so that all the weights of an LSTM layer make one add. An add whose value is not what
// the compiled graph promises (another dtype or size) falls back on the per-parameter
// functions addPart and addInto, which name the trouble.
type grads struct {
	acc        []*tensor.Dense // per parameter: a view into flat64 or flat32, or a tensor of its own (a scalar or another dtype)
	flat64     []float64
	flat32     []float32
	own        []*tensor.Dense // the accumulators outside flat64 and flat32
	adds       []gradAdd
	vals       []*G.Value // per parameter: its gradient node's value, or nil where parts says
	parts      []part     // per parameter: where its gradient lies in a flat vector
	paramNames []string
}

// gradAdd adds values [off, off+len(dst)) of *src to dst, the accumulators of parameters
// [first, last): the parts of a flat vector, or (whole) one parameter's gradient node's value,
// which must then have exactly len(dst) values. dst is [from, to) of flat64 or flat32 (from is
// -1 for an accumulator of its own).
type gradAdd struct {
	src         *G.Value
	off         int
	whole       bool
	first, last int
	from, to    int
	dst64       []float64 // one of them is set, unless the dtype is not a float one
	dst32       []float32
}

// newGrads makes the accumulators of parameters ps (named names) and the adds of the gradients
// whose values lie in vals[i] or, where vals[i] is nil, parts[i].
func newGrads(ps []*G.Node, names []string, vals []*G.Value, parts []part) *grads {
	gs := &grads{vals: vals, parts: parts, paramNames: names}
	n64, n32 := 0, 0
	at := make([]int, len(ps)) // offset of each accumulator in its flat vector, -1 outside
	for i, p := range ps {
		at[i] = -1
		if p.IsScalar() {
			continue
		}
		switch n := p.Shape().TotalSize(); {
		case fusedop.SameDtype(p.Dtype(), tensor.Float64):
			at[i], n64 = n64, n64+n
		case fusedop.SameDtype(p.Dtype(), tensor.Float32):
			at[i], n32 = n32, n32+n
		}
	}
	gs.flat64, gs.flat32 = make([]float64, n64), make([]float32, n32)
	for i, p := range ps {
		n := p.Shape().TotalSize()
		var a *tensor.Dense
		switch {
		case at[i] < 0:
			a = tensor.New(tensor.Of(p.Dtype()), tensor.WithShape(p.Shape().Clone()...))
			gs.own = append(gs.own, a)
		case fusedop.SameDtype(p.Dtype(), tensor.Float64):
			a = tensor.New(tensor.WithShape(p.Shape().Clone()...), tensor.WithBacking(gs.flat64[at[i]:at[i]+n:at[i]+n]))
		default:
			a = tensor.New(tensor.WithShape(p.Shape().Clone()...), tensor.WithBacking(gs.flat32[at[i]:at[i]+n:at[i]+n]))
		}
		gs.acc = append(gs.acc, a)
		ad := gradAdd{src: vals[i], whole: true, first: i, last: i + 1, from: at[i], to: at[i] + n}
		if vals[i] == nil {
			ad.src, ad.off, ad.whole = parts[i].flat, parts[i].off, false
		}
		ad.dst64, _ = fusedop.Floats[float64](a)
		ad.dst32, _ = fusedop.Floats[float32](a)
		if k := len(gs.adds) - 1; k >= 0 && gs.adds[k].extends(&ad) {
			c := &gs.adds[k]
			c.last, c.to = ad.last, ad.to
			if c.dst64 != nil {
				c.dst64 = gs.flat64[c.from:c.to:c.to]
			} else {
				c.dst32 = gs.flat32[c.from:c.to:c.to]
			}
			continue
		}
		gs.adds = append(gs.adds, ad)
	}
	return gs
}

// extends reports whether b, the add of the parameter after a's last, continues a: parts of
// the same flat vector, b's values right after a's, and b's accumulator right after a's in the
// same flat vector.
func (a *gradAdd) extends(b *gradAdd) bool {
	same64 := a.dst64 != nil && b.dst64 != nil
	same32 := a.dst32 != nil && b.dst32 != nil
	return !a.whole && !b.whole && a.src == b.src && a.from >= 0 && b.from == a.to &&
		b.off == a.off+(a.to-a.from) && (same64 || same32)
}

// add adds one run's gradients to the accumulators.
func (gs *grads) add() error {
	for i := range gs.adds {
		a := &gs.adds[i]
		switch {
		case a.dst64 != nil:
			if x, ok := fusedop.Floats[float64](*a.src); ok && addFloats(a.dst64, x, a.off, a.whole) {
				continue
			}
		case a.dst32 != nil:
			if x, ok := fusedop.Floats[float32](*a.src); ok && addFloats(a.dst32, x, a.off, a.whole) {
				continue
			}
		}
		for k := a.first; k < a.last; k++ { // the general path names what does not fit
			var err error
			if gs.vals[k] == nil {
				err = addPart(gs.acc[k], gs.parts[k])
			} else {
				err = addInto(gs.acc[k], *gs.vals[k])
			}
			if err != nil {
				return errors.Wrapf(err, "vm: run: gradient of %q", gs.paramNames[k])
			}
		}
	}
	return nil
}

// addFloats adds x[off:off+len(dst)] to dst and reports true, or reports false if x has too
// few values, or (whole) not exactly len(dst).
func addFloats[F float32 | float64](dst, x []F, off int, whole bool) bool {
	n := len(dst)
	if off+n > len(x) || (whole && len(x) != n) {
		return false
	}
	x = x[off:][:n]
	i := 0
	for ; i+4 <= n; i += 4 { // four at a time, one bounds check for each four
		d, g := dst[i:i+4:i+4], x[i:i+4:i+4]
		d[0] += g[0]
		d[1] += g[1]
		d[2] += g[2]
		d[3] += g[3]
	}
	for ; i < n; i++ {
		dst[i] += x[i]
	}
	return true
}

// zero sets every accumulator to zero.
func (gs *grads) zero() {
	clear(gs.flat64)
	clear(gs.flat32)
	for _, a := range gs.own {
		zero(a)
	}
}

// zero sets t's values to zero.
func zero(t *tensor.Dense) {
	switch t.Dtype() {
	case tensor.Float64:
		clear(t.Float64s()) // not Float64View: a scalar's is a copy
	case tensor.Float32:
		clear(t.Float32s())
	default:
		t.Zero()
	}
}

// addPart adds the values of a gradient that lies in a flat vector to acc.
func addPart(acc *tensor.Dense, pt part) error {
	if a, ok := fusedop.Floats[float64](acc); ok {
		if x, ok := fusedop.Floats[float64](*pt.flat); ok && pt.off+pt.n <= len(x) && len(a) == pt.n {
			for i, g := range x[pt.off : pt.off+pt.n] {
				a[i] += g
			}
			return nil
		}
	} else if a, ok := fusedop.Floats[float32](acc); ok {
		if x, ok := fusedop.Floats[float32](*pt.flat); ok && pt.off+pt.n <= len(x) && len(a) == pt.n {
			for i, g := range x[pt.off : pt.off+pt.n] {
				a[i] += g
			}
			return nil
		}
	}
	return errors.Errorf("gradient values [%d, %d) of %v do not fit %v %v", pt.off, pt.off+pt.n, *pt.flat, acc.Dtype(), acc.Shape())
}

// addInto adds the values of v (a tensor or a scalar of the same size) to acc.
func addInto(acc *tensor.Dense, v G.Value) error {
	if a, ok := fusedop.Floats[float64](acc); ok { // a scalar's storage too
		if s, ok := v.(*G.F64); ok && len(a) == 1 {
			a[0] += float64(*s)
			return nil
		}
		if x, ok := fusedop.Floats[float64](v); ok {
			return addAll(a, x)
		}
	} else if a, ok := fusedop.Floats[float32](acc); ok {
		if s, ok := v.(*G.F32); ok && len(a) == 1 {
			a[0] += float32(*s)
			return nil
		}
		if x, ok := fusedop.Floats[float32](v); ok {
			return addAll(a, x)
		}
	}
	return errors.Errorf("gradient value %T does not fit %v %v", v, acc.Dtype(), acc.Shape())
}

// addAll adds x to a, which must have as many values.
func addAll[F float32 | float64](a, x []F) error {
	if len(x) != len(a) {
		return errors.Errorf("gradient has %d values, want %d", len(x), len(a))
	}
	for i, g := range x {
		a[i] += g
	}
	return nil
}
