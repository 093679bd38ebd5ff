// Command continual learns the continual embedded Reber grammar (CERG) of Gers, Schmidhuber &
// Cummins (2000, "Learning to forget: continual prediction with LSTM", Neural Computation
// 12(10), Sec. 4) on-line, with the 1997 paper's own learning algorithm (package online,
// Hochreiter & Schmidhuber 1997, App. A.1), for three nets side by side: the 1997 cell, the
// cell with a forget gate (Gers et al. 2000), and the forget gate with peepholes (Gers,
// Schraudolph & Schmidhuber 2002).
//
// The task is one unbounded stream of embedded Reber strings (Exp. 1 of the 1997 paper; Fig. 4),
// concatenated with nothing between them: ...BT<Reber string>TEBP<Reber string>PEBT... The
// net is never reset: nothing outside it marks where a string ends, so it must learn to reset
// itself. The 1997 cell cannot: its state s_c(t) = s_c(t-1) + y^in g(net_c) (eq. 9) only
// integrates, and over an unbounded stream it drifts without bound (the paper's "internal
// state drift", Sec. 4, which its per-sequence resets hide). The forget gate's
// s_c(t) = y^φ s_c(t-1) + y^in g(net_c) can empty the cell.
//
// Usage:
//
//	go run ./examples/continual [-nets 1997,forget,peepholes] [-steps 1000000] [-lr 0.5]
//	    [-targets next|legal] [-seed 1] [-test-seed 2] [-test-strings 10000] [-test-every 0]
//	    [-progress 5s]
//
// Progress goes to stderr every -progress: steps, strings, the mean error per step and the
// fraction of strings predicted correctly since the last line, the mean and max |s_c| over the
// cells since the last line, the learner's StorageBytes, the process's resident memory (VmRSS
// of /proc/self/status) and the rate. The results go to stdout: a Markdown table, a row per
// net, then one JSON line with every figure: per net, per quarter of the training stream the
// steps, strings, strings predicted correctly, mean error and mean and max |s_c|; the longest
// run of training strings predicted correctly; the test figures; the storage; the resident
// memory and its peak (VmHWM, over the process so far: run one net per process to compare).
//
// # The nets
//
// Each net is Experiment 1's net of package paper (paper.Lookup("1", ...): 7 one-hot inputs,
// biases on the gates only, weights uniform in [-0.2, 0.2], 7 logistic output units fed by the
// cells, the squashes g in [-2, 2] and h in [-1, 1]) with Gers et al.'s size and gate biases
// for the CERG: 4 memory blocks of 2 cells, input and output gate biases initialised to -0.5,
// -1.0, -1.5, -2.0 for blocks 1 to 4, and, for the nets with forget gates, forget gate biases
// +0.5, +1.0, +1.5, +2.0 (gates open: the net starts as a 1997 net and learns to forget). The
// recurrence is the paper's: every cell and gate sees x(t) and all hidden units' y(t-1), the
// forget gates' included; peephole weights, like every other weight, start uniform in
// [-0.2, 0.2]. The three nets take their weights from the same seed (online.NewParams with
// -seed) and are trained on the same stream; since their parameter sets differ, the values
// differ too. Learning rate 0.5 (Gers et al.'s and Exp. 1's).
//
// # Training
//
// Package online's Learner in PerStep mode: the weights change at every time step
// (Gers et al.'s real-time on-line learning), with the truncated gradient of App. A.1
// (forward-propagated partials of the cell states, carried through the forget gate as Gers et
// al. do). The input at each step is the current symbol, one-hot over datasets.ReberSymbols;
// the target is the next symbol, one-hot (Exp. 1's coding, datasets.Reber.Example and
// docs/paper.md §6.9; the net learns to output the probabilities of the next symbols), and
// after a string's E, the next string's B. -targets legal trains on 1 for every legal next
// symbol instead (a variant, worse for Exp. 1 too). Step is called with a target at every
// step; EndSequence (which resets the state) and Reset are never called on the training
// stream, so the learner's Steps and SequenceError count the whole stream, and its Gradient is
// the sum of every update so far.
//
// # Judging
//
// A string is predicted correctly when, at each of its steps, the outputs of all legal next
// symbols are above all the others: Exp. 1's criterion (paper.Spec.Correct of experiment 1),
// with the legal sets of datasets.Reber.Example plus, at the string's last step (E), the single
// legal successor B. Gers et al. count the strings of a test stream predicted correctly in a
// row before the first error; so does this command, on a fresh stream drawn with -test-seed,
// up to -test-strings strings, with the trained weights frozen: a second Learner, read from
// the trained weights (WriteParams, ReadParams) and started from a zero state, is stepped with
// a nil target, which computes the outputs and changes no weight. The whole test stream is
// run, also after the first error, for the fraction of all its strings predicted correctly,
// the longest run of them, and the state magnitudes over it.
//
// # Where this differs from Gers et al. (2000)
//
//   - One training stream of -steps steps, never stopped, and the net never reset; Gers et
//     al.'s protocol of alternating training and test streams is not reproduced (-test-every
//     tests the frozen weights every so many strings without touching the training stream).
//   - Exp. 1's correctness rule (legal outputs above the others), not a threshold on each
//     output, and Exp. 1's net details (biases on the gates only, no output biases). With
//     one-hot next-symbol targets a trained net outputs about 0.5 for each of two legal
//     successors, which a fixed 0.5 threshold would judge by a coin's toss. The error is
//     ½ Σ_k (target_k - y^k)², the factor 2 of eq. (19) being absorbed into α as in package
//     online.
//   - No learning-rate decay, no momentum: plain on-line gradient descent at -lr.
//   - The test counts at most -test-strings strings in a row (default 10,000).
//
// # What it shows
//
// With the defaults (seed 1, 10^6 steps, 83,347 strings per net, about 3 µs a step):
//
//   - The 1997 cell's state drifts linearly, about 0.44 per step: max |s_c| 1.1·10^5 after the
//     first quarter, 4.4·10^5 at the end (4.5·10^6 after 10^7 steps). Its cells sit in h's flat
//     ends, where no error reaches them (h' ≈ 0); 28% of the last quarter's strings are
//     predicted correctly, 25% of the test strings.
//   - The forget gate net keeps its state bounded: max |s_c| 53 early on, then 7 to 13 over
//     10^7 steps, mean about 1.3. It learns the grammar's local predictions but not the
//     remembered T or P: 54% of the training strings are predicted correctly (the recall step
//     at chance), the longest run is 15 to 20 strings.
//   - At α = 0.5 every step's change is large and each step's one-hot target random where the
//     grammar branches: the weights track the last steps, and the same weights frozen predict
//     no test string correctly (the output of B stays high after a B), while the learning net
//     predicts half of them. At α = 0.1 the frozen forget gate net predicts 4,976 of 10,000
//     test strings correctly (the recall at chance again).
//   - The peephole net diverges: learning makes the peephole weights grow (from 0 they reach
//     0.27 within 80 steps at α = 0.5), s_c(t-1) then drives its own block's input and forget
//     gates open, and the state runs away faster than the 1997 cell's (1.6·10^6 after 10^6
//     steps); with the gates and h saturated nothing learns any more. It diverges at every α
//     tried from 0.5 down to 0.001, with random or zero initial peepholes; at α = 10^-6 (no
//     learning to speak of) the state stays below 1.
//   - No net predicts the first string of a test stream correctly, so the count in a row is 0
//     in every run: from the zero state, which the training stream shows only at its very
//     start, the forget gate net trained at α = 0.1, for one, outputs B highest after the first
//     B. The longest run of the test stream is reported beside it.
//
// # Memory
//
// The learner keeps O(W) numbers whatever the stream length (App. A.1, the paper's footnote 3):
// StorageBytes is constant, and the process's resident memory should not grow with -steps.
// The stream is generated string by string and never stored. Run each length as its own
// process to compare peaks (VmHWM):
//
//	go run ./examples/continual -nets forget -steps 1000000
//	go run ./examples/continual -nets forget -steps 10000000
//
// Measured for the forget gate net (StorageBytes 32,784 throughout): a peak of 15.7 MiB after
// 10^6 steps (two runs), and of 15.5 and 15.7 MiB after 10^7 steps, with VmRSS between 14.2 and
// 15.2 MiB all along; a third run of 10^7 steps, on a busy machine, peaked at 19.1 MiB in a
// garbage collector's transient (VmRSS samples up to 16.9 MiB). The garbage is the strings and
// their legal sets, a couple of kilobytes per string; the learner allocates nothing per step.
package main
