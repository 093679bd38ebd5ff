package train_test

import (
	"math"
	"math/rand"
	"runtime"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/internal/par"
	"github.com/lstm97/lstm97/internal/testnets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/train"
)

// partsCase is a net and a batch for the Replicas tests.
type partsCase struct {
	name     string
	net      layers.NetConfig
	B        int
	lastOnly bool // a target at the last step of each sequence only (else at every step)
	symbols  bool // inputs as symbols
	dtype    tensor.Dtype
}

// partsNet is a small 1997 net of 3 blocks of 2 cells.
func partsNet(in int, unrolled bool) layers.NetConfig {
	return layers.NetConfig{
		LSTM:     layers.Config{Inputs: in, NumBlocks: 3, CellsPerBlock: 2, InitRange: 0.5},
		Output:   output.Config{Units: 2, InitRange: 0.5, Bias: true},
		Unrolled: unrolled,
	}
}

// batch draws c's batch from seed: sequences of 3 to 7 steps (of 5 with the unrolled net,
// which takes no lengths) and, with lastOnly, sequence 1 without any target.
func (c partsCase) batch(t *testing.T, seed int64) train.Batch {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	seqs := make([]datasets.Sequence, c.B)
	for i := range seqs {
		T := 3 + rng.Intn(5)
		if c.net.Unrolled {
			T = 5
		}
		s := &seqs[i]
		for step := 0; step < T; step++ {
			if c.symbols {
				s.Symbols = append(s.Symbols, rng.Intn(4))
				s.Alphabet = 4
			} else {
				s.Inputs = append(s.Inputs, []float64{rng.Float64()*2 - 1, rng.Float64()*2 - 1, rng.Float64()})
			}
			var y []float64
			if !c.lastOnly || (step == T-1 && i != 1) {
				y = []float64{rng.Float64(), rng.Float64()}
			}
			s.Targets = append(s.Targets, y)
		}
	}
	bt, err := train.Stack(seqs...)
	if err != nil {
		t.Fatal(err)
	}
	return bt
}

func partsCases() []partsCase {
	return []partsCase{
		{name: "B2", net: partsNet(3, false), B: 2},
		{name: "B5 last steps", net: partsNet(3, false), B: 5, lastOnly: true},
		{name: "B7 symbols", net: partsNet(4, false), B: 7, symbols: true},
		{name: "B4 unrolled", net: partsNet(3, true), B: 4},
		{name: "B6 float32", net: partsNet(3, false), B: 6, dtype: tensor.Float32},
	}
}

// TestReplicasGradient: one step with the batch split into 2, 3 or 4 parts gives the loss,
// the gradient of every parameter and the outputs of the whole batch in one program, within
// rounding (1e-12 relative in float64, 1e-5 in float32), for nets with lengths, targets at
// the last steps only, symbols, the unrolled form and float32.
func TestReplicasGradient(t *testing.T) {
	for _, c := range partsCases() {
		for _, reps := range []int{2, 3, 4} {
			bt := c.batch(t, int64(reps))
			cfg := train.TrainerConfig{Model: layers.Net(c.net), Seed: 3, Dtype: c.dtype}
			want, wr, err := testnets.Step(cfg, bt)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			cfg.Replicas = reps
			got, gr, err := testnets.Step(cfg, bt)
			if err != nil {
				t.Fatalf("%s, %d replicas: %v", c.name, reps, err)
			}
			tol := 1e-12
			if c.dtype == tensor.Float32 {
				tol = 1e-5
			}
			if d := math.Abs(gr.Loss-wr.Loss) / wr.Loss; !(d <= tol) {
				t.Errorf("%s, %d replicas: loss %v, whole batch %v", c.name, reps, gr.Loss, wr.Loss)
			}
			if len(got) != len(want) {
				t.Fatalf("%s, %d replicas: %d parameters, want %d", c.name, reps, len(got), len(want))
			}
			for i, p := range got {
				if d := testnets.RelDiff(graph.Float64View(p.Grad), graph.Float64View(want[i].Grad)); p.Name != want[i].Name || !(d <= tol) {
					t.Errorf("%s, %d replicas: gradient of %q differs from the whole batch's %q by %.3g relative", c.name, reps, p.Name, want[i].Name, d)
				}
			}
			if !slices.Equal(gr.TargetSteps, wr.TargetSteps) || len(gr.Outputs) != len(wr.Outputs) {
				t.Fatalf("%s, %d replicas: target steps %v, want %v", c.name, reps, gr.TargetSteps, wr.TargetSteps)
			}
			for i, rows := range wr.Outputs {
				for b, w := range rows {
					g := gr.Outputs[i][b]
					if (g == nil) != (w == nil) || (w != nil && !(testnets.RelDiff(g, w) <= tol)) {
						t.Errorf("%s, %d replicas: output at step %d of sequence %d is %v, want %v", c.name, reps, gr.TargetSteps[i], b, g, w)
					}
				}
			}
		}
	}
}

