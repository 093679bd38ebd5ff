package output

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/fusedop"
	"github.com/lstm97/lstm97/internal/vmath"
)

// denseOp is a fused layer of output units: y = f(h·W + x·Wx + b) with f logistic or the
// identity, for h [N, Cells], W [Cells, K], optional x [N, I] and Wx [I, K], optional b [1, K].
// Its inputs are h, W, then x, Wx if hasX, then b if hasB. With rows, it computes only the
// rows listed, in that order: y is [len(rows), K], row n being input row rows[n].
type denseOp struct {
	fusedop.Base
	N, K int   // output rows (len(rows) if rows is set) and units
	rows []int // the input rows computed, or nil for all N
	inN  int   // input rows
	hasX bool
	// xIsInput: x is a graph input (Builder.Input), for which no gradient is ever asked; the
	// backward pass leaves its gradient at 0 instead of computing it.
	xIsInput bool
	hasB     bool
	linear   bool
	threads  int // graph.Config.Threads: at most this many goroutines a pass, 0: GOMAXPROCS
	// spaced: the rows read are evenly spaced, row n being first + n·step (all rows: first 0,
	// step 1), so that gemm reads them in place; otherwise they are gathered into a buffer.
	spaced      bool
	first, step int
	p64         pass[float64] // the buffers of the float64 and float32 runs
	p32         pass[float32]
}

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
func (op *denseOp) Type() hm.Type { return fusedop.Matrices(op.Dtype(), op.Arity(), 2) }
func (op *denseOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.N, op.K}, nil
}
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
func (op *denseOp) Do(vals ...G.Value) (G.Value, error) { return fusedop.Do(op, vals) }
func (op *denseOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	return fusedop.UsePreallocDo(op, prealloc, vals)
}
func (op *denseOp) Forward64(vals []G.Value, y []float64) error {
	return denseForward(op, &op.p64, vals, y, sigmoid64)
}
func (op *denseOp) Forward32(vals []G.Value, y []float32) error {
	return denseForward(op, &op.p32, vals, y, sigmoid32)
}

// sigmoid64 and sigmoid32 replace every value v of y by the logistic function
// 1/(1+math.Exp(-v)), bit for bit on amd64 with FMA (vmath: eight at a time, math.Exp's
// algorithm and roundings; for float32 in float64, rounded once); elsewhere vmath's Go version
// of the same algorithm, within 1 ulp of math.Exp's result there.
func sigmoid64(y []float64) { vmath.Sigmoid64(y, y) }
func sigmoid32(y []float32) { vmath.Sigmoid32(y, y) }

// denseArgs unpacks the inputs: h, W, x, Wx, b (x, Wx, b nil when absent).
func denseArgs[F float32 | float64](op *denseOp, vals []G.Value) (h, w, x, wx, b []F, err error) {
	a := fusedop.ReadArgs[F](op, vals)
	h, w = a.Next(-1), a.Next(-1)
	if op.hasX {
		x, wx = a.Next(-1), a.Next(-1)
	}
	if op.hasB {
		b = a.Next(op.K)
	}
	return h, w, x, wx, b, a.Err()
}

// netX adds x·Wx for unit k to net, skipping zero inputs.
func netX[F float32 | float64](net F, x, wx []F, k, K int) F {
	for i, xv := range x {
		if xv != 0 {
			net += F(xv * wx[i*K+k])
		}
	}
	return net
}

func (op *denseOp) DiffWRT(n int) []bool { return fusedop.Differentiable(n, 0, n) }

func (op *denseOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return fusedop.FlatGrad(op, inputs, grad)
}

func (op *denseOp) Grad64(vals []G.Value, _ []tensor.Shape, out []float64) error {
	return denseBackward(op, &op.p64, vals, out)
}
func (op *denseOp) Grad32(vals []G.Value, _ []tensor.Shape, out []float32) error {
	return denseBackward(op, &op.p32, vals, out)
}

