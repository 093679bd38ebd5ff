// Package criteria is the stopping and success criteria of Hochreiter & Schmidhuber (1997,
// Sec. 5 and Table 11) as training hooks of package train: when a run has learned its task.
//
// It has these parts:
//
//   - Per-sequence errors: SeqErrors gives a step's SeqError for every sequence of its batch
//     (the largest absolute error, the mean squared and the mean absolute error over the
//     sequence's target steps), and a Judge decides whether a sequence was processed
//     correctly; Within(tol) is the paper's ABS(tol), every output at every target step within
//     tol of its target. Measure selects what the paper's undefined "average training error"
//     means (MeanSquared, our reading, or MeanAbsolute; docs/paper.md, reading 6.5).
//   - Window: the errors of the most recent training sequences and how many of them were
//     wrong (the paper's window is 2000 sequences), saved and restored as JSON for checkpoints.
//   - Criteria over a window: ST3(β) (Exps. 4 and 6: the window's average training error below
//     β and all its sequences correct) and NSeq, the n_seq rule of Exp. 5 (Sec. 5.5: fewer
//     than n_seq of the window's sequences wrong).
//   - Every: a criterion decided by an evaluation every N sequences, such as the ST1/ST2 test
//     set of Exp. 3, ABS over 10,000 successive sequences in Exp. 2 and the Reber grammar's
//     "every next symbol predicted" in Exp. 1 (package paper builds those evaluations).
//   - Criterion is what they have in common, and Until makes any Criterion, the caller's own
//     included, a train.Hook that ends train.Trainer.Run (train.ErrStop) once it is met.
//
// The criteria judge the outputs the trainer returns at the target steps (train.Result); a
// batch of class labels (train.Batch.Labels) has no target values, and the window criteria see
// no sequences of it.
package criteria