// gradBits returns the bits of every gradient, in order.
func gradBits(ps []vm.Param) []uint64 {
	var out []uint64
	for _, p := range ps {
		for _, v := range graph.Float64View(p.Grad) {
			out = append(out, math.Float64bits(v))
		}
	}
	return out
}

// TestReplicasWithSplitPasses: parts whose fused ops split their passes as well (4 threads, 2
// parts of 2 threads each; every pass split however small) give the gradients of the whole
// batch on one thread within rounding.
func TestReplicasWithSplitPasses(t *testing.T) {
	c := partsCases()[1]
	c.B = 16 // 8 rows a part: 2 goroutines of 4
	bt := c.batch(t, 5)
	cfg := train.TrainerConfig{Model: layers.Net(c.net), Seed: 3}
	old := runtime.GOMAXPROCS(1)
	want, _, err := testnets.Step(cfg, bt)
	runtime.GOMAXPROCS(4)
	defer runtime.GOMAXPROCS(old)
	defer par.SetMinWork(par.SetMinWork(1))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Replicas = 2
	got, _, err := testnets.Step(cfg, bt)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range got {
		if d := testnets.RelDiff(graph.Float64View(p.Grad), graph.Float64View(want[i].Grad)); !(d <= 1e-12) {
			t.Errorf("gradient of %q differs from the whole batch's by %.3g relative", p.Name, d)
		}
	}
}

// TestReplicasDeterministic: with Replicas set, a step's gradients are the same bits on 1,
// 2 and 3 threads (GOMAXPROCS) and from run to run.
func TestReplicasDeterministic(t *testing.T) {
	c := partsCases()[2]
	bt := c.batch(t, 1)
	cfg := train.TrainerConfig{Model: layers.Net(c.net), Seed: 3, Replicas: 3}
	var first []uint64
	for _, procs := range []int{1, 2, 3, 2} {
		old := runtime.GOMAXPROCS(procs)
		ps, _, err := testnets.Step(cfg, bt)
		runtime.GOMAXPROCS(old)
		if err != nil {
			t.Fatal(err)
		}
		bits := gradBits(ps)
		if first == nil {
			first = bits
			continue
		}
		for i := range bits {
			if bits[i] != first[i] {
				t.Fatalf("GOMAXPROCS=%d: gradient value %d is %v, %v on the first run", procs, i, math.Float64frombits(bits[i]), math.Float64frombits(first[i]))
			}
		}
	}
}

// TestReplicasCarry: a stream of batches that continue each other trains the same with the
// batch in 2 parts as whole (parameters after each step and the carried state within 1e-10),
// and the parts keep the rules of Continue.
func TestReplicasCarry(t *testing.T) {
	net := partsNet(3, false)
	net.Carry = true
	c := partsCase{net: net, B: 4}
	stream := []train.Batch{c.batch(t, 1), c.batch(t, 2), c.batch(t, 3)}
	stream[1].Continue, stream[2].Continue = true, true
	run := func(reps int) (*train.Trainer, [][]float64) {
		tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(net), Optimizer: sgd(0.5), Seed: 2, Replicas: reps})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tr.Close() })
		var states [][]float64
		for i, bt := range stream {
			if _, err := tr.Step(bt); err != nil {
				t.Fatalf("%d replicas, batch %d: %v", reps, i, err)
			}
			st, ok := tr.Carried()
			if !ok || st.B != c.B {
				t.Fatalf("%d replicas, batch %d: carried state %v (ok %v)", reps, i, st, ok)
			}
			var flat []float64
			for _, v := range st.Values {
				flat = append(flat, v...)
			}
			for _, name := range tr.Params().Names() {
				v, err := tr.Params().Float64s(name)
				if err != nil {
					t.Fatal(err)
				}
				flat = append(flat, v...)
			}
			states = append(states, flat)
		}
		return tr, states
	}
	whole, want := run(1)
	tr, got := run(2)
	for i := range want {
		if d := testnets.RelDiff(got[i], want[i]); !(d <= 1e-10) {
			t.Errorf("after batch %d: state and parameters differ from the whole batches' by %.3g relative", i, d)
		}
	}
	if tr.Programs() != 2*whole.Programs() {
		t.Errorf("%d programs, want one per part and shape (%d shapes)", tr.Programs(), whole.Programs())
	}
	// A batch of another size may not continue; nor may one after ResetState.
	other := partsCase{net: net, B: 6}.batch(t, 4)
	other.Continue = true
	if _, err := tr.Step(other); err == nil || !strings.Contains(err.Error(), "batch of 6 sequences continues a batch of 4") {
		t.Errorf("a batch of 6 continuing one of 4: %v", err)
	}
	tr.ResetState()
	if _, err := tr.Step(stream[1]); err == nil || !strings.Contains(err.Error(), "no state to continue") {
		t.Errorf("Continue after ResetState: %v", err)
	}
}

