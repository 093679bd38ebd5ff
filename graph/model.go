package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

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

	// Separable says that the model computes each sequence of the batch on its own and that
	// Loss is 1/B times a sum of one term per sequence, as layers.Net's models do. A batch
	// can then be split into parts of sequences whose losses and gradients, each weighted by
	// its part's share of the batch, add up to the whole batch's (train.TrainerConfig.Replicas
	// needs it). The parts' programs run at once, so their ops must not share anything they
	// change: not with a dropout whose *rand.Rand all programs share. A loss that is a mean
	// over the targets (loss.MSE, loss.SoftmaxCrossEntropy) is not such a sum.
	Separable bool
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

// Check checks the model that b built for shape s against the layouts described on Model: the
// shapes of its inputs, targets, outputs and mask, its Lengths and Carry nodes. A training loop
// calls it on every model a ModelFunc returns; an error names the node and both shapes.
func (m *Model) Check(b *Builder, s Shape) error {
	switch {
	case m == nil:
		return errors.New("graph: model: the model func returned nil")
	case m.Loss == nil:
		return errors.New("graph: model: no loss")
	}
	if n := m.Lengths; n != nil && (!b.IsInput(n) || !n.Shape().Eq(tensor.Shape{s.B, 1})) {
		return errors.Errorf("graph: model lengths %q must be an input of shape (%d, 1), is %v", n.Name(), s.B, n.Shape())
	}
	for i, c := range m.Carry {
		switch {
		case c.Init == nil || c.Final == nil:
			return errors.Errorf("graph: model carry %d has a nil Init or Final node", i)
		case !b.IsInput(c.Init):
			return errors.Errorf("graph: model carry %d: Init %q is not an input of the graph", i, c.Init.Name())
		case len(c.Init.Shape()) != 2 || c.Init.Shape()[0] != s.B:
			return errors.Errorf("graph: model carry %d: Init %q has shape %v, want (%d, n)", i, c.Init.Name(), c.Init.Shape(), s.B)
		case !c.Final.Shape().Eq(c.Init.Shape()):
			return errors.Errorf("graph: model carry %d: Final %q has shape %v, Init %q %v", i, c.Final.Name(), c.Final.Shape(), c.Init.Name(), c.Init.Shape())
		}
	}
	if m.Packed {
		return m.checkPacked(s)
	}
	switch {
	case s.Labels:
		return errors.New("graph: a per-step model cannot take labels (Batch.Labels): build a packed model, or give the targets as rows (Batch.Targets)")
	case len(m.Inputs) != s.T:
		return errors.Errorf("graph: model has %d input nodes for %d steps", len(m.Inputs), s.T)
	case len(m.Targets) != len(s.TargetSteps) || len(m.Outputs) != len(s.TargetSteps):
		return errors.Errorf("graph: model has %d target and %d output nodes for %d target steps", len(m.Targets), len(m.Outputs), len(s.TargetSteps))
	}
	for t, n := range m.Inputs {
		if n == nil || !n.Shape().Eq(tensor.Shape{s.B, s.In}) {
			return errors.Errorf("graph: model input %d is %v, want shape (%d, %d)", t, n, s.B, s.In)
		}
	}
	return nil
}

// checkPacked checks a packed model's nodes. With labels, the target and the mask have one
// column (the class index) and the output Out (the scores).
func (m *Model) checkPacked(s Shape) error {
	if len(m.Inputs) != 1 || len(m.Targets) != 1 || len(m.Outputs) != 1 || m.Mask == nil {
		return errors.New("graph: a packed model needs one input, one target, one output node and a mask")
	}
	in, w := s.In, s.Out
	if s.OneHot {
		in = 1
	}
	if s.Labels {
		w = 1
	}
	if n := m.Inputs[0]; n == nil || !n.Shape().Eq(tensor.Shape{s.T * s.B, in}) {
		return errors.Errorf("graph: packed model input is %v, want shape (%d, %d)", n, s.T*s.B, in)
	}
	// Targets, outputs and mask: a row per step, or all three a row per target step.
	rows, k := s.T*s.B, len(s.TargetSteps)*s.B
	if n := m.Targets[0]; n != nil && n.Shape().Eq(tensor.Shape{k, w}) {
		rows = k
	}
	for _, c := range []struct {
		what  string
		n     *G.Node
		width int
	}{{"target", m.Targets[0], w}, {"output", m.Outputs[0], s.Out}, {"mask", m.Mask, w}} {
		if c.n == nil {
			return errors.Errorf("graph: packed model has no %s node", c.what)
		}
		if !c.n.Shape().Eq(tensor.Shape{rows, c.width}) {
			return errors.Errorf("graph: packed model %s has shape %v, want (%d, %d) (a row per step) or, for the target, output and mask alike, (%d, %d) (a row per target step)",
				c.what, c.n.Shape(), s.T*s.B, c.width, k, c.width)
		}
	}
	return nil
}
