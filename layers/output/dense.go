package output

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
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
	d64      []float64 // f'(net) of the last forward run
	d32      []float32
	dnet64   []float64 // the backward pass's buffer for one row's ∂E/∂net, [K]
	dnet32   []float32
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
func (op *denseOp) Forward64(vals []G.Value, y []float64) (err error) {
	op.d64, err = denseForward(op, vals, y, op.d64, sigmoid64)
	return err
}
func (op *denseOp) Forward32(vals []G.Value, y []float32) (err error) {
	op.d32, err = denseForward(op, vals, y, op.d32, sigmoid32)
	return err
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

func denseForward[F float32 | float64](op *denseOp, vals []G.Value, y, d []F, sigmoid func([]F)) ([]F, error) {
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
	w = w[:C*K]
	wx = wx[:I*K]
	// Each net input is summed in a register: the bias (or 0), then h·W in the order of the
	// cells, then x·Wx in the order of the inputs, skipping zero inputs (one-hot rows add
	// nothing), each product rounded before it is added (no fused multiply-add, whatever
	// GOAMD64). Rows go two at a time, sharing the loads of W. The squashing runs afterwards
	// over all of them.
	n := 0
	for ; n+2 <= op.N; n += 2 {
		r0, r1 := op.in(n), op.in(n+1)
		h0, h1 := h[r0*C:(r0+1)*C:(r0+1)*C], h[r1*C:(r1+1)*C:(r1+1)*C]
		h1 = h1[:len(h0)]
		var x0, x1 []F
		if op.hasX {
			x0, x1 = x[r0*I:(r0+1)*I:(r0+1)*I], x[r1*I:(r1+1)*I:(r1+1)*I]
		}
		y0, y1 := y[n*K:(n+1)*K:(n+1)*K], y[(n+1)*K:(n+2)*K:(n+2)*K]
		y1 = y1[:len(y0)]
		for k := range y0 {
			a0, a1 := F(0), F(0)
			if b != nil {
				a0, a1 = b[k], b[k]
			}
			for c, hv := range h0 {
				wv := w[c*K+k]
				a0 += F(hv * wv)
				a1 += F(h1[c] * wv)
			}
			y0[k], y1[k] = netX(a0, x0, wx, k, K), netX(a1, x1, wx, k, K)
		}
	}
	for ; n < op.N; n++ {
		r := op.in(n)
		hr := h[r*C : (r+1)*C : (r+1)*C]
		var xr []F
		if op.hasX {
			xr = x[r*I : (r+1)*I : (r+1)*I]
		}
		for k, yr := 0, y[n*K:(n+1)*K:(n+1)*K]; k < len(yr); k++ {
			net := F(0)
			if b != nil {
				net = b[k]
			}
			for c, hv := range hr {
				net += F(hv * w[c*K+k])
			}
			yr[k] = netX(net, xr, wx, k, K)
		}
	}
	y = y[:len(d)]
	if op.linear {
		for i := range d {
			d[i] = 1
		}
		return d, nil
	}
	sigmoid(y)
	for i, p := range y {
		d[i] = p * (1 - p)
	}
	return d, nil
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

func (op *denseOp) Grad64(vals []G.Value, _ []tensor.Shape, out []float64) (err error) {
	op.dnet64, err = denseBackward(op, vals, op.d64, out, op.dnet64)
	return err
}
func (op *denseOp) Grad32(vals []G.Value, _ []tensor.Shape, out []float32) (err error) {
	op.dnet32, err = denseBackward(op, vals, op.d32, out, op.dnet32)
	return err
}

// denseBackward writes dh, dW, (dx, dWx), (db) into out, in input order. dnet is a buffer
// for one row's ∂E/∂net (made if it is short), returned for the next call.
func denseBackward[F float32 | float64](op *denseOp, vals []G.Value, d, out, dnet []F) ([]F, error) {
	h, w, x, wx, b, err := denseArgs[F](op, vals[:len(vals)-1])
	if err != nil {
		return dnet, err
	}
	dy, ok := fusedop.Floats[F](vals[len(vals)-1])
	if !ok || len(d) != len(dy) {
		return dnet, errors.Errorf("%v: gradient before the forward op ran", op)
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
	if cap(dnet) < 2*K {
		dnet = make([]F, 2*K)
	}
	dnet = dnet[:2*K]
	g0, g1 := dnet[:K:K], dnet[K:2*K:2*K]
	// Rows go two at a time, sharing the loads of W and the updates of dW; every sum keeps
	// the order of one row after the other, each product rounded before it is added (no fused
	// multiply-add, whatever GOAMD64). out arrives zeroed, so the rows of h and x that rows
	// leaves out keep a zero gradient.
	n := 0
	for ; n+2 <= op.N; n += 2 {
		r0, r1 := op.in(n), op.in(n+1)
		rowNet(g0, dy, d, n)
		rowNet(g1, dy, d, n+1)
		if b != nil {
			db = db[:K]
			for k := range db {
				db[k] = db[k] + g0[k] + g1[k]
			}
		}
		h0, h1 := h[r0*C:(r0+1)*C:(r0+1)*C], h[r1*C:(r1+1)*C:(r1+1)*C]
		h1 = h1[:len(h0)]
		for c, hv0 := range h0 {
			hv1 := h1[c]
			dwc, wc, a0, a1 := dw[c*K:(c+1)*K:(c+1)*K], w[c*K:(c+1)*K:(c+1)*K], F(0), F(0)
			for k, v0 := range g0 {
				v1, wv := g1[k], wc[k]
				dwc[k] = dwc[k] + F(hv0*v0) + F(hv1*v1)
				a0 += F(wv * v0)
				a1 += F(wv * v1)
			}
			dh[r0*C+c], dh[r1*C+c] = a0, a1
		}
		if op.hasX {
			inputGrad(op, x, wx, dx, dwx, r0, I, g0)
			inputGrad(op, x, wx, dx, dwx, r1, I, g1)
		}
	}
	for ; n < op.N; n++ {
		r := op.in(n)
		rowNet(g0, dy, d, n)
		if b != nil {
			db = db[:K]
			for k, g := range g0 {
				db[k] += g
			}
		}
		for c, hv := range h[r*C : (r+1)*C : (r+1)*C] {
			dwc, wc, acc := dw[c*K:(c+1)*K:(c+1)*K], w[c*K:(c+1)*K:(c+1)*K], F(0)
			for k, g := range g0 {
				dwc[k] += F(hv * g)
				acc += F(wc[k] * g)
			}
			dh[r*C+c] = acc
		}
		if op.hasX {
			inputGrad(op, x, wx, dx, dwx, r, I, g0)
		}
	}
	return dnet, nil
}

// rowNet sets g to ∂E/∂net of output row n: dy·f'(net), from dy and d = f'(net) [N, K].
func rowNet[F float32 | float64](g, dy, d []F, n int) {
	K := len(g)
	dyr, dr := dy[n*K:(n+1)*K:(n+1)*K], d[n*K:(n+1)*K:(n+1)*K]
	for k := range g {
		g[k] = dyr[k] * dr[k]
	}
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

// newDenseNode applies o to the rows of h (and x) listed in rows, or to all of them if rows is
// nil.
func newDenseNode(b *graph.Builder, o *Layer, h, x *G.Node, rows []int) *G.Node {
	op := &denseOp{Base: fusedop.NewBase("github.com/lstm97/lstm97/layers/output.denseOp", h.Dtype()), N: h.Shape()[0], inN: h.Shape()[0], K: o.cfg.Units,
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
