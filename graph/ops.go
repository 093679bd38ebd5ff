package graph

import (
	"strconv"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The methods below wrap the gorgonia operations the layers need, with the builder's sticky
// error and merge guard. Any other operation can be applied with Op.

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

// Sum returns the sum of all elements of x (a scalar).
func (b *Builder) Sum(x *G.Node) *G.Node {
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

// Concat joins nodes along axis (0: rows, 1: columns).
func (b *Builder) Concat(axis int, nodes ...*G.Node) *G.Node {
	if len(nodes) == 1 {
		return nodes[0]
	}
	return b.Op("concat", func(n ...*G.Node) (*G.Node, error) { return G.Concat(axis, n...) }, nodes...)
}

// Const returns a scalar constant of the graph's dtype. Only scalars are offered: gorgonia
// identifies constants by an abbreviated printout, so two different tensor constants can be
// merged into one node.
func (b *Builder) Const(c float64) *G.Node {
	if b.s.err != nil {
		return nil
	}
	defer b.recoverInto("constant")
	var n *G.Node
	if b.s.dtype == tensor.Float32 {
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

func binary(f func(a, b *G.Node) (*G.Node, error)) func(...*G.Node) (*G.Node, error) {
	return func(n ...*G.Node) (*G.Node, error) { return f(n[0], n[1]) }
}
