package graph_test

import (
	"fmt"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
)

// ExampleBuilder_Softmax builds a softmax classifier head: class probabilities with Softmax
// for prediction, and the mean cross-entropy with LogSoftmax (never Log of Softmax, which
// underflows and which gorgonia rewrites) for training.
func ExampleBuilder_Softmax() {
	b := graph.NewBuilder(graph.Config{})
	h := b.Input("h", 2, 2)           // features of two rows
	target := b.Input("target", 2, 3) // their classes, one-hot
	w := b.Param("head/w", []int{2, 3}, graph.Values(1, 0, -1, 0.5, 0.5, 0))
	logits := b.MatMul(h, w)
	probs := b.Softmax(logits)
	// Cross-entropy -Σ target⊙log p, averaged over the 2 rows.
	loss := b.Scale(b.Sum(b.Mul(b.LogSoftmax(logits), target)), -0.5)
	if err := b.Err(); err != nil {
		panic(err)
	}
	prog, err := vm.Compile(b, loss, vm.Watch(probs))
	if err != nil {
		panic(err)
	}
	defer prog.Close()
	if err := prog.Set(h, []float64{1, 0, 0, 2}); err != nil {
		panic(err)
	}
	if err := prog.Set(target, []float64{1, 0, 0, 0, 0, 1}); err != nil {
		panic(err)
	}
	if err := prog.Run(); err != nil {
		panic(err)
	}
	p, err := prog.Value(probs)
	if err != nil {
		panic(err)
	}
	l, err := prog.Loss()
	if err != nil {
		panic(err)
	}
	ps, err := prog.Params()
	if err != nil {
		panic(err)
	}
	fmt.Printf("p(row 0) = %.3f\np(row 1) = %.3f\n", p[:3], p[3:])
	fmt.Printf("loss = %.4f\n∂loss/∂%s = %.3f\n", l, ps[0].Name, ps[0].Grad.Data())
	// Output:
	// p(row 0) = [0.665 0.245 0.090]
	// p(row 1) = [0.422 0.422 0.155]
	// loss = 1.1348
	// ∂loss/∂head/w = [-0.167 0.122 0.045 0.422 0.422 -0.845]
}
