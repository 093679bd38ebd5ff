package dense

import (
	"fmt"
	"math/rand"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/fusedop"
)

// Dropout returns inverted dropout of x [rows, n]: on every run of the program each value is
// kept with probability 1-p and scaled by 1/(1-p), or set to 0, so that its expected value is
// x; the gradient flows through the kept values with the same scale. The mask of each run is
// drawn from rng, rows first, one rng.Float64() per value (a value is dropped when the draw is
// < p): the same seed gives the same masks, run after run, bit for bit. rng belongs to the node
// from then on and must not be shared with another goroutine. A model function that a training
// loop calls once per batch shape should make rng once, outside the function, and pass it to
// every call: a source seeded inside would start over in each shape's program and repeat its
// masks.
//
// If b is built for evaluation (graph.Config.Eval) or p is 0, Dropout returns x itself. p must
// be in [0, 1), rng not nil and x a matrix, for evaluation too (one model function builds both
// forms). Errors are recorded in the builder (and nil returned).
//
// It replaces gorgonia's Dropout, which fails in this repository's executor.
func Dropout(b *graph.Builder, x *G.Node, p float64, rng *rand.Rand) *G.Node {
	if b == nil || b.Err() != nil {
		return nil
	}
	switch {
	case x == nil:
		b.Fail(errors.New("dense: dropout: nil input"))
		return nil
	case !(p >= 0 && p < 1):
		b.Fail(errors.Errorf("dense: dropout of %q: p must be in [0, 1), got %v", x.Name(), p))
		return nil
	case rng == nil:
		b.Fail(errors.Errorf("dense: dropout of %q: nil random source", x.Name()))
		return nil
	case len(x.Shape()) != 2:
		b.Fail(errors.Errorf("dense: dropout of %q: shape %v, want [rows, n]", x.Name(), x.Shape()))
		return nil
	}
	if b.Eval() || p == 0 {
		return x
	}
	op := &dropoutOp{Base: fusedop.NewBase("github.com/lstm97/lstm97/layers/dense.dropoutOp", x.Dtype()), shape: x.Shape().Clone(), p: p, rng: rng}
	return b.Op("dropout", func(n ...*G.Node) (*G.Node, error) { return G.ApplyOp(op, n...) }, x)
}

// dropoutOp is y = x ⊙ mask with mask drawn anew on every forward run: 0 with probability p,
// else 1/(1-p).
type dropoutOp struct {
	fusedop.Base
	shape tensor.Shape
	p     float64
	rng   *rand.Rand
	m64   []float64 // the mask of the last forward run
	m32   []float32
}

func (op *dropoutOp) Arity() int    { return 1 }
func (op *dropoutOp) Type() hm.Type { return fusedop.Matrices(op.Dtype(), 1, 2) }
func (op *dropoutOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.shape.Clone(), nil
}
func (op *dropoutOp) String() string { return fmt.Sprintf("dropout[p=%g]", op.p) }

func (op *dropoutOp) Do(vals ...G.Value) (G.Value, error) { return fusedop.Do(op, vals) }
func (op *dropoutOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	return fusedop.UsePreallocDo(op, prealloc, vals)
}
func (op *dropoutOp) Forward64(vals []G.Value, y []float64) (err error) {
	op.m64, err = dropoutForward(op, vals, y, op.m64)
	return err
}
func (op *dropoutOp) Forward32(vals []G.Value, y []float32) (err error) {
	op.m32, err = dropoutForward(op, vals, y, op.m32)
	return err
}

// dropoutForward draws a new mask into m (grown as needed, returned) and writes y = x ⊙ m.
func dropoutForward[F float32 | float64](op *dropoutOp, vals []G.Value, y, m []F) ([]F, error) {
	x, err := fusedop.Input[F](op, vals, 0, len(y))
	if err != nil {
		return m, err
	}
	if cap(m) < len(x) {
		m = make([]F, len(x))
	}
	m = m[:len(x)]
	keep := F(1 / (1 - op.p))
	for i, v := range x {
		if op.rng.Float64() < op.p {
			m[i], y[i] = 0, 0
		} else {
			m[i], y[i] = keep, v*keep
		}
	}
	return m, nil
}

// DiffWRT: dropout is differentiable with respect to x.
func (op *dropoutOp) DiffWRT(n int) []bool { return fusedop.Differentiable(n, 0, n) }

func (op *dropoutOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return fusedop.FlatGrad(op, inputs, grad)
}

func (op *dropoutOp) Grad64(vals []G.Value, _ []tensor.Shape, out []float64) error {
	return dropoutBackward(op, vals, op.m64, out)
}
func (op *dropoutOp) Grad32(vals []G.Value, _ []tensor.Shape, out []float32) error {
	return dropoutBackward(op, vals, op.m32, out)
}

// dropoutBackward writes dx = dy ⊙ mask into out.
func dropoutBackward[F float32 | float64](op *dropoutOp, vals []G.Value, m, out []F) error {
	dy, ok := fusedop.Floats[F](vals[len(vals)-1])
	if !ok || len(dy) != len(m) || len(out) != len(m) {
		return errors.Errorf("%v: gradient before the forward op ran", op)
	}
	for i, g := range dy {
		out[i] = g * m[i]
	}
	return nil
}
