package output

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"
	"sync/atomic"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/fusedop"
)

// denseOp is a fused layer of output units: y = f(h·W + x·Wx + b) with f logistic or the
// identity, for h [N, Cells], W [Cells, K], optional x [N, I] and Wx [I, K], optional b [1, K].
// Its inputs are h, W, then x, Wx if hasX, then b if hasB. With rows, it computes only the
// rows listed, in that order: y is [len(rows), K], row n being input row rows[n].
type denseOp struct {
	id    uint64
	dtype tensor.Dtype
	N, K  int   // output rows (len(rows) if rows is set) and units
	rows  []int // the input rows computed, or nil for all N
	inN   int   // input rows
	hasX  bool
	// xIsInput: x is a graph input (Builder.Input), for which no gradient is ever asked; the
	// backward pass leaves its gradient at 0 instead of computing it.
	xIsInput bool
	hasB     bool
	linear   bool
	d64      []float64 // f'(net) of the last forward run
	d32      []float32
}

var denseOpIDs, lossOpIDs uint64

func (op *denseOp) Arity() int {
	n := 2
	if op.hasX {
		n += 2
	}
	if op.hasB {
		n++
	}
	return n
}
func (op *denseOp) Type() hm.Type { return fusedop.Matrices(op.dtype, op.Arity(), 2) }
func (op *denseOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.N, op.K}, nil
}
func (op *denseOp) ReturnsPtr() bool     { return false }
func (op *denseOp) CallsExtern() bool    { return false }
func (op *denseOp) OverwritesInput() int { return -1 }
func (op *denseOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "github.com/lstm97/lstm97/layers/output.denseOp#%d", op.id)
}
func (op *denseOp) Hashcode() uint32 { h := fnv.New32a(); op.WriteHash(h); return h.Sum32() }
func (op *denseOp) String() string {
	name := "logistic"
	if op.linear {
		name = "linear"
	}
	if op.rows != nil {
		name += fmt.Sprintf(", %d of %d rows", op.N, op.inN)
	}
	return name
}

// in returns the input row of output row n.
func (op *denseOp) in(n int) int {
	if op.rows != nil {
		return op.rows[n]
	}
	return n
}
func (op *denseOp) ID() uint64          { return op.id }
func (op *denseOp) Dtype() tensor.Dtype { return op.dtype }

func (op *denseOp) Do(vals ...G.Value) (G.Value, error) {
	return op.UsePreallocDo(tensor.New(tensor.Of(op.dtype), tensor.WithShape(op.N, op.K)), vals...)
}

