package layers_test

import (
	"bytes"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/dot"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
)

// forward compiles b forward only, sets the inputs and returns the values of the watched nodes.
func forward(t *testing.T, b *graph.Builder, set map[*G.Node][]float64, watch ...*G.Node) [][]float64 {
	t.Helper()
	p, err := vm.Compile(b, nil, vm.ForwardOnly(), vm.Watch(watch...))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for n, v := range set {
		if err := p.Set(n, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Run(); err != nil {
		t.Fatal(err)
	}
	out := make([][]float64, len(watch))
	for i, n := range watch {
		if out[i], err = p.Value(n); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestUnfoldStepComputesTheFusedStep builds one step of a fused LSTM with UnfoldStep (what
// package dot draws), gives it the previous state of the unrolled layer, and checks that it
// computes the rows of that step of the fused node's output. The unfolded step binds the
// model's parameters by name (Config.Params), so a wrong name would draw fresh random weights
// and fail.
func TestUnfoldStepComputesTheFusedStep(t *testing.T) {
	const T, B = 4, 2
	worst := 0.0
	for _, tc := range []struct {
		name string
		cfg  layers.Config
		hot  bool
	}{
		{"paper's cell, 2 blocks of 2", layers.Config{Inputs: 3, NumBlocks: 2, CellsPerBlock: 2, InputGateBias: []float64{-1, -2}, InitRange: 0.5}, false},
		{"recurrence from cells only, no bias", layers.Config{Inputs: 3, NumBlocks: 2, CellsPerBlock: 1, Biases: layers.BiasNone, CellsOnlyRecurrence: true, InitRange: 0.5}, false},
		{"Exp. 2a: no output gate, no recurrence", layers.Config{Inputs: 3, NumBlocks: 1, CellsPerBlock: 1, Biases: layers.BiasNone, NoOutputGate: true,
			NoRecurrence: true, G: layers.SquashLogistic, H: layers.SquashIdentity, InitRange: 0.5}, false},
		{"one-hot inputs", layers.Config{Inputs: 5, NumBlocks: 2, CellsPerBlock: 1, Biases: layers.BiasGates, InitRange: 0.5}, true},
		{"forget gate and peepholes", layers.Config{Inputs: 3, NumBlocks: 2, CellsPerBlock: 2, ForgetGate: true, Peepholes: true,
			ForgetGateBias: []float64{1, 2}, InitRange: 0.5}, false},
		{"peepholes, no output gate, cells-only", layers.Config{Inputs: 3, NumBlocks: 2, CellsPerBlock: 1, Peepholes: true, NoOutputGate: true,
			CellsOnlyRecurrence: true, InitRange: 0.5}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(7))
			I := tc.cfg.Inputs
			rows := make([][]float64, T*B) // row t·B+b: step t of sequence b
			idx := make([]float64, T*B)
			for r := range rows {
				rows[r] = make([]float64, I)
				if tc.hot {
					idx[r] = float64(rng.Intn(I))
					rows[r][int(idx[r])] = 1
					continue
				}
				for i := range rows[r] {
					rows[r][i] = 2*rng.Float64() - 1
				}
			}
			// The fused node, as layers.Net builds it.
			fb := graph.NewBuilder(graph.Config{Seed: 3})
			cell, err := layers.NewCell(fb, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			var y *G.Node
			var xv []float64
			if tc.hot {
				x := fb.Input("x", T*B, 1)
				y, xv = cell.SequenceOneHot(x, T), idx
			} else {
				x := fb.Input("x", T*B, I)
				y = cell.Sequence(x, T)
				for _, r := range rows {
					xv = append(xv, r...)
				}
			}
			if err := fb.Err(); err != nil {
				t.Fatal(err)
			}
			u, ok := y.Op().(graph.Unfolder)
			if !ok {
				t.Fatalf("the fused node's op %v is not a graph.Unfolder", y.Op())
			}
			info := u.Unfold()
			if info.Steps != T || info.Batch != B || info.Width != I || (info.Label == "x(t) one-hot") != tc.hot {
				t.Errorf("Unfold() = %+v, want T=%d B=%d width %d (one-hot %v)", info, T, B, I, tc.hot)
			}
			fused := forward(t, fb, map[*G.Node][]float64{fb.Inputs()[0]: xv}, y)[0]
			// The same layer unrolled, for the state before each step.
			ub := graph.NewBuilder(graph.Config{Params: fb.ParamSet()})
			ucell, err := layers.NewCell(ub, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			set := map[*G.Node][]float64{}
			var xs []*G.Node
			for s := 0; s < T; s++ {
				x := ub.Input(fmt.Sprintf("x/t%d", s), B, I)
				xs = append(xs, x)
				set[x] = flat(rows[s*B : (s+1)*B])
			}
			states := ucell.Unroll(xs)
			var watch []*G.Node
			for _, st := range states {
				watch = append(watch, st.S, st.Cells, st.Y)
			}
			unrolled := forward(t, ub, set, watch...)
			for step := 0; step < T; step++ {
				db := graph.NewBuilder(graph.Config{Params: fb.ParamSet()})
				x := db.Input(fmt.Sprintf("x/t%d", step), B, I)
				yc, err := u.UnfoldStep(db, x, step)
				if err != nil {
					t.Fatal(err)
				}
				set := map[*G.Node][]float64{x: flat(rows[step*B : (step+1)*B])}
				for _, in := range db.Inputs()[1:] {
					prev := unrolled[3*(step-1):]
					switch name := in.Name(); {
					case strings.HasSuffix(name, "/cell/s"):
						set[in] = prev[0]
					case strings.HasSuffix(name, "/y") && tc.cfg.CellsOnlyRecurrence:
						set[in] = prev[1]
					case strings.HasSuffix(name, "/y"):
						set[in] = prev[2]
					default:
						t.Fatalf("step %d: unexpected input %q", step, name)
					}
				}
				if want := map[bool]int{true: 1, false: 1 + 1 + btoi(!tc.cfg.NoRecurrence)}[step == 0]; len(db.Inputs()) != want {
					t.Errorf("step %d: %d inputs, want %d (x and the previous state)", step, len(db.Inputs()), want)
				}
				got := forward(t, db, set, yc)[0]
				want := fused[step*B*tc.cfg.NumBlocks*tc.cfg.CellsPerBlock : (step+1)*B*tc.cfg.NumBlocks*tc.cfg.CellsPerBlock]
				if len(got) != len(want) {
					t.Fatalf("step %d: %d values, want %d", step, len(got), len(want))
				}
				for i := range got {
					d := math.Abs(got[i] - want[i])
					worst = math.Max(worst, d)
					if d > 1e-12*(1+math.Abs(want[i])) {
						t.Errorf("step %d value %d: unfolded %v, fused %v", step, i, got[i], want[i])
					}
				}
			}
			if _, err := u.UnfoldStep(graph.NewBuilder(graph.Config{}), nil, T); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("step %d outside [0,%d)", T, T)) {
				t.Errorf("step T: err = %v", err)
			}
		})
	}
	t.Logf("largest difference between the unfolded step and the fused node: %.3g", worst)
}

func flat(rows [][]float64) []float64 {
	var out []float64
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestVariantDot draws one step of a net with forget gates and peepholes, unrolled and fused
// (package dot's step view), checks that graphviz accepts the drawing and that the variants'
// nodes are there under their labels: the forget gate, the gated CEC, the peephole terms and
// the truncated state they read. LSTM97_DOT_DIR=dir also writes the DOT files there.
func TestVariantDot(t *testing.T) {
	dotBin, _ := exec.LookPath("dot")
	for _, unrolled := range []bool{true, false} {
		for _, full := range []bool{false, true} {
			b := graph.NewBuilder(graph.Config{Seed: 1})
			cfg := layers.NetConfig{
				LSTM: layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 2, ForgetGate: true, Peepholes: true,
					ForgetGateBias: []float64{1, 2}, FullGradient: full},
				Output:   output.Config{Units: 1, Bias: true},
				Unrolled: unrolled,
			}
			m, err := layers.BuildNet(b, cfg, graph.Shape{T: 3, B: 1, In: 2, Out: 1, TargetSteps: []int{2}})
			must(t, err)
			p, err := vm.Compile(b, m.Loss)
			must(t, err)
			var buf bytes.Buffer
			must(t, dot.Write(&buf, b, dot.Config{View: dot.ViewStep, Step: 1}))
			p.Close()
			s := buf.String()
			name := fmt.Sprintf("forget_peep_unrolled=%v_full=%v.dot", unrolled, full)
			if dir := os.Getenv("LSTM97_DOT_DIR"); dir != "" {
				must(t, os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644))
			}
			want := []string{`label="y_φ = f(net_φ)`, `label="s(t) = y_φ·s(t-1) + y_in·g`, `label="y_φ · s(t-1)`,
				`label="net_φ = x(t)·wx + y(t-1)·wh + Σ_v p_v·s_v(t-1) + b`, `label="net_out = x(t)·wx + y(t-1)·wh + Σ_v p_v·s_v(t) + b`,
				`label="y(t) = [y_c, y_in, y_out, y_φ]`}
			if !full {
				want = append(want, `label="truncate s(t)`, `label="Σ_v p_v·s_v(t-1) = s(t-1) · peep·collect`)
			}
			for _, w := range want {
				if !strings.Contains(s, w) {
					t.Errorf("%s lacks %s", name, w)
				}
			}
			if full && strings.Contains(s, "truncate") {
				t.Errorf("%s: the full gradient truncates", name)
			}
			if dotBin == "" {
				continue
			}
			cmd := exec.Command(dotBin, "-Tsvg", "-o", os.DevNull)
			cmd.Stdin = bytes.NewReader(buf.Bytes())
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil || stderr.Len() > 0 {
				t.Errorf("graphviz rejects %s: %v %s", name, err, stderr.String())
			}
		}
	}
}
