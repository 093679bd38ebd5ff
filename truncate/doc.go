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
// derivative in the backward pass. The layers package applies it to the previous step's hidden
// activations y(t-1) where they enter the net inputs of cells and gates; the state s(t-1) is
// never truncated. Reverse-mode differentiation of the resulting graph gives exactly the summed
// weight updates of the paper's eqs. (19)-(28).
//
// Limits. Gorgonia's symbolic differentiation refuses a parameter whose only path to the cost
// runs through a truncate node ("Non Differentiable WRTs"): Apply makes such a parameter
// constant as far as the cost is concerned, and gorgonia reports that instead of returning a
// zero gradient. The weights of the 1997 LSTM always reach the cost directly, so this only
// matters for unusual graphs (for example a learnable initial activation).
package truncate
