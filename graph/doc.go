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
//   - Shape and Model: the contract between a model builder and a training loop (package
//     train): the batch shape a graph is built for, and which nodes are its inputs, targets,
//     outputs and loss.
//   - Inspect: every node with its kind, scope and layer note, for drawing (package dot) and
//     debugging.
//
// The package is the engine only and imports no other package of this module. Training loops,
// checkpoints and stopping criteria are in package train, drawing in package dot.
//
// All tensors are batch-first: an input of one time step has shape [batch, features].
package graph
