package online_test

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/internal/oracle"
	"github.com/lstm97/lstm97/internal/testnets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/online"
	"github.com/lstm97/lstm97/train"
	"github.com/lstm97/lstm97/train/checkpoint"
)

// graphGrads trains one step of the fused graph on bt from the weights ps through a Trainer
// whose optimizer only records, and returns the gradients by name, the outputs at the target
// steps [k][b][unit] and the loss.
func graphGrads(t *testing.T, net layers.NetConfig, ps *graph.ParamSet, bt train.Batch) (map[string][]float64, [][][]float64, float64) {
	t.Helper()
	captured, r, err := testnets.Step(train.TrainerConfig{Model: layers.Net(net), Params: ps}, bt)
	if err != nil {
		t.Fatal(err)
	}
	grads := map[string][]float64{}
	for _, p := range captured {
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

// TestSummedUpdateMatchesGraphAndOracle checks, on random networks of every kind, that the
// learner's gradient summed over a sequence (PerSequence mode) equals the fused graph's
// truncated gradient and internal/oracle's, that its outputs and error equal theirs, and
// that EndSequence then applies w - α·gradient.
func TestSummedUpdateMatchesGraphAndOracle(t *testing.T) {
	worstGraph, worstOracle, worstOut := 0.0, 0.0, 0.0
	for ci, c := range testnets.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			for trial := 0; trial < 2; trial++ {
				seed := int64(1000*ci + trial)
				net := c.NetConfig(false)
				ps, err := online.NewParams(net, seed)
				if err != nil {
					t.Fatal(err)
				}
				bt := c.Batch(rand.New(rand.NewSource(seed)))
				const lr = 0.3
				l, err := online.New(online.Config{Net: net, LR: lr}, ps)
				if err != nil {
					t.Fatal(err)
				}
				gGrads, gOuts, gLoss := graphGrads(t, net, ps, bt)
				on, slot := testnets.OracleNet(t, c, ps)
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
					if testnets.RelDiff(make([]float64, len(want)), want) == 0 {
						t.Errorf("trial %d: %s: the graph's gradient is 0 (a vacuous comparison)", trial, name)
					}
					rg, ro := testnets.RelDiff(got[name], want), testnets.RelDiff(got[name], oracleWant)
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
	for _, c := range testnets.Cases1997[:6] {
		net := c.NetConfig(false)
		ps, err := online.NewParams(net, 42)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(net), Seed: 42})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Evaluate(c.Batch(rand.New(rand.NewSource(1)))); err != nil { // creates the parameters
			t.Fatal(err)
		}
		want := tr.Params()
		tr.Close()
		if fmt.Sprint(ps.Names()) != fmt.Sprint(want.Names()) {
			t.Fatalf("%s: names %v, trainer %v", c.Name, ps.Names(), want.Names())
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
				t.Errorf("%s: %s: NewParams %v, trainer %v, written back %v", c.Name, name, a, b, r)
			}
		}
		if l.NumWeights() != want.NumWeights() {
			t.Errorf("%s: %d weights, the graph has %d", c.Name, l.NumWeights(), want.NumWeights())
		}
	}
}

// TestWeightsGoToTheGraphAndBack: weights trained by the learner, written into a ParamSet and
// saved as a checkpoint, load into a fresh ParamSet with which the graph path computes the
// learner's outputs; and a learner made from the graph's ParamSet starts where the graph is.
func TestWeightsGoToTheGraphAndBack(t *testing.T) {
	c := testnets.Cases1997[0]
	net := c.NetConfig(false)
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
		runLearner(t, l, c.Batch(rng), 0)
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
	bt := c.Batch(rng)
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
