// Package trial runs the trials of the experiments of Hochreiter & Schmidhuber (1997), Sec. 5,
// that package paper holds as data: one network of a paper.Spec trained to its stopping
// criterion, then tested.
//
// Run is train.Trainer.Run with hooks: the paper's criteria of Table 11 (ST3(β), n_seq, and
// the evaluations every N sequences of ST1/ST2, ABS and the Reber grammar) are
// criteria.Criterion values of package train/criteria; the sequential construction of Exps.
// 2a/2b (paper.Construction), the learning curve (Options.Metrics, paper.CurvePoint), progress
// lines and checkpoints (Options.Checkpoints, Saved) are hooks. After success it tests the net
// on fresh sequences (paper.Result), and MeasureDrift reports the internal-state drift of App.
// A.2 of an untrained or a trained net (paper.Drift). Evaluate runs one sequence forward.
//
// A trial is seeded: the same seed gives the same trial, bit for bit, and a trial interrupted
// and resumed from its checkpoint ends as if it had not been. Its trainer keeps MaxPrograms
// compiled programs, one per sequence length.
package trial
