package output

import (
	"fmt"
	"math"

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
	op.d64, err = denseForward(op, vals, y, op.d64)
	return err
}
func (op *denseOp) Forward32(vals []G.Value, y []float32) (err error) {
	op.d32, err = denseForward(op, vals, y, op.d32)
	return err
}

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

func (op *denseOp) DiffWRT(n int) []bool { return fusedop.Differentiable(n, 0, n) }

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
	fusedop.Base
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
