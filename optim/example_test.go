package optim_test

import (
	"fmt"

	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/optim"
)

// ExampleSGD applies the paper's update w ← w − α·g (eqs. 17 and 22) once, with and without
// rescaling the gradient to a global L2 norm of at most 1 (a diagnostic; the paper does not clip).
func ExampleSGD() {
	step := func(clip optim.Clip) []float64 {
		p := vm.Param{Name: "w",
			Value: tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{1, 1})),
			Grad:  tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{3, 4}))} // norm 5
		sgd, err := optim.NewSGD(0.5, clip)
		if err != nil {
			panic(err)
		}
		if err := sgd.Step([]vm.Param{p}); err != nil {
			panic(err)
		}
		return p.Value.Data().([]float64)
	}
	fmt.Printf("plain:   %.2f\n", step(optim.Clip{}))
	fmt.Printf("clipped: %.2f\n", step(optim.Clip{Norm: 1}))
	_, err := optim.NewSGD(-0.5, optim.Clip{})
	fmt.Println(err)
	// Output:
	// plain:   [-0.50 -1.00]
	// clipped: [0.70 0.60]
	// optim: SGD learning rate must be finite and > 0, got -0.5
}
