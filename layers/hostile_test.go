package layers_test

import (
	"math"
	"math/rand"
	"strings"
	"sync"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/internal/testnets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/train"
)

// TestMalformedCalls drives the public API with malformed arguments: each call must return (or
// record) an error saying what is wrong, and no panic may escape.
func TestMalformedCalls(t *testing.T) {
	cfg := layers.Config{Name: "lstm0", Inputs: 2, NumBlocks: 2, CellsPerBlock: 2}
	type setup struct {
		b    *graph.Builder
		cell *layers.Cell
		out  *output.Layer
	}
	fresh := func(t *testing.T) setup {
		b := graph.NewBuilder(graph.Config{})
		cell, err := layers.NewCell(b, cfg)
		if err != nil {
			t.Fatal(err)
		}
		out, err := output.New(b, output.Config{Units: 1, Cells: 4, Inputs: 2})
		if err != nil {
			t.Fatal(err)
		}
		return setup{b, cell, out}
	}
	for _, tc := range []struct {
		name string
		call func(s setup) error
		want string
	}{
		{"step: nil input", func(s setup) error { s.cell.Step(nil, layers.State{}, 3); return s.b.Err() }, `step 3: nil input`},
		{"step: wrong width", func(s setup) error { s.cell.Step(s.b.Input("x", 1, 3), layers.State{}, 0); return s.b.Err() }, `has shape (1, 3), want [batch, 2]`},
		{"step: vector input", func(s setup) error { s.cell.Step(s.b.Input("x", 2), layers.State{}, 0); return s.b.Err() }, `want [batch, 2]`},
		{"step: batch differs from the state's", func(s setup) error {
			st := s.cell.Step(s.b.Input("x0", 2, 2), layers.State{}, 0)
			s.cell.Step(s.b.Input("x1", 1, 2), st, 1)
			return s.b.Err()
		}, `previous state has batch`},
		{"step: float32 input into a float64 layer", func(s setup) error {
			x := G.NewMatrix(s.b.Graph(), tensor.Float32, G.WithShape(1, 2), G.WithName("x32"))
			s.cell.Step(x, layers.State{}, 0)
			return s.b.Err()
		}, `matmul`},
		{"step: input from another graph", func(s setup) error {
			other := graph.NewBuilder(graph.Config{})
			s.cell.Step(other.Input("x", 1, 2), layers.State{}, 0)
			return s.b.Err()
		}, `belongs to another graph`},
		{"unroll: empty sequence", func(s setup) error { s.cell.Unroll(nil); return s.b.Err() }, `sequence of length 0`},
		{"unroll: a nil step", func(s setup) error { s.cell.Unroll([]*G.Node{s.b.Input("x", 1, 2), nil}); return s.b.Err() }, `step 1: nil input`},
		{"sequence: nil", func(s setup) error { s.cell.Sequence(nil, 3); return s.b.Err() }, `nil sequence input`},
		{"sequence: T = 0", func(s setup) error { s.cell.Sequence(s.b.Input("x", 6, 2), 0); return s.b.Err() }, `with T=0`},
		{"sequence: rows not a multiple of T", func(s setup) error { s.cell.Sequence(s.b.Input("x", 7, 2), 3); return s.b.Err() }, `has shape (7, 2), want [T·batch, 2] with T=3`},
		{"sequence: wrong width", func(s setup) error { s.cell.Sequence(s.b.Input("x", 6, 5), 3); return s.b.Err() }, `want [T·batch, 2]`},
		{"output: nil cells", func(s setup) error { s.out.Apply(nil, nil); return s.b.Err() }, `nil cell outputs`},
		{"output: wrong cell width", func(s setup) error { s.out.Apply(s.b.Input("h", 3, 5), s.b.Input("x", 3, 2)); return s.b.Err() }, `want [rows, 4]`},
		{"output: connectivity B without inputs", func(s setup) error { s.out.Apply(s.b.Input("h", 3, 4), nil); return s.b.Err() }, `needs the inputs x(t)`},
		{"output: inputs with other rows", func(s setup) error { s.out.Apply(s.b.Input("h", 3, 4), s.b.Input("x", 2, 2)); return s.b.Err() }, `want [3, 2]`},
		{"loss: no pairs", func(s setup) error { output.Loss(s.b, nil, nil); return s.b.Err() }, `0 outputs and 0 targets`},
		{"loss: mismatched counts", func(s setup) error {
			output.Loss(s.b, []*G.Node{s.b.Input("y", 1, 1)}, nil)
			return s.b.Err()
		}, `1 outputs and 0 targets`},
		{"loss: nil target", func(s setup) error {
			output.Loss(s.b, []*G.Node{s.b.Input("y", 1, 1)}, []*G.Node{nil})
			return s.b.Err()
		}, `pair 0 has a nil node`},
		{"loss: shapes differ", func(s setup) error {
			output.Loss(s.b, []*G.Node{s.b.Input("y", 2, 1)}, []*G.Node{s.b.Input("t", 1, 1)})
			return s.b.Err()
		}, `differ in shape`},
		{"masked loss: shapes differ", func(s setup) error {
			output.MaskedLoss(s.b, s.b.Input("y", 4, 1), s.b.Input("t", 4, 1), s.b.Input("m", 2, 1), 1)
			return s.b.Err()
		}, `differ in shape`},
		{"masked loss: batch 0", func(s setup) error {
			output.MaskedLoss(s.b, s.b.Input("y", 4, 1), s.b.Input("t", 4, 1), s.b.Input("m", 4, 1), 0)
			return s.b.Err()
		}, `batch 0`},
		{"new cell: nil builder", func(s setup) error { _, err := layers.NewCell(nil, cfg); return err }, `nil builder`},
		{"new output: zero units", func(s setup) error { _, err := output.New(s.b, output.Config{Cells: 4}); return err }, `Units must be > 0`},
		{"net: inputs of another width", func(s setup) error {
			_, err := layers.BuildNet(graph.NewBuilder(graph.Config{}), layers.NetConfig{LSTM: cfg, Output: output.Config{Units: 1}},
				graph.Shape{T: 3, B: 1, In: 3, Out: 1, TargetSteps: []int{2}})
			return err
		}, `batch has 3 inputs per step`},
		{"net: target step outside the sequence", func(s setup) error {
			_, err := layers.BuildNet(graph.NewBuilder(graph.Config{}), layers.NetConfig{LSTM: cfg, Output: output.Config{Units: 1}, Unrolled: true},
				graph.Shape{T: 3, B: 1, In: 2, Out: 1, TargetSteps: []int{5}})
			return err
		}, `target step 5 outside [0,3)`},
		{"net: zero steps", func(s setup) error {
			_, err := layers.BuildNet(graph.NewBuilder(graph.Config{}), layers.NetConfig{LSTM: cfg, Output: output.Config{Units: 1}},
				graph.Shape{T: 0, B: 1, In: 2, Out: 1})
			return err
		}, `invalid shape T=0`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(fresh(t))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestProgramMisuse: wrong sizes, NaN, running after Close, reading what was never computed.
func TestProgramMisuse(t *testing.T) {
	b := graph.NewBuilder(graph.Config{})
	m, err := layers.BuildNet(b, layers.NetConfig{LSTM: layers.Config{Inputs: 2, NumBlocks: 1, CellsPerBlock: 1}, Output: output.Config{Units: 1}},
		graph.Shape{T: 3, B: 2, In: 2, Out: 1, TargetSteps: []int{2}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := vm.Compile(b, m.Loss)
	if err != nil {
		t.Fatal(err)
	}
	stray := graph.NewBuilder(graph.Config{}).Input("stray", 1, 1)
	for _, tc := range []struct {
		err  error
		want string
	}{
		{p.Set(m.Inputs[0], make([]float64, 5)), "got 5 values, want 12"},
		{p.Set(m.Inputs[0], []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, math.Inf(-1)}), "value 11 is -Inf"},
		{p.Set(stray, []float64{1}), "not an input of this program"},
		{func() error { _, err := p.Value(stray); return err }(), "not computed by this program"},
		{func() error { _, err := p.Loss(); return err }(), "has not run"},
		{func() error { p.Close(); return p.Run() }(), "program is closed"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", tc.err, tc.want)
		}
	}
}

// TestParallelTrialsAreIndependent trains four networks at once on separate graphs and checks
// each against the same training run done alone. Run it with -race.
func TestParallelTrialsAreIndependent(t *testing.T) {
	train := func(seed int64) []float64 {
		opt := &testnets.CaptureOpt{}
		tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(addingNetCfg()), Optimizer: opt, Seed: seed})
		if err != nil {
			t.Error(err)
			return nil
		}
		defer tr.Close()
		rng := rand.New(rand.NewSource(seed))
		var out []float64
		for i := 0; i < 20; i++ {
			bt := testnets.Cases1997[0].Batch(rng)
			r, err := tr.Step(bt)
			if err != nil {
				t.Error(err)
				return nil
			}
			out = append(out, r.Loss)
			for _, p := range opt.Params {
				out = append(out, p.Grad.Data().([]float64)...)
			}
		}
		return out
	}
	want := make([][]float64, 4)
	for i := range want {
		want[i] = train(int64(i))
	}
	got := make([][]float64, 4)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			got[i] = train(int64(i))
		}(i)
	}
	wg.Wait()
	for i := range want {
		if len(got[i]) != len(want[i]) || len(got[i]) == 0 {
			t.Fatalf("trial %d: %d values, want %d", i, len(got[i]), len(want[i]))
		}
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Fatalf("trial %d value %d: parallel %v, alone %v", i, j, got[i][j], want[i][j])
			}
		}
	}
}

