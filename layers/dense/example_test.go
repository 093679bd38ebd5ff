package dense_test

import (
	"fmt"
	"math/rand"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/layers/dense"
)

// ExampleEmbedding looks up symbols 2, 0, 2 in a 3-symbol table of width 2. The gradient of
// Σ y reaches the table rows that were read, row 2 twice. An index out of range fails the run
// (the error, whose cause is printed, names the layer and the node as well).
func ExampleEmbedding() {
	b := graph.NewBuilder(graph.Config{Seed: 1})
	sym := b.Input("sym", 3, 1)
	e, err := dense.NewEmbedding(b, dense.EmbeddingConfig{Name: "emb", Vocab: 3, Dim: 2})
	if err != nil {
		panic(err)
	}
	if err := b.ParamSet().SetFloat64s("emb/table", []float64{0, 1, 10, 11, 20, 21}); err != nil {
		panic(err)
	}
	y := e.Apply(sym, 0)
	prog, err := vm.Compile(b, b.Sum(y), vm.Watch(y))
	if err != nil {
		panic(err)
	}
	defer prog.Close()
	if err := prog.Set(sym, []float64{2, 0, 2}); err != nil {
		panic(err)
	}
	if err := prog.Run(); err != nil {
		panic(err)
	}
	v, err := prog.Value(y)
	if err != nil {
		panic(err)
	}
	ps, err := prog.Params()
	if err != nil {
		panic(err)
	}
	fmt.Println("y:", v)
	fmt.Println("∂Σy/∂table:", ps[0].Grad.Data())
	if err := prog.Set(sym, []float64{0, 3, 1}); err != nil {
		panic(err)
	}
	fmt.Println("bad index:", errors.Cause(prog.Run()))
	// Output:
	// y: [20 21 0 1 20 21]
	// ∂Σy/∂table: [1 1 0 0 2 2]
	// bad index: row 1 has index 3, want an integer in [0, 3)
}

// ExampleDropout drops half of a row of ones on each run, scaling the kept values by 2; the
// same seed gives the same masks. A builder for evaluation gives the input unchanged.
func ExampleDropout() {
	for _, eval := range []bool{false, true} {
		b := graph.NewBuilder(graph.Config{Eval: eval})
		x := b.Input("x", 1, 8)
		y := dense.Dropout(b, x, 0.5, rand.New(rand.NewSource(1)))
		prog, err := vm.Compile(b, nil, vm.ForwardOnly(), vm.Watch(y))
		if err != nil {
			panic(err)
		}
		if err := prog.Set(x, []float64{1, 1, 1, 1, 1, 1, 1, 1}); err != nil {
			panic(err)
		}
		for run := 0; run < 2; run++ {
			if err := prog.Run(); err != nil {
				panic(err)
			}
			v, err := prog.Value(y)
			if err != nil {
				panic(err)
			}
			fmt.Printf("eval=%v run %d: %v\n", eval, run, v)
		}
		prog.Close()
	}
	// Output:
	// eval=false run 0: [2 2 2 0 0 2 0 0]
	// eval=false run 1: [0 0 2 2 0 0 0 0]
	// eval=true run 0: [1 1 1 1 1 1 1 1]
	// eval=true run 1: [1 1 1 1 1 1 1 1]
}
