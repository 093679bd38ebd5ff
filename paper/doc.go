// Package paper is the experiments of Hochreiter & Schmidhuber (1997), Sec. 5, as data, and
// the runner of their trials.
//
// The experiments are a table (one entry per experiment, Tables 10 and 11): architecture,
// initialisation and gate biases, learning rate, generator, per-sequence correctness, stopping
// criterion, limit and test. Lookup(id, Variant) makes a Spec from an entry and the knobs of a
// row (T, N, p, q, blocks, n_seq, learning rate), with what the paper reports for that row
// (Spec.Paper). Rows lists every row of the paper's Tables 1-9, and our diagnostic variants of
// some (a full gradient, a linear output unit, gradient clipping, ...: Variant.Diagnostic),
// which are not the paper's and are marked as such in titles and reports.
//
// RunTrial trains one network of a Spec to its stopping criterion and tests it. It is
// train.Trainer.Run with hooks: the paper's criteria (ST3(β), n_seq, and the evaluations of
// ST1/ST2, ABS and the Reber grammar every N sequences) are train.Criterion values, the
// sequential construction of Exps. 2a/2b, the learning curve, progress lines and
// checkpoints are hooks. A trial is seeded: the same seed gives the same trial, bit for bit,
// and a trial interrupted and resumed from its checkpoint ends as if it had not been.
//
// A script reruns or varies a row with Lookup, changes any field of the Spec, and calls
// RunTrial. Package paper/report renders the results (report, ledger, figure) and package
// paper/cli is the command line of the example programs. The readings we chose where the
// paper is ambiguous are in docs/paper.md; how far the results match the paper, in
// docs/reproducing.md.
package paper
