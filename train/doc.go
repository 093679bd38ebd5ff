// Package train trains models built on package graph: the training loop, its data, its
// stopping criteria and its checkpoints.
//
// It has these parts:
//
//   - Batch and Stack: B sequences of equal length as plain Go values ([T][B][features], or
//     one-hot inputs as symbol indices), made from datasets.Sequence values. Batch.Shape checks
//     a batch and gives the graph.Shape a model is built for.
//   - Trainer: compiles one vm.Program per batch shape (gorgonia fixes every shape at compile
//     time and the paper's sequences vary in length), runs it with an Optimizer over batches from
//     a Source, and calls hooks after every step. A non-finite loss, gradient or weight stops it
//     with an error naming the parameter and the sequence count, the weights left unchanged.
//   - Stopping criteria as hooks: ST3(β) and the n_seq rule of Hochreiter & Schmidhuber (1997,
//     Table 11) over a window of recent sequences (Window), and criteria decided by an evaluation
//     every N sequences (Every), such as the paper's ST1/ST2 test set, ABS over successive
//     sequences and the Reber grammar's "every next symbol predicted" (package paper builds
//     those). Until turns any Criterion into a Hook that stops training when it is met.
//   - Checkpoints (with State) saves a run every N sequences in the format of package
//     train/checkpoint (parameters, optimizer state, random-source states, the run's
//     configuration), resumes it bit for bit, and saves a last checkpoint when SIGINT or SIGTERM
//     arrives, so that a user's own training script can be interrupted and resumed. Optimizers
//     that wrap others (Wrapper) are looked through for the state to keep.
//
// The package declares the small interfaces it consumes (Optimizer, Source); package optim
// satisfies Optimizer.
package train
