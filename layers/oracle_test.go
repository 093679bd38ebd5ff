package layers_test

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/internal/gradcheck"
	"github.com/lstm97/lstm97/internal/oracle"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/train"
)

// netCase is a random network and data layout for the oracle tests.
type netCase struct {
	name          string
	blocks, cells int
	in, out       int
	biases        layers.Biases
	noOutGate     bool
	noRecurrence  bool
	cellsOnly     bool // CellsOnlyRecurrence
	g, h          layers.Squash
	outFromInputs bool
	outBias       bool
	outLinear     bool
	T, B          int
	targets       string // "end", "every" or "some"
	// initRange defaults to 0.8, large enough to leave the linear range of the squashes. Larger
	// nets or longer sequences need smaller weights: past |x| = 19 gorgonia's sigmoid (used by
	// the unrolled form) returns exactly 0 or 1, a 5.6e-9 deviation from the logistic function
	// that the fused form and the oracle compute exactly.
	initRange float64
	// hPrimeOffset is layers.Config.HPrimeOffset (not a derivative of the loss: the finite
	// difference test skips it).
	hPrimeOffset float64
	// forget and peep are layers.Config.ForgetGate and Peepholes (Gers et al. 2000, 2002).
	forget, peep bool
}

var netCases = []netCase{
	{name: "adding-like", blocks: 2, cells: 2, in: 2, out: 1, outBias: true, T: 12, B: 1, targets: "end"},
	{name: "reber-like every step", blocks: 3, cells: 2, in: 7, out: 7, biases: layers.BiasGates, T: 9, B: 1, targets: "every"},
	{name: "one block one cell", blocks: 1, cells: 1, in: 3, out: 2, T: 7, B: 1, targets: "some"},
	{name: "no bias", blocks: 2, cells: 1, in: 5, out: 2, biases: layers.BiasNone, T: 10, B: 1, targets: "end"},
	{name: "no output gate, exp 2a", blocks: 1, cells: 1, in: 6, out: 6, biases: layers.BiasNone, noOutGate: true,
		noRecurrence: true, g: layers.SquashLogistic, h: layers.SquashIdentity, outFromInputs: true, T: 6, B: 1, targets: "every"},
	{name: "no output gate, recurrent", blocks: 3, cells: 3, in: 2, out: 3, noOutGate: true, outBias: true, T: 8, B: 1, targets: "some"},
	// Connectivity B with targets at some steps: the packed form computes its outputs from the
	// cells and the inputs of those steps only (Output.ApplyRows).
	{name: "connectivity B, some targets, batch 2", blocks: 1, cells: 1, in: 6, out: 6, biases: layers.BiasNone, noOutGate: true,
		noRecurrence: true, g: layers.SquashLogistic, h: layers.SquashIdentity, outFromInputs: true, outBias: true, T: 7, B: 2, targets: "some"},
	{name: "big blocks", blocks: 2, cells: 4, in: 3, out: 2, outBias: true, T: 15, B: 1, targets: "every"},
	{name: "batch 3", blocks: 2, cells: 2, in: 2, out: 1, outBias: true, T: 10, B: 3, targets: "end"},
	{name: "cells-only recurrence", blocks: 2, cells: 2, in: 3, out: 2, cellsOnly: true, T: 10, B: 2, targets: "some"},
	{name: "cells-only recurrence, 2c-like", blocks: 2, cells: 1, in: 54, out: 2, biases: layers.BiasNone, cellsOnly: true,
		T: 20, B: 1, targets: "end", initRange: 0.2},
	{name: "batch 2 linear out", blocks: 2, cells: 2, in: 4, out: 2, outLinear: true, g: layers.SquashSym1, h: layers.SquashSym2, T: 6, B: 2, targets: "every"},
	// The architectures of the paper's Table 10 with its initialisation ranges (shorter sequences).
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
	// h' offset: a 2c-like net whose states drift far into h's flat ends, and a batch.
	{name: "h' offset, 2c-like", blocks: 2, cells: 1, in: 54, out: 2, biases: layers.BiasNone, T: 20, B: 1, targets: "end",
		initRange: 0.6, hPrimeOffset: 0.05},
	{name: "h' offset, batch 2 every step", blocks: 3, cells: 2, in: 4, out: 3, outBias: true, T: 8, B: 2, targets: "every",
		hPrimeOffset: 0.3},
}

