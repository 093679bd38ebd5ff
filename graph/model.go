package graph

import G "gorgonia.org/gorgonia"

// Shape describes a batch for graph building: T steps, B sequences, inputs of width In,
// targets of width Out at the steps listed in TargetSteps (ascending). OneHot says that the
// inputs come as symbol indices (train.Batch.Symbols): a packed model then takes them as one [T·B, 1]
// input node of indices in [0, In) (see Model), a per-step model as usual, one-hot rows.
//
// Labels says that the targets come as class indices (train.Batch.Labels): a packed model's
// target node is then [rows, 1] holding the class index of each row (0 where the mask is 0),
// its mask [rows, 1], and its output [rows, Out] the scores of Out classes.
type Shape struct {
	T, B, In, Out int
	TargetSteps   []int
	OneHot        bool
	Labels        bool
}

// Model is what a ModelFunc builds for one batch shape. It has one of two layouts.
//
// Per step (Packed false): Inputs has one node [B, In] per time step; Targets and Outputs have
// one node [B, Out] per entry of Shape.TargetSteps.
//
// Packed: Inputs, Targets and Outputs each hold ONE node, [T·B, In], [T·B, Out] and [T·B, Out],
// whose row t·B+b is step t of sequence b (with Shape.OneHot the input is [T·B, 1] and holds
// the symbol indices); Mask [T·B, Out] is set to 1 in the rows of target
// steps and 0 elsewhere (targets of other rows are 0). The loss should weight by the mask.
// Targets, Outputs and Mask may instead all have K·B rows, K = len(Shape.TargetSteps), row
// i·B+b holding target step i of sequence b (the mask is then 1 where that sequence has a
// target): a model whose outputs matter at the target steps only need not compute the others.
type Model struct {
	Inputs  []*G.Node
	Targets []*G.Node
	Outputs []*G.Node
	Packed  bool
	Mask    *G.Node
	// Loss is the scalar to minimise.
	Loss *G.Node

	// Lengths, if not nil, is an input [B, 1] that a training loop sets to the length of each
	// sequence of the batch (T for every sequence when the batch has no lengths). Steps at and
	// after a sequence's length are padding: the model must not let them change its outputs
	// at earlier steps nor its final state (Carry), and the mask is 0 there. A model without
	// Lengths can only take batches whose sequences all have length T.
	Lengths *G.Node

	// Carry lists the state that the model carries from one batch to the next, for streams
	// processed in chunks (truncated backpropagation through time at chunk boundaries).
	Carry []Carry
}

// Carry is one piece of state carried between batches, such as the cell states s or the
// activations y of one LSTM layer.
type Carry struct {
	// Init is a graph input [B, n]: the state before step 0 (zero for a fresh sequence).
	Init *G.Node
	// Final is a node of Init's shape: the state after each sequence's last step (at its
	// length). No gradient flows from Final: the carried state is a constant for the next batch.
	Final *G.Node
}

// ModelFunc builds the model for a batch shape in b. A training loop (train.Trainer) calls it
// once per distinct shape; all calls share one ParamSet, so parameter names must not depend on the
// shape.
type ModelFunc func(b *Builder, s Shape) (*Model, error)
