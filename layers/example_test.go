package layers_test

import (
	"fmt"
	"math/rand"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train"
)

// Example trains the paper's adding network (Experiment 4) for a few thousand sequences with
// the paper's protocol: on-line plain gradient descent on the paper's error.
func Example() {
	net := layers.NetConfig{
		LSTM: layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 2, // 2 blocks of 2 cells
			InputGateBias: []float64{-3, -6}},
		Output: layers.OutputConfig{Units: 1, Bias: true},
	}
	sgd, err := optim.NewSGD(0.5, optim.Clip{})
	if err != nil {
		panic(err)
	}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(net), Optimizer: sgd, Seed: 1})
	if err != nil {
		panic(err)
	}
	defer tr.Close()
	rng := rand.New(rand.NewSource(2))
	task := datasets.Adding{T: 20}
	mse := func(n int, training bool) float64 {
		sum := 0.0
		for i := 0; i < n; i++ {
			seq, err := task.Sample(rng)
			if err != nil {
				panic(err)
			}
			batch, err := train.Stack(datasets.Sequence(seq))
			if err != nil {
				panic(err)
			}
			step := tr.Evaluate
			if training {
				step = tr.Step
			}
			r, err := step(batch)
			if err != nil {
				panic(err)
			}
			sum += train.SeqErrors(batch, r)[0].SqErr
		}
		return sum / float64(n)
	}
	before := mse(500, false)
	mse(20000, true)
	after := mse(500, false)
	fmt.Println("weights:", tr.Params().NumWeights())
	fmt.Println("error reduced tenfold:", after < before/10)
	// Output:
	// weights: 93
	// error reduced tenfold: true
}

// ExampleCell_Sequence composes the LSTM with an expression of one's own: two stacked layers,
// the second reading the first's cell outputs, and a head written with builder ops.
func ExampleCell_Sequence() {
	const T, B = 10, 4
	b := graph.NewBuilder(graph.Config{Seed: 1})
	lower, err := layers.NewCell(b, layers.Config{Name: "lstm0", Inputs: 3, NumBlocks: 2, CellsPerBlock: 2})
	if err != nil {
		panic(err)
	}
	upper, err := layers.NewCell(b, layers.Config{Name: "lstm1", Inputs: 4, NumBlocks: 1, CellsPerBlock: 1})
	if err != nil {
		panic(err)
	}
	x := b.Input("x", T*B, 3) // row t·B+b is step t of sequence b
	h := upper.Sequence(lower.Sequence(x, T), T)
	w := b.Param("head/w", []int{1, 1}, graph.Uniform(0.1))
	loss := b.Sum(b.Square(b.MatMul(h, w)))
	prog, err := graph.Compile(b, loss, graph.Watch(h))
	if err != nil {
		panic(err)
	}
	defer prog.Close()
	xs := make([]float64, T*B*3)
	for i := range xs {
		xs[i] = float64(i%7) / 7
	}
	if err := prog.Set(x, xs); err != nil {
		panic(err)
	}
	if err := prog.Run(); err != nil {
		panic(err)
	}
	params, err := prog.Params()
	if err != nil {
		panic(err)
	}
	for _, p := range params[:3] {
		fmt.Println(p.Name, p.Grad.Shape())
	}
	fmt.Println(len(params), "parameters,", b.ParamSet().NumWeights(), "weights")
	// Output:
	// lstm0/cell/wx (3, 4)
	// lstm0/cell/wh (8, 4)
	// lstm0/cell/b (1, 4)
	// 19 parameters, 121 weights
}

// Example_symbols feeds one-hot coded inputs as symbol indices (train.Batch.Symbols): the
// sequence of Exp. 2c at q = p = 1000 is 1,013 numbers instead of 1,013 rows of 1,004, and the
// network computes the same outputs as from the rows.
func Example_symbols() {
	net := layers.NetConfig{
		LSTM:   layers.Config{Inputs: 1004, NumBlocks: 2, CellsPerBlock: 1, Biases: layers.BiasNone, InitRange: 0.2},
		Output: layers.OutputConfig{Units: 2, InitRange: 0.2},
	}
	output := func(symbols bool) []float64 {
		tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(net), Optimizer: &optim.SGD{LearningRate: 0.01}, Seed: 1})
		if err != nil {
			panic(err)
		}
		defer tr.Close()
		seq, err := datasets.VeryLongLag{P: 1000, Q: 1000, Symbols: symbols}.Sample(rand.New(rand.NewSource(3)))
		if err != nil {
			panic(err)
		}
		batch, err := train.Stack(datasets.Sequence(seq.Sequence))
		if err != nil {
			panic(err)
		}
		r, err := tr.Evaluate(batch)
		if err != nil {
			panic(err)
		}
		return r.Outputs[0][0]
	}
	fromSymbols, fromRows := output(true), output(false)
	fmt.Printf("outputs at the last step: %.6f\n", fromSymbols)
	fmt.Println("the same from the one-hot rows:", fmt.Sprint(fromSymbols) == fmt.Sprint(fromRows))
	// Output:
	// outputs at the last step: [0.488954 0.482890]
	// the same from the one-hot rows: true
}