func (c netCase) netConfig(full bool) layers.NetConfig {
	r := c.initRange
	if r == 0 {
		r = 0.8
	}
	return layers.NetConfig{
		LSTM: layers.Config{
			Name: "lstm", Inputs: c.in, NumBlocks: c.blocks, CellsPerBlock: c.cells, Biases: c.biases,
			NoOutputGate: c.noOutGate, NoRecurrence: c.noRecurrence, CellsOnlyRecurrence: c.cellsOnly, G: c.g, H: c.h,
			InitRange: r, FullGradient: full, HPrimeOffset: c.hPrimeOffset, ForgetGate: c.forget, Peepholes: c.peep,
		},
		Output:           output.Config{Units: c.out, Bias: c.outBias, Linear: c.outLinear, InitRange: r},
		OutputFromInputs: c.outFromInputs,
	}
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

func squashOf(s layers.Squash, isG bool) oracle.Squash {
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
	if isG {
		return oracle.Sym2
	}
	return oracle.Sym1
}

// oracleNet returns an oracle network for case c with all weights zero, and a function that
// maps (parameter name, flat index) of the graph's layout to the oracle's weight slot in a
// Grads-shaped set of arrays.
func oracleNet(c netCase) (*oracle.Net, func(g *oracle.Grads, name string, idx int) *float64) {
	n := &oracle.Net{I: c.in, C: c.blocks, S: c.cells, K: c.out, OutGate: !c.noOutGate, Recurrent: !c.noRecurrence, CellsOnly: c.cellsOnly,
		ForgetGate: c.forget, Peepholes: c.peep,
		G: squashOf(c.g, true), H: squashOf(c.h, false), OutFromInputs: c.outFromInputs, OutBias: c.outBias, OutLinear: c.outLinear,
		HPrimeOffset: c.hPrimeOffset}
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
	n.Wx, n.Wh, n.B, n.P = mk(U, c.in), mk(U, U), make([]float64, U), mk(U, c.cells)
	n.Wo, n.Wox, n.Bo = mk(c.out, CS), mk(c.out, c.in), make([]float64, c.out)
	first := map[string]int{"cell": 0, "in_gate": CS, "out_gate": CS + c.blocks, "forget_gate": CS + c.blocks}
	if !c.noOutGate {
		first["forget_gate"] += c.blocks
	}
	width := map[string]int{"cell": CS, "in_gate": c.blocks, "out_gate": c.blocks, "forget_gate": c.blocks}
	slot := func(g *oracle.Grads, name string, idx int) *float64 {
		switch name {
		case "out/w":
			return &g.Wo[idx%c.out][idx/c.out]
		case "out/wx":
			return &g.Wox[idx%c.out][idx/c.out]
		case "out/b":
			return &g.Bo[idx]
		}
		var group, kind string
		fmt.Sscanf(name, "lstm/%s", &group)
		for i := len(group) - 1; i >= 0; i-- {
			if group[i] == '/' {
				group, kind = group[:i], group[i+1:]
				break
			}
		}
		w := width[group]
		u := first[group] + idx%w
		switch kind {
		case "wx":
			return &g.Wx[u][idx/w]
		case "wh":
			return &g.Wh[u][idx/w]
		case "b":
			return &g.B[u]
		case "peep": // [1, NumCells]: from cell idx into its block's gate
			return &g.P[first[group]+idx/c.cells][idx%c.cells]
		}
		panic("unknown parameter " + name)
	}
	return n, slot
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

// forms are the two ways of building the same network.
var forms = []struct {
	name     string
	unrolled bool
}{{"unrolled", true}, {"fused", false}}

// graphGrads builds the case's network in the given form, trains one step on bt through a
// Trainer whose optimizer only records, and returns the parameters with their gradients, the
// outputs at the target steps ([step][B·out]) and the loss.
func graphGrads(t *testing.T, c netCase, unrolled, full bool, seed int64, bt train.Batch) ([]vm.Param, [][]float64, float64) {
	t.Helper()
	cfg := c.netConfig(full)
	cfg.Unrolled = unrolled
	opt := &captureOpt{}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(cfg), Optimizer: opt, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	r, err := tr.Step(bt)
	if err != nil {
		t.Fatal(err)
	}
	var outs [][]float64
	for _, rows := range r.Outputs {
		var flat []float64
		for _, row := range rows {
			flat = append(flat, row...)
		}
		outs = append(outs, flat)
	}
	return opt.ps, outs, r.Loss
}

// TestTruncatedGradientMatchesPaperAlgorithm checks that reverse-mode differentiation of the
// graph with truncation equals the paper's own forward-propagated algorithm (Appendix A.1).
func TestTruncatedGradientMatchesPaperAlgorithm(t *testing.T) {
	for _, form := range forms {
		t.Run(form.name, func(t *testing.T) { testAgainstOracle(t, form.unrolled) })
	}
}

func testAgainstOracle(t *testing.T, unrolled bool) {
	t.Logf("largest relative difference graph vs oracle: %.3g", againstOracle(t, netCases, unrolled, 3))
}

// againstOracle runs each case in the given form, trials times with different weights and data,
// compares outputs, loss and truncated gradients with the oracle and returns the largest
// relative difference per parameter tensor.
// Every parameter tensor must have a non-zero gradient in some trial, or its comparison would
// be vacuous.
func againstOracle(t *testing.T, cases []netCase, unrolled bool, trials int) float64 {
	worst := 0.0
	for ci, c := range cases {
		nonZero := map[string]bool{}
		for trial := 0; trial < trials; trial++ {
			seed := int64(100*ci + trial)
			rng := rand.New(rand.NewSource(seed))
			bt := c.batch(rng)
			ps, outs, loss := graphGrads(t, c, unrolled, false, seed, bt)
			net, slot := oracleNet(c)
			for _, p := range ps { // copy the graph's weights into the oracle's net
				for i, v := range p.Value.Data().([]float64) {
					*slot(&oracle.Grads{Wx: net.Wx, Wh: net.Wh, B: net.B, P: net.P, Wo: net.Wo, Wox: net.Wox, Bo: net.Bo}, p.Name, i) = v
				}
			}
			var want []*oracle.Grads
			wantLoss := 0.0
			for seq := 0; seq < c.B; seq++ {
				xs := make([][]float64, c.T)
				ts := make([][]float64, len(bt.Targets))
				for step := range xs {
					xs[step] = bt.Inputs[step][seq]
					if step < len(bt.Targets) && bt.Targets[step] != nil {
						ts[step] = bt.Targets[step][seq]
					}
				}
				d, l, o := net.Run(xs, ts)
				want = append(want, &d)
				wantLoss += l / float64(c.B)
				for k := range o { // outputs agree
					for u := range o[k] {
						if got := outs[k][seq*c.out+u]; math.Abs(got-o[k][u]) > 1e-13 {
							t.Fatalf("%s: output %d seq %d unit %d: graph %v oracle %v", c.name, k, seq, u, got, o[k][u])
						}
					}
				}
			}
			if math.Abs(loss-wantLoss) > 1e-12*math.Max(1, wantLoss) {
				t.Errorf("%s: loss graph %v oracle %v", c.name, loss, wantLoss)
			}
			// Per parameter tensor: max |graph - oracle| / max |oracle| (the norm-relative error).
			for _, p := range ps {
				diff, size, at := 0.0, 0.0, 0
				for i, gv := range p.Grad.Data().([]float64) {
					ov := 0.0
					for _, d := range want {
						ov += *slot(d, p.Name, i)
					}
					ov = -ov / float64(c.B) // the oracle gives -∂E/∂w per sequence; the loss is the batch mean
					size = math.Max(size, math.Abs(ov))
					if d := math.Abs(gv - ov); d > diff {
						diff, at = d, i
					}
				}
				nonZero[p.Name] = nonZero[p.Name] || size > 0
				if size == 0 {
					if diff != 0 {
						t.Errorf("%s trial %d: %s: oracle gradient is zero, graph differs by %g", c.name, trial, p.Name, diff)
					}
					continue
				}
				rel := diff / size
				worst = math.Max(worst, rel)
				if rel > 1e-12 {
					t.Errorf("%s trial %d: %s: max difference %.3g at [%d] is %.3g of the largest gradient %.3g", c.name, trial, p.Name, diff, at, rel, size)
				}
			}
		}
		for name, nz := range nonZero {
			if !nz {
				t.Errorf("%s: the gradient of %s is 0 in every trial: its comparison is vacuous", c.name, name)
			}
		}
	}
	return worst
}

// TestFullGradientMatchesFiniteDifferences checks the untruncated graph against central
// differences of its own loss, and that truncation does change the gradient of recurrent
// weights (so the truncated test above is not vacuous).
func TestFullGradientMatchesFiniteDifferences(t *testing.T) {
	fullAgainstFiniteDifferences(t, netCases)
}

// fullAgainstFiniteDifferences checks the full gradient of each short case without an h'
// offset in both forms against central differences, and that the truncated gradient differs
// from it where truncation cuts a path: recurrent connections or peepholes.
func fullAgainstFiniteDifferences(t *testing.T, cases []netCase) {
	for _, form := range forms {
		for ci, c := range cases {
			if c.T > 10 || c.hPrimeOffset != 0 {
				continue
			}
			t.Run(form.name+"/"+c.name, func(t *testing.T) {
				seed := int64(7 + ci)
				bt := c.batch(rand.New(rand.NewSource(seed)))
				ps, _, _ := graphGrads(t, c, form.unrolled, true, seed, bt)
				trunc, _, _ := graphGrads(t, c, form.unrolled, false, seed, bt)

				// The loss as a function of the weights, through a Trainer's evaluation.
				cfg := c.netConfig(true)
				cfg.Unrolled = form.unrolled
				tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(cfg), Seed: seed})
				if err != nil {
					t.Fatal(err)
				}
				defer tr.Close()
				lossAt := func() float64 {
					r, err := tr.Evaluate(bt)
					if err != nil {
						t.Fatal(err)
					}
					return r.Loss
				}
				lossAt() // creates the parameters
				fd := &gradcheck.Checker{T: t, Loss: lossAt, Tol: fdTol}
				differs := false
				for pi, q := range ps {
					got := q.Grad.Data().([]float64)
					fd.Check(q.Name, tr.Params().Get(q.Name).Data().([]float64), got)
					for i, tv := range trunc[pi].Grad.Data().([]float64) {
						differs = differs || math.Abs(tv-got[i]) > 1e-6
					}
				}
				fd.Report(t.Name())
				if (!c.noRecurrence || c.peep) && !differs {
					t.Error("truncated and full gradients agree everywhere on a net with recurrence or peepholes")
				}
			})
		}
	}
}

