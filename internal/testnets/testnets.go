// Package testnets holds the random test networks that the tests of layers and online share:
// their architectures and data layouts (Case, and the lists of cases the tests run), the
// layers.NetConfig and random train.Batch of a case, the same network in internal/oracle (the
// paper's own algorithm, Appendix A.1) with the map from the graph's parameter names to the
// oracle's weight slots, a training step whose optimizer only records the gradients, and the
// norm-relative difference the tests report.
//
// It is imported by tests only (layers_test, online_test): it imports layers, train and graph,
// which therefore must never import it.
package testnets

import (
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
	"github.com/lstm97/lstm97/train"
)

// Case is a random network (an LSTM layer and its output layer) and a data layout.
type Case struct {
	Name          string
	Blocks, Cells int // NumBlocks, CellsPerBlock
	In, Out       int // inputs, output units
	Biases        layers.Biases
	NoOutGate     bool
	NoRecurrence  bool
	CellsOnly     bool // CellsOnlyRecurrence
	G, H          layers.Squash
	OutFromInputs bool
	OutBias       bool
	OutLinear     bool
	T, B          int    // steps, sequences per batch
	Targets       string // "end", "every" or "some"
	// InitRange defaults to 0.8, large enough to leave the linear range of the squashes. Larger
	// nets or longer sequences need smaller weights: past |x| = 19 gorgonia's sigmoid (used by
	// the unrolled form) returns exactly 0 or 1, a 5.6e-9 deviation from the logistic function
	// that the fused form and the oracle compute exactly.
	InitRange float64
	// HPrimeOffset is layers.Config.HPrimeOffset (not a derivative of the loss: the finite
	// difference test skips it).
	HPrimeOffset float64
	// Forget and Peep are layers.Config.ForgetGate and Peepholes (Gers et al. 2000, 2002).
	Forget, Peep bool
}

