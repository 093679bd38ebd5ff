// Package mathop holds the gorgonia operations of graph.Builder that gorgonia lacks or gets
// wrong: elementwise tanh, exp, log, ReLU and negation, a row-wise softmax and log-softmax, and
// slices and reshapes. Each is one graph node whose forward pass is a plain loop into a buffer
// the executor keeps across runs (float64 and float32), and whose gradient is one more such
// node.
//
// Why not gorgonia's own: gorgonia "stabilizes" some expressions while building them, and some
// of those rewrites change nodes that already exist. Its Log of a softmax node flips the
// softmax op into a log-softmax in place and returns the softmax node (logSoftmaxStabilization
// in gorgonia's stabilization.go, v0.9.18), and its Neg of a negation returns the inner node
// (negNegOptimization). The ops here are never rewritten. Softmax and LogSoftmax
// subtract the row maximum (log-sum-exp), so they are finite for any finite input.
//
// The package does not know about graph.Builder (which wraps these functions with its sticky
// error and merge guard); it uses graph/fusedop's helpers. Gradients are first order only.
package mathop

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph/fusedop"
)

// op is every operation of this package, forward and gradient: a kernel over the flat values
// of its inputs (of the shapes ins) that writes the flat values of its output (of shape out).
// Its identity (hash, String) is key, which holds everything that determines the result, so
// gorgonia may share a node between two equal expressions but never between different ones.
type op struct {
	fusedop.Base        // KeyedBase(key, dtype)
	name         string // "tanh", "∂softmax", "slice axis 1 [0:2]"
	ins          []tensor.Shape
	out          tensor.Shape
	k64          func(in [][]float64, out []float64)
	k32          func(in [][]float32, out []float32)
	// diff builds the gradient node of the op's single input from the input x, the output y and
	// ∂E/∂y; nil for gradient ops, which are not differentiable again.
	diff func(x, y, dy *G.Node) (*G.Node, error)
	// Buffers reused across runs: argument slices, and scalar values made addressable.
	a64 [][]float64
	a32 [][]float32
	s64 []float64
	s32 []float32
}

// apply makes the node name(inputs...) of shape out, computed by k64 or k32 (by the inputs'
// dtype), differentiable through diff unless diff is nil.
func apply(name string, out tensor.Shape, k64 func([][]float64, []float64), k32 func([][]float32, []float32),
	diff func(x, y, dy *G.Node) (*G.Node, error), inputs ...*G.Node) (*G.Node, error) {
	dt := inputs[0].Dtype()
	o := &op{name: name, out: out.Clone(), k64: k64, k32: k32, diff: diff}
	for i, in := range inputs {
		if in.Dtype() != dt {
			return nil, errors.Errorf("%s: input %d is %v, input 0 is %v", name, i, in.Dtype(), dt)
		}
		o.ins = append(o.ins, in.Shape().Clone())
	}
	o.Base = fusedop.KeyedBase(fmt.Sprintf("github.com/lstm97/lstm97/graph/mathop %s %v %v->%v", name, dt, o.ins, o.out), dt)
	n := len(inputs) + 1
	o.a64, o.a32 = make([][]float64, n), make([][]float32, n)
	o.s64, o.s32 = make([]float64, n), make([]float32, n)
	return G.ApplyOp(o, inputs...)
}

func (o *op) Arity() int { return len(o.ins) }
func (o *op) Type() hm.Type {
	ts := make(hm.Types, 0, len(o.ins)+1)
	for _, s := range o.ins {
		ts = append(ts, fusedop.TypeOf(o.Dtype(), s))
	}
	return hm.NewFnType(append(ts, fusedop.TypeOf(o.Dtype(), o.out))...)
}
func (o *op) InferShape(...G.DimSizer) (tensor.Shape, error) { return o.out.Clone(), nil }
func (o *op) String() string                                 { return o.name }

// Do computes the output into a new value (a tensor, or a scalar for a scalar output).
func (o *op) Do(vals ...G.Value) (G.Value, error) {
	if o.out.IsScalar() {
		return o.run(nil, vals)
	}
	return o.run(tensor.New(tensor.Of(o.Dtype()), tensor.WithShape(o.out.Clone()...)), vals)
}

