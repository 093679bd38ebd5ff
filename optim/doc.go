// Package optim holds optimizers that satisfy train.Optimizer: plain SGD with the paper's
// semantics, momentum and Adam, each with optional gradient clipping; and two wrappers around
// any of them: Meter records the gradient norm of every update (for learning curves), Hold keeps
// named parameters out of training until released (the paper's sequential construction).
//
// The paper (Sec. 5) trains on-line with plain gradient descent: Δw = -α ∂E/∂w after every
// sequence, with E the paper's error (output.Loss). SGD does exactly that and nothing else: no
// averaging, no decay. With output.Loss (a mean over the batch) and batch 1 this is the paper's
// rule.
//
// Every Step checks before it changes anything: a value or a gradient that is NaN or infinite,
// or an update that would make a value so, is refused with an error naming the parameter and
// the index, and the parameters and the optimizer's state stay as they were (the last good
// state). Clipping applies to the update; the gradient tensors are left as they are.
//
// Gorgonia's own solvers are not used: several are broken in v0.9.18 (AdamW never updates,
// AdaGrad ignores its options, RMSProp's first step is ~31x the learning rate), and their state
// is kept by slice position. These optimizers keep their state by parameter name, so the same
// parameter coming from programs compiled for different sequence lengths shares its state.
package optim
