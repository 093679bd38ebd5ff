package graph

import G "gorgonia.org/gorgonia"

// Unfolder is implemented by the op of a fused sequence node: one node that computes a layer
// over a whole packed sequence (layers' Cell.Sequence). It builds one time step of the same
// computation from ordinary nodes, the way the unrolled form builds it, so that a fused model can
// be drawn one step at a time (package dot's step view) without building a second model. The
// node's first operand is the sequence input.
type Unfolder interface {
	// Unfold describes the op's time steps and the input of one step.
	Unfold() UnfoldInfo
	// UnfoldStep builds time step step (0 <= step < UnfoldInfo.Steps) in b, a builder for
	// drawing: the layer's parameters (with their own names), the nodes of the step (in scopes
	// ending in "t<step>", as in the unrolled form) and, after step 0, the state of step-1 as
	// inputs named in scope "t<step-1>". x is the step's input [UnfoldInfo.Batch,
	// UnfoldInfo.Width]. It returns the node of the step's output: the rows of step step of the
	// fused node's output.
	UnfoldStep(b *Builder, x *G.Node, step int) (*G.Node, error)
}

// UnfoldInfo describes the time steps of a fused sequence node (Unfolder).
type UnfoldInfo struct {
	// Steps is the sequence length T.
	Steps int
	// Batch and Width are the shape [Batch, Width] of the input of one step.
	Batch, Width int
	// Label describes the input of one step, e.g. "x(t) one-hot" (may be "").
	Label string
}
