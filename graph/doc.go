// Package graph builds and runs gorgonia expression graphs without gorgonia's traps.
//
// It has these parts:
//
//   - Builder: creates parameters, inputs and operations with sticky errors (the first error is
//     kept and later calls do nothing; check Err once), hierarchical unique names
//     ("lstm0/in_gate/w"; a duplicate is an error instead of gorgonia's silent merge), seeded
//     initialisers (same seed, bit-identical weights) and a guard that fails loudly when gorgonia
//     hands back an existing node for an expression that is not the one asked for (its 32-bit
//     node hashes collide on large graphs).
//   - ParamSet: the named parameter tensors, in creation order. Several graphs (one per sequence
//     length) share one ParamSet, so that they train the same weights.
//   - Program: a compiled graph (compile once, run many times with new inputs), run by this
//     package's executor (linear-time compilation, one buffer per node kept across runs; gorgonia's
//     TapeMachine on request, as a reference), whose outputs and gradients can be read
//     correctly after a run and which never lets a gorgonia panic escape.
//   - WriteDot: the graph in graphviz's DOT language, with stable IDs, scope clusters, the
//     paper's truncation and constant error carousel drawn, and views that stay readable.
//   - SaveCheckpoint / LoadCheckpoint: parameters, optimizer state and run state in a NumPy .npz
//     and a JSON manifest, written atomically and checked on reading.
//   - Trainer: the training loop. It drives programs (cached per batch shape, because gorgonia
//     fixes every shape at compile time and the paper's sequences vary in length) with an
//     Optimizer over a stream of batches from a Source, and calls hooks after every step.
//
// The package imports no other package of this module: it declares the small interfaces it
// consumes (Optimizer, Source), and the optim and datasets packages satisfy them.
//
// All tensors are batch-first: an input of one time step has shape [batch, features].
package graph