// TestReplicasRefused: Replicas needs a Separable model and no Learner, and is not negative; a
// batch of one sequence runs whole.
func TestReplicasRefused(t *testing.T) {
	linear := func(b *graph.Builder, s graph.Shape) (*graph.Model, error) {
		x := b.Input("x", s.T*s.B, s.In)
		y := b.MatMul(x, b.Param("w", []int{s.In, s.Out}, graph.Uniform(1)))
		tg, mask := b.Input("target", s.T*s.B, s.Out), b.Input("mask", s.T*s.B, s.Out)
		m := &graph.Model{Packed: true, Inputs: []*G.Node{x}, Outputs: []*G.Node{y}, Targets: []*G.Node{tg}, Mask: mask}
		m.Loss = output.MaskedLoss(b, y, tg, mask, s.B)
		return m, b.Err()
	}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: linear, Optimizer: sgd(0.1), Replicas: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	one := column(false, []float64{1}, []float64{2})
	if _, err := tr.Step(one); err != nil {
		t.Errorf("a batch of one sequence: %v", err)
	}
	if _, err := tr.Step(column(false, []float64{1, 2}, []float64{3, 4})); err == nil || !strings.Contains(err.Error(), "not Separable") {
		t.Errorf("a model that is not Separable: %v", err)
	}
	if _, err := train.NewTrainer(train.TrainerConfig{Model: linear, Replicas: 2, Learner: nopLearner{}}); err == nil || !strings.Contains(err.Error(), "Learner") {
		t.Errorf("Replicas with a Learner: %v", err)
	}
	if _, err := train.NewTrainer(train.TrainerConfig{Model: linear, Replicas: -2}); err == nil || !strings.Contains(err.Error(), "Replicas is -2") {
		t.Errorf("Replicas -2: %v", err)
	}
}

type nopLearner struct{}

func (nopLearner) Learn(*graph.ParamSet, train.Batch) (train.Result, error) {
	return train.Result{}, nil
}

// TestReplicasResultsLastUntilTheSameShape: a step's Outputs stay as they were through steps
// of other batch sizes, whose parts share programs with it (batches of 4 and 5 in 2 parts
// both have a part of 2), as Result promises.
func TestReplicasResultsLastUntilTheSameShape(t *testing.T) {
	net := partsNet(3, false)
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(net), Optimizer: sgd(0.5), Seed: 2, Replicas: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	deep := func(out [][][]float64) [][][]float64 {
		c := make([][][]float64, len(out))
		for i, rows := range out {
			for _, v := range rows {
				c[i] = append(c[i], append([]float64(nil), v...))
			}
		}
		return c
	}
	type kept struct {
		B         int
		out, want [][][]float64
	}
	var ks []kept
	for i, B := range []int{4, 6, 5} {
		r, err := tr.Step(partsCase{net: net, B: B}.batch(t, int64(10+i)))
		if err != nil {
			t.Fatal(err)
		}
		ks = append(ks, kept{B, r.Outputs, deep(r.Outputs)})
	}
	for _, k := range ks {
		for i, rows := range k.want {
			if len(k.out[i]) != len(rows) {
				t.Fatalf("batch of %d: outputs of target step %d now have %d rows, had %d", k.B, i, len(k.out[i]), len(rows))
			}
			for b, v := range rows {
				if testnets.RelDiff(k.out[i][b], v) != 0 || len(k.out[i][b]) != len(v) {
					t.Fatalf("batch of %d: output %d of sequence %d changed by later steps of other sizes: %v, was %v", k.B, i, b, k.out[i][b], v)
				}
			}
		}
	}
}