// Cases1997 are the 1997 cell's test networks: every connectivity and option of the paper's
// cell, and the architectures of its Table 10. layers' golden file (testdata/lstm97.json)
// holds hashes of their runs: changing, adding or reordering a case invalidates it.
var Cases1997 = []Case{
	{Name: "adding-like", Blocks: 2, Cells: 2, In: 2, Out: 1, OutBias: true, T: 12, B: 1, Targets: "end"},
	{Name: "reber-like every step", Blocks: 3, Cells: 2, In: 7, Out: 7, Biases: layers.BiasGates, T: 9, B: 1, Targets: "every"},
	{Name: "one block one cell", Blocks: 1, Cells: 1, In: 3, Out: 2, T: 7, B: 1, Targets: "some"},
	{Name: "no bias", Blocks: 2, Cells: 1, In: 5, Out: 2, Biases: layers.BiasNone, T: 10, B: 1, Targets: "end"},
	{Name: "no output gate, exp 2a", Blocks: 1, Cells: 1, In: 6, Out: 6, Biases: layers.BiasNone, NoOutGate: true,
		NoRecurrence: true, G: layers.SquashLogistic, H: layers.SquashIdentity, OutFromInputs: true, T: 6, B: 1, Targets: "every"},
	{Name: "no output gate, recurrent", Blocks: 3, Cells: 3, In: 2, Out: 3, NoOutGate: true, OutBias: true, T: 8, B: 1, Targets: "some"},
	// Connectivity B with targets at some steps: the packed form computes its outputs from the
	// cells and the inputs of those steps only (Output.ApplyRows).
	{Name: "connectivity B, some targets, batch 2", Blocks: 1, Cells: 1, In: 6, Out: 6, Biases: layers.BiasNone, NoOutGate: true,
		NoRecurrence: true, G: layers.SquashLogistic, H: layers.SquashIdentity, OutFromInputs: true, OutBias: true, T: 7, B: 2, Targets: "some"},
	{Name: "big blocks", Blocks: 2, Cells: 4, In: 3, Out: 2, OutBias: true, T: 15, B: 1, Targets: "every"},
	{Name: "batch 3", Blocks: 2, Cells: 2, In: 2, Out: 1, OutBias: true, T: 10, B: 3, Targets: "end"},
	{Name: "cells-only recurrence", Blocks: 2, Cells: 2, In: 3, Out: 2, CellsOnly: true, T: 10, B: 2, Targets: "some"},
	{Name: "cells-only recurrence, 2c-like", Blocks: 2, Cells: 1, In: 54, Out: 2, Biases: layers.BiasNone, CellsOnly: true,
		T: 20, B: 1, Targets: "end", InitRange: 0.2},
	{Name: "batch 2 linear out", Blocks: 2, Cells: 2, In: 4, Out: 2, OutLinear: true, G: layers.SquashSym1, H: layers.SquashSym2, T: 6, B: 2, Targets: "every"},
	// The architectures of the paper's Table 10 with its initialisation ranges (shorter sequences).
	{Name: "table 10 row 1-1", Blocks: 4, Cells: 1, In: 7, Out: 7, Biases: layers.BiasGates, T: 9, B: 1, Targets: "every", InitRange: 0.2},
	{Name: "table 10 row 1-2", Blocks: 3, Cells: 2, In: 7, Out: 7, Biases: layers.BiasGates, T: 12, B: 2, Targets: "every", InitRange: 0.2},
	{Name: "table 10 row 2a (p=100)", Blocks: 1, Cells: 1, In: 101, Out: 101, Biases: layers.BiasNone, NoOutGate: true,
		NoRecurrence: true, G: layers.SquashLogistic, H: layers.SquashIdentity, OutFromInputs: true, T: 8, B: 1, Targets: "every",
		InitRange: 0.2},
	{Name: "table 10 row 2c-1 (p=50)", Blocks: 2, Cells: 1, In: 54, Out: 2, Biases: layers.BiasNone, T: 20, B: 1, Targets: "end", InitRange: 0.2},
	{Name: "table 10 row 3a", Blocks: 3, Cells: 1, In: 1, Out: 1, T: 30, B: 2, Targets: "end", InitRange: 0.1},
	{Name: "table 10 row 4", Blocks: 2, Cells: 2, In: 2, Out: 1, OutBias: true, T: 40, B: 1, Targets: "end", InitRange: 0.1},
	{Name: "table 10 row 6a", Blocks: 2, Cells: 2, In: 8, Out: 4, OutBias: true, T: 25, B: 3, Targets: "end", InitRange: 0.1},
	{Name: "table 10 row 6b", Blocks: 3, Cells: 2, In: 8, Out: 8, OutBias: true, T: 25, B: 1, Targets: "end", InitRange: 0.1},
	// h' offset: a 2c-like net whose states drift far into h's flat ends, and a batch.
	{Name: "h' offset, 2c-like", Blocks: 2, Cells: 1, In: 54, Out: 2, Biases: layers.BiasNone, T: 20, B: 1, Targets: "end",
		InitRange: 0.6, HPrimeOffset: 0.05},
	{Name: "h' offset, batch 2 every step", Blocks: 3, Cells: 2, In: 4, Out: 3, OutBias: true, T: 8, B: 2, Targets: "every",
		HPrimeOffset: 0.3},
}

// NamedCase is a 1997 net whose layers are named "memory" and "readout" (NetConfig names the
// layers of every case whose Name starts with "named" so), with an identity g.
var NamedCase = Case{Name: "named layers, identity g", Blocks: 2, Cells: 1, In: 3, Out: 2, G: layers.SquashIdentity,
	H: layers.SquashLogistic, T: 6, B: 1, Targets: "every", InitRange: 0.3}

