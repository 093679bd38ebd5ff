package graph

import (
	"fmt"
	"strconv"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph/mathop"
)

// The methods below wrap the gorgonia operations the layers need, and the operations of
// package mathop, with the builder's sticky error and merge guard. Any other operation can be
// applied with Op. Tanh, Exp, Log, ReLU, Neg, Softmax, LogSoftmax, Slice and Reshape are
// mathop's: float64 and float32, one node each way, and never rewritten by gorgonia's
// stabilization (gorgonia's own Log of a softmax turns the softmax node into a log-softmax in
// place, and its Neg of a negation returns the inner node).

// MatMul returns a×c for matrices a [m, k] and c [k, n].
func (b *Builder) MatMul(a, c *G.Node) *G.Node {
	return b.Op("matmul", binary(G.Mul), a, c)
}

// Add returns a+c elementwise (same shapes).
func (b *Builder) Add(a, c *G.Node) *G.Node { return b.Op("add", binary(G.Add), a, c) }

// Sub returns a-c elementwise (same shapes).
func (b *Builder) Sub(a, c *G.Node) *G.Node { return b.Op("sub", binary(G.Sub), a, c) }

// Mul returns a⊙c elementwise (same shapes).
func (b *Builder) Mul(a, c *G.Node) *G.Node { return b.Op("mul", binary(G.HadamardProd), a, c) }

// AddBias returns x + bias, adding the row bias [1, n] to every row of x [batch, n].
func (b *Builder) AddBias(x, bias *G.Node) *G.Node {
	return b.Op("addbias", func(n ...*G.Node) (*G.Node, error) {
		return G.BroadcastAdd(n[0], n[1], nil, []byte{0})
	}, x, bias)
}

// Sigmoid returns the logistic function 1/(1+exp(-x)) elementwise.
func (b *Builder) Sigmoid(x *G.Node) *G.Node { return b.Op("sigmoid", unary(G.Sigmoid), x) }

// Square returns x² elementwise.
func (b *Builder) Square(x *G.Node) *G.Node { return b.Op("square", unary(G.Square), x) }

// Sum returns the sum of all elements of x (a scalar; x itself if x is a scalar).
func (b *Builder) Sum(x *G.Node) *G.Node {
	if b.Err() == nil && x != nil && x.IsScalar() && x.Graph() == b.Graph() {
		return x // gorgonia's Sum of a scalar returns it, which the merge guard would report
	}
	return b.Op("sum", unary(func(n *G.Node) (*G.Node, error) { return G.Sum(n) }), x)
}

// Scale returns c·x elementwise.
func (b *Builder) Scale(x *G.Node, c float64) *G.Node {
	k := b.Const(c)
	n := b.Op("scale", binary(G.HadamardProd), x, k)
	b.Annotate(n, "×"+strconv.FormatFloat(c, 'g', -1, 64), RoleNone)
	return n
}

// Shift returns x + c elementwise.
func (b *Builder) Shift(x *G.Node, c float64) *G.Node {
	k := b.Const(c)
	n := b.Op("shift", binary(G.Add), x, k)
	b.Annotate(n, "+"+strconv.FormatFloat(c, 'g', -1, 64), RoleNone)
	return n
}

// Mean returns the mean of all elements of x (a scalar): Sum(x) scaled by 1/size.
func (b *Builder) Mean(x *G.Node) *G.Node {
	s := b.Sum(x)
	if s == nil {
		return nil
	}
	return b.Scale(s, 1/float64(x.Shape().TotalSize()))
}

// Tanh returns tanh(x) elementwise (x a scalar, vector or matrix, as for Exp, Log, ReLU, Neg).
func (b *Builder) Tanh(x *G.Node) *G.Node { return b.Op("tanh", elementwise(mathop.Tanh), x) }

// Exp returns eˣ elementwise.
func (b *Builder) Exp(x *G.Node) *G.Node { return b.Op("exp", elementwise(mathop.Exp), x) }

