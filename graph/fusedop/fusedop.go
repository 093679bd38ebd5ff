// Package fusedop is what a fused gorgonia operation needs to take part in reverse-mode
// differentiation cheaply: an op that computes the gradients of all its inputs in one pass
// (GradComputer) gets, through FlatGrad, one node that computes them all into a flat vector and
// one small node per input that cuts that input's gradient out, instead of a gradient
// expression per input. The fused LSTM (layers.Cell.Sequence) and the fused output layer and
// loss (layers/output) are built on it, and so can users' own fused ops be.
package fusedop

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// GradComputer is a fused op that computes the gradients of all its inputs at once: given the
// forward inputs and ∂E/∂output (the last value), it writes them into one flat vector, input
// after input in input order, each of the input's shape.
type GradComputer interface {
	fmt.Stringer
	// ID distinguishes the op from every other op of its kind (it goes into the node hashes).
	ID() uint64
	// Dtype is the op's dtype, tensor.Float64 or tensor.Float32.
	Dtype() tensor.Dtype
	// Grad64 and Grad32 write the gradients of the inputs vals[:len(vals)-1] (of the given
	// shapes) into out, given ∂E/∂output as vals[len(vals)-1].
	Grad64(vals []G.Value, shapes []tensor.Shape, out []float64) error
	Grad32(vals []G.Value, shapes []tensor.Shape, out []float32) error
}

// FlatGrad is the SymDiff of a GradComputer: one flatGradOp node computes every gradient, and
// a partOp node per input cuts that input's gradient out. This keeps the backward pass of a
// fused op at 1 + (number of inputs) cheap nodes.
func FlatGrad(c GradComputer, inputs G.Nodes, grad *G.Node) (G.Nodes, error) {
	gop := &flatGradOp{c: c}
	for _, in := range inputs {
		gop.shapes = append(gop.shapes, in.Shape())
	}
	children := append(append(G.Nodes{}, inputs...), grad)
	gop.types = make(hm.Types, len(children))
	for i, ch := range children {
		gop.types[i] = ch.Type()
	}
	all, err := G.ApplyOp(gop, children...)
	if err != nil {
		return nil, errors.Wrapf(err, "%v: gradient", c)
	}
	out := make(G.Nodes, len(inputs))
	off := 0
	for i, s := range gop.shapes {
		part := &partOp{dtype: c.Dtype(), id: c.ID(), index: i, off: off, shape: s}
		if out[i], err = G.ApplyOp(part, all); err != nil {
			return nil, errors.Wrapf(err, "%v: gradient part %d", c, i)
		}
		off += s.TotalSize()
	}
	return out, nil
}

// flatGradOp computes every input gradient of a GradComputer into one flat vector.
type flatGradOp struct {
	c      GradComputer
	shapes []tensor.Shape
	types  hm.Types
}

func (op *flatGradOp) Arity() int { return len(op.types) }
func (op *flatGradOp) Type() hm.Type {
	return hm.NewFnType(append(append(hm.Types{}, op.types...), G.TensorType{Dims: 1, Of: op.c.Dtype()})...)
}
func (op *flatGradOp) size() int {
	n := 0
	for _, s := range op.shapes {
		n += s.TotalSize()
	}
	return n
}
func (op *flatGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.size()}, nil
}
func (op *flatGradOp) ReturnsPtr() bool     { return false }
func (op *flatGradOp) CallsExtern() bool    { return false }
func (op *flatGradOp) OverwritesInput() int { return -1 }
func (op *flatGradOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "github.com/lstm97/lstm97/layers.flatGradOp#%d", op.c.ID())
}
func (op *flatGradOp) Hashcode() uint32 { h := fnv.New32a(); op.WriteHash(h); return h.Sum32() }
func (op *flatGradOp) String() string   { return "∂" + op.c.String() }

func (op *flatGradOp) Do(vals ...G.Value) (G.Value, error) {
	out := tensor.New(tensor.Of(op.c.Dtype()), tensor.WithShape(op.size()))
	return op.UsePreallocDo(out, vals...)
}

