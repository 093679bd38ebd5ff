package loss

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/fusedop"
)

// MSE returns the mean squared error of pred against target, both [rows, K], over the values
// that mask selects:
//
//	MSE = Σ_rk m_rk (pred_rk − target_rk)² / Σ_rk m_rk
//
// with mask [rows, K] (one weight per value) or [rows, 1] (one weight per row, m_rk = m_r, so
// a row counts K times). Mask values are weights, normally 0 or 1, and must be >= 0 (a negative
// one fails the run with an error naming its row). The result is 0, with zero gradients, when
// the mask is 0 everywhere. The gradient flows to pred and to target, not to mask. It is the
// mean, not the paper's ½ Σ over steps averaged over the batch: that is output.MaskedLoss.
// Errors are recorded in b (and nil returned).
func MSE(b *graph.Builder, pred, target, mask *G.Node) *G.Node {
	if !checkNodes(b, "mse", []string{"prediction", "target", "mask"}, pred, target, mask) {
		return nil
	}
	ps, ts, ms := pred.Shape(), target.Shape(), mask.Shape()
	if !ps.Eq(ts) {
		b.Fail(errors.Errorf("loss: mse: prediction %q %v and target %q %v differ in shape", pred.Name(), ps, target.Name(), ts))
		return nil
	}
	if ms[0] != ps[0] || (ms[1] != ps[1] && ms[1] != 1) {
		b.Fail(errors.Errorf("loss: mse: mask %q has shape %v, want [%d, %d] or [%d, 1] (prediction %q)", mask.Name(), ms, ps[0], ps[1], ps[0], pred.Name()))
		return nil
	}
	op := &mseOp{scalarOp: scalarOp{Base: fusedop.NewBase("github.com/lstm97/lstm97/layers/loss.mseOp", pred.Dtype()), n: 3},
		N: ps[0], K: ps[1], rowMask: ms[1] == 1 && ps[1] != 1}
	return b.Op("mse", func(n ...*G.Node) (*G.Node, error) { return G.ApplyOp(op, n...) }, pred, target, mask)
}

// mseOp is the masked mean squared error of pred, target [N, K] with mask [N, K] or (rowMask)
// [N, 1].
type mseOp struct {
	scalarOp
	N, K    int
	rowMask bool
	inv     float64 // 1/Σ mask of the last forward run, 0 if the mask is all 0
}

func (op *mseOp) String() string { return "mse" }

func (op *mseOp) Do(vals ...G.Value) (G.Value, error)     { return fusedop.DoScalar(op, vals) }
func (op *mseOp) Value64(vals []G.Value) (float64, error) { return mseForward[float64](op, vals) }
func (op *mseOp) Value32(vals []G.Value) (float64, error) { return mseForward[float32](op, vals) }

func mseArgs[F float32 | float64](op *mseOp, vals []G.Value) (p, t, m []F, err error) {
	mw := op.K
	if op.rowMask {
		mw = 1
	}
	a := fusedop.ReadArgs[F](op, vals)
	p, t, m = a.Next(op.N*op.K), a.Next(op.N*op.K), a.Next(op.N*mw)
	return p, t, m, a.Err()
}

// weight returns the mask weight of value (r, k).
func weight[F float32 | float64](op *mseOp, m []F, r, k int) F {
	if op.rowMask {
		return m[r]
	}
	return m[r*op.K+k]
}

func mseForward[F float32 | float64](op *mseOp, vals []G.Value) (float64, error) {
	p, t, m, err := mseArgs[F](op, vals)
	if err != nil {
		return 0, err
	}
	sum, total := 0.0, 0.0
	for r := 0; r < op.N; r++ {
		for k := 0; k < op.K; k++ {
			w := weight(op, m, r, k)
			if w == 0 {
				continue
			}
			if !(w > 0) {
				return 0, errors.Errorf("%v: row %d: mask value %v, want >= 0", op, r, w)
			}
			e := float64(p[r*op.K+k] - t[r*op.K+k])
			sum += float64(w) * e * e
			total += float64(w)
		}
	}
	op.inv = 0
	if total > 0 {
		op.inv = 1 / total
	}
	return sum * op.inv, nil
}

// DiffWRT: the loss is differentiated with respect to pred and target.
func (op *mseOp) DiffWRT(n int) []bool { return fusedop.Differentiable(n, 0, 2) }

func (op *mseOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return fusedop.FlatGrad(op, inputs, grad)
}

func (op *mseOp) Grad64(vals []G.Value, _ []tensor.Shape, out []float64) error {
	return mseBackward(op, vals, out)
}
func (op *mseOp) Grad32(vals []G.Value, _ []tensor.Shape, out []float32) error {
	return mseBackward(op, vals, out)
}

// mseBackward writes ∂E/∂pred = 2g·m⊙(pred − target)/Σm and ∂E/∂target = −∂E/∂pred into out.
func mseBackward[F float32 | float64](op *mseOp, vals []G.Value, out []F) error {
	p, t, m, err := mseArgs[F](op, vals[:len(vals)-1])
	if err != nil {
		return err
	}
	g, err := fusedop.Upstream(op, vals)
	if err != nil {
		return err
	}
	c := F(2 * g * op.inv)
	dp, dt := out[:len(p)], out[len(p):2*len(p)]
	for r := 0; r < op.N; r++ {
		for k := 0; k < op.K; k++ {
			i := r*op.K + k
			d := c * weight(op, m, r, k) * (p[i] - t[i])
			dp[i], dt[i] = d, -d
		}
	}
	return nil
}
