// Package paper is the experiments of Hochreiter & Schmidhuber (1997), Sec. 5, as data.
//
// The experiments are a table (one entry per experiment, Tables 10 and 11): architecture,
// initialisation and gate biases, learning rate, generator, per-sequence correctness, stopping
// criterion, limit and test. Lookup(id, Variant) makes a Spec from an entry and the knobs of a
// row (T, N, p, q, blocks, n_seq, learning rate), with what the paper reports for that row
// (Spec.Paper). Rows lists every row of the paper's Tables 1-9, and our diagnostic variants of
// some (a full gradient, a linear output unit, gradient clipping, ...: Variant.Diagnostic),
// which are not the paper's and are marked as such in titles and reports. Result, CurvePoint
// and Drift are the records of a trial's outcome, beside what the paper reports (Reported). A
// Spec is plain data: the package builds no network and trains nothing.
//
// A script reruns or varies a row with Lookup, changes any field of the Spec, and runs it with
// package paper/trial (trial.Run: one network trained to the spec's stopping criterion and
// tested). Package paper/report renders the results (report, ledger, figure) and package
// paper/cli is the command line of the example programs. The readings we chose where the
// paper is ambiguous are in docs/paper.md; how far the results match the paper, in
// docs/reproducing.md.
package paper
