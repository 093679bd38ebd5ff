// Package loss holds the losses of research heads: the mean squared error (MSE) and the softmax
// cross-entropy of class labels (SoftmaxCrossEntropy), both masked for the packed layout of
// graph.Model (row t·B+b is step t of sequence b; the mask is 1 at the rows that have a target).
//
// The paper's own error, ½ Σ (target − y)² summed over the target steps and averaged over the
// batch (Hochreiter & Schmidhuber 1997, eq. 16, with which plain SGD gives the updates of eqs.
// 19-28), is defined once, in package layers/output (output.Loss, output.MaskedLoss); it is not
// repeated here.
//
// Normalisation: both losses are MEANS over the rows whose mask is 1 (weighted means for other
// non-negative mask values), so their size does not depend on the batch, the sequence length
// or how many steps have targets. SoftmaxCrossEntropy is then the mean negative log-likelihood
// in nats per target symbol, and loss/ln 2 is bits per symbol (bits per character for a
// character model). MSE also averages over the output width (the mean over masked values). A
// mask that is 0 everywhere gives a loss of 0 and zero gradients, never NaN: a batch without
// targets contributes nothing.
//
// Each loss is one fused graph node (forward and gradient in plain loops, float64 and float32,
// the gradient through graph/fusedop.FlatGrad). Neither is differentiated with respect to its
// mask, nor SoftmaxCrossEntropy with respect to its labels.
package loss