func (op *flatGradOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	out, err := OutputTensor(op, op.Arity(), prealloc, vals)
	if err != nil {
		return nil, err
	}
	switch op.c.Dtype() {
	case tensor.Float64:
		d := out.Float64s()
		clear(d)
		err = op.c.Grad64(vals, op.shapes, d)
	case tensor.Float32:
		d := out.Float32s()
		clear(d)
		err = op.c.Grad32(vals, op.shapes, d)
	default:
		err = errors.Errorf("%v: unsupported dtype %v", op, op.c.Dtype())
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DiffWRT: gradients of gradients are not supported.
func (op *flatGradOp) DiffWRT(n int) []bool { return make([]bool, n) }
func (op *flatGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.New("fusedop: second derivatives of fused ops are not supported")
}

// partOp cuts [off, off+size) out of a flat vector and gives it the given shape.
type partOp struct {
	dtype      tensor.Dtype
	id         uint64
	index, off int
	shape      tensor.Shape
}

func (op *partOp) Arity() int { return 1 }
func (op *partOp) Type() hm.Type {
	var out hm.Type = G.TensorType{Dims: len(op.shape), Of: op.dtype}
	if op.shape.IsScalar() {
		out = op.dtype
	}
	return hm.NewFnType(G.TensorType{Dims: 1, Of: op.dtype}, out)
}
func (op *partOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }
func (op *partOp) ReturnsPtr() bool                               { return false }
func (op *partOp) CallsExtern() bool                              { return false }
func (op *partOp) OverwritesInput() int                           { return -1 }
func (op *partOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "github.com/lstm97/lstm97/layers.partOp#%d/%d", op.id, op.index)
}
func (op *partOp) Hashcode() uint32 { h := fnv.New32a(); op.WriteHash(h); return h.Sum32() }
func (op *partOp) String() string {
	return fmt.Sprintf("part[%d:%d]%v", op.off, op.off+op.shape.TotalSize(), op.shape)
}

func (op *partOp) Do(vals ...G.Value) (G.Value, error) {
	out := tensor.New(tensor.Of(op.dtype), tensor.WithShape(op.shape...))
	return op.UsePreallocDo(out, vals...)
}

func (op *partOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	out, ok := prealloc.(*tensor.Dense)
	in, ok2 := vals[0].(*tensor.Dense)
	if !ok || !ok2 {
		return nil, errors.Errorf("%v: values %T, %T", op, prealloc, vals[0])
	}
	n := op.shape.TotalSize()
	switch op.dtype {
	case tensor.Float64:
		copy(out.Float64s(), in.Float64s()[op.off:op.off+n])
	case tensor.Float32:
		copy(out.Float32s(), in.Float32s()[op.off:op.off+n])
	default:
		return nil, errors.Errorf("%v: unsupported dtype %v", op, op.dtype)
	}
	return out, nil
}

func (op *partOp) DiffWRT(n int) []bool { return make([]bool, n) }
func (op *partOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.New("fusedop: second derivatives of fused ops are not supported")
}

// OutputTensor checks a fused op's call: the number of inputs and a dense preallocated output.
func OutputTensor(op fmt.Stringer, arity int, prealloc G.Value, vals []G.Value) (*tensor.Dense, error) {
	if len(vals) != arity {
		return nil, errors.Errorf("%v: want %d inputs, got %d", op, arity, len(vals))
	}
	out, ok := prealloc.(*tensor.Dense)
	if !ok {
		return nil, errors.Errorf("%v: output is %T", op, prealloc)
	}
	return out, nil
}

// Matrices is the gorgonia type of an op of n matrix inputs of dtype dt whose output has outDims
// dimensions.
func Matrices(dt tensor.Dtype, n, outDims int) hm.Type {
	ts := make(hm.Types, n+1)
	for i := 0; i < n; i++ {
		ts[i] = G.TensorType{Dims: 2, Of: dt}
	}
	ts[n] = G.TensorType{Dims: outDims, Of: dt}
	return hm.NewFnType(ts...)
}

// Floats returns v's data as []F if v is a dense tensor of F values, without copying.
func Floats[F float32 | float64](v G.Value) ([]F, bool) {
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, false
	}
	var out any
	switch d.Dtype() {
	case tensor.Float64:
		out = d.Float64s()
	case tensor.Float32:
		out = d.Float32s()
	default:
		return nil, false
	}
	f, ok := out.([]F)
	return f, ok
}