// VariantCases are the later variants of the cell, forget gates (Gers et al. 2000) and
// peepholes (Gers et al. 2002), each on one architecture.
var VariantCases = []Case{
	{Name: "forget gate, adding-like", Blocks: 2, Cells: 2, In: 2, Out: 1, OutBias: true, T: 12, B: 1, Targets: "end", Forget: true},
	{Name: "forget gate, reber-like every step", Blocks: 3, Cells: 2, In: 7, Out: 7, Biases: layers.BiasGates, T: 9, B: 1,
		Targets: "every", Forget: true},
	{Name: "forget gate, no bias, cells-only", Blocks: 2, Cells: 1, In: 5, Out: 2, Biases: layers.BiasNone, CellsOnly: true, T: 10, B: 1,
		Targets: "some", Forget: true},
	{Name: "peepholes", Blocks: 2, Cells: 2, In: 3, Out: 2, OutBias: true, T: 10, B: 1, Targets: "some", Peep: true},
	{Name: "forget gate and peepholes, big blocks", Blocks: 2, Cells: 3, In: 3, Out: 2, OutBias: true, T: 12, B: 1, Targets: "every",
		Forget: true, Peep: true, HPrimeOffset: 0.1},
	{Name: "forget gate and peepholes, no output gate, cells-only", Blocks: 3, Cells: 2, In: 2, Out: 3, NoOutGate: true, CellsOnly: true,
		T: 9, B: 2, Targets: "some", Forget: true, Peep: true},
	{Name: "forget gate and peepholes, no recurrence, connectivity B", Blocks: 1, Cells: 2, In: 4, Out: 4, NoRecurrence: true,
		OutFromInputs: true, OutLinear: true, OutBias: true, T: 8, B: 2, Targets: "every", Forget: true, Peep: true},
}

// Cases returns Cases1997, NamedCase and VariantCases, in that order, in a new slice: one net
// of every kind.
func Cases() []Case {
	cs := append([]Case(nil), Cases1997...)
	cs = append(cs, NamedCase)
	return append(cs, VariantCases...)
}

// VariantArchs are the architectures on which the later variants of the cell are compared
// with each other and with the 1997 cell, each in the four variants of VariantGrid.
var VariantArchs = []Case{
	{Name: "2 blocks of 2, batch 2", Blocks: 2, Cells: 2, In: 3, Out: 2, OutBias: true, T: 10, B: 2, Targets: "some"},
	{Name: "3 blocks of 1, gate biases, every step", Blocks: 3, Cells: 1, In: 4, Out: 3, Biases: layers.BiasGates, T: 8, B: 1, Targets: "every"},
	{Name: "no output gate", Blocks: 2, Cells: 2, In: 2, Out: 2, NoOutGate: true, OutBias: true, T: 9, B: 1, Targets: "end"},
	{Name: "no recurrence", Blocks: 2, Cells: 2, In: 3, Out: 1, NoRecurrence: true, T: 8, B: 2, Targets: "some"},
	{Name: "cells-only recurrence, no bias", Blocks: 2, Cells: 1, In: 3, Out: 2, Biases: layers.BiasNone, CellsOnly: true, T: 10, B: 1, Targets: "end"},
	{Name: "1 block of 3, batch 3, linear out", Blocks: 1, Cells: 3, In: 2, Out: 2, OutLinear: true, T: 7, B: 3, Targets: "every"},
	{Name: "long, 2 blocks of 2", Blocks: 2, Cells: 2, In: 2, Out: 1, OutBias: true, T: 30, B: 1, Targets: "end", InitRange: 0.3},
	{Name: "h' offset", Blocks: 2, Cells: 2, In: 3, Out: 2, T: 8, B: 2, Targets: "every", HPrimeOffset: 0.2},
}

// VariantGrid returns every architecture of VariantArchs as the 1997 cell, with a forget
// gate, with peepholes, and with both, named "architecture/variant".
func VariantGrid() []Case {
	var out []Case
	for _, a := range VariantArchs {
		for _, v := range []struct {
			name         string
			forget, peep bool
		}{{"1997", false, false}, {"forget gate", true, false}, {"peepholes", false, true}, {"forget gate and peepholes", true, true}} {
			c := a
			c.Name, c.Forget, c.Peep = a.Name+"/"+v.name, v.forget, v.peep
			out = append(out, c)
		}
	}
	return out
}