// inputGrad adds input row r's part of the gradient, given g = ∂E/∂net of its output row: to
// dWx for its nonzero inputs, and (unless x is a graph input) sets dx of the row.
func inputGrad[F float32 | float64](op *denseOp, x, wx, dx, dwx []F, r, I int, g []F) {
	K := len(g)
	for i := 0; i < I; i++ {
		xv := x[r*I+i]
		dwxi, wxi := dwx[i*K:(i+1)*K:(i+1)*K], wx[i*K:(i+1)*K:(i+1)*K]
		if xv != 0 {
			for k, v := range g {
				dwxi[k] += F(xv * v)
			}
		}
		if op.xIsInput { // dx stays 0: nothing reads the gradient of an input
			continue
		}
		acc := F(0)
		for k, v := range g {
			acc += F(wxi[k] * v)
		}
		dx[r*I+i] = acc
	}
}

// maskedLossOp is c · Σ mask ⊙ (target - y)², a scalar, for y, target, mask [N, K]. Its
// gradient flows to y only.
type maskedLossOp struct {
	fusedop.Base
	fusedop.ScalarOut
	c float64
}

func (op *maskedLossOp) Arity() int    { return 3 }
func (op *maskedLossOp) Type() hm.Type { return fusedop.Matrices(op.Dtype(), 3, 0) }
func (op *maskedLossOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.ScalarShape(), nil
}
func (op *maskedLossOp) String() string { return fmt.Sprintf("%g·Σmask(t-y)²", op.c) }

func (op *maskedLossOp) Do(vals ...G.Value) (G.Value, error)     { return fusedop.DoScalar(op, vals) }
func (op *maskedLossOp) Value64(vals []G.Value) (float64, error) { return lossValue[float64](op, vals) }
func (op *maskedLossOp) Value32(vals []G.Value) (float64, error) { return lossValue[float32](op, vals) }

// lossArgs unpacks y, target and mask, equal-sized.
func lossArgs[F float32 | float64](op *maskedLossOp, vals []G.Value) (y, t, m []F, err error) {
	a := fusedop.ReadArgs[F](op, vals)
	y = a.Next(-1)
	t, m = a.Next(len(y)), a.Next(len(y))
	return y, t, m, a.Err()
}

func lossValue[F float32 | float64](op *maskedLossOp, vals []G.Value) (float64, error) {
	y, t, m, err := lossArgs[F](op, vals)
	if err != nil {
		return 0, err
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
func (op *maskedLossOp) DiffWRT(n int) []bool { return fusedop.Differentiable(n, 0, 1) }

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
	y, t, m, err := lossArgs[F](op, vals[:len(vals)-1])
	if err != nil {
		return err
	}
	g, err := fusedop.Upstream(op, vals)
	if err != nil {
		return err
	}
	k := F(-2 * op.c * g)
	for i := range y {
		out[i] = k * m[i] * (t[i] - y[i])
	}
	return nil
}

// setRows makes op compute the rows listed, or all N rows if rows is nil.
func (op *denseOp) setRows(rows []int) {
	op.rows, op.spaced, op.first, op.step = nil, true, 0, 1
	if rows == nil {
		return
	}
	op.rows, op.N = append([]int(nil), rows...), len(rows)
	op.first = rows[0]
	if len(rows) > 1 {
		op.step = rows[1] - rows[0]
	}
	for n, r := range rows {
		op.spaced = op.spaced && r == op.first+n*op.step
	}
}

// newDenseNode applies o to the rows of h (and x) listed in rows, or to all of them if rows is
// nil.
func newDenseNode(b *graph.Builder, o *Layer, h, x *G.Node, rows []int) *G.Node {
	op := &denseOp{Base: fusedop.NewBase("github.com/lstm97/lstm97/layers/output.denseOp", h.Dtype()), N: h.Shape()[0], inN: h.Shape()[0], K: o.cfg.Units,
		hasX: o.Wx != nil, xIsInput: b.IsInput(x), hasB: o.B != nil, linear: o.cfg.Linear, threads: b.Threads()}
	op.setRows(rows)
	in := []*G.Node{h, o.W}
	if op.hasX {
		in = append(in, x, o.Wx)
	}
	if op.hasB {
		in = append(in, o.B)
	}
	return b.Op("dense", func(n ...*G.Node) (*G.Node, error) { return G.ApplyOp(op, n...) }, in...)
}
