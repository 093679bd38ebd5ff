// Package graph builds gorgonia expression graphs without gorgonia's traps.
//
// It has these parts:
//
//   - Builder: creates parameters, inputs and operations with sticky errors (the first error is
//     kept and later calls do nothing; check Err once), hierarchical unique names
//     ("lstm0/in_gate/w"; a duplicate is an error instead of gorgonia's silent merge), seeded
//     initialisers (same seed, bit-identical weights) and a guard that fails loudly when gorgonia
//     hands back an existing node for an expression that is not the one asked for (its 32-bit
//     node hashes collide on large graphs, and it rewrites some expressions in place, such as
//     the log of a softmax).
//   - Ops as Builder methods: MatMul, Add, Mul, AddBias, Sigmoid, Tanh, Exp, Log, ReLU, Neg,
//     Softmax and LogSoftmax (row-wise, stable), Square, Sum, Mean, Scale, Shift, Concat,
//     Slice, Reshape; Op applies any other gorgonia operation under the same guards. The
//     kernels of the ones gorgonia lacks or gets wrong are in package graph/mathop.
//   - ParamSet: the named parameter tensors, in creation order. Several graphs (one per sequence
//     length) share one ParamSet, so that they train the same weights.
//   - Shape and Model: the contract between a model builder and a training loop (package
//     train): the batch shape a graph is built for, and which nodes are its inputs, targets,
//     outputs and loss.
//   - Inspect and Unfolder: every node with its kind, scope and layer note, and one time step of
//     a fused sequence node, for drawing (package dot) and debugging.
//
// Compiling and running a built graph is the job of package graph/vm: vm.Compile turns a
// Builder's graph into a Program (compile once, run many times with new inputs). While that
// Program is open it owns the graph, and the Builder adds no nodes (Builder.Freeze).
//
// The package imports no other package of this module but its own graph/mathop. Training loops
// and stopping criteria are in package train, checkpoints in train/checkpoint, drawing in
// package dot.
//
// All tensors are batch-first: an input of one time step has shape [batch, features].
package graph