// NetConfig returns the case's network, with the full (untruncated) gradient if full. Its
// layers are named "lstm" and "out", or "memory" and "readout" if c.Name starts with "named".
func (c Case) NetConfig(full bool) layers.NetConfig {
	r := c.InitRange
	if r == 0 {
		r = 0.8
	}
	n := layers.NetConfig{
		LSTM: layers.Config{
			Name: "lstm", Inputs: c.In, NumBlocks: c.Blocks, CellsPerBlock: c.Cells, Biases: c.Biases,
			NoOutputGate: c.NoOutGate, NoRecurrence: c.NoRecurrence, CellsOnlyRecurrence: c.CellsOnly, G: c.G, H: c.H,
			InitRange: r, FullGradient: full, HPrimeOffset: c.HPrimeOffset, ForgetGate: c.Forget, Peepholes: c.Peep,
		},
		Output:           output.Config{Units: c.Out, Bias: c.OutBias, Linear: c.OutLinear, InitRange: r},
		OutputFromInputs: c.OutFromInputs,
	}
	if strings.HasPrefix(c.Name, "named") {
		n.LSTM.Name, n.Output.Name = "memory", "readout"
	}
	return n
}

// Batch returns a random batch of c.B sequences of c.T steps drawn from rng: inputs uniform in
// [-1, 1), targets uniform in [0, 1) at the last step and, by c.Targets, at every step or at
// about a third of the others.
func (c Case) Batch(rng *rand.Rand) train.Batch {
	var bt train.Batch
	for t := 0; t < c.T; t++ {
		step := make([][]float64, c.B)
		for i := range step {
			step[i] = make([]float64, c.In)
			for k := range step[i] {
				step[i][k] = 2*rng.Float64() - 1
			}
		}
		bt.Inputs = append(bt.Inputs, step)
		has := c.Targets == "every" || t == c.T-1 || (c.Targets == "some" && rng.Intn(3) == 0)
		if !has {
			bt.Targets = append(bt.Targets, nil)
			continue
		}
		tg := make([][]float64, c.B)
		for i := range tg {
			tg[i] = make([]float64, c.Out)
			for k := range tg[i] {
				tg[i][k] = rng.Float64()
			}
		}
		bt.Targets = append(bt.Targets, tg)
	}
	return bt
}

