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
