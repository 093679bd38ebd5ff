package layers_test

import (
	"fmt"
	"log"
	"math/rand"
	"strings"

	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train"
	"github.com/lstm97/lstm97/train/criteria"
)

// Example trains the paper's adding network (Experiment 4) for a few thousand sequences with
// the paper's protocol: on-line plain gradient descent on the paper's error.
func Example() {
	net := layers.NetConfig{
		LSTM: layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 2, // 2 blocks of 2 cells
			InputGateBias: []float64{-3, -6}},
		Output: output.Config{Units: 1, Bias: true},
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
			sum += criteria.SeqErrors(batch, r)[0].SqErr
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
// the second reading the first's cell outputs, and a head written with builder ops. The
// README's tour quotes its body.
func ExampleCell_Sequence() {
	check := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	const T, B = 10, 4                           // steps, sequences
	b := graph.NewBuilder(graph.Config{Seed: 1}) // sticky errors, unique names, seeded init
	lower, err := layers.NewCell(b, layers.Config{Name: "lstm0", Inputs: 3, NumBlocks: 2, CellsPerBlock: 2})
	check(err)
	upper, err := layers.NewCell(b, layers.Config{Name: "lstm1", Inputs: 4, NumBlocks: 1, CellsPerBlock: 1})
	check(err)
	x := b.Input("x", T*B, 3)                    // row t·B+b is step t of sequence b
	h := upper.Sequence(lower.Sequence(x, T), T) // two stacked LSTMs, one graph node each
	w := b.Param("head/w", []int{1, 1}, graph.Uniform(0.1))
	loss := b.Sum(b.Square(b.MatMul(h, w)))       // your own head and loss
	prog, err := vm.Compile(b, loss, vm.Watch(h)) // compile once ...
	check(err)
	defer prog.Close()
	xs := make([]float64, T*B*3)
	for i := range xs {
		xs[i] = float64(i%7) / 7
	}
	check(prog.Set(x, xs)) // ... run many times
	check(prog.Run())
	params, err := prog.Params() // values and gradients, by name
	check(err)
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

// Example_composeAndTrain trains a model of one's own, two stacked LSTM layers under a logistic
// head with a masked squared error, on the adding problem: a graph.ModelFunc builds the model
// for any batch shape, train.Trainer compiles it once per shape and trains it with plain
// gradient descent until the paper's ST3 criterion is met. The README's tour quotes its body.
func Example_composeAndTrain() {
	check := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	model := func(b *graph.Builder, s graph.Shape) (*graph.Model, error) {
		lower, err := layers.NewCell(b, layers.Config{Name: "lstm0", Inputs: s.In, NumBlocks: 2, CellsPerBlock: 2,
			InputGateBias: []float64{-1, -2}})
		if err != nil {
			return nil, err
		}
		upper, err := layers.NewCell(b, layers.Config{Name: "lstm1", Inputs: 4, NumBlocks: 2, CellsPerBlock: 1})
		if err != nil {
			return nil, err
		}
		x := b.Input("x", s.T*s.B, s.In)
		h := upper.Sequence(lower.Sequence(x, s.T), s.T) // [T·B, 2]
		w := b.Param("head/w", []int{2, s.Out}, graph.Uniform(0.1))
		c := b.Param("head/c", []int{1, s.Out}, graph.Uniform(0.1))
		y := b.Sigmoid(b.AddBias(b.MatMul(h, w), c))
		target, mask := b.Input("target", s.T*s.B, s.Out), b.Input("mask", s.T*s.B, s.Out) // mask: 1 at target steps
		loss := b.Scale(b.Sum(b.Mul(mask, b.Square(b.Sub(target, y)))), 0.5/float64(s.B))
		return &graph.Model{Packed: true, Inputs: []*G.Node{x}, Outputs: []*G.Node{y}, Targets: []*G.Node{target},
			Mask: mask, Loss: loss}, b.Err()
	}
	sgd, err := optim.NewSGD(0.5, optim.Clip{})
	check(err)
	tr, err := train.NewTrainer(train.TrainerConfig{Model: model, Optimizer: sgd, Seed: 1})
	check(err)
	defer tr.Close()
	rng, task := rand.New(datasets.NewSource(2)), datasets.Adding{T: 10}
	source := train.SourceFunc(func() (train.Batch, error) {
		seq, err := task.Sample(rng)
		if err != nil {
			return train.Batch{}, err
		}
		return train.Stack(seq)
	})
	st3, err := criteria.NewST3(0.01, 0.04, 500, criteria.MeanSquared) // ST3(0.01) over 500 sequences
	check(err)
	seen, err := tr.Run(source, 200_000, st3.Hook()) // a hook after every step
	check(err)
	fmt.Println("weights:", tr.Params().NumWeights())
	fmt.Println("ST3 met:", st3.Met(), "within 200,000 sequences:", seen < 200_000)
	// Output:
	// weights: 157
	// ST3 met: true within 200,000 sequences: true
}

// Example_symbols feeds one-hot coded inputs as symbol indices (train.Batch.Symbols): the
// sequence of Exp. 2c at q = p = 1000 is 1,013 numbers instead of 1,013 rows of 1,004, and the
// network computes the same outputs as from the rows.
func Example_symbols() {
	net := layers.NetConfig{
		LSTM:   layers.Config{Inputs: 1004, NumBlocks: 2, CellsPerBlock: 1, Biases: layers.BiasNone, InitRange: 0.2},
		Output: output.Config{Units: 2, InitRange: 0.2},
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

// ExampleCell_SequenceWith runs a batch of sequences of different lengths padded to the
// longest: the steps after a sequence's length are padding, which is not read, costs nothing
// and gives outputs 0; the final state is each sequence's state after its own last step.
func ExampleCell_SequenceWith() {
	check := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	const T, B = 4, 3 // the longest sequence, the batch
	b := graph.NewBuilder(graph.Config{Seed: 1})
	cell, err := layers.NewCell(b, layers.Config{Inputs: 1, NumBlocks: 1, CellsPerBlock: 1, InitRange: 1})
	check(err)
	x := b.Input("x", T*B, 1)           // row t·B+b is step t of sequence b
	lengths := b.Input("lengths", B, 1) // steps of each sequence
	seq := cell.SequenceWith(x, T, layers.SeqOptions{Lengths: lengths, Final: true})
	prog, err := vm.Compile(b, nil, vm.ForwardOnly(), vm.Watch(seq.Cells, seq.FinalS))
	check(err)
	defer prog.Close()
	check(prog.Set(x, []float64{
		1, 1, 1, // step 0 of the three sequences
		-1, 1, 1,
		1, 0, 1, // sequence 1 has ended: padding
		1, 0, 0, // sequences 1 and 2 have ended
	}))
	check(prog.Set(lengths, []float64{4, 2, 3}))
	check(prog.Run())
	y, err := prog.Value(seq.Cells) // [T·B, 1]
	check(err)
	s, err := prog.Value(seq.FinalS) // [B, 1]
	check(err)
	for i := 0; i < B; i++ {
		fmt.Printf("sequence %d: y^c %.4f %.4f %.4f %.4f, final s %.4f\n", i, y[i], y[B+i], y[2*B+i], y[3*B+i], s[i])
	}
	// Output:
	// sequence 0: y^c 0.0060 -0.0027 0.0027 0.0113, final s 0.0661
	// sequence 1: y^c 0.0060 0.0142 0.0000 0.0000, final s 0.0865
	// sequence 2: y^c 0.0060 0.0142 0.0245 0.0000, final s 0.1379
}

// ExampleCell_SequenceWith_stream processes a stream in chunks of 4 steps, the last chunk 2
// steps long (Lengths), carrying the state from chunk to chunk (FinalS and FinalY into InitS
// and InitY of the next run of the same program): the outputs are bit for bit those of the
// whole stream at once.
func ExampleCell_SequenceWith_stream() {
	check := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	stream := []float64{1, -1, 0.5, 0, 1, 1, -0.5, 0, 1, -1} // 10 steps of 1 input
	ps := graph.NewParamSet()                                // the weights, shared by both programs
	// build compiles the layer over T steps of one sequence, with an initial state if init.
	build := func(T int, init bool) (*vm.Program, *G.Node, *G.Node, layers.SeqOptions, layers.SeqResult) {
		b := graph.NewBuilder(graph.Config{Seed: 1, Params: ps})
		cell, err := layers.NewCell(b, layers.Config{Inputs: 1, NumBlocks: 2, CellsPerBlock: 1, InitRange: 1})
		check(err)
		x, lengths := b.Input("x", T, 1), b.Input("lengths", 1, 1)
		opt := layers.SeqOptions{Lengths: lengths, Final: true}
		if init {
			opt.InitS = b.Input("init_s", 1, cell.Config().NumCells())
			opt.InitY = b.Input("init_y", 1, cell.Config().NumSources())
		}
		seq := cell.SequenceWith(x, T, opt)
		prog, err := vm.Compile(b, nil, vm.ForwardOnly(), vm.Watch(seq.Cells, seq.FinalS, seq.FinalY))
		check(err)
		return prog, x, lengths, opt, seq
	}
	whole, x, lengths, _, seq := build(len(stream), false)
	defer whole.Close()
	check(whole.Set(x, stream))
	check(whole.Set(lengths, []float64{10}))
	check(whole.Run())
	want, err := whole.Value(seq.Cells) // [10, 2]
	check(err)

	chunks, x, lengths, opt, seq := build(4, true)
	defer chunks.Close()
	var got []float64
	s, y := make([]float64, 2), make([]float64, 6) // the reset state of 2 cells, 2 in and 2 out gates
	for from := 0; from < len(stream); from += 4 {
		n := min(4, len(stream)-from)
		chunk := make([]float64, 4) // padded to 4 steps
		copy(chunk, stream[from:from+n])
		check(chunks.Set(x, chunk))
		check(chunks.Set(lengths, []float64{float64(n)}))
		check(chunks.Set(opt.InitS, s))
		check(chunks.Set(opt.InitY, y))
		check(chunks.Run())
		out, err := chunks.Value(seq.Cells)
		check(err)
		got = append(got, out[:2*n]...)
		s, err = chunks.Value(seq.FinalS)
		check(err)
		y, err = chunks.Value(seq.FinalY)
		check(err)
		fmt.Printf("steps %d-%d: last y^c %.4f %.4f, s %.4f %.4f\n", from, from+n-1, out[2*n-2], out[2*n-1], s[0], s[1])
	}
	fmt.Println("the same as the whole stream:", fmt.Sprint(got) == fmt.Sprint(want))
	// Output:
	// steps 0-3: last y^c -0.2722 -0.0882, s -2.2466 -0.4849
	// steps 4-7: last y^c -0.2779 -0.1581, s -4.8353 -0.8264
	// steps 8-9: last y^c -0.4822 -0.2085, s -6.2994 -1.3287
	// the same as the whole stream: true
}

// ExampleConfig_forgetGate builds a layer with the later variants of the memory cell: a forget
// gate per block (Gers, Schmidhuber & Cummins 2000), initialised open with the positive biases
// +1 and +2, and peephole connections (Gers, Schraudolph & Schmidhuber 2002). It lists the
// parameters the variants add and runs the layer over a sequence of 6 steps.
func ExampleConfig_forgetGate() {
	check := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	const T = 6
	b := graph.NewBuilder(graph.Config{Seed: 1})
	cell, err := layers.NewCell(b, layers.Config{Inputs: 1, NumBlocks: 2, CellsPerBlock: 1, InitRange: 0.5,
		ForgetGate: true, ForgetGateBias: []float64{1, 2}, Peepholes: true})
	check(err)
	for _, p := range cell.Params() {
		if name := p.Name(); strings.HasPrefix(name, "lstm/forget_gate/") || strings.HasSuffix(name, "/peep") {
			fmt.Println(name, p.Shape())
		}
	}
	fmt.Println("hidden units:", cell.Config().NumUnits(), "weights:", cell.NumWeights())
	x := b.Input("x", T, 1) // one sequence of T steps
	y := cell.Sequence(x, T)
	prog, err := vm.Compile(b, nil, vm.ForwardOnly(), vm.Watch(y))
	check(err)
	defer prog.Close()
	check(prog.Set(x, []float64{1, 1, 0, 0, -1, 0}))
	check(prog.Run())
	out, err := prog.Value(y) // [T, 2]
	check(err)
	for t := 0; t < T; t++ {
		fmt.Printf("t=%d y^c %.4f %.4f\n", t, out[2*t], out[2*t+1])
	}
	// Output:
	// lstm/in_gate/peep (1, 2)
	// lstm/out_gate/peep (1, 2)
	// lstm/forget_gate/wx (1, 2)
	// lstm/forget_gate/wh (8, 2)
	// lstm/forget_gate/b (1, 2)
	// lstm/forget_gate/peep (1, 2)
	// hidden units: 8 weights: 86
	// t=0 y^c 0.0418 0.0168
	// t=1 y^c -0.0713 0.0047
	// t=2 y^c -0.1712 -0.0180
	// t=3 y^c -0.2592 -0.0394
	// t=4 y^c -0.3371 -0.0853
	// t=5 y^c -0.3869 -0.0877
}
