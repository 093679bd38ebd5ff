// Package truncate provides the stop-gradient operation that the 1997 LSTM's learning rule
// needs (Hochreiter & Schmidhuber 1997, Sec. 4 "Learning" and Appendix A.1).
//
// The paper trains with a truncated gradient: an error that reaches the net input of a memory
// cell, an input gate or an output gate is used to change the weights into that unit, but it is
// not carried further back in time through the activations of the previous step. Only the
// cell's internal state, the constant error carousel s(t) = s(t-1) + ..., carries error from
// one time step to the one before. In Appendix A.1 this is written as
//
//	∂net_in_j(t)/∂y^u(t-1) ≈tr 0,  ∂net_out_j(t)/∂y^u(t-1) ≈tr 0,  ∂net_c_j(t)/∂y^u(t-1) ≈tr 0.
//
// Apply wraps a node in an operation that is the identity in the forward pass and has no
// derivative in the backward pass. Reverse-mode differentiation of a graph truncated this way
// gives exactly the summed weight updates of the paper's eqs. (19)-(28).
//
// # Where the truncation is applied
//
// The 1997 LSTM exists in two forms in package layers, and the truncation is applied in each:
//
//   - The unrolled form (layers.Cell.Step, Cell.Unroll, NetConfig.Unrolled): a graph node per
//     gate, state and step. Step passes the previous step's hidden activations y(t-1) through
//     Apply exactly where they enter the net inputs of the cells and of the input and output
//     gates; the state s(t-1) reaches s(t) untruncated (the CEC), and the cells reach the
//     output units untruncated. The truncate nodes are in the graph, and package dot draws them
//     red and dashed.
//   - Users' own graphs: Apply cuts any path the user chooses, the same way. A layer built with
//     Cell.Step inside a larger graph brings its own truncation with it; nothing else of the
//     graph is truncated unless the user calls Apply.
//   - The fused form (layers.Cell.Sequence, the default of layers.Net): one graph node for the
//     whole sequence. It contains no truncate node; its backward loop applies the same rule
//     itself: the errors at the net inputs of cells and gates update the weights into them and
//     are not carried to y(t-1); only ∂E/∂s(t) is carried from step t to step t-1.
//
// Both forms give the same gradient: layers' TestTruncatedGradientMatchesPaperAlgorithm checks
// each form against an independent implementation of the paper's forward-propagated partials
// (eqs. 12-28), and TestStackedFusedEqualsUnrolled compares the two forms' gradients directly,
// parameter by parameter, for two stacked layers under a user-written head. layers.Config's
// FullGradient option leaves the recurrence open in both forms, for comparison.
//
// Limits. Gorgonia's symbolic differentiation refuses a parameter whose only path to the cost
// runs through a truncate node ("Non Differentiable WRTs"): Apply makes such a parameter
// constant as far as the cost is concerned, and gorgonia reports that instead of returning a
// zero gradient. The weights of the 1997 LSTM always reach the cost directly, so this only
// matters for unusual graphs (for example a learnable initial activation).
package truncate
