package online_test

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/internal/oracle"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/online"
	"github.com/lstm97/lstm97/train"
	"github.com/lstm97/lstm97/train/checkpoint"
)

// netCase is a random network and data layout (the kinds of layers/oracle_test.go).
type netCase struct {
	name          string
	blocks, cells int
	in, out       int
	biases        layers.Biases
	noOutGate     bool
	noRecurrence  bool
	cellsOnly     bool
	g, h          layers.Squash
	outFromInputs bool
	outBias       bool
	outLinear     bool
	T, B          int
	targets       string  // "end", "every" or "some"
	initRange     float64 // default 0.8
	hPrimeOffset  float64
	forget, peep  bool // ForgetGate, Peepholes (later variants)
}

var netCases = []netCase{
	{name: "adding-like", blocks: 2, cells: 2, in: 2, out: 1, outBias: true, T: 12, B: 1, targets: "end"},
	{name: "reber-like every step", blocks: 3, cells: 2, in: 7, out: 7, biases: layers.BiasGates, T: 9, B: 1, targets: "every"},
	{name: "one block one cell", blocks: 1, cells: 1, in: 3, out: 2, T: 7, B: 1, targets: "some"},
	{name: "no bias", blocks: 2, cells: 1, in: 5, out: 2, biases: layers.BiasNone, T: 10, B: 1, targets: "end"},
	{name: "no output gate, exp 2a", blocks: 1, cells: 1, in: 6, out: 6, biases: layers.BiasNone, noOutGate: true,
		noRecurrence: true, g: layers.SquashLogistic, h: layers.SquashIdentity, outFromInputs: true, T: 6, B: 1, targets: "every"},
	{name: "no output gate, recurrent", blocks: 3, cells: 3, in: 2, out: 3, noOutGate: true, outBias: true, T: 8, B: 1, targets: "some"},
	{name: "connectivity B, some targets, batch 2", blocks: 1, cells: 1, in: 6, out: 6, biases: layers.BiasNone, noOutGate: true,
		noRecurrence: true, g: layers.SquashLogistic, h: layers.SquashIdentity, outFromInputs: true, outBias: true, T: 7, B: 2, targets: "some"},
	{name: "big blocks", blocks: 2, cells: 4, in: 3, out: 2, outBias: true, T: 15, B: 1, targets: "every"},
	{name: "batch 3", blocks: 2, cells: 2, in: 2, out: 1, outBias: true, T: 10, B: 3, targets: "end"},
	{name: "cells-only recurrence", blocks: 2, cells: 2, in: 3, out: 2, cellsOnly: true, T: 10, B: 2, targets: "some"},
	{name: "cells-only recurrence, 2c-like", blocks: 2, cells: 1, in: 54, out: 2, biases: layers.BiasNone, cellsOnly: true,
		T: 20, B: 1, targets: "end", initRange: 0.2},
	{name: "batch 2 linear out", blocks: 2, cells: 2, in: 4, out: 2, outLinear: true, g: layers.SquashSym1, h: layers.SquashSym2, T: 6, B: 2, targets: "every"},
	{name: "table 10 row 1-1", blocks: 4, cells: 1, in: 7, out: 7, biases: layers.BiasGates, T: 9, B: 1, targets: "every", initRange: 0.2},
	{name: "table 10 row 1-2", blocks: 3, cells: 2, in: 7, out: 7, biases: layers.BiasGates, T: 12, B: 2, targets: "every", initRange: 0.2},
	{name: "table 10 row 2a (p=100)", blocks: 1, cells: 1, in: 101, out: 101, biases: layers.BiasNone, noOutGate: true,
		noRecurrence: true, g: layers.SquashLogistic, h: layers.SquashIdentity, outFromInputs: true, T: 8, B: 1, targets: "every",
		initRange: 0.2},
	{name: "table 10 row 2c-1 (p=50)", blocks: 2, cells: 1, in: 54, out: 2, biases: layers.BiasNone, T: 20, B: 1, targets: "end", initRange: 0.2},
	{name: "table 10 row 3a", blocks: 3, cells: 1, in: 1, out: 1, T: 30, B: 2, targets: "end", initRange: 0.1},
	{name: "table 10 row 4", blocks: 2, cells: 2, in: 2, out: 1, outBias: true, T: 40, B: 1, targets: "end", initRange: 0.1},
	{name: "table 10 row 6a", blocks: 2, cells: 2, in: 8, out: 4, outBias: true, T: 25, B: 3, targets: "end", initRange: 0.1},
	{name: "table 10 row 6b", blocks: 3, cells: 2, in: 8, out: 8, outBias: true, T: 25, B: 1, targets: "end", initRange: 0.1},
	{name: "h' offset, 2c-like", blocks: 2, cells: 1, in: 54, out: 2, biases: layers.BiasNone, T: 20, B: 1, targets: "end",
		initRange: 0.6, hPrimeOffset: 0.05},
	{name: "h' offset, batch 2 every step", blocks: 3, cells: 2, in: 4, out: 3, outBias: true, T: 8, B: 2, targets: "every",
		hPrimeOffset: 0.3},
	{name: "named layers, identity g", blocks: 2, cells: 1, in: 3, out: 2, g: layers.SquashIdentity, h: layers.SquashLogistic, T: 6, B: 1,
		targets: "every", initRange: 0.3},
	// The later variants: forget gates (Gers et al. 2000) and peepholes (Gers et al. 2002).
	{name: "forget gate, adding-like", blocks: 2, cells: 2, in: 2, out: 1, outBias: true, T: 12, B: 1, targets: "end", forget: true},
	{name: "forget gate, reber-like every step", blocks: 3, cells: 2, in: 7, out: 7, biases: layers.BiasGates, T: 9, B: 1,
		targets: "every", forget: true},
	{name: "forget gate, no bias, cells-only", blocks: 2, cells: 1, in: 5, out: 2, biases: layers.BiasNone, cellsOnly: true, T: 10, B: 1,
		targets: "some", forget: true},
	{name: "peepholes", blocks: 2, cells: 2, in: 3, out: 2, outBias: true, T: 10, B: 1, targets: "some", peep: true},
	{name: "forget gate and peepholes, big blocks", blocks: 2, cells: 3, in: 3, out: 2, outBias: true, T: 12, B: 1, targets: "every",
		forget: true, peep: true, hPrimeOffset: 0.1},
	{name: "forget gate and peepholes, no output gate, cells-only", blocks: 3, cells: 2, in: 2, out: 3, noOutGate: true, cellsOnly: true,
		T: 9, B: 2, targets: "some", forget: true, peep: true},
	{name: "forget gate and peepholes, no recurrence, connectivity B", blocks: 1, cells: 2, in: 4, out: 4, noRecurrence: true,
		outFromInputs: true, outLinear: true, outBias: true, T: 8, B: 2, targets: "every", forget: true, peep: true},
}