func addingNetCfg() layers.NetConfig {
	return layers.NetConfig{
		LSTM:   layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 2, InputGateBias: []float64{-3, -6}},
		Output: output.Config{Units: 1, Bias: true},
	}
}

// TestFloat32AgainstFloat64 compares float32 gradients with float64 ones on the paper's
// architectures, in both forms, and reports how far they are apart.
func TestFloat32AgainstFloat64(t *testing.T) {
	var cases []testnets.Case
	for _, c := range testnets.Cases1997 {
		if strings.HasPrefix(c.Name, "table 10") {
			cases = append(cases, c)
		}
	}
	float32Against64(t, cases)
}

// float32Against64 computes the gradients of each case in float32 and in float64, in both
// forms, fails t where a tensor's float32 gradient differs from its float64 one by more than
// 1e-4 of the tensor's largest, and logs the largest relative difference of each form.
func float32Against64(t *testing.T, cases []testnets.Case) {
	worst := map[bool]float64{}
	for _, c := range cases {
		bt := c.Batch(rand.New(rand.NewSource(5)))
		for _, form := range forms {
			grads := map[tensor.Dtype][]vm.Param{}
			for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
				cfg := c.NetConfig(false)
				cfg.Unrolled = form.unrolled
				ps, _, err := testnets.Step(train.TrainerConfig{Model: layers.Net(cfg), Seed: 8, Dtype: dt}, bt)
				if err != nil {
					t.Fatalf("%s %s %v: %v", c.Name, form.name, dt, err)
				}
				grads[dt] = ps
			}
			for i, p64 := range grads[tensor.Float64] {
				g64 := p64.Grad.Data().([]float64)
				g32 := grads[tensor.Float32][i].Grad.Data().([]float32)
				diff, size := 0.0, 0.0
				for j := range g64 {
					diff = math.Max(diff, math.Abs(float64(g32[j])-g64[j]))
					size = math.Max(size, math.Abs(g64[j]))
				}
				if size == 0 {
					continue
				}
				rel := diff / size
				worst[form.unrolled] = math.Max(worst[form.unrolled], rel)
				if rel > 1e-4 {
					t.Errorf("%s %s: %s: float32 differs by %.3g of the largest gradient", c.Name, form.name, p64.Name, rel)
				}
			}
		}
	}
	t.Logf("float32 vs float64, largest per-tensor relative gradient difference: unrolled %.3g, fused %.3g", worst[true], worst[false])
}

