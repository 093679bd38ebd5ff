package graph_test

import (
	"fmt"

	"github.com/lstm97/lstm97/graph"
)

// ExampleCompile builds loss = Σ (x·w)² with a named input and a named parameter, compiles it
// once and runs it with different inputs. Gradients (here 2·xᵀ(x·w)) add up over runs, as the
// paper's weight changes add up over the steps of a sequence, until ZeroGrads.
func ExampleCompile() {
	b := graph.NewBuilder(graph.Config{Seed: 1})
	x := b.Input("x", 1, 2)
	w := b.Param("w", []int{2, 1}, graph.Values(0.5, -1))
	loss := b.Sum(b.Square(b.MatMul(x, w)))
	prog, err := graph.Compile(b, loss)
	if err != nil {
		panic(err)
	}
	defer prog.Close()
	run := func(in []float64) {
		if err := prog.Set(x, in); err != nil {
			panic(err)
		}
		if err := prog.Run(); err != nil {
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
		fmt.Printf("x=%v loss=%g accumulated ∂loss/∂%s=%v\n", in, l, ps[0].Name, ps[0].Grad.Data())
	}
	run([]float64{1, 2})
	run([]float64{2, 0})
	if err := prog.ZeroGrads(); err != nil {
		panic(err)
	}
	run([]float64{2, 0})
	// Output:
	// x=[1 2] loss=2.25 accumulated ∂loss/∂w=[-3 -6]
	// x=[2 0] loss=1 accumulated ∂loss/∂w=[1 -6]
	// x=[2 0] loss=1 accumulated ∂loss/∂w=[4 0]
}

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
	prog, err := graph.Compile(b, loss, graph.Watch(probs))
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
