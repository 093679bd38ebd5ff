package layers_test

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/internal/gradcheck"
	"github.com/lstm97/lstm97/internal/oracle"
	"github.com/lstm97/lstm97/internal/testnets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/train"
)

// forms are the two ways of building the same network.
var forms = []struct {
	name     string
	unrolled bool
}{{"unrolled", true}, {"fused", false}}

// graphGrads builds the case's network in the given form, trains one step on bt through a
// Trainer whose optimizer only records, and returns the parameters with their gradients, the
// outputs at the target steps ([step][B·out]) and the loss.
func graphGrads(t *testing.T, c testnets.Case, unrolled, full bool, seed int64, bt train.Batch) ([]vm.Param, [][]float64, float64) {
	t.Helper()
	cfg := c.NetConfig(full)
	cfg.Unrolled = unrolled
	ps, r, err := testnets.Step(train.TrainerConfig{Model: layers.Net(cfg), Seed: seed}, bt)
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
	return ps, outs, r.Loss
}

// TestTruncatedGradientMatchesPaperAlgorithm checks that reverse-mode differentiation of the
// graph with truncation equals the paper's own forward-propagated algorithm (Appendix A.1).
func TestTruncatedGradientMatchesPaperAlgorithm(t *testing.T) {
	for _, form := range forms {
		t.Run(form.name, func(t *testing.T) { testAgainstOracle(t, form.unrolled) })
	}
}

func testAgainstOracle(t *testing.T, unrolled bool) {
	t.Logf("largest relative difference graph vs oracle: %.3g", againstOracle(t, testnets.Cases1997, unrolled, 3))
}

// againstOracle runs each case in the given form, trials times with different weights and data,
// compares outputs, loss and truncated gradients with the oracle and returns the largest
// relative difference per parameter tensor.
// Every parameter tensor must have a non-zero gradient in some trial, or its comparison would
// be vacuous.
func againstOracle(t *testing.T, cases []testnets.Case, unrolled bool, trials int) float64 {
	worst := 0.0
	for ci, c := range cases {
		nonZero := map[string]bool{}
		for trial := 0; trial < trials; trial++ {
			seed := int64(100*ci + trial)
			rng := rand.New(rand.NewSource(seed))
			bt := c.Batch(rng)
			ps, outs, loss := graphGrads(t, c, unrolled, false, seed, bt)
			net, slot := testnets.OracleNet(t, c, nil)
			for _, p := range ps { // copy the graph's weights into the oracle's net
				for i, v := range p.Value.Data().([]float64) {
					*slot(testnets.Weights(net), p.Name, i) = v
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
						if got := outs[k][seq*c.Out+u]; math.Abs(got-o[k][u]) > 1e-13 {
							t.Fatalf("%s: output %d seq %d unit %d: graph %v oracle %v", c.Name, k, seq, u, got, o[k][u])
						}
					}
				}
			}
			if math.Abs(loss-wantLoss) > 1e-12*math.Max(1, wantLoss) {
				t.Errorf("%s: loss graph %v oracle %v", c.Name, loss, wantLoss)
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
						t.Errorf("%s trial %d: %s: oracle gradient is zero, graph differs by %g", c.Name, trial, p.Name, diff)
					}
					continue
				}
				rel := diff / size
				worst = math.Max(worst, rel)
				if rel > 1e-12 {
					t.Errorf("%s trial %d: %s: max difference %.3g at [%d] is %.3g of the largest gradient %.3g", c.Name, trial, p.Name, diff, at, rel, size)
				}
			}
		}
		for name, nz := range nonZero {
			if !nz {
				t.Errorf("%s: the gradient of %s is 0 in every trial: its comparison is vacuous", c.Name, name)
			}
		}
	}
	return worst
}

// TestFullGradientMatchesFiniteDifferences checks the untruncated graph against central
// differences of its own loss, and that truncation does change the gradient of recurrent
// weights (so the truncated test above is not vacuous).
func TestFullGradientMatchesFiniteDifferences(t *testing.T) {
	fullAgainstFiniteDifferences(t, testnets.Cases1997)
}

// fullAgainstFiniteDifferences checks the full gradient of each short case without an h'
// offset in both forms against central differences, and that the truncated gradient differs
// from it where truncation cuts a path: recurrent connections or peepholes.
func fullAgainstFiniteDifferences(t *testing.T, cases []testnets.Case) {
	for _, form := range forms {
		for ci, c := range cases {
			if c.T > 10 || c.HPrimeOffset != 0 {
				continue
			}
			t.Run(form.name+"/"+c.Name, func(t *testing.T) {
				seed := int64(7 + ci)
				bt := c.Batch(rand.New(rand.NewSource(seed)))
				ps, _, _ := graphGrads(t, c, form.unrolled, true, seed, bt)
				trunc, _, _ := graphGrads(t, c, form.unrolled, false, seed, bt)

				// The loss as a function of the weights, through a Trainer's evaluation.
				cfg := c.NetConfig(true)
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
				if (!c.NoRecurrence || c.Peep) && !differs {
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
	var c testnets.Case
	for _, nc := range testnets.Cases1997 {
		if nc.Name == "h' offset, 2c-like" {
			c = nc
		}
	}
	if c.HPrimeOffset == 0 {
		t.Fatal("no h' offset case")
	}
	plain := c
	plain.HPrimeOffset = 0
	for _, form := range forms {
		t.Run(form.name, func(t *testing.T) {
			bt := c.Batch(rand.New(rand.NewSource(5)))
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
	for _, c := range testnets.Cases1997 {
		if c.HPrimeOffset == 0 {
			continue
		}
		bt := c.Batch(rand.New(rand.NewSource(9)))
		un, _, _ := graphGrads(t, c, true, true, 9, bt)
		fu, _, _ := graphGrads(t, c, false, true, 9, bt)
		tr, _, _ := graphGrads(t, c, false, false, 9, bt)
		differs := false
		for i, p := range un {
			a, b, tv := p.Grad.Data().([]float64), fu[i].Grad.Data().([]float64), tr[i].Grad.Data().([]float64)
			for k := range a {
				if math.Abs(a[k]-b[k]) > 1e-12*math.Max(1, math.Abs(a[k])) {
					t.Fatalf("%s: %s[%d]: unrolled %v, fused %v", c.Name, p.Name, k, a[k], b[k])
				}
				differs = differs || math.Abs(b[k]-tv[k]) > 1e-9
			}
		}
		if !differs {
			t.Errorf("%s: the full gradient with the offset equals the truncated one", c.Name)
		}
	}
}

// fdTol is the tolerance of the layer's gradient checks against central differences:
// |graph − central difference| <= 1e-7.
var fdTol = gradcheck.Tol{Abs: 1e-7}

// TestExecutorMatchesTapeMachine runs the unrolled network on this module's executor and on
// gorgonia's TapeMachine and compares outputs and gradients.
func TestExecutorMatchesTapeMachine(t *testing.T) {
	for _, c := range testnets.Cases1997[:4] {
		bt := c.Batch(rand.New(rand.NewSource(11)))
		s, err := bt.Shape()
		if err != nil {
			t.Fatal(err)
		}
		var got [2][]float64
		for i, opts := range [][]vm.CompileOption{nil, {vm.UseTapeMachine()}} {
			cfg := c.NetConfig(false)
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
			t.Fatalf("%s: %d vs %d values", c.Name, len(got[0]), len(got[1]))
		}
		for i := range got[0] {
			if got[0][i] != got[1][i] {
				t.Errorf("%s: value %d: executor %.17g, TapeMachine %.17g", c.Name, i, got[0][i], got[1][i])
				break
			}
		}
	}
}
