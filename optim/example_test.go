package optim_test

import (
	"fmt"

	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
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

// ExampleAdam minimises (w·x − 3)² over w with Adam on a compiled program: each run adds the
// gradient, Step updates w from its running moments, and the gradients are zeroed for the
// next run.
func ExampleAdam() {
	b := graph.NewBuilder(graph.Config{Seed: 1})
	w := b.Param("w", []int{1, 1}, graph.Values(0))
	x := b.Input("x", 1, 1)
	loss := b.Square(b.Shift(b.MatMul(x, w), -3))
	prog, err := vm.Compile(b, b.Sum(loss))
	if err != nil {
		panic(err)
	}
	defer prog.Close()
	adam, err := optim.NewAdam(0.1, optim.Clip{})
	if err != nil {
		panic(err)
	}
	if err := prog.Set(x, []float64{2}); err != nil {
		panic(err)
	}
	for step := 1; step <= 300; step++ {
		if err := prog.Run(); err != nil {
			panic(err)
		}
		ps, err := prog.Params()
		if err != nil {
			panic(err)
		}
		if err := adam.Step(ps); err != nil {
			panic(err)
		}
		if err := prog.ZeroGrads(); err != nil {
			panic(err)
		}
		if step%100 == 0 {
			l, _ := prog.Loss()
			fmt.Printf("step %d: loss %.2g\n", step, l)
		}
	}
	v, _ := b.ParamSet().Float64s("w")
	fmt.Printf("w = %.4f (the minimum is at 1.5)\n", v[0])
	// Output:
	// step 100: loss 0.00023
	// step 200: loss 7.6e-09
	// step 300: loss 5.9e-14
	// w = 1.5000 (the minimum is at 1.5)
}
