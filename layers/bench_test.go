package layers_test

import (
	"math/rand"
	"testing"

	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/internal/benchnets"
	"github.com/lstm97/lstm97/internal/testnets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train"
)

// addingNet is the paper's adding network (Table 10 row 4-1, 93 weights).
func addingNet(unrolled bool) layers.NetConfig {
	return layers.NetConfig{
		LSTM:     layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 2, InputGateBias: []float64{-3, -6}},
		Output:   output.Config{Units: 1, Bias: true},
		Unrolled: unrolled,
	}
}

func addingBatch(b *testing.B, T, B int) train.Batch {
	rng := rand.New(rand.NewSource(1))
	seqs := make([]datasets.Sequence, B)
	for i := range seqs {
		q, err := datasets.Adding{T: T}.SampleLength(rng, T)
		if err != nil {
			b.Fatal(err)
		}
		seqs[i] = datasets.Sequence(q)
	}
	bt, err := train.Stack(seqs...)
	if err != nil {
		b.Fatal(err)
	}
	return bt
}

// benchTrain measures one training step (forward, backward, SGD update) on a batch of B
// sequences of length T, the program compiled outside the timer.
func benchTrain(b *testing.B, T, B int, unrolled bool) { benchTrainNet(b, T, B, addingNet(unrolled)) }

// benchTrainNet is benchTrain for any net of the adding problem's inputs and outputs.
func benchTrainNet(b *testing.B, T, B int, net layers.NetConfig) {
	opt, err := optim.NewSGD(0.5, optim.Clip{})
	if err != nil {
		b.Fatal(err)
	}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(net), Optimizer: opt, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	testnets.BenchSteps(b, tr, addingBatch(b, T, B))
}

func BenchmarkTrainT100B1(b *testing.B)          { benchTrain(b, 100, 1, false) }
func BenchmarkTrainT1000B1(b *testing.B)         { benchTrain(b, 1000, 1, false) }
func BenchmarkTrainT100B32(b *testing.B)         { benchTrain(b, 100, 32, false) }
func BenchmarkTrainT100B1Unrolled(b *testing.B)  { benchTrain(b, 100, 1, true) }
func BenchmarkTrainT100B32Unrolled(b *testing.B) { benchTrain(b, 100, 32, true) }

// BenchmarkTrainT100B1ForgetGatePeepholes is BenchmarkTrainT100B1 with a forget gate per
// block and peepholes (Config.ForgetGate, Config.Peepholes): 4 more units' worth of weights.
func BenchmarkTrainT100B1ForgetGatePeepholes(b *testing.B) {
	net := addingNet(false)
	net.LSTM.ForgetGate, net.LSTM.Peepholes, net.LSTM.ForgetGateBias = true, true, []float64{1, 2}
	benchTrainNet(b, 100, 1, net)
}

// benchCompile measures building and compiling the training program for one batch shape.
func benchCompile(b *testing.B, T int, unrolled bool) {
	bt := addingBatch(b, T, 1)
	s, err := bt.Shape()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		gb := graph.NewBuilder(graph.Config{Seed: 1})
		m, err := layers.BuildNet(gb, addingNet(unrolled), s)
		if err != nil {
			b.Fatal(err)
		}
		p, err := vm.Compile(gb, m.Loss, vm.Watch(m.Outputs...))
		if err != nil {
			b.Fatal(err)
		}
		p.Close()
	}
}

func BenchmarkCompileT100(b *testing.B)          { benchCompile(b, 100, false) }
func BenchmarkCompileT1000(b *testing.B)         { benchCompile(b, 1000, false) }
func BenchmarkCompileT100Unrolled(b *testing.B)  { benchCompile(b, 100, true) }
func BenchmarkCompileT1000Unrolled(b *testing.B) { benchCompile(b, 1000, true) }

// BenchmarkEvalT100B1 measures forward-only evaluation of one sequence.
func BenchmarkEvalT100B1(b *testing.B) {
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(addingNet(false)), Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	bt := addingBatch(b, 100, 1)
	if _, err := tr.Evaluate(bt); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, err := tr.Evaluate(bt); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "seq/s")
}