func (c netCase) netConfig() layers.NetConfig {
	r := c.initRange
	if r == 0 {
		r = 0.8
	}
	n := layers.NetConfig{
		LSTM: layers.Config{
			Name: "lstm", Inputs: c.in, NumBlocks: c.blocks, CellsPerBlock: c.cells, Biases: c.biases,
			NoOutputGate: c.noOutGate, NoRecurrence: c.noRecurrence, CellsOnlyRecurrence: c.cellsOnly, G: c.g, H: c.h,
			InitRange: r, HPrimeOffset: c.hPrimeOffset, ForgetGate: c.forget, Peepholes: c.peep,
		},
		Output:           output.Config{Units: c.out, Bias: c.outBias, Linear: c.outLinear, InitRange: r},
		OutputFromInputs: c.outFromInputs,
	}
	if strings.HasPrefix(c.name, "named") {
		n.LSTM.Name, n.Output.Name = "memory", "readout"
	}
	return n
}

func (c netCase) batch(rng *rand.Rand) train.Batch {
	var bt train.Batch
	for t := 0; t < c.T; t++ {
		step := make([][]float64, c.B)
		for i := range step {
			step[i] = make([]float64, c.in)
			for k := range step[i] {
				step[i][k] = 2*rng.Float64() - 1
			}
		}
		bt.Inputs = append(bt.Inputs, step)
		has := c.targets == "every" || t == c.T-1 || (c.targets == "some" && rng.Intn(3) == 0)
		if !has {
			bt.Targets = append(bt.Targets, nil)
			continue
		}
		tg := make([][]float64, c.B)
		for i := range tg {
			tg[i] = make([]float64, c.out)
			for k := range tg[i] {
				tg[i][k] = rng.Float64()
			}
		}
		bt.Targets = append(bt.Targets, tg)
	}
	return bt
}

// captureOpt records the gradients it is given and changes nothing.
type captureOpt struct{ ps []vm.Param }

func (o *captureOpt) Step(ps []vm.Param) error {
	o.ps = nil
	for _, p := range ps {
		o.ps = append(o.ps, vm.Param{Name: p.Name, Value: p.Value, Grad: p.Grad.Clone().(*tensor.Dense)})
	}
	return nil
}

