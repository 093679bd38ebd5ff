// Package dense holds the plain feed-forward layers that research heads put around the 1997
// LSTM: a fully connected layer with an activation (Layer, y = act(x·W + b)), an embedding of
// symbol indices (Embedding, the one-hot input path of layers.Cell.SequenceOneHot as a lookup
// table), and inverted dropout (Dropout). They are not part of Hochreiter & Schmidhuber (1997):
// the paper's own output units and error are package layers/output.
//
// Every layer is one fused graph node whose forward and backward passes are plain loops over
// buffers kept across runs (float64 and float32), with its gradient through
// graph/fusedop.FlatGrad. Shapes follow the packed layout of graph.Model: a node is
// [rows, features], row t·B+b holding step t of sequence b.
//
// Limits: the layers take matrices ([rows, features]) only; an Embedding's indices must be a
// graph input (Builder.Input); gradients are first order only.
package dense
