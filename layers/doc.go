// Package layers provides the 1997 LSTM of Hochreiter & Schmidhuber (Neural Computation 9(8),
// 1997) as graph nodes: memory cell blocks, input and output gates, the constant error
// carousel (CEC) and the truncated error flow of the paper's Sec. 4, and the paper's network
// (Net: inputs, one LSTM layer, and the output layer and error of package layers/output).
//
// The model (docs/paper.md §1, eqs. 3-9 and the 3-step timing of Sec. 5): a block j of S cells
// shares an input gate in_j and an output gate out_j. At time step t every cell and gate computes its
// net input from the current input x(t) and from the activations y(t-1) of ALL hidden units of
// the previous step (cells, input gates and output gates):
//
//	y^in_j(t)   = f(net_in_j(t))                                     (7)
//	y^out_j(t)  = f(net_out_j(t))                                    (8)
//	s_c(t)      = s_c(t-1) + y^in_j(t) g(net_c(t)),  s_c(0) = 0      (9)  the CEC
//	y^c(t)      = y^out_j(t) h(s_c(t))
//
// with f the logistic function, g(x) = 4σ(x)-2 in [-2,2] and h(x) = 2σ(x)-1 in [-1,1] (eqs.
// 3-5). The CEC's self-connection is fixed at 1.0 and there is no forget gate. Output units see
// the cell outputs of the same step: y^k(t) = f(Σ w_kc y^c(t)).
//
// Truncation (Sec. 4, Appendix A.1): y(t-1) enters the net inputs of cells and gates through
// truncate.Apply, so errors arriving at those net inputs change the incoming weights but are not
// propagated further back in time; only s(t-1) -> s(t) carries error backwards. With the paper's
// error (output.Loss) and plain SGD at the paper's learning rate, reverse-mode differentiation of this
// graph gives exactly the updates of eqs. (19)-(28); internal/oracle checks that. Config has a
// FullGradient option that leaves the recurrence open, for comparison.
//
// Two later variants of the cell are options of the same Config; their zero values give the
// 1997 cell above, bit for bit. ForgetGate adds a forget gate φ_j per block (Gers, Schmidhuber
// & Cummins 2000), a logistic unit with the input gate's sources, that gates the CEC:
//
//	y^φ_j(t)    = f(net_φ_j(t))
//	s_c(t)      = y^φ_j(t) s_c(t-1) + y^in_j(t) g(net_c(t))
//
// Peepholes adds a weight from each cell's state to each gate of its block (Gers, Schraudolph &
// Schmidhuber 2002): net_in_j and net_φ_j get Σ_v w_v s_c_j^v(t-1), and net_out_j gets Σ_v w_v
// s_c_j^v(t), so the output gate is computed after the state. Truncation is theirs, the paper's
// extended: errors reach the cells and gates only through the state, which carries them back
// scaled by y^φ (∂s(t)/∂s(t-1) = y^φ(t)); no error flows back through a peephole into s. This is
// what the forward-propagated partials of App. A.1 compute when they carry the forget gate:
// ∂s(t)/∂w = y^φ(t) ∂s(t-1)/∂w + (the terms of eqs. 25, 27), and ∂s(t)/∂w_φm = y^φ(t)
// ∂s(t-1)/∂w_φm + s(t-1) f'(net_φ(t)) y^m(t-1) for the forget gate's weights, a peephole's
// source y^m being a state.
//
// Every architecture of the paper's Table 10 is a Config: number of blocks and cells, input
// width, which units are biased, per-block initial gate biases, no output gate (Exp. 2a), no
// recurrent connections (Exp. 2a), g and h, and the initialisation range. A cell (Cell.Step:
// one time step from a State) is separate from the driver that unrolls it (Cell.Unroll), so
// cells can be stacked and fed into any downstream expression.
//
// Two forms compute the same numbers. Cell.Unroll builds ~40 gorgonia nodes per time step, each
// gate, state and truncation visible (and drawn by dot.Write). Cell.Sequence is ONE node for
// the whole sequence whose forward and gradient (truncated or full, in one reverse pass through
// the CEC) are plain loops over preallocated buffers; the output layer and the paper's loss
// (package layers/output: Layer.Apply, Layer.ApplyRows, which computes the output units at the
// target steps only, and MaskedLoss) are fused nodes too. Net
// builds the fused form unless NetConfig.Unrolled is set. The fused kernels compute the
// exact logistic function, where gorgonia's sigmoid returns exactly 0 or 1 beyond |x| = 19.
// Cell.SequenceWith adds per-sequence lengths (the padding of shorter sequences costs nothing
// and changes no output or gradient), an initial state and the final state, so a stream
// processed in chunks computes bit for bit what it computes whole; NetConfig.Carry exposes that
// state as graph.Model.Carry. Package dot draws the fused form one time step at a time
// (dot.ViewStep): the fused node builds its step from the nodes Cell.Step builds, so the model
// being trained is drawn as the paper's memory cell (Fig. 1) without being built unrolled.
//
// Speed and threads: the fused LSTM's matrix work (the inputs' part of every step as one
// product, the recurrent part per step over the batch, each weight gradient as one product over
// all rows) runs in register-blocked AVX2/AVX-512 tiles, and the logistic functions of a step
// in one vectorised call; both give the plain loops' results bit for bit (each sum in the same
// order, no fused multiply-add; math.Exp's own algorithm on amd64, which elsewhere is another
// one: results there may differ from math.Exp's in the last bit). The batch and the rows of the weight
// gradients are spread over runtime.GOMAXPROCS(0) goroutines, read at every pass, when the
// work is large enough: a layer of 64 blocks at batch 32 uses both cores of a 2-core machine, the
// paper's nets at batch 1 one. Each number is computed by one goroutine in the one-goroutine
// order, so results are bit-identical whatever GOMAXPROCS is, and from run to run. Splitting
// the batch itself into parts that train at once, each in programs of its own
// (train.TrainerConfig.Replicas), scales better on CPUs that are far apart; the gradient is then
// summed in another order (within rounding of the whole batch's).
//
// Shapes are batch-first: x(t) is [batch, inputs], states are [batch, units]; a packed sequence
// is [T·batch, features] with row t·batch+b holding step t of sequence b.
package layers