// graphGrads trains one step of the fused graph on bt from the weights ps through a Trainer
// whose optimizer only records, and returns the gradients by name, the outputs at the target
// steps [k][b][unit] and the loss.
func graphGrads(t *testing.T, net layers.NetConfig, ps *graph.ParamSet, bt train.Batch) (map[string][]float64, [][][]float64, float64) {
	t.Helper()
	opt := &captureOpt{}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(net), Optimizer: opt, Params: ps})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	r, err := tr.Step(bt)
	if err != nil {
		t.Fatal(err)
	}
	grads := map[string][]float64{}
	for _, p := range opt.ps {
		grads[p.Name] = append([]float64(nil), p.Grad.Data().([]float64)...)
	}
	var outs [][][]float64
	for _, rows := range r.Outputs {
		var step [][]float64
		for _, row := range rows {
			step = append(step, append([]float64(nil), row...))
		}
		outs = append(outs, step)
	}
	return grads, outs, r.Loss
}

// runLearner feeds sequence b of bt to l and returns the outputs at its target steps.
func runLearner(t *testing.T, l *online.Learner, bt train.Batch, b int) [][]float64 {
	t.Helper()
	var outs [][]float64
	for step := range bt.Inputs {
		var target []float64
		if step < len(bt.Targets) && bt.Targets[step] != nil {
			target = bt.Targets[step][b]
		}
		y, err := l.Step(bt.Inputs[step][b], target)
		if err != nil {
			t.Fatal(err)
		}
		if target != nil {
			outs = append(outs, append([]float64(nil), y...))
		}
	}
	return outs
}

