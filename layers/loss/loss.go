package loss

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
)

// scalarOp is what the two loss ops share: a scalar output of dtype from n matrix inputs, and
// a hash made of a kind and an id.
type scalarOp struct {
	kind  string
	id    uint64
	dtype tensor.Dtype
	n     int
}

func (op *scalarOp) Arity() int { return op.n }
func (op *scalarOp) Type() hm.Type {
	ts := make(hm.Types, op.n+1)
	for i := 0; i < op.n; i++ {
		ts[i] = G.TensorType{Dims: 2, Of: op.dtype}
	}
	ts[op.n] = op.dtype
	return hm.NewFnType(ts...)
}
func (op *scalarOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.ScalarShape(), nil
}
func (op *scalarOp) ReturnsPtr() bool     { return false }
func (op *scalarOp) CallsExtern() bool    { return false }
func (op *scalarOp) OverwritesInput() int { return -1 }
func (op *scalarOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "github.com/lstm97/lstm97/layers/loss.%s#%d", op.kind, op.id)
}
func (op *scalarOp) Hashcode() uint32    { h := fnv.New32a(); op.WriteHash(h); return h.Sum32() }
func (op *scalarOp) ID() uint64          { return op.id }
func (op *scalarOp) Dtype() tensor.Dtype { return op.dtype }

// scalar wraps v as the op's output value.
func (op *scalarOp) scalar(v float64) (G.Value, error) {
	switch op.dtype {
	case tensor.Float64:
		return G.NewF64(v), nil
	case tensor.Float32:
		return G.NewF32(float32(v)), nil
	}
	return nil, errors.Errorf("loss: %s: unsupported dtype %v", op.kind, op.dtype)
}

// upstream returns ∂E/∂loss, the last of a gradient op's values.
func upstream(op fmt.Stringer, vals []G.Value) (float64, error) {
	switch v := vals[len(vals)-1].(type) {
	case *G.F64:
		return float64(*v), nil
	case *G.F32:
		return float64(*v), nil
	}
	return 0, errors.Errorf("%v: upstream gradient is %T", op, vals[len(vals)-1])
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
