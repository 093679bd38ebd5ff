package loss

import (
	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/fusedop"
)

// scalarOp is what the two loss ops share: a scalar output from n matrix inputs.
type scalarOp struct {
	fusedop.Base
	fusedop.ScalarOut // the loss value, written at every run without allocating
	n                 int
}

func (op *scalarOp) Arity() int    { return op.n }
func (op *scalarOp) Type() hm.Type { return fusedop.Matrices(op.Dtype(), op.n, 0) }
func (op *scalarOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.ScalarShape(), nil
}

// checkNodes records an error in b unless every node is a non-nil matrix of b's graph, of one
// dtype. what names the nodes in the message.
func checkNodes(b *graph.Builder, fn string, what []string, nodes ...*G.Node) bool {
	if b == nil {
		return false
	}
	if b.Err() != nil {
		return false
	}
	for i, n := range nodes {
		switch {
		case n == nil:
			b.Fail(errors.Errorf("loss: %s: nil %s", fn, what[i]))
			return false
		case n.Graph() != b.Graph():
			b.Fail(errors.Errorf("loss: %s: %s %q belongs to another graph", fn, what[i], n.Name()))
			return false
		case len(n.Shape()) != 2:
			b.Fail(errors.Errorf("loss: %s: %s %q has shape %v, want a matrix", fn, what[i], n.Name(), n.Shape()))
			return false
		case n.Dtype() != nodes[0].Dtype():
			b.Fail(errors.Errorf("loss: %s: %s %q is %v, %s %q is %v", fn, what[i], n.Name(), n.Dtype(), what[0], nodes[0].Name(), nodes[0].Dtype()))
			return false
		}
	}
	return true
}