// TestHPrimeOffsetChangesOnlyTheCellErrors checks what Config.HPrimeOffset may change: not the
// outputs, the loss or the gradients of the output units and output gates (which see h(s),
// not h'(s)), but the gradients of the cells and input gates, in both forms.
func TestHPrimeOffsetChangesOnlyTheCellErrors(t *testing.T) {
	var c netCase
	for _, nc := range netCases {
		if nc.name == "h' offset, 2c-like" {
			c = nc
		}
	}
	if c.hPrimeOffset == 0 {
		t.Fatal("no h' offset case")
	}
	plain := c
	plain.hPrimeOffset = 0
	for _, form := range forms {
		t.Run(form.name, func(t *testing.T) {
			bt := c.batch(rand.New(rand.NewSource(5)))
			ps, outs, loss := graphGrads(t, c, form.unrolled, false, 5, bt)
			ps0, outs0, loss0 := graphGrads(t, plain, form.unrolled, false, 5, bt)
			if loss != loss0 || fmt.Sprint(outs) != fmt.Sprint(outs0) {
				t.Errorf("the offset changed the forward pass: loss %v, without %v", loss, loss0)
			}
			for i, p := range ps {
				g, g0 := p.Grad.Data().([]float64), ps0[i].Grad.Data().([]float64)
				same := fmt.Sprint(g) == fmt.Sprint(g0)
				cellSide := strings.HasPrefix(p.Name, "lstm/cell/") || strings.HasPrefix(p.Name, "lstm/in_gate/")
				if cellSide == same {
					t.Errorf("%s: gradient changed by the offset: %v, want %v", p.Name, !same, cellSide)
				}
			}
		})
	}
}