func (op *denseOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	out, err := fusedop.OutputTensor(op, op.Arity(), prealloc, vals)
	if err != nil {
		return nil, err
	}
	switch op.dtype {
	case tensor.Float64:
		op.d64, err = denseForward(op, vals, out.Float64s(), op.d64)
	case tensor.Float32:
		op.d32, err = denseForward(op, vals, out.Float32s(), op.d32)
	default:
		err = errors.Errorf("%v: unsupported dtype %v", op, op.dtype)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// denseArgs unpacks the inputs: h, W, x, Wx, b (x, Wx, b nil when absent).
func denseArgs[F float32 | float64](op *denseOp, vals []G.Value) (h, w, x, wx, b []F, err error) {
	var ok bool
	get := func(i int) []F {
		if !ok {
			return nil
		}
		var d []F
		d, ok = fusedop.Floats[F](vals[i])
		return d
	}
	ok = true
	h, w = get(0), get(1)
	i := 2
	if op.hasX {
		x, wx = get(2), get(3)
		i = 4
	}
	if op.hasB {
		b = get(i)
	}
	if !ok {
		return nil, nil, nil, nil, nil, errors.Errorf("%v: an input is not a %v tensor", op, op.dtype)
	}
	return h, w, x, wx, b, nil
}

func denseForward[F float32 | float64](op *denseOp, vals []G.Value, y, d []F) ([]F, error) {
	h, w, x, wx, b, err := denseArgs[F](op, vals)
	if err != nil {
		return d, err
	}
	K := op.K
	C, I := len(w)/K, 0
	if op.hasX {
		I = len(wx) / K
	}
	if cap(d) < op.N*K {
		d = make([]F, op.N*K)
	}
	d = d[:op.N*K]
	for n := 0; n < op.N; n++ {
		yr := y[n*K : (n+1)*K]
		if b != nil {
			copy(yr, b)
		} else {
			clear(yr)
		}
		r := op.in(n)
		for c, hv := range h[r*C : (r+1)*C] {
			for k, wv := range w[c*K : (c+1)*K] {
				yr[k] += hv * wv
			}
		}
		if op.hasX {
			for i, xv := range x[r*I : (r+1)*I] {
				if xv == 0 { // one-hot inputs: most rows add nothing
					continue
				}
				for k, wv := range wx[i*K : (i+1)*K] {
					yr[k] += xv * wv
				}
			}
		}
		for k := range yr {
			if op.linear {
				d[n*K+k] = 1
				continue
			}
			p := F(1 / (1 + math.Exp(-float64(yr[k]))))
			yr[k], d[n*K+k] = p, p*(1-p)
		}
	}
	return d, nil
}

func (op *denseOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = true
	}
	return d
}

func (op *denseOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return fusedop.FlatGrad(op, inputs, grad)
}

func (op *denseOp) Grad64(vals []G.Value, _ []tensor.Shape, out []float64) error {
	return denseBackward(op, vals, op.d64, out)
}
func (op *denseOp) Grad32(vals []G.Value, _ []tensor.Shape, out []float32) error {
	return denseBackward(op, vals, op.d32, out)
}

// denseBackward writes dh, dW, (dx, dWx), (db) into out, in input order.
func denseBackward[F float32 | float64](op *denseOp, vals []G.Value, d, out []F) error {
	h, w, x, wx, b, err := denseArgs[F](op, vals[:len(vals)-1])
	if err != nil {
		return err
	}
	dy, ok := fusedop.Floats[F](vals[len(vals)-1])
	if !ok || len(d) != len(dy) {
		return errors.Errorf("%v: gradient before the forward op ran", op)
	}
	K := op.K
	C, I := len(w)/K, len(wx)/K
	dh, rest := out[:len(h)], out[len(h):]
	dw, rest := rest[:len(w)], rest[len(w):]
	var dx, dwx []F
	if op.hasX {
		dx, rest = rest[:len(x)], rest[len(x):]
		dwx, rest = rest[:len(wx)], rest[len(wx):]
	}
	db := rest[:len(b)]
	dnet := make([]F, K)
	// out arrives zeroed, so the rows of h and x that rows leaves out keep a zero gradient.
	for n := 0; n < op.N; n++ {
		r := op.in(n)
		for k := range dnet {
			dnet[k] = dy[n*K+k] * d[n*K+k]
			if b != nil {
				db[k] += dnet[k]
			}
		}
		for c := 0; c < C; c++ {
			hv, acc := h[r*C+c], F(0)
			for k, g := range dnet {
				dw[c*K+k] += hv * g
				acc += w[c*K+k] * g
			}
			dh[r*C+c] = acc
		}
		for i := 0; i < I; i++ {
			xv := x[r*I+i]
			if xv != 0 {
				for k, g := range dnet {
					dwx[i*K+k] += xv * g
				}
			}
			if op.xIsInput { // dx stays 0: nothing reads the gradient of an input
				continue
			}
			acc := F(0)
			for k, g := range dnet {
				acc += wx[i*K+k] * g
			}
			dx[r*I+i] = acc
		}
	}
	return nil
}

// maskedLossOp is c · Σ mask ⊙ (target - y)², a scalar, for y, target, mask [N, K]. Its
// gradient flows to y only.
type maskedLossOp struct {
	id    uint64
	dtype tensor.Dtype
	c     float64
}

func (op *maskedLossOp) Arity() int { return 3 }
func (op *maskedLossOp) Type() hm.Type {
	m := G.TensorType{Dims: 2, Of: op.dtype}
	return hm.NewFnType(m, m, m, op.dtype)
}
func (op *maskedLossOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.ScalarShape(), nil
}
func (op *maskedLossOp) ReturnsPtr() bool     { return false }
func (op *maskedLossOp) CallsExtern() bool    { return false }
func (op *maskedLossOp) OverwritesInput() int { return -1 }
func (op *maskedLossOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "github.com/lstm97/lstm97/layers/output.maskedLossOp#%d", op.id)
}
func (op *maskedLossOp) Hashcode() uint32    { h := fnv.New32a(); op.WriteHash(h); return h.Sum32() }
func (op *maskedLossOp) String() string      { return fmt.Sprintf("%g·Σmask(t-y)²", op.c) }
func (op *maskedLossOp) ID() uint64          { return op.id }
func (op *maskedLossOp) Dtype() tensor.Dtype { return op.dtype }

