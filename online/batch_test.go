package online_test

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/internal/testnets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/online"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train"
)

// trainBoth trains net from seed on bts with a train.Trainer twice, by the graph path (plain
// SGD) and by a BatchLearner in mode, and returns both parameter sets.
func trainBoth(t *testing.T, net layers.NetConfig, mode online.Mode, bts []train.Batch) (graphPs, onlinePs *graph.ParamSet) {
	t.Helper()
	const lr = 0.3
	sgd, err := optim.New("sgd", lr, optim.Clip{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(net), Optimizer: sgd, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	o, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(net), Seed: 5,
		Learner: &online.BatchLearner{Config: online.Config{Net: net, LR: lr, Mode: mode}}})
	if err != nil {
		t.Fatal(err)
	}
	for i, bt := range bts {
		rg, err := g.Step(bt)
		if err != nil {
			t.Fatal(err)
		}
		ro, err := o.Step(bt)
		if err != nil {
			t.Fatal(err)
		}
		if mode == online.PerSequence && math.Abs(rg.Loss-ro.Loss) > 1e-12*(1+math.Abs(rg.Loss)) {
			t.Errorf("batch %d: loss %v by the graph, %v by the learner", i, rg.Loss, ro.Loss)
		}
		if len(ro.TargetSteps) != len(rg.TargetSteps) {
			t.Fatalf("batch %d: target steps %v and %v", i, rg.TargetSteps, ro.TargetSteps)
		}
	}
	return g.Params(), o.Params()
}

// TestBatchLearnerTrainsLikeTheGraph: a train.Trainer with a BatchLearner in PerSequence mode
// trains sequence by sequence to the weights the graph path reaches with plain SGD, to 1e-12.
func TestBatchLearnerTrainsLikeTheGraph(t *testing.T) {
	worst := 0.0
	for _, c := range testnets.Cases() {
		if c.B != 1 {
			continue
		}
		rng := rand.New(rand.NewSource(11))
		var bts []train.Batch
		for i := 0; i < 3; i++ {
			bts = append(bts, c.Batch(rng))
		}
		gps, ops := trainBoth(t, c.NetConfig(false), online.PerSequence, bts)
		for _, name := range gps.Names() {
			a, _ := gps.Float64s(name)
			b, _ := ops.Float64s(name)
			d := testnets.RelDiff(a, b)
			worst = math.Max(worst, d)
			if d > 1e-12 {
				t.Errorf("%s: %s differs by %.3g after 3 sequences", c.Name, name, d)
			}
		}
	}
	t.Logf("largest relative difference after 3 sequences: %.3g", worst)
}

// TestBatchLearnerPerStep: through a trainer, PerStep mode gives exactly (bit for bit) what the
// learner gives when fed the same steps by hand, symbols are one-hot rows, and frozen
// parameters stay.
func TestBatchLearnerPerStep(t *testing.T) {
	net := layers.NetConfig{LSTM: layers.Config{Inputs: 4, NumBlocks: 2, CellsPerBlock: 1}, Output: output.Config{Units: 4, Bias: true}}
	rng := rand.New(rand.NewSource(3))
	bt := train.Batch{Alphabet: 4}
	for t := 0; t < 6; t++ {
		bt.Symbols = append(bt.Symbols, []int{rng.Intn(4)})
		tg := make([]float64, 4)
		tg[rng.Intn(4)] = 1
		bt.Targets = append(bt.Targets, [][]float64{tg})
	}
	held := []string{"out/b"}
	bl := &online.BatchLearner{Config: online.Config{Net: net, LR: 0.5, Mode: online.PerStep}, Frozen: func() []string { return held }}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(net), Seed: 2, Learner: bl})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Step(bt); err != nil {
		t.Fatal(err)
	}
	ps, err := online.NewParams(net, 2)
	if err != nil {
		t.Fatal(err)
	}
	b0, _ := ps.Float64s("out/b")
	l, err := online.New(online.Config{Net: net, LR: 0.5, Mode: online.PerStep}, ps)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Freeze(held...); err != nil {
		t.Fatal(err)
	}
	for t0, sym := range bt.Symbols {
		x := make([]float64, 4)
		x[sym[0]] = 1
		if _, err := l.Step(x, bt.Targets[t0][0]); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.EndSequence(); err != nil {
		t.Fatal(err)
	}
	for _, name := range l.Names() {
		want, _ := l.Weights(name)
		got, _ := tr.Params().Float64s(name)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s[%d]: %v through the trainer, %v by hand", name, i, got[i], want[i])
			}
		}
	}
	if got, _ := tr.Params().Float64s("out/b"); got[0] != b0[0] {
		t.Errorf("the frozen out/b moved from %v to %v", b0[0], got[0])
	}
	// A batch whose second sequence fails, after the first has changed the learner's weights,
	// leaves the parameters as they were: a huge weight times a large input overflows.
	wx, _ := tr.Params().Float64s("lstm/cell/wx")
	wx[0] = 1e308
	if err := tr.Params().SetFloat64s("lstm/cell/wx", wx); err != nil {
		t.Fatal(err)
	}
	before, _ := tr.Params().Float64s("lstm/cell/wx")
	zero, big := []float64{0, 0, 0, 0}, []float64{1e10, 0, 0, 0}
	tg := []float64{0, 0, 0, 1}
	bad := train.Batch{Inputs: [][][]float64{{zero, zero}, {zero, big}}, Targets: [][][]float64{{tg, tg}, {tg, tg}}}
	if _, err := tr.Step(bad); err == nil || !strings.Contains(err.Error(), "sequence 1 of the batch") || !strings.Contains(err.Error(), "Inf") {
		t.Fatalf("overflow: %v", err)
	}
	after, _ := tr.Params().Float64s("lstm/cell/wx")
	for i := range before {
		if before[i] != after[i] {
			t.Fatalf("a failed batch changed lstm/cell/wx[%d]", i)
		}
	}
}