// Log returns the natural logarithm elementwise. The log of a softmax node (Softmax, or
// gorgonia's SoftMax) is an error: use LogSoftmax, which is finite where log(softmax(x))
// underflows to -Inf (and gorgonia's own Log would rewrite the softmax node in place).
func (b *Builder) Log(x *G.Node) *G.Node {
	if b.Err() == nil && mathop.IsSoftmax(x) {
		b.Fail(errors.Errorf("graph: log of %s: the node is a softmax; gorgonia rewrites log(softmax(x)) and the plain form underflows: use LogSoftmax", describe([]*G.Node{x})))
		return nil
	}
	return b.Op("log", elementwise(mathop.Log), x)
}

// ReLU returns max(0, x) elementwise (derivative 0 at 0).
func (b *Builder) ReLU(x *G.Node) *G.Node { return b.Op("relu", elementwise(mathop.ReLU), x) }

// Neg returns -x elementwise.
func (b *Builder) Neg(x *G.Node) *G.Node { return b.Op("neg", elementwise(mathop.Neg), x) }

// Softmax returns the softmax of each row of the matrix x [rows, n], a [rows, n] matrix whose
// rows are positive and sum to 1. It subtracts each row's maximum first, so no exp overflows.
// For the log of a softmax (a cross-entropy), use LogSoftmax.
func (b *Builder) Softmax(x *G.Node) *G.Node { return b.Op("softmax", unary(mathop.Softmax), x) }

// LogSoftmax returns the log-softmax of each row of the matrix x [rows, n]: x minus the row's
// log-sum-exp, finite for every finite x (log(softmax(x)) is -Inf once a softmax value
// underflows).
func (b *Builder) LogSoftmax(x *G.Node) *G.Node {
	return b.Op("logsoftmax", unary(mathop.LogSoftmax), x)
}

// Slice returns the indices [from, to) of x along axis: rows from to to-1 of a matrix for axis
// 0, those columns for axis 1. The result keeps x's dimensions ([to-from, n] or [rows,
// to-from]).
func (b *Builder) Slice(x *G.Node, axis, from, to int) *G.Node {
	return b.Op(fmt.Sprintf("slice axis %d [%d:%d]", axis, from, to), unary(func(n *G.Node) (*G.Node, error) {
		return mathop.Slice(n, axis, from, to)
	}), x)
}

// Reshape returns x with the given shape (1 or 2 dimensions holding as many values as x;
// row-major order is kept).
func (b *Builder) Reshape(x *G.Node, shape ...int) *G.Node {
	shape = append([]int(nil), shape...)
	return b.Op(fmt.Sprintf("reshape to %v", shape), unary(func(n *G.Node) (*G.Node, error) {
		if err := checkShape(shape); err != nil {
			return nil, err
		}
		return mathop.Reshape(n, shape...)
	}), x)
}

// Concat joins nodes along axis (0: rows, 1: columns).
func (b *Builder) Concat(axis int, nodes ...*G.Node) *G.Node {
	if len(nodes) == 0 {
		b.Fail(errors.New("graph: concat: no nodes"))
		return nil
	}
	if len(nodes) == 1 && nodes[0] != nil {
		return nodes[0]
	}
	return b.Op("concat", func(n ...*G.Node) (*G.Node, error) { return G.Concat(axis, n...) }, nodes...)
}

// Const returns a scalar constant of the graph's dtype. Only scalars are offered: gorgonia
// identifies constants by an abbreviated printout, so two different tensor constants can be
// merged into one node.
func (b *Builder) Const(c float64) *G.Node {
	if b.Err() != nil {
		return nil
	}
	defer b.recoverInto("constant")
	var n *G.Node
	if b.Dtype() == tensor.Float32 {
		n = G.NewConstant(float32(c))
	} else {
		n = G.NewConstant(c)
	}
	if n == nil {
		b.Fail(errors.Errorf("graph: constant %v", c))
	}
	return n
}

func unary(f func(*G.Node) (*G.Node, error)) func(...*G.Node) (*G.Node, error) {
	return func(n ...*G.Node) (*G.Node, error) { return f(n[0]) }
}

func elementwise(f mathop.Func) func(...*G.Node) (*G.Node, error) {
	return func(n ...*G.Node) (*G.Node, error) { return mathop.Elementwise(f, n[0]) }
}

func binary(f func(a, b *G.Node) (*G.Node, error)) func(...*G.Node) (*G.Node, error) {
	return func(n ...*G.Node) (*G.Node, error) { return f(n[0], n[1]) }
}
