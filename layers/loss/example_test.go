package loss_test

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/layers/dense"
	"github.com/lstm97/lstm97/layers/loss"
)

// ExampleSoftmaxCrossEntropy trains a classifier head, embedding → dense tanh → dense logits →
// cross-entropy, to predict the next symbol of the cycle 0 → 1 → 2 → 0 in the packed layout
// (T = 3 steps, B = 2 sequences, row t·B+b), with plain SGD. The mask leaves out the last step
// of sequence 1, whose label is a placeholder 0. The loss is the mean over the 5 target rows,
// in nats; divided by ln 2 it is bits per symbol (log2(3) = 1.585 for a uniform guess).
func ExampleSoftmaxCrossEntropy() {
	const T, B, symbols = 3, 2, 3
	b := graph.NewBuilder(graph.Config{Seed: 1})
	in := b.Input("symbols", T*B, 1)
	labels, mask := b.Input("labels", T*B, 1), b.Input("mask", T*B, 1)
	emb, err := dense.NewEmbedding(b, dense.EmbeddingConfig{Vocab: symbols, Dim: 4, InitRange: 1})
	if err != nil {
		panic(err)
	}
	hidden, err := dense.New(b, dense.Config{Name: "hidden", In: 4, Out: 8, Activation: dense.Tanh})
	if err != nil {
		panic(err)
	}
	logits, err := dense.New(b, dense.Config{Name: "logits", In: 8, Out: symbols})
	if err != nil {
		panic(err)
	}
	ce := loss.SoftmaxCrossEntropy(b, logits.Apply(hidden.Apply(emb.Apply(in, B))), labels, mask)
	prog, err := vm.Compile(b, ce)
	if err != nil {
		panic(err)
	}
	defer prog.Close()
	// sequence 0: 0 1 2, sequence 1: 1 2 0
	for _, set := range []struct {
		node *G.Node
		vals []float64
	}{
		{in, []float64{0, 1, 1, 2, 2, 0}},
		{labels, []float64{1, 2, 2, 0, 0, 0}},
		{mask, []float64{1, 1, 1, 1, 1, 0}},
	} {
		if err := prog.Set(set.node, set.vals); err != nil {
			panic(err)
		}
	}
	for step := 0; step <= 60; step++ {
		if err := prog.Run(); err != nil {
			panic(err)
		}
		l, err := prog.Loss()
		if err != nil {
			panic(err)
		}
		if step%20 == 0 {
			fmt.Printf("step %2d: %.4f nats = %.4f bits per symbol\n", step, l, l/math.Ln2)
		}
		ps, err := prog.Params()
		if err != nil {
			panic(err)
		}
		for _, p := range ps {
			w, g := p.Value.Data().([]float64), p.Grad.Data().([]float64)
			for i := range w {
				w[i] -= 0.5 * g[i]
			}
		}
		if err := prog.ZeroGrads(); err != nil {
			panic(err)
		}
	}
	// Output:
	// step  0: 1.0822 nats = 1.5613 bits per symbol
	// step 20: 0.0419 nats = 0.0605 bits per symbol
	// step 40: 0.0164 nats = 0.0237 bits per symbol
	// step 60: 0.0100 nats = 0.0144 bits per symbol
}