func (op *maskedLossOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != 3 {
		return nil, errors.Errorf("%v: want 3 inputs, got %d", op, len(vals))
	}
	switch op.dtype {
	case tensor.Float64:
		v, err := lossValue[float64](op, vals)
		return G.NewF64(v), err
	case tensor.Float32:
		v, err := lossValue[float32](op, vals)
		return G.NewF32(float32(v)), err
	}
	return nil, errors.Errorf("%v: unsupported dtype %v", op, op.dtype)
}

func lossValue[F float32 | float64](op *maskedLossOp, vals []G.Value) (float64, error) {
	y, ok1 := fusedop.Floats[F](vals[0])
	t, ok2 := fusedop.Floats[F](vals[1])
	m, ok3 := fusedop.Floats[F](vals[2])
	if !ok1 || !ok2 || !ok3 || len(y) != len(t) || len(y) != len(m) {
		return 0, errors.Errorf("%v: inputs are not equal-sized %v tensors", op, op.dtype)
	}
	sum := 0.0
	for i, yv := range y {
		if m[i] != 0 {
			e := float64(t[i] - yv)
			sum += float64(m[i]) * e * e
		}
	}
	return op.c * sum, nil
}

// DiffWRT: the loss is differentiated with respect to y only.
func (op *maskedLossOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	if n > 0 {
		d[0] = true
	}
	return d
}

func (op *maskedLossOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return fusedop.FlatGrad(op, inputs, grad)
}

func (op *maskedLossOp) Grad64(vals []G.Value, _ []tensor.Shape, out []float64) error {
	return lossGrad(op, vals, out)
}
func (op *maskedLossOp) Grad32(vals []G.Value, _ []tensor.Shape, out []float32) error {
	return lossGrad(op, vals, out)
}

// lossGrad writes ∂loss/∂y = -2c·mask⊙(t-y)·g into out (the target and mask parts stay 0).
func lossGrad[F float32 | float64](op *maskedLossOp, vals []G.Value, out []F) error {
	y, ok1 := fusedop.Floats[F](vals[0])
	t, ok2 := fusedop.Floats[F](vals[1])
	m, ok3 := fusedop.Floats[F](vals[2])
	if !ok1 || !ok2 || !ok3 {
		return errors.Errorf("%v: inputs are not %v tensors", op, op.dtype)
	}
	var g float64
	switch v := vals[3].(type) {
	case *G.F64:
		g = float64(*v)
	case *G.F32:
		g = float64(*v)
	default:
		return errors.Errorf("%v: upstream gradient is %T", op, vals[3])
	}
	k := F(-2 * op.c * g)
	for i := range y {
		out[i] = k * m[i] * (t[i] - y[i])
	}
	return nil
}

// newDenseNode applies o to the rows of h (and x) listed in rows, or to all of them if rows is
// nil.
func newDenseNode(b *graph.Builder, o *Layer, h, x *G.Node, rows []int) *G.Node {
	op := &denseOp{id: atomic.AddUint64(&denseOpIDs, 1), dtype: h.Dtype(), N: h.Shape()[0], inN: h.Shape()[0], K: o.cfg.Units,
		hasX: o.Wx != nil, xIsInput: b.IsInput(x), hasB: o.B != nil, linear: o.cfg.Linear}
	if rows != nil {
		op.rows, op.N = append([]int(nil), rows...), len(rows)
	}
	in := []*G.Node{h, o.W}
	if op.hasX {
		in = append(in, x, o.Wx)
	}
	if op.hasB {
		in = append(in, o.B)
	}
	return b.Op("dense", func(n ...*G.Node) (*G.Node, error) { return G.ApplyOp(op, n...) }, in...)
}
