package layers_test

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/internal/testnets"
	"github.com/lstm97/lstm97/layers"
)

// TestVariantsMatchPaperAlgorithm: with a forget gate, peepholes or both, the truncated
// gradient of both forms equals what the appendix algorithm extended to them (internal/oracle:
// the forward-propagated partials scaled by y^φ, the forget gate's own partials, peephole
// weights with the states as sources) computes.
func TestVariantsMatchPaperAlgorithm(t *testing.T) {
	for _, form := range forms {
		t.Run(form.name, func(t *testing.T) {
			t.Logf("largest relative difference graph vs oracle: %.3g", againstOracle(t, testnets.VariantGrid(), form.unrolled, 2))
		})
	}
}

// TestVariantsFullGradientMatchesFiniteDifferences checks the untruncated gradient of the
// variants, in both forms, against central differences.
func TestVariantsFullGradientMatchesFiniteDifferences(t *testing.T) {
	fullAgainstFiniteDifferences(t, testnets.VariantGrid())
}

// TestVariantsFusedEqualsUnrolled compares the two forms directly: outputs to 1e-12, and the
// truncated and full gradients to 1e-12 relative to the largest of each tensor.
func TestVariantsFusedEqualsUnrolled(t *testing.T) {
	worstOut, worstGrad := 0.0, 0.0
	for ci, c := range testnets.VariantGrid() {
		bt := c.Batch(rand.New(rand.NewSource(int64(50 + ci))))
		for _, full := range []bool{false, true} {
			un, uo, ul := graphGrads(t, c, true, full, int64(ci), bt)
			fu, fo, fl := graphGrads(t, c, false, full, int64(ci), bt)
			if d := math.Abs(ul - fl); d > 1e-12*math.Max(1, ul) {
				t.Errorf("%s full=%v: loss unrolled %v, fused %v", c.Name, full, ul, fl)
			}
			for k := range uo {
				for i := range uo[k] {
					d := math.Abs(uo[k][i] - fo[k][i])
					worstOut = math.Max(worstOut, d)
					if d > 1e-12 {
						t.Errorf("%s full=%v: output %d[%d]: unrolled %v, fused %v", c.Name, full, k, i, uo[k][i], fo[k][i])
					}
				}
			}
			for i, p := range un {
				if fu[i].Name != p.Name {
					t.Fatalf("%s: parameter %d is %q unrolled, %q fused", c.Name, i, p.Name, fu[i].Name)
				}
				a, b := p.Grad.Data().([]float64), fu[i].Grad.Data().([]float64)
				size, diff := 0.0, 0.0
				for k := range a {
					size = math.Max(size, math.Abs(a[k]))
					diff = math.Max(diff, math.Abs(a[k]-b[k]))
				}
				if size > 0 {
					worstGrad = math.Max(worstGrad, diff/size)
				}
				if diff > 1e-12*size {
					t.Errorf("%s full=%v: %s: unrolled and fused differ by %.3g (largest %.3g)", c.Name, full, p.Name, diff, size)
				}
			}
		}
	}
	t.Logf("fused vs unrolled: largest output difference %.3g, largest relative gradient difference %.3g", worstOut, worstGrad)
}

// TestVariantsFloat32AgainstFloat64 compares float32 gradients of the forget gate with
// peepholes with float64 ones, in both forms.
func TestVariantsFloat32AgainstFloat64(t *testing.T) {
	var cases []testnets.Case
	for _, c := range testnets.VariantGrid() {
		if c.Forget && c.Peep && c.HPrimeOffset == 0 {
			cases = append(cases, c)
		}
	}
	float32Against64(t, cases)
}

// TestVariantParams checks the parameters the variants add: their names, shapes and order
// (Cell's documentation), the forget gates' initial biases, and the weight count.
func TestVariantParams(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   layers.Config
		want  string // names and shapes in Params order
		count int
	}{
		{"forget gate", layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 3, ForgetGate: true, ForgetGateBias: []float64{1, 2}},
			"lstm/cell/wx(2, 6) lstm/cell/wh(12, 6) lstm/cell/b(1, 6) lstm/in_gate/wx(2, 2) lstm/in_gate/wh(12, 2) lstm/in_gate/b(1, 2) " +
				"lstm/out_gate/wx(2, 2) lstm/out_gate/wh(12, 2) lstm/out_gate/b(1, 2) lstm/forget_gate/wx(2, 2) lstm/forget_gate/wh(12, 2) lstm/forget_gate/b(1, 2)",
			// 12 units · (2 inputs + 12 sources + 1 bias)
			12 * 15},
		{"peepholes", layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 3, Peepholes: true},
			"lstm/cell/wx(2, 6) lstm/cell/wh(10, 6) lstm/cell/b(1, 6) lstm/in_gate/wx(2, 2) lstm/in_gate/wh(10, 2) lstm/in_gate/b(1, 2) lstm/in_gate/peep(1, 6) " +
				"lstm/out_gate/wx(2, 2) lstm/out_gate/wh(10, 2) lstm/out_gate/b(1, 2) lstm/out_gate/peep(1, 6)",
			10*13 + 2*6},
		{"forget gate and peepholes, no output gate, no recurrence", layers.Config{Name: "f", Inputs: 2, NumBlocks: 2, CellsPerBlock: 1, ForgetGate: true,
			Peepholes: true, NoOutputGate: true, NoRecurrence: true, Biases: layers.BiasGates},
			"f/cell/wx(2, 2) f/in_gate/wx(2, 2) f/in_gate/b(1, 2) f/in_gate/peep(1, 2) f/forget_gate/wx(2, 2) f/forget_gate/b(1, 2) f/forget_gate/peep(1, 2)",
			6*2 + 4 + 2*2},
		{"forget gate, cells-only recurrence", layers.Config{Inputs: 1, NumBlocks: 1, CellsPerBlock: 2, ForgetGate: true, CellsOnlyRecurrence: true, Biases: layers.BiasNone},
			"lstm/cell/wx(1, 2) lstm/cell/wh(2, 2) lstm/in_gate/wx(1, 1) lstm/in_gate/wh(2, 1) lstm/out_gate/wx(1, 1) lstm/out_gate/wh(2, 1) " +
				"lstm/forget_gate/wx(1, 1) lstm/forget_gate/wh(2, 1)",
			5 * 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := graph.NewBuilder(graph.Config{Seed: 3})
			cell, err := layers.NewCell(b, tc.cfg)
			must(t, err)
			var got []string
			for _, p := range cell.Params() {
				got = append(got, p.Name()+fmt.Sprint(p.Shape()))
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("parameters\n%s\nwant\n%s", g, tc.want)
			}
			names := b.ParamSet().Names()
			if len(names) != len(got) {
				t.Fatalf("the parameter set holds %v, Params %v", names, got)
			}
			for i, name := range names {
				if !strings.HasPrefix(got[i], name+"(") {
					t.Errorf("parameter set order: %d is %s, Params has %s", i, name, got[i])
				}
			}
			if n := cell.NumWeights(); n != tc.count {
				t.Errorf("%d weights, want %d", n, tc.count)
			}
			if tc.cfg.ForgetGateBias != nil {
				fb, err := b.ParamSet().Float64s("lstm/forget_gate/b")
				must(t, err)
				if fb[0] != 1 || fb[1] != 2 {
					t.Errorf("forget gate biases %v, want [1 2]", fb)
				}
			}
			cfg := cell.Config()
			units := cfg.NumCells() + cfg.NumBlocks + btoi(!cfg.NoOutputGate)*cfg.NumBlocks + btoi(cfg.ForgetGate)*cfg.NumBlocks
			if cfg.NumUnits() != units {
				t.Errorf("NumUnits() = %d, want %d", cfg.NumUnits(), units)
			}
		})
	}
}