// squash maps a layers.Squash to the oracle's; def stands for layers' default.
func squash(s layers.Squash, def oracle.Squash) oracle.Squash {
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

// Slot maps a parameter of the graph's layout, its name and the flat index of one of its
// values, to that weight's slot in g, a Grads-shaped set of arrays (the oracle's gradients,
// or its weights through Weights).
type Slot func(g *oracle.Grads, name string, idx int) *float64

// Weights returns the weights of n as a Grads-shaped set of arrays (sharing n's storage), for
// a Slot to address them.
func Weights(n *oracle.Net) *oracle.Grads {
	return &oracle.Grads{Wx: n.Wx, Wh: n.Wh, B: n.B, P: n.P, Wo: n.Wo, Wox: n.Wox, Bo: n.Bo}
}

// OracleNet returns case c as an oracle network, holding the weights of ps (in the graph's
// layout, named as c.NetConfig names them) or, if ps is nil, all weights zero, and the Slot of
// its layout. The Slot fails tb on a name that is no parameter of the case.
func OracleNet(tb testing.TB, c Case, ps *graph.ParamSet) (*oracle.Net, Slot) {
	tb.Helper()
	n := &oracle.Net{I: c.In, C: c.Blocks, S: c.Cells, K: c.Out, OutGate: !c.NoOutGate, Recurrent: !c.NoRecurrence, CellsOnly: c.CellsOnly,
		ForgetGate: c.Forget, Peepholes: c.Peep,
		G: squash(c.G, oracle.Sym2), H: squash(c.H, oracle.Sym1), OutFromInputs: c.OutFromInputs, OutBias: c.OutBias, OutLinear: c.OutLinear,
		HPrimeOffset: c.HPrimeOffset}
	U, CS := n.Units(), c.Blocks*c.Cells
	n.HasBias = make([]bool, U)
	for u := range n.HasBias {
		n.HasBias[u] = c.Biases == layers.BiasAll || (c.Biases == layers.BiasGates && u >= CS)
	}
	mk := func(r, k int) [][]float64 {
		m := make([][]float64, r)
		for i := range m {
			m[i] = make([]float64, k)
		}
		return m
	}
	n.Wx, n.Wh, n.B, n.P = mk(U, c.In), mk(U, U), make([]float64, U), mk(U, c.Cells)
	n.Wo, n.Wox, n.Bo = mk(c.Out, CS), mk(c.Out, c.In), make([]float64, c.Out)
	// The units in the oracle's order: cells, input gates, output gates, forget gates.
	first := map[string]int{"cell": 0, "in_gate": CS, "out_gate": CS + c.Blocks, "forget_gate": CS + c.Blocks}
	if !c.NoOutGate {
		first["forget_gate"] += c.Blocks
	}
	width := map[string]int{"cell": CS, "in_gate": c.Blocks, "out_gate": c.Blocks, "forget_gate": c.Blocks}
	net := c.NetConfig(false)
	lstm, out := net.LSTM.Name+"/", net.Output.Name+"/"
	if net.Output.Name == "" {
		out = "out/"
	}
	slot := func(g *oracle.Grads, name string, idx int) *float64 {
		tb.Helper()
		switch name {
		case out + "w":
			return &g.Wo[idx%c.Out][idx/c.Out]
		case out + "wx":
			return &g.Wox[idx%c.Out][idx/c.Out]
		case out + "b":
			return &g.Bo[idx]
		}
		rest, ok := strings.CutPrefix(name, lstm)
		i := strings.LastIndex(rest, "/")
		if !ok || i < 0 || width[rest[:i]] == 0 {
			tb.Fatalf("testnets: unknown parameter %q", name)
			return nil
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
		case "peep": // [1, NumCells]: the weight from cell idx into its block's gate
			return &g.P[first[group]+idx/c.Cells][idx%c.Cells]
		}
		tb.Fatalf("testnets: unknown parameter %q", name)
		return nil
	}
	if ps != nil {
		for _, name := range ps.Names() {
			v, err := ps.Float64s(name)
			if err != nil {
				tb.Fatal(err)
			}
			for i, x := range v {
				*slot(Weights(n), name, i) = x
			}
		}
	}
	return n, slot
}

// CaptureOpt is an optimizer (train.TrainerConfig.Optimizer) that records copies of the
// gradients it is given and changes nothing.
type CaptureOpt struct {
	// Params are the parameters of the last Step, each with a copy of its gradient.
	Params []vm.Param
}

// Step records ps.
func (o *CaptureOpt) Step(ps []vm.Param) error {
	o.Params = nil
	for _, p := range ps {
		o.Params = append(o.Params, vm.Param{Name: p.Name, Value: p.Value, Grad: p.Grad.Clone().(*tensor.Dense)})
	}
	return nil
}

// Step trains one step on bt with a train.Trainer made from cfg, whose Optimizer it replaces
// by a CaptureOpt, and returns the parameters with copies of their gradients and the step's
// result.
func Step(cfg train.TrainerConfig, bt train.Batch) ([]vm.Param, train.Result, error) {
	opt := &CaptureOpt{}
	cfg.Optimizer = opt
	tr, err := train.NewTrainer(cfg)
	if err != nil {
		return nil, train.Result{}, err
	}
	defer tr.Close()
	r, err := tr.Step(bt)
	if err != nil {
		return nil, train.Result{}, err
	}
	return opt.Params, r, nil
}

// RelDiff returns max |a - b| / max |b| (the norm-relative difference of two tensors), and
// max |a - b| where b is all zeros.
func RelDiff(a, b []float64) float64 {
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

// BenchSteps measures tr's training steps (forward, backward, update) on the batches bts in
// turn, their programs compiled outside the timer, and reports sequences per second: the loop
// of the layers, online and trial benchmarks.
func BenchSteps(b *testing.B, tr *train.Trainer, bts ...train.Batch) {
	seqs := make([]int, len(bts))
	for i, bt := range bts {
		s, err := bt.Shape()
		if err != nil {
			b.Fatal(err)
		}
		seqs[i] = s.B
		if _, err := tr.Step(bt); err != nil { // compile
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	n, trained := 0, 0
	for b.Loop() {
		i := n % len(bts)
		if _, err := tr.Step(bts[i]); err != nil {
			b.Fatal(err)
		}
		n++
		trained += seqs[i]
	}
	b.ReportMetric(float64(trained)/b.Elapsed().Seconds(), "seq/s")
}