// oracleNet returns an oracle network for case c holding the weights of ps.
func oracleNet(t *testing.T, c netCase, net layers.NetConfig, ps *graph.ParamSet) (*oracle.Net, func(g *oracle.Grads, name string, idx int) *float64) {
	t.Helper()
	sq := func(s layers.Squash, def oracle.Squash) oracle.Squash {
		switch s {
		case layers.SquashLogistic:
			return oracle.Logistic
		case layers.SquashSym1:
			return oracle.Sym1
		case layers.SquashSym2:
			return oracle.Sym2
		case layers.SquashIdentity:
			return oracle.Identity
		}
		return def
	}
	n := &oracle.Net{I: c.in, C: c.blocks, S: c.cells, K: c.out, OutGate: !c.noOutGate, Recurrent: !c.noRecurrence, CellsOnly: c.cellsOnly,
		G: sq(c.g, oracle.Sym2), H: sq(c.h, oracle.Sym1), OutFromInputs: c.outFromInputs, OutBias: c.outBias, OutLinear: c.outLinear,
		HPrimeOffset: c.hPrimeOffset, ForgetGate: c.forget, Peepholes: c.peep}
	U, CS := n.Units(), c.blocks*c.cells
	n.HasBias = make([]bool, U)
	for u := range n.HasBias {
		n.HasBias[u] = c.biases == layers.BiasAll || (c.biases == layers.BiasGates && u >= CS)
	}
	mk := func(r, k int) [][]float64 {
		m := make([][]float64, r)
		for i := range m {
			m[i] = make([]float64, k)
		}
		return m
	}
	n.Wx, n.Wh, n.B = mk(U, c.in), mk(U, U), make([]float64, U)
	n.Wo, n.Wox, n.Bo, n.P = mk(c.out, CS), mk(c.out, c.in), make([]float64, c.out), mk(U, c.cells)
	first := map[string]int{"cell": 0, "in_gate": CS, "out_gate": CS + c.blocks, "forget_gate": CS + c.blocks}
	if !c.noOutGate {
		first["forget_gate"] += c.blocks
	}
	width := map[string]int{"cell": CS, "in_gate": c.blocks, "out_gate": c.blocks, "forget_gate": c.blocks}
	lstm, out := net.LSTM.Name+"/", net.Output.Name+"/"
	if net.Output.Name == "" {
		out = "out/"
	}
	slot := func(g *oracle.Grads, name string, idx int) *float64 {
		switch name {
		case out + "w":
			return &g.Wo[idx%c.out][idx/c.out]
		case out + "wx":
			return &g.Wox[idx%c.out][idx/c.out]
		case out + "b":
			return &g.Bo[idx]
		}
		rest, ok := strings.CutPrefix(name, lstm)
		i := strings.LastIndex(rest, "/")
		if !ok || i < 0 {
			t.Fatalf("unknown parameter %q", name)
		}
		group, kind := rest[:i], rest[i+1:]
		w := width[group]
		u := first[group] + idx%w
		switch kind {
		case "wx":
			return &g.Wx[u][idx/w]
		case "wh":
			return &g.Wh[u][idx/w]
		case "b":
			return &g.B[u]
		case "peep": // element idx is the weight from cell idx into its block's gate
			return &g.P[first[group]+idx/c.cells][idx%c.cells]
		}
		t.Fatalf("unknown parameter %q", name)
		return nil
	}
	for _, name := range ps.Names() {
		v, err := ps.Float64s(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range v {
			*slot(&oracle.Grads{Wx: n.Wx, Wh: n.Wh, B: n.B, Wo: n.Wo, Wox: n.Wox, Bo: n.Bo, P: n.P}, name, i) = x
		}
	}
	return n, slot
}

// relDiff returns max |a - b| / max |b| (the norm-relative difference of two tensors), and
// max |a - b| where b is all zeros.
func relDiff(a, b []float64) float64 {
	diff, size := 0.0, 0.0
	for i := range b {
		diff = math.Max(diff, math.Abs(a[i]-b[i]))
		size = math.Max(size, math.Abs(b[i]))
	}
	if size == 0 {
		return diff
	}
	return diff / size
}

// TestSummedUpdateMatchesGraphAndOracle checks, on random networks of every kind, that the
// learner's gradient summed over a sequence (PerSequence mode) equals the fused graph's
// truncated gradient and internal/oracle's, that its outputs and error equal theirs, and
// that EndSequence then applies w - α·gradient.
func TestSummedUpdateMatchesGraphAndOracle(t *testing.T) {
	worstGraph, worstOracle, worstOut := 0.0, 0.0, 0.0
	for ci, c := range netCases {
		t.Run(c.name, func(t *testing.T) {
			for trial := 0; trial < 2; trial++ {
				seed := int64(1000*ci + trial)
				net := c.netConfig()
				ps, err := online.NewParams(net, seed)
				if err != nil {
					t.Fatal(err)
				}
				bt := c.batch(rand.New(rand.NewSource(seed)))
				const lr = 0.3
				l, err := online.New(online.Config{Net: net, LR: lr}, ps)
				if err != nil {
					t.Fatal(err)
				}
				gGrads, gOuts, gLoss := graphGrads(t, net, ps, bt)
				on, slot := oracleNet(t, c, net, ps)
				got := map[string][]float64{}
				var oGrads []*oracle.Grads
				loss := 0.0
				for b := 0; b < c.B; b++ {
					outs := runLearner(t, l, bt, b)
					xs, ts := make([][]float64, c.T), make([][]float64, c.T)
					for step := range xs {
						xs[step] = bt.Inputs[step][b]
						if bt.Targets[step] != nil {
							ts[step] = bt.Targets[step][b]
						}
					}
					d, _, oOuts := on.Run(xs, ts)
					oGrads = append(oGrads, &d)
					for k := range outs {
						for u := range outs[k] {
							worstOut = math.Max(worstOut, math.Abs(outs[k][u]-gOuts[k][b][u]))
							worstOut = math.Max(worstOut, math.Abs(outs[k][u]-oOuts[k][u]))
							if e := math.Abs(outs[k][u] - gOuts[k][b][u]); e > 1e-13 {
								t.Fatalf("trial %d: sequence %d target step %d unit %d: learner %v, graph %v", trial, b, k, u, outs[k][u], gOuts[k][b][u])
							}
						}
					}
					loss += l.SequenceError() / float64(c.B)
					for _, name := range l.Names() {
						g, err := l.Gradient(name)
						if err != nil {
							t.Fatal(err)
						}
						if got[name] == nil {
							got[name] = make([]float64, len(g))
						}
						for i := range g {
							got[name][i] += g[i] / float64(c.B)
						}
					}
					if b < c.B-1 {
						l.Reset()
					}
				}
				if math.Abs(loss-gLoss) > 1e-12*math.Max(1, gLoss) {
					t.Errorf("trial %d: loss: learner %v, graph %v", trial, loss, gLoss)
				}
				if len(gGrads) != len(got) {
					t.Fatalf("trial %d: graph has %d parameters, learner %d", trial, len(gGrads), len(got))
				}
				for _, name := range l.Names() {
					want := gGrads[name]
					oracleWant := make([]float64, len(want))
					for i := range oracleWant {
						for _, d := range oGrads {
							oracleWant[i] -= *slot(d, name, i) / float64(c.B) // the oracle gives -∂E/∂w
						}
					}
					if relDiff(make([]float64, len(want)), want) == 0 {
						t.Errorf("trial %d: %s: the graph's gradient is 0 (a vacuous comparison)", trial, name)
					}
					rg, ro := relDiff(got[name], want), relDiff(got[name], oracleWant)
					worstGraph, worstOracle = math.Max(worstGraph, rg), math.Max(worstOracle, ro)
					if rg > 1e-12 || ro > 1e-12 {
						t.Errorf("trial %d: %s: relative difference %.3g to the graph, %.3g to the oracle", trial, name, rg, ro)
					}
				}
				if c.B > 1 {
					continue
				}
				// EndSequence applies w - α·∂E/∂w and resets.
				before := map[string][]float64{}
				for _, name := range l.Names() {
					before[name], _ = l.Weights(name)
				}
				if err := l.EndSequence(); err != nil {
					t.Fatal(err)
				}
				for _, name := range l.Names() {
					w, _ := l.Weights(name)
					for i := range w {
						if want := before[name][i] - lr*got[name][i]; w[i] != want {
							t.Fatalf("%s[%d] after EndSequence: %v, want %v", name, i, w[i], want)
						}
					}
				}
				if l.Steps() != 0 || l.SequenceError() != 0 || l.Sequences() != 1 {
					t.Errorf("after EndSequence: steps %d, error %v, sequences %d", l.Steps(), l.SequenceError(), l.Sequences())
				}
			}
		})
	}
	t.Logf("largest relative difference per parameter tensor: learner vs graph %.3g, learner vs oracle %.3g; outputs %.3g",
		worstGraph, worstOracle, worstOut)
}

// TestNewParamsIsTheTrainersInit: NewParams gives the weights train.Trainer initialises from
// the same seed, and the learner round-trips them through WriteParams.
func TestNewParamsIsTheTrainersInit(t *testing.T) {
	for _, c := range netCases[:6] {
		net := c.netConfig()
		ps, err := online.NewParams(net, 42)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(net), Seed: 42})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Evaluate(c.batch(rand.New(rand.NewSource(1)))); err != nil { // creates the parameters
			t.Fatal(err)
		}
		want := tr.Params()
		tr.Close()
		if fmt.Sprint(ps.Names()) != fmt.Sprint(want.Names()) {
			t.Fatalf("%s: names %v, trainer %v", c.name, ps.Names(), want.Names())
		}
		l, err := online.New(online.Config{Net: net, LR: 1}, ps)
		if err != nil {
			t.Fatal(err)
		}
		back, err := online.NewParams(net, 7) // other values, same names
		if err != nil {
			t.Fatal(err)
		}
		if err := l.WriteParams(back); err != nil {
			t.Fatal(err)
		}
		for _, name := range want.Names() {
			a, _ := ps.Float64s(name)
			b, _ := want.Float64s(name)
			r, _ := back.Float64s(name)
			if fmt.Sprint(a) != fmt.Sprint(b) || fmt.Sprint(r) != fmt.Sprint(b) {
				t.Errorf("%s: %s: NewParams %v, trainer %v, written back %v", c.name, name, a, b, r)
			}
		}
		if l.NumWeights() != want.NumWeights() {
			t.Errorf("%s: %d weights, the graph has %d", c.name, l.NumWeights(), want.NumWeights())
		}
	}
}

