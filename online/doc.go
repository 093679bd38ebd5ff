// Package online trains the 1997 LSTM network with the paper's own learning algorithm
// (Hochreiter & Schmidhuber 1997, Appendix A.1): on-line, one time step at a time, with the
// partials of the cell states forward-propagated instead of errors propagated backward.
//
// A Learner runs one time step per call of Step (or Advance, a step without a target whose
// output units are not computed), with the timing of the paper's experiments (Sec. 5): the
// hidden units see the current input x(t) and the activations y(t-1) of the previous step
// (eqs. 6-8), the cells' internal states follow the CEC s_c(t) = s_c(t-1) + y^in_j(t)
// g(net_c(t)) (eq. 9), and the output units see the cell outputs y^c(t) = y^out_j(t)
// h(s_c(t)) of the same step. Every step carries forward, for each cell, the truncated partials
// of its state with respect to the weights of its input gate and of its own input (eqs. 12-15):
//
//	∂s_c(t)/∂w_{in_j m} = ∂s_c(t-1)/∂w_{in_j m} + g(net_c(t)) f'(net_in_j(t)) y^m(t-1)   (25)
//	∂s_c(t)/∂w_{c m}    = ∂s_c(t-1)/∂w_{c m}    + g'(net_c(t)) y^in_j(t) y^m(t-1)        (27)
//
// where y^m(t-1) is whatever source feeds the net input: x(t), y(t-1) or the bias. At a step
// with a target, the output units' errors (eq. 19), the output gates' (eq. 21) and the
// internal-state errors (eq. 23) give the weight changes: α e_l(t) y^m(t-1) for output units
// and output gates (eq. 22), α Σ_v e_s ∂s/∂w for the input gates (eq. 26) and α e_s ∂s/∂w for
// the cells (eq. 28). Only those 2·C·S·(I+R+1) partials are kept from one step to the next
// (I inputs, R recurrent sources, C blocks of S cells): the storage is O(W) and does not depend
// on the sequence length (the paper's "local in time", footnote 3), and a step costs O(W)
// (eq. 29). A sequence of a million steps takes the memory of a sequence of a thousand (see
// examples/online).
//
// Two modes say when weights change (docs/paper.md §6.6): PerSequence sums the changes of a
// sequence and applies them at EndSequence, which is exactly what the graph path (layers.Net,
// train.Trainer with plain SGD at batch 1) does; PerStep changes the weights at every step
// with a target, RTRL-style, and carries the partials on with the new weights.
//
// The network is a layers.NetConfig, with the parameters of the graph path: New takes them from
// a graph.ParamSet of that net (NewParams, train.Trainer.Params, checkpoint files) and
// WriteParams writes them back, so the two paths train, save and evaluate the same weights.
// Every architecture of the paper's Table 10 that package layers builds is supported: blocks
// of S cells, with or without output gates, full, cells-only or no recurrence, biases on all
// units, the gates or none, logistic or linear output units, connectivity B
// (OutputFromInputs), the squashes G and H, and HPrimeOffset. The full gradient
// (LSTM.FullGradient) is refused: App. A.1 computes the truncated one. The E minimised is
// ½ Σ_k (target_k - y^k)² at each step with a target, the paper's eq. (16) with the factor 2
// of eq. (19) absorbed into α, as in package layers/output.
//
// The later variants of package layers are supported the way their authors trained them. A
// forget gate φ_j per block (Gers, Schmidhuber & Cummins 2000; layers.Config.ForgetGate) makes
// the state s_c(t) = y^φ_j(t) s_c(t-1) + y^in_j(t) g(net_c(t)): every carried partial is then
// scaled by y^φ_j(t), and the forget gate's weights have partials of their own,
// ∂s_c(t)/∂w_φm = y^φ(t) ∂s_c(t-1)/∂w_φm + s_c(t-1) f'(net_φ(t)) y^m. Peepholes (Gers,
// Schraudolph & Schmidhuber 2002; layers.Config.Peepholes) are gate weights whose sources are
// the states of the block's cells, s(t-1) for the input and forget gates, s(t) for the output
// gate, truncated like every other source.
//
// The package's tests check the summed update against the graph path's truncated gradient
// and against internal/oracle on random networks of every kind (later variants included),
// against central differences where the truncated gradient is the full one (nets without
// recurrent connections), and a PerStep step against a hand computation. A step allocates
// nothing, and a step that fails (a wrong width, a NaN or an infinity in its input or its
// results) changes nothing.
package online
