// Package train is the training loop for models built on package graph: the batches it takes,
// the Trainer that runs them and its hooks.
//
// It has these parts:
//
//   - Batch and Stack: B sequences as plain Go values ([T][B][features], or one-hot inputs as
//     symbol indices), made from datasets.Sequence values, padded to the longest with their
//     lengths in Batch.Lengths (graph.Model.Lengths; steps without a target are masked).
//     Batch.Labels gives class targets as indices; Batch.Continue continues the sequences of the
//     previous batch from the states they ended with (graph.Model.Carry). Batch.Shape checks a
//     batch and gives the graph.Shape a model is built for.
//   - Trainer: compiles one vm.Program per batch shape (gorgonia fixes every shape at compile
//     time and the paper's sequences vary in length), runs it with an Optimizer over batches from
//     a Source (Run, or Step one batch at a time), and calls hooks after every step. Evaluate
//     runs the model forward only (graph.Config.Eval: no dropout); ResetState drops the carried
//     states. A non-finite loss, gradient or weight stops training with an error naming the
//     parameter and the sequence count, the weights unchanged (TrainerConfig.CheckFinite: the
//     first node whose value is not finite). With TrainerConfig.Replicas it splits each batch
//     into parts of sequences that train at once on goroutines of their own, each part in
//     programs of its own, and adds up their gradients (graph.Model.Separable models).
//   - Hook: a function the trainer calls after every step with the sequences seen so far, the
//     batch and its result (a stopping criterion, a learning curve, a checkpoint); returning
//     ErrStop ends Run without an error.
//
// Two packages build on this one. Package train/criteria holds the stopping criteria of
// Hochreiter & Schmidhuber (1997, Table 11) as hooks: ST3(β) and the n_seq rule over a window
// of recent sequences, and criteria decided by an evaluation every N sequences. Package
// train/checkpoint saves a trained model, and checkpoints and resumes a run (with signal
// handling).
//
// With a packed model of fused ops (layers.Net), a step or evaluation of a batch shape seen
// before allocates nothing: the trainer keeps the staging of inputs and targets, the programs
// their buffers, and Result.Outputs is the trainer's, overwritten by the next step or
// evaluation of that shape.
//
// The package declares the small interfaces it consumes (Optimizer, Source); package optim
// satisfies Optimizer, and FiniteChecker, with which the trainer leaves the checks of
// gradients and weights to it.
package train