// TestWeightsGoToTheGraphAndBack: weights trained by the learner, written into a ParamSet and
// saved as a checkpoint, load into a fresh ParamSet with which the graph path computes the
// learner's outputs; and a learner made from the graph's ParamSet starts where the graph is.
func TestWeightsGoToTheGraphAndBack(t *testing.T) {
	c := netCases[0]
	net := c.netConfig()
	ps, err := online.NewParams(net, 1)
	if err != nil {
		t.Fatal(err)
	}
	l, err := online.New(online.Config{Net: net, LR: 0.5, Mode: online.PerStep}, ps)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(4))
	for i := 0; i < 20; i++ {
		runLearner(t, l, c.batch(rng), 0)
		if err := l.EndSequence(); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.WriteParams(ps); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := checkpoint.SaveParams(dir, ps); err != nil {
		t.Fatal(err)
	}
	loaded, err := online.NewParams(net, 99)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.LoadParams(dir, loaded); err != nil {
		t.Fatal(err)
	}
	bt := c.batch(rng)
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(net), Params: loaded})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	r, err := tr.Evaluate(bt)
	if err != nil {
		t.Fatal(err)
	}
	again, err := online.New(online.Config{Net: net, LR: 0.5}, loaded)
	if err != nil {
		t.Fatal(err)
	}
	for i, learner := range []*online.Learner{l, again} {
		outs := runLearner(t, learner, bt, 0)
		if math.Abs(outs[0][0]-r.Outputs[0][0][0]) > 1e-13 {
			t.Errorf("learner %d: output %v, the graph with the saved weights %v", i, outs[0][0], r.Outputs[0][0][0])
		}
	}
}