// TestVariantBadConfigs: the variants' options are checked like the others.
func TestVariantBadConfigs(t *testing.T) {
	ok := layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 2, ForgetGate: true}
	for _, tc := range []struct {
		name string
		edit func(c *layers.Config)
		want string
	}{
		{"bias without the gate", func(c *layers.Config) { c.ForgetGate = false; c.ForgetGateBias = []float64{1, 2} }, "ForgetGateBias set but ForgetGate false"},
		{"bias count", func(c *layers.Config) { c.ForgetGateBias = []float64{1} }, "ForgetGateBias has 1 values for 2 blocks"},
		{"bias with BiasNone", func(c *layers.Config) { c.Biases = layers.BiasNone; c.ForgetGateBias = []float64{1, 2} }, "ForgetGateBias set but Biases is none"},
		{"infinite bias", func(c *layers.Config) { c.ForgetGateBias = []float64{1, math.Inf(1)} }, "ForgetGateBias[1] is +Inf"},
	} {
		c := ok
		tc.edit(&c)
		_, err := layers.NewCell(graph.NewBuilder(graph.Config{}), c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestVariantStepNodes checks the nodes Step adds for the variants, which package dot draws:
// the forget gate in its own scope, the gated CEC, a peephole term in each gate's scope that
// reads the state through truncate (s(t) for the output gate, s(t-1) for the others), and the
// forget gate as the last part of y(t).
func TestVariantStepNodes(t *testing.T) {
	for _, full := range []bool{false, true} {
		b := graph.NewBuilder(graph.Config{Seed: 1})
		c, err := layers.NewCell(b, layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 2, ForgetGate: true, Peepholes: true, FullGradient: full})
		must(t, err)
		st0 := c.Step(b.Input("x/t0", 1, 2), layers.State{}, 0)
		st1 := c.Step(b.Input("x/t1", 1, 2), st0, 1)
		must(t, b.Err())
		labels := map[string]int{} // "scope: label" -> count
		var notes = map[int64]graph.Note{}
		for _, n := range b.Inspect() {
			notes[n.Node.ID()] = n.Note
			if n.Note.Label != "" {
				labels[n.Scope+": "+n.Note.Label]++
			}
		}
		for _, want := range []string{
			"lstm/t1/forget_gate: net_φ", "lstm/t1/forget_gate: y_φ = f(net_φ)", "lstm/t1/cell: y_φ · s(t-1)",
			"lstm/t1/in_gate: Σ_v p_v·s_v(t-1)", "lstm/t1/forget_gate: Σ_v p_v·s_v(t-1)", "lstm/t1/out_gate: Σ_v p_v·s_v(t)",
			"lstm/t0/out_gate: Σ_v p_v·s_v(t)", "lstm/t1: y(t) = [y_c, y_in, y_out, y_φ]",
		} {
			if labels[want] != 1 {
				t.Errorf("full=%v: %d nodes %q, want 1", full, labels[want], want)
			}
		}
		if n := labels["lstm/t0/cell: truncate s(t)"] + labels["lstm/t1/cell: truncate s(t)"]; n != 2*btoi(!full) {
			t.Errorf("full=%v: %d truncations of s, want %d (s(0) and s(1), each shared by two steps' peepholes)", full, n, 2*btoi(!full))
		}
		if got := notes[st1.S.ID()]; got.Label != "s(t) = y_φ·s(t-1) + y_in·g" || got.Role != graph.RoleCellState {
			t.Errorf("s(1) note %+v", got)
		}
		if st1.ForgetGate == nil || !st1.Y.Shape().Eq(tensor.Shape{1, 10}) {
			t.Errorf("y(t) shape %v, forget gate %v", st1.Y.Shape(), st1.ForgetGate)
		}
	}
}
