// Package fusedop is what a fused gorgonia operation needs to take part in reverse-mode
// differentiation cheaply: an op that computes the gradients of all its inputs in one pass
// (GradComputer) gets, through FlatGrad, one node that computes them all into a flat vector and
// one small node per input that cuts that input's gradient out, instead of a gradient
// expression per input. The fused LSTM (layers.Cell.Sequence) and the fused output layer and
// loss (layers/output) are built on it, and so can users' own fused ops be. Base, Do,
// UsePreallocDo, DoScalar (with ScalarOut, allocation-free), Differentiable and the argument
// readers (Floats, Input, Args) are the parts that every gorgonia op of the module shares,
// defined once here. Part tells a program (graph/vm) where a part node's values lie in the flat
// vector, so that it can add a parameter's gradient from there without running the copy.
package fusedop

import (
	"fmt"
	"unsafe"

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
	gop := &flatGradOp{c: c, Base: KeyedBase(fmt.Sprintf("github.com/lstm97/lstm97/layers.flatGradOp#%d", c.ID()), c.Dtype())}
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
		part := &partOp{Base: KeyedBase(fmt.Sprintf("github.com/lstm97/lstm97/layers.partOp#%d/%d", c.ID(), i), c.Dtype()), off: off, n: s.TotalSize(), shape: s}
		if out[i], err = G.ApplyOp(part, all); err != nil {
			return nil, errors.Wrapf(err, "%v: gradient part %d", c, i)
		}
		off += s.TotalSize()
	}
	return out, nil
}

// flatGradOp computes every input gradient of a GradComputer into one flat vector.
type flatGradOp struct {
	Base
	c      GradComputer
	shapes []tensor.Shape
	types  hm.Types
}

func (op *flatGradOp) Arity() int { return len(op.types) }
func (op *flatGradOp) Type() hm.Type {
	return hm.NewFnType(append(append(hm.Types{}, op.types...), G.TensorType{Dims: 1, Of: op.Dtype()})...)
}
func (op *flatGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	n := 0
	for _, s := range op.shapes {
		n += s.TotalSize()
	}
	return tensor.Shape{n}, nil
}
func (op *flatGradOp) String() string { return "∂" + op.c.String() }

func (op *flatGradOp) Do(vals ...G.Value) (G.Value, error) { return Do(op, vals) }
func (op *flatGradOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	return UsePreallocDo(op, prealloc, vals)
}

// Forward64 and Forward32 compute the gradients into out, zeroed first.
func (op *flatGradOp) Forward64(vals []G.Value, out []float64) error {
	clear(out)
	return op.c.Grad64(vals, op.shapes, out)
}
func (op *flatGradOp) Forward32(vals []G.Value, out []float32) error {
	clear(out)
	return op.c.Grad32(vals, op.shapes, out)
}

// DiffWRT: gradients of gradients are not supported.
func (op *flatGradOp) DiffWRT(n int) []bool { return make([]bool, n) }
func (op *flatGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.New("fusedop: second derivatives of fused ops are not supported")
}

// partOp cuts [off, off+n) out of a flat vector and gives it the given shape (of n values).
type partOp struct {
	Base
	off, n int
	shape  tensor.Shape
}

func (op *partOp) Arity() int { return 1 }
func (op *partOp) Type() hm.Type {
	return hm.NewFnType(G.TensorType{Dims: 1, Of: op.Dtype()}, TypeOf(op.Dtype(), op.shape))
}
func (op *partOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }
func (op *partOp) String() string {
	return fmt.Sprintf("part[%d:%d]%v", op.off, op.off+op.shape.TotalSize(), op.shape)
}

func (op *partOp) Do(vals ...G.Value) (G.Value, error) { return Do(op, vals) }
func (op *partOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	return UsePreallocDo(op, prealloc, vals)
}
func (op *partOp) Forward64(vals []G.Value, out []float64) error { return part(op, vals, out) }
func (op *partOp) Forward32(vals []G.Value, out []float32) error { return part(op, vals, out) }

// Part reports whether op is one of the nodes FlatGrad cuts a gradient out with, and which
// values of its input, [off, off+n), it copies: a program may add them to where they are
// wanted straight from the flat vector instead of running the copy.
func Part(op G.Op) (off, n int, ok bool) {
	p, ok := op.(*partOp)
	if !ok {
		return 0, 0, false
	}
	return p.off, p.n, true
}

func part[F float32 | float64](op *partOp, vals []G.Value, out []F) error {
	in, err := Input[F](op, vals, 0, -1)
	if err != nil {
		return err
	}
	n := op.n
	if op.off+n > len(in) || len(out) != n {
		return errors.Errorf("%v: input of %d values, output of %d", op, len(in), len(out))
	}
	copy(out, in[op.off:op.off+n])
	return nil
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
// dimensions (a scalar of dtype dt for 0).
func Matrices(dt tensor.Dtype, n, outDims int) hm.Type {
	ts := make(hm.Types, n+1)
	for i := 0; i < n; i++ {
		ts[i] = G.TensorType{Dims: 2, Of: dt}
	}
	ts[n] = G.TensorType{Dims: outDims, Of: dt}
	if outDims == 0 {
		ts[n] = dt
	}
	return hm.NewFnType(ts...)
}

// Floats returns v's data as []F if v is a dense tensor of F values, without copying: the
// values of the tensor's storage, as its Float64s or Float32s method gives them, without the
// reflection those spend on the element size. It runs several times per op and step, and is
// small enough for the compiler to inline.
func Floats[F float32 | float64](v G.Value) ([]F, bool) {
	d, ok := v.(*tensor.Dense)
	if !ok || !SameDtype(d.Dtype(), dtypes[unsafe.Sizeof(*new(F))/8]) {
		return nil, false
	}
	raw := d.Raw // the storage's bytes (tensor's storage.Header, embedded in *tensor.Dense)
	return unsafe.Slice((*F)(unsafe.Pointer(unsafe.SliceData(raw))), uintptr(len(raw))/unsafe.Sizeof(*new(F))), true
}

// dtypes are the dtypes of float32 and float64, by size / 8.
var dtypes = [2]tensor.Dtype{tensor.Float32, tensor.Float64}

// SameDtype reports whether a and b are the same dtype, as a == b does, without the runtime
// call that the compiler makes for every comparison of interfaces (tensor.Dtype holds a
// reflect.Type), which shows in the profile of a small net's training step: the only dynamic
// type of a reflect.Type is a pointer (*reflect.rtype), so two are equal if and only if the
// two words of the interfaces, the type and the pointer, are.
func SameDtype(a, b tensor.Dtype) bool {
	x, y := (*[2]unsafe.Pointer)(unsafe.Pointer(&a)), (*[2]unsafe.Pointer)(unsafe.Pointer(&b))
	return x[0] == y[0] && x[1] == y[1]
}

// A tensor.Dtype must be an interface alone, two words, for SameDtype: this does not compile
// otherwise (the index is out of range, or the constant negative).
var _ = [1]struct{}{}[unsafe.Sizeof(tensor.Dtype{})-2*unsafe.Sizeof(uintptr(0))]
