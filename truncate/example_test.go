package truncate_test

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/truncate"
)

// ExampleApply differentiates cost = Σ w ⊙ truncate(w). The forward pass sees w twice, but the
// gradient flows only through the untruncated factor: ∂cost/∂w = w, not 2w. This is how the
// layers package cuts the paper's truncated paths (App. A.1).
func ExampleApply() {
	g := G.NewGraph()
	w := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(3), tensor.WithBacking([]float64{1, 2, 3}))))
	tw, err := truncate.Apply(w)
	if err != nil {
		panic(err)
	}
	cost := G.Must(G.Sum(G.Must(G.HadamardProd(w, tw))))
	if _, err := G.Grad(cost, w); err != nil {
		panic(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(w))
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		panic(err)
	}
	grad, err := w.Grad()
	if err != nil {
		panic(err)
	}
	fmt.Println("cost:", cost.Value())
	fmt.Println("gradient:", grad.Data())
	fmt.Println("truncated:", truncate.Is(tw), truncate.Is(w))
	// Output:
	// cost: 14
	// gradient: [1 2 3]
	// truncated: true false
}