// TestEvalGraphRefusesGradient: the fused layer of a graph built for evaluation keeps no
// derivatives, so a program that asks for its gradient gets an error, not wrong numbers; its
// forward pass computes what a training graph's does, bit for bit.
func TestEvalGraphRefusesGradient(t *testing.T) {
	const T, B = 4, 2
	x := make([]float64, T*B*3)
	for i := range x {
		x[i] = float64(i%5)/5 - 0.4
	}
	// run builds a 2-block layer (eval or not), compiles it with the gradient of a loss or
	// forward only, runs it on x and returns the layer's outputs.
	run := func(eval, grad bool) ([]float64, error) {
		b := graph.NewBuilder(graph.Config{Seed: 2, Eval: eval})
		c, err := layers.NewCell(b, layers.Config{Name: "l", Inputs: 3, NumBlocks: 2, CellsPerBlock: 2})
		if err != nil {
			return nil, err
		}
		in := b.Input("x", T*B, 3)
		y := c.Sequence(in, T)
		loss := b.Sum(b.Square(y))
		if err := b.Err(); err != nil {
			return nil, err
		}
		opts := []vm.CompileOption{vm.Watch(y)}
		if !grad {
			loss = nil
			opts = append(opts, vm.ForwardOnly())
		}
		p, err := vm.Compile(b, loss, opts...)
		if err != nil {
			return nil, err
		}
		defer p.Close()
		if err := p.Set(in, x); err != nil {
			return nil, err
		}
		if err := p.Run(); err != nil {
			return nil, err
		}
		return p.Value(y)
	}
	if _, err := run(true, true); err == nil || !strings.Contains(err.Error(), "no gradient in a graph built for evaluation") {
		t.Fatalf("gradient of an evaluation graph: error %v, want one saying it has none", err)
	}
	train, err := run(false, true)
	if err != nil {
		t.Fatal(err)
	}
	eval, err := run(true, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range train {
		if eval[i] != train[i] {
			t.Fatalf("output %d: evaluation graph %v, training graph %v", i, eval[i], train[i])
		}
	}
}