// UsePreallocDo computes the output into prealloc, a tensor of the output's shape.
func (o *op) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	out, err := fusedop.OutputTensor(o, o.Arity(), prealloc, vals)
	if err != nil {
		return nil, err
	}
	return o.run(out, vals)
}

// run computes the output into out (nil for a scalar output).
func (o *op) run(out *tensor.Dense, vals []G.Value) (G.Value, error) {
	if len(vals) != len(o.ins) {
		return nil, errors.Errorf("%s: want %d inputs, got %d", o.name, len(o.ins), len(vals))
	}
	switch o.Dtype() {
	case tensor.Float64:
		return run(o, out, vals, o.a64, o.s64, o.k64, func(v float64) G.Value { return G.NewF64(v) })
	case tensor.Float32:
		return run(o, out, vals, o.a32, o.s32, o.k32, func(v float32) G.Value { return G.NewF32(v) })
	}
	return nil, errors.Errorf("%s: unsupported dtype %v", o.name, o.Dtype())
}

func run[F float32 | float64](o *op, out *tensor.Dense, vals []G.Value, args [][]F, sc []F,
	k func([][]F, []F), scalar func(F) G.Value) (G.Value, error) {
	for i, v := range vals {
		var ok bool
		if args[i], ok = flat(v, sc[i:i+1]); !ok {
			return nil, errors.Errorf("%s: input %d is %T, want %v values", o.name, i, v, o.Dtype())
		}
		if want := o.ins[i].TotalSize(); len(args[i]) != want {
			return nil, errors.Errorf("%s: input %d has %d values, want shape %v", o.name, i, len(args[i]), o.ins[i])
		}
	}
	if out == nil {
		res := sc[len(vals) : len(vals)+1]
		k(args[:len(vals)], res)
		return scalar(res[0]), nil
	}
	res, ok := fusedop.Floats[F](out)
	if !ok || len(res) != o.out.TotalSize() {
		return nil, errors.Errorf("%s: output buffer is %v %v, want %v %v", o.name, out.Dtype(), out.Shape(), o.Dtype(), o.out)
	}
	k(args[:len(vals)], res)
	return out, nil
}

// flat returns the values of v: a dense tensor's own storage (a copy for a view), or a scalar
// stored in sc.
func flat[F float32 | float64](v G.Value, sc []F) ([]F, bool) {
	switch x := v.(type) {
	case *G.F64:
		sc[0] = F(float64(*x))
		return sc, tensor.Float64 == dtypeOf[F]()
	case *G.F32:
		sc[0] = F(float32(*x))
		return sc, tensor.Float32 == dtypeOf[F]()
	case *tensor.Dense:
		if x.IsView() {
			m, ok := x.Materialize().(*tensor.Dense)
			if !ok {
				return nil, false
			}
			x = m
		}
		return fusedop.Floats[F](x)
	}
	return nil, false
}

func dtypeOf[F float32 | float64]() tensor.Dtype {
	var f F
	if _, ok := any(f).(float32); ok {
		return tensor.Float32
	}
	return tensor.Float64
}

// DiffWRT says that a forward op is differentiable with respect to its input; a gradient op is
// not (the non-empty all-false answer keeps gorgonia from calling SymDiff).
func (o *op) DiffWRT(n int) []bool {
	if o.diff == nil {
		return fusedop.Differentiable(n, 0, 0)
	}
	return fusedop.Differentiable(n, 0, n)
}

// SymDiff returns the gradient node of the input.
func (o *op) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if o.diff == nil {
		return nil, errors.Errorf("%s: second derivatives are not supported", o.name)
	}
	if len(inputs) != 1 {
		return nil, errors.Errorf("%s: want 1 input, got %d", o.name, len(inputs))
	}
	dx, err := o.diff(inputs[0], output, grad)
	if err != nil {
		return nil, errors.Wrapf(err, "%s: gradient", o.name)
	}
	return G.Nodes{dx}, nil
}

// is reports whether n was made by this package as the operation called name.
func is(n *G.Node, name string) bool {
	if n == nil {
		return false
	}
	o, ok := n.Op().(*op)
	return ok && o.name == name
}