// TestHPrimeOffsetFullGradientFormsAgree: with the full gradient the offset applies to every
// error through y^c; the finite difference test cannot check that (the offset is no
// derivative of the loss), so the two forms, built separately, are checked against each other.
func TestHPrimeOffsetFullGradientFormsAgree(t *testing.T) {
	for _, c := range netCases {
		if c.hPrimeOffset == 0 {
			continue
		}
		bt := c.batch(rand.New(rand.NewSource(9)))
		un, _, _ := graphGrads(t, c, true, true, 9, bt)
		fu, _, _ := graphGrads(t, c, false, true, 9, bt)
		tr, _, _ := graphGrads(t, c, false, false, 9, bt)
		differs := false
		for i, p := range un {
			a, b, tv := p.Grad.Data().([]float64), fu[i].Grad.Data().([]float64), tr[i].Grad.Data().([]float64)
			for k := range a {
				if math.Abs(a[k]-b[k]) > 1e-12*math.Max(1, math.Abs(a[k])) {
					t.Fatalf("%s: %s[%d]: unrolled %v, fused %v", c.name, p.Name, k, a[k], b[k])
				}
				differs = differs || math.Abs(b[k]-tv[k]) > 1e-9
			}
		}
		if !differs {
			t.Errorf("%s: the full gradient with the offset equals the truncated one", c.name)
		}
	}
}

