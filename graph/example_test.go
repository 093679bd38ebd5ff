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

// ExampleST3 feeds the paper's stopping criterion ST3(0.01) a synthetic error stream: a window
// of 5 sequences (the paper's is 2000) must all be within 0.04 and average below 0.01.
func ExampleST3() {
	st, err := graph.NewST3(0.01, 0.04, 5, graph.MeanSquared)
	if err != nil {
		panic(err)
	}
	for i, maxAbs := range []float64{0.2, 0.03, 0.01, 0.02, 0.01, 0.03, 0.01} {
		st.Add(graph.SeqError{MaxAbs: maxAbs, SqErr: maxAbs * maxAbs})
		fmt.Printf("sequence %d: wrong in window %d, met %v\n", i+1, st.Wrong(), st.Met())
	}
	// Output:
	// sequence 1: wrong in window 1, met false
	// sequence 2: wrong in window 1, met false
	// sequence 3: wrong in window 1, met false
	// sequence 4: wrong in window 1, met false
	// sequence 5: wrong in window 1, met false
	// sequence 6: wrong in window 0, met true
	// sequence 7: wrong in window 0, met true
}
