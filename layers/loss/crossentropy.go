package loss

import (
	"math"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/fusedop"
)

// SoftmaxCrossEntropy returns the mean negative log-likelihood of class labels under the
// softmax of logits [rows, classes], over the rows that mask selects:
//
//	CE = Σ_r m_r (log Σ_k e^{z_rk} − z_r,label_r) / Σ_r m_r
//
// labels [rows, 1] holds the class index of each row (graph.Shape.Labels: the target node of a
// packed model), mask [rows, 1] the weight of each row, normally 1 where the row has a target
// and 0 elsewhere. Mask values must be >= 0; where a mask value is not 0 the label must be an
// integer in [0, classes). A bad mask value or label fails the run with an error naming its
// row; labels of rows whose mask is 0 are not read. The log-sum-exp subtracts each row's
// maximum, so the loss is finite for any finite logits (1000 included). The result is in nats
// per target symbol (divide by ln 2 for bits), and 0, with zero gradients, when the mask is 0
// everywhere. The gradient with respect to the logits is g·m_r·(softmax(z_r) − onehot(label_r))
// / Σm; none flows to labels or mask. Errors are recorded in b (and nil returned).
func SoftmaxCrossEntropy(b *graph.Builder, logits, labels, mask *G.Node) *G.Node {
	const fn = "softmax cross-entropy"
	if !checkNodes(b, fn, []string{"logits", "labels", "mask"}, logits, labels, mask) {
		return nil
	}
	zs := logits.Shape()
	for i, n := range []*G.Node{labels, mask} {
		if sh := n.Shape(); sh[0] != zs[0] || sh[1] != 1 {
			b.Fail(errors.Errorf("loss: %s: %s %q has shape %v, want [%d, 1] (logits %q %v)", fn, []string{"labels", "mask"}[i], n.Name(), sh, zs[0], logits.Name(), zs))
			return nil
		}
	}
	op := &ceOp{scalarOp: scalarOp{Base: fusedop.NewBase("github.com/lstm97/lstm97/layers/loss.ceOp", logits.Dtype()), n: 3},
		N: zs[0], C: zs[1]}
	return b.Op("softmax_cross_entropy", func(n ...*G.Node) (*G.Node, error) { return G.ApplyOp(op, n...) }, logits, labels, mask)
}

// ceOp is the masked softmax cross-entropy of logits [N, C] with labels and mask [N, 1]. The
// forward pass keeps what the gradient needs: softmax probabilities and labels of the rows
// whose mask is not 0, and each row's weight m_r/Σm.
type ceOp struct {
	scalarOp
	N, C  int
	prob  []float64 // [N·C] softmax of the selected rows
	label []int     // [N]
	w     []float64 // [N] m_r/Σm (0 for unselected rows)
}

func (op *ceOp) String() string { return "softmax cross-entropy" }

func (op *ceOp) Do(vals ...G.Value) (G.Value, error)     { return fusedop.DoScalar(op, vals) }
func (op *ceOp) Value64(vals []G.Value) (float64, error) { return ceForward[float64](op, vals) }
func (op *ceOp) Value32(vals []G.Value) (float64, error) { return ceForward[float32](op, vals) }

func ceForward[F float32 | float64](op *ceOp, vals []G.Value) (float64, error) {
	a := fusedop.ReadArgs[F](op, vals)
	z, lab, m := a.Next(op.N*op.C), a.Next(op.N), a.Next(op.N)
	if err := a.Err(); err != nil {
		return 0, err
	}
	N, C := op.N, op.C
	if len(op.prob) != N*C {
		op.prob, op.label, op.w = make([]float64, N*C), make([]int, N), make([]float64, N)
	}
	for r, mv := range m {
		if !(mv >= 0) {
			return 0, errors.Errorf("%v: row %d: mask value %v, want >= 0", op, r, mv)
		}
	}
	var err error
	if op.label, err = fusedop.Indices(lab, C, 0, "label", op.label, func(r int) bool { return m[r] == 0 }); err != nil {
		return 0, errors.Wrapf(err, "%v", op)
	}
	sum, total := 0.0, 0.0
	for r, mv := range m {
		op.w[r] = 0
		if mv == 0 {
			continue
		}
		l := op.label[r]
		zr, pr := z[r*C:(r+1)*C], op.prob[r*C:(r+1)*C]
		mx := math.Inf(-1)
		for _, v := range zr {
			mx = math.Max(mx, float64(v))
		}
		s := 0.0
		for k, v := range zr {
			e := math.Exp(float64(v) - mx)
			pr[k] = e
			s += e
		}
		for k := range pr {
			pr[k] /= s
		}
		sum += float64(mv) * (mx + math.Log(s) - float64(zr[l]))
		total += float64(mv)
		op.w[r] = float64(mv)
	}
	if total == 0 {
		return 0, nil
	}
	for r := range op.w {
		op.w[r] /= total
	}
	return sum / total, nil
}

// DiffWRT: the loss is differentiated with respect to the logits only.
func (op *ceOp) DiffWRT(n int) []bool { return fusedop.Differentiable(n, 0, 1) }

func (op *ceOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return fusedop.FlatGrad(op, inputs, grad)
}

func (op *ceOp) Grad64(vals []G.Value, _ []tensor.Shape, out []float64) error {
	return ceBackward(op, vals, out)
}
func (op *ceOp) Grad32(vals []G.Value, _ []tensor.Shape, out []float32) error {
	return ceBackward(op, vals, out)
}

// ceBackward writes ∂E/∂z = g·w_r·(softmax − onehot) into the logits part of out (the
// labels and mask parts stay 0).
func ceBackward[F float32 | float64](op *ceOp, vals []G.Value, out []F) error {
	g, err := fusedop.Upstream(op, vals)
	if err != nil {
		return err
	}
	if len(op.w) != op.N {
		return errors.Errorf("%v: gradient before the forward op ran", op)
	}
	C := op.C
	for r, w := range op.w {
		if w == 0 {
			continue
		}
		c, dz, pr := g*w, out[r*C:(r+1)*C], op.prob[r*C:(r+1)*C]
		for k, p := range pr {
			dz[k] = F(c * p)
		}
		dz[op.label[r]] -= F(c)
	}
	return nil
}