// fdTol is the tolerance of the layer's gradient checks against central differences:
// |graph − central difference| <= 1e-7.
var fdTol = gradcheck.Tol{Abs: 1e-7}

// TestExecutorMatchesTapeMachine runs the unrolled network on this module's executor and on
// gorgonia's TapeMachine and compares outputs and gradients.
func TestExecutorMatchesTapeMachine(t *testing.T) {
	for _, c := range netCases[:4] {
		bt := c.batch(rand.New(rand.NewSource(11)))
		s, err := bt.Shape()
		if err != nil {
			t.Fatal(err)
		}
		var got [2][]float64
		for i, opts := range [][]vm.CompileOption{nil, {vm.UseTapeMachine()}} {
			cfg := c.netConfig(false)
			cfg.Unrolled = true
			b := graph.NewBuilder(graph.Config{Seed: 4})
			m, err := layers.BuildNet(b, cfg, s)
			if err != nil {
				t.Fatal(err)
			}
			p, err := vm.Compile(b, m.Loss, append(opts, vm.Watch(m.Outputs...))...)
			if err != nil {
				t.Fatal(err)
			}
			for step, n := range m.Inputs {
				var v []float64
				for _, x := range bt.Inputs[step] {
					v = append(v, x...)
				}
				if err := p.Set(n, v); err != nil {
					t.Fatal(err)
				}
			}
			for k, n := range m.Targets {
				var v []float64
				for _, y := range bt.Targets[s.TargetSteps[k]] {
					v = append(v, y...)
				}
				if err := p.Set(n, v); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.Run(); err != nil {
				t.Fatal(err)
			}
			for _, o := range m.Outputs {
				v, err := p.Value(o)
				if err != nil {
					t.Fatal(err)
				}
				got[i] = append(got[i], v...)
			}
			ps, err := p.Params()
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range ps {
				got[i] = append(got[i], q.Grad.Data().([]float64)...)
			}
			p.Close()
		}
		if len(got[0]) != len(got[1]) || len(got[0]) == 0 {
			t.Fatalf("%s: %d vs %d values", c.name, len(got[0]), len(got[1]))
		}
		for i := range got[0] {
			if got[0][i] != got[1][i] {
				t.Errorf("%s: value %d: executor %.17g, TapeMachine %.17g", c.name, i, got[0][i], got[1][i])
				break
			}
		}
	}
}