// benchTask measures a training loop as the paper's examples run it: draw a sequence of the
// task, train on it (plain SGD at rate lr). The programs for the first 300 sequences' lengths
// are compiled outside the timer.
func benchTask(b *testing.B, cfg layers.NetConfig, lr float64, sample func(*rand.Rand) (datasets.Example, error)) {
	opt, err := optim.NewSGD(lr, optim.Clip{})
	if err != nil {
		b.Fatal(err)
	}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(cfg), Optimizer: opt, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	rng := rand.New(rand.NewSource(1))
	step := func() {
		ex, err := sample(rng)
		if err != nil {
			b.Fatal(err)
		}
		bt, err := train.Stack(datasets.Sequence(ex.Sequence))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tr.Step(bt); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < 300; i++ {
		step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		step()
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "seq/s")
}

// benchVeryLongLag measures Exp. 2c at q = p = 1000 (6,064 weights, about 1,013 steps over a
// 1,004-symbol alphabet). With symbols (datasets.VeryLongLag.Symbols) the sequence reaches the
// fused LSTM as indices (Cell.SequenceOneHot); without, as one-hot rows of 1,004 values per
// step.
func benchVeryLongLag(b *testing.B, symbols bool) {
	cfg := layers.NetConfig{
		LSTM:   layers.Config{Inputs: 1004, NumBlocks: 2, CellsPerBlock: 1, Biases: layers.BiasNone, InitRange: 0.2},
		Output: output.Config{Units: 2, InitRange: 0.2},
	}
	benchTask(b, cfg, 0.01, datasets.VeryLongLag{P: 1000, Q: 1000, Symbols: symbols}.Sample)
}

func BenchmarkVeryLongLag1000Rows(b *testing.B)    { benchVeryLongLag(b, false) }
func BenchmarkVeryLongLag1000Symbols(b *testing.B) { benchVeryLongLag(b, true) }

// BenchmarkLongLag100 measures Exp. 2b at p = 100 (Table 10: 10,504 weights, one cell with an
// input gate and no output gate, the inputs feeding the 101 output units too, a target at
// every one of the 100 steps).
func BenchmarkLongLag100(b *testing.B) {
	cfg := layers.NetConfig{
		LSTM: layers.Config{Inputs: 101, NumBlocks: 1, CellsPerBlock: 1, Biases: layers.BiasNone, NoOutputGate: true,
			NoRecurrence: true, G: layers.SquashLogistic, H: layers.SquashIdentity, InitRange: 0.2},
		Output:           output.Config{Units: 101, InitRange: 0.2},
		OutputFromInputs: true,
	}
	benchTask(b, cfg, 1.0, datasets.LongLag{P: 100, Random: true}.Sample)
}

// wideBatch is benchnets.WideBatch, failing b on an error.
func wideBatch(b testing.TB, T, B int, short ...int) train.Batch {
	bt, err := benchnets.WideBatch(T, B, short...)
	if err != nil {
		b.Fatal(err)
	}
	return bt
}

// benchWide measures one training step of wideNet on 32 sequences of 50 steps, the batch split
// into replicas parts (train.TrainerConfig.Replicas; 0: whole).
func benchWide(b *testing.B, blocks int, dt tensor.Dtype, replicas int) {
	opt, err := optim.NewSGD(0.1, optim.Clip{})
	if err != nil {
		b.Fatal(err)
	}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(benchnets.Wide(blocks)), Optimizer: opt, Seed: 1, Dtype: dt, Replicas: replicas})
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	testnets.BenchSteps(b, tr, wideBatch(b, 50, 32))
}

func BenchmarkTrainBlocks64B32T50(b *testing.B)         { benchWide(b, 64, tensor.Float64, 0) }
func BenchmarkTrainBlocks256B32T50(b *testing.B)        { benchWide(b, 256, tensor.Float64, 0) }
func BenchmarkTrainBlocks64B32T50Float32(b *testing.B)  { benchWide(b, 64, tensor.Float32, 0) }
func BenchmarkTrainBlocks256B32T50Float32(b *testing.B) { benchWide(b, 256, tensor.Float32, 0) }

// The batch in 2 parts that train at once: run with -cpu 2.
func BenchmarkTrainBlocks64B32T50Replicas2(b *testing.B)  { benchWide(b, 64, tensor.Float64, 2) }
func BenchmarkTrainBlocks256B32T50Replicas2(b *testing.B) { benchWide(b, 256, tensor.Float64, 2) }
