package dense

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math/rand"
	"sync/atomic"

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
// from then on and must not be shared with another goroutine.
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
	op := &dropoutOp{id: atomic.AddUint64(&dropoutOpIDs, 1), dtype: x.Dtype(), shape: x.Shape().Clone(), p: p, rng: rng}
	return b.Op("dropout", func(n ...*G.Node) (*G.Node, error) { return G.ApplyOp(op, n...) }, x)
}

var dropoutOpIDs uint64

// dropoutOp is y = x ⊙ mask with mask drawn anew on every forward run: 0 with probability p,
// else 1/(1-p).
type dropoutOp struct {
	id    uint64
	dtype tensor.Dtype
	shape tensor.Shape
	p     float64
	rng   *rand.Rand
	m64   []float64 // the mask of the last forward run
	m32   []float32
}

func (op *dropoutOp) Arity() int    { return 1 }
func (op *dropoutOp) Type() hm.Type { return fusedop.Matrices(op.dtype, 1, 2) }
func (op *dropoutOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.shape.Clone(), nil
}
func (op *dropoutOp) ReturnsPtr() bool     { return false }
func (op *dropoutOp) CallsExtern() bool    { return false }
func (op *dropoutOp) OverwritesInput() int { return -1 }
func (op *dropoutOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "github.com/lstm97/lstm97/layers/dense.dropoutOp#%d", op.id)
}
func (op *dropoutOp) Hashcode() uint32    { h := fnv.New32a(); op.WriteHash(h); return h.Sum32() }
func (op *dropoutOp) String() string      { return fmt.Sprintf("dropout[p=%g]", op.p) }
func (op *dropoutOp) ID() uint64          { return op.id }
func (op *dropoutOp) Dtype() tensor.Dtype { return op.dtype }

func (op *dropoutOp) Do(vals ...G.Value) (G.Value, error) {
	return op.UsePreallocDo(tensor.New(tensor.Of(op.dtype), tensor.WithShape(op.shape...)), vals...)
}

func (op *dropoutOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	out, err := fusedop.OutputTensor(op, 1, prealloc, vals)
	if err != nil {
		return nil, err
	}
	switch op.dtype {
	case tensor.Float64:
		op.m64, err = dropoutForward(op, vals[0], out.Float64s(), op.m64)
	case tensor.Float32:
		op.m32, err = dropoutForward(op, vals[0], out.Float32s(), op.m32)
	default:
		err = errors.Errorf("%v: unsupported dtype %v", op, op.dtype)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// dropoutForward draws a new mask into m (grown as needed, returned) and writes y = x ⊙ m.
func dropoutForward[F float32 | float64](op *dropoutOp, xv G.Value, y, m []F) ([]F, error) {
	x, ok := fusedop.Floats[F](xv)
	if !ok || len(x) != len(y) {
		return m, errors.Errorf("%v: input is not a %v tensor of shape %v", op, op.dtype, op.shape)
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
func (op *dropoutOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = true
	}
	return d
}

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
