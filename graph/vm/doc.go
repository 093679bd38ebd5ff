// Package vm compiles a graph built with package graph once and runs it many times: the graph
// VM of a training loop.
//
// Compile differentiates the loss with respect to every parameter (unless ForwardOnly) and
// returns a Program. Between runs the caller sets the inputs (Program.Set); Run executes the
// forward pass and the backward pass, adding the gradients of the run to the accumulated ones
// (Program.Params, read by the optimizers of package optim, until ZeroGrads); Loss and Value
// read the results (View without copying: the program's own buffer, until the next run), Watch
// makes sure a node is computed. A run of fused ops (graph/fusedop) allocates nothing; the
// gradient of a parameter that a fused op computes is added from its flat vector directly, the
// gradients of consecutive parameters in one loop (the accumulated gradients of a dtype lie one
// after the other in one vector, which ZeroGrads clears at once), and a part of a flat vector
// that another op reads is given to it as a view on the vector, not copied.
//
// The default engine is this package's executor: compilation is linear in the number of nodes
// (a depth-first post-order walk from the wanted nodes), every node gets an output buffer kept
// across runs, and every executed node's value stays readable after a run. Gorgonia's
// TapeMachine is available with UseTapeMachine, as an independent reference (slow, and
// quadratic to compile). No gorgonia panic escapes: it becomes an error naming the node.
//
// A graph has one open Program at a time. Compile freezes the Builder (graph.Builder.Freeze)
// until Program.Close: compiling the graph again, or adding nodes to it, is an error, since two
// Programs on one graph would share its input tensors and the state fused ops keep between
// forward and backward pass. For a second Program, build a second graph on the same
// graph.ParamSet, as train.Trainer does for every batch shape.
//
// Run refuses to run while an input it reads was never Set (a value once set stays for later
// runs). With CheckFinite, every Run checks the parameters, every computed value in execution
// order and the accumulated gradients, and fails with an error naming the first value that is
// NaN or infinite, with its node, operation, shape, scope and position.
package vm
