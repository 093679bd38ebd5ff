package train_test

import (
	"fmt"
	"log"

	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/optim"

	"github.com/lstm97/lstm97/train"
)

// ExampleStack_lengths trains on sequences of different lengths, each with its target at its
// own last step: the sum of its inputs. Stack pads them to the longest with zero rows and
// records their lengths; the trainer gives the lengths to the model (graph.Model.Lengths) and
// masks the steps without a target, and Result.Outputs has no row there (padding included).
// The model here is a running sum, y(t) = w·Σ_{s≤t} x(s) + c, whose outputs padding cannot
// change; a recurrent model uses the lengths to stop at each sequence's end.
func ExampleStack_lengths() {
	check := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	bt, err := train.Stack(
		datasets.Sequence{Inputs: [][]float64{{0.5}, {0.25}, {0.25}}, Targets: [][]float64{nil, nil, {1}}},
		datasets.Sequence{Inputs: [][]float64{{0.2}}, Targets: [][]float64{{0.2}}},
		datasets.Sequence{Inputs: [][]float64{{0.9}, {-0.3}}, Targets: [][]float64{nil, {0.6}}},
	)
	check(err)
	s, err := bt.Shape()
	check(err)
	fmt.Println("lengths:", bt.Lengths, "T:", s.T, "target steps:", s.TargetSteps)
	fmt.Println("inputs:", bt.Inputs)

	runningSum := func(b *graph.Builder, s graph.Shape) (*graph.Model, error) {
		rows := s.T * s.B
		sum := make([]float64, rows*rows) // row t·B+b adds the rows s·B+b, s ≤ t
		for r := 0; r < rows; r++ {
			for q := r % s.B; q <= r; q += s.B {
				sum[r*rows+q] = 1
			}
		}
		x := b.Input("x", rows, s.In)
		out, err := output.New(b, output.Config{Units: s.Out, Cells: s.In, Linear: true, Bias: true})
		if err != nil {
			return nil, err
		}
		m := &graph.Model{Packed: true, Inputs: []*G.Node{x}, Lengths: b.Input("lengths", s.B, 1)}
		m.Outputs = []*G.Node{out.Apply(b.MatMul(b.Fixed("sum", []int{rows, rows}, sum), x), nil)}
		m.Targets, m.Mask = []*G.Node{b.Input("target", rows, s.Out)}, b.Input("mask", rows, s.Out)
		m.Loss = output.MaskedLoss(b, m.Outputs[0], m.Targets[0], m.Mask, s.B)
		return m, b.Err()
	}
	sgd, err := optim.NewSGD(1, optim.Clip{})
	check(err)
	tr, err := train.NewTrainer(train.TrainerConfig{Model: runningSum, Optimizer: sgd, Seed: 1})
	check(err)
	defer tr.Close()
	for i := 0; i < 500; i++ {
		_, err := tr.Step(bt)
		check(err)
	}
	r, err := tr.Evaluate(bt)
	check(err)
	for k, t := range r.TargetSteps {
		fmt.Printf("step %d:", t)
		for b, y := range r.Outputs[k] {
			if y == nil {
				fmt.Printf(" seq %d -", b)
			} else {
				fmt.Printf(" seq %d %.3f", b, y[0])
			}
		}
		fmt.Println()
	}
	// Output:
	// lengths: [3 1 2] T: 3 target steps: [0 1 2]
	// inputs: [[[0.5] [0.2] [0.9]] [[0.25] [0] [-0.3]] [[0.25] [0] [0]]]
	// step 0: seq 0 - seq 1 0.200 seq 2 -
	// step 1: seq 0 - seq 1 - seq 2 0.600
	// step 2: seq 0 1.000 seq 1 - seq 2 -
}
