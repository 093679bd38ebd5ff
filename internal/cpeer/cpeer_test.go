package cpeer_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/internal/oracle"
	"github.com/lstm97/lstm97/internal/testnets"
)

// source is the C peer, relative to this package.
const source = "../../examples/bench/peers/lstm97.c"

// build compiles the C peer with the command line examples/bench uses and returns the binary's
// path; it skips the test where gcc is missing.
func build(t *testing.T) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("cpeer: gcc not found")
	}
	// Compile a copy read by this process, so that go test's cache sees the source.
	text, err := os.ReadFile(source)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src, bin := filepath.Join(dir, "lstm97.c"), filepath.Join(dir, "lstm97")
	if err := os.WriteFile(src, text, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(gcc, "-O2", "-o", bin, src, "-lm").CombinedOutput(); err != nil {
		t.Fatalf("cpeer: gcc -O2 -o %s %s -lm: %v\n%s", bin, source, err, out)
	}
	return bin
}

// params is a net's weights (or gradients) as the C peer prints them, in the oracle's layout:
// wx [U][I], wh [U][U], b [U], wo [K][C·S], bo [K]; hidden units are the cells, then the input
// gates, then the output gates.
type params struct {
	Wx, Wh, Wo [][]float64
	B, Bo      []float64
}

// gradCase is the output of `lstm97 grad task seed [T]`.
type gradCase struct {
	Task                string
	I, C, S, K, Weights int
	CellBias            bool    `json:"cell_bias"`
	OutBias             bool    `json:"out_bias"`
	LossRTRL            float64 `json:"loss_rtrl"`
	LossBPTT            float64 `json:"loss_bptt"`
	Inputs, Targets     [][]float64
	Net                 params
	GradRTRL            params `json:"grad_rtrl"`
	GradBPTT            params `json:"grad_bptt"`
	Alpha               float64
	AfterStep           params `json:"after_step"`
}

// oracleNet returns the case's net as an oracle network.
func (c *gradCase) oracleNet() *oracle.Net {
	cs := c.C * c.S
	n := &oracle.Net{I: c.I, C: c.C, S: c.S, K: c.K, OutGate: true, Recurrent: true, G: oracle.Sym2, H: oracle.Sym1,
		OutBias: c.OutBias, Wx: c.Net.Wx, Wh: c.Net.Wh, B: c.Net.B, Wo: c.Net.Wo, Bo: c.Net.Bo}
	n.HasBias = make([]bool, n.Units())
	for u := range n.HasBias {
		n.HasBias[u] = c.CellBias || u >= cs
	}
	return n
}

// flat lists the arrays of p by name, in a fixed order.
func (p params) flat() []struct {
	name string
	v    []float64
} {
	cat := func(m [][]float64) []float64 {
		var v []float64
		for _, r := range m {
			v = append(v, r...)
		}
		return v
	}
	return []struct {
		name string
		v    []float64
	}{{"wx", cat(p.Wx)}, {"wh", cat(p.Wh)}, {"b", p.B}, {"wo", cat(p.Wo)}, {"bo", p.Bo}}
}

// relDiff is testnets.RelDiff, failing t on differing lengths.
func relDiff(t *testing.T, name string, a, b []float64) float64 {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d values, want %d", name, len(a), len(b))
	}
	return testnets.RelDiff(a, b)
}

// paperWeights is Table 10's weight count of each net: 93 (row 4) and 276 (row 1-5).
var paperWeights = map[string]int{"adding": 93, "reber": 276}

// arch is a net's architecture as the grad mode reports it.
type arch struct {
	I, C, S, K        int
	CellBias, OutBias bool
}

// paperArchs are the nets of Table 10 the peer trains: Exp. 4 (2 inputs, 2 blocks of 2, 1
// output, biases on all units) and Exp. 1's row 1-5, the default of examples/reber (7 inputs,
// 3 blocks of 2, 7 outputs, biases on the gates only).
var paperArchs = map[string]arch{
	"adding": {I: 2, C: 2, S: 2, K: 1, CellBias: true, OutBias: true},
	"reber":  {I: 7, C: 3, S: 2, K: 7},
}

// checkSequence fails t unless the case's sequence is one the task's generator can produce.
func checkSequence(t *testing.T, c *gradCase, T int) {
	t.Helper()
	n := len(c.Inputs)
	if len(c.Targets) != n {
		t.Fatalf("%d steps of targets, want %d", len(c.Targets), n)
	}
	switch c.Task {
	case "adding":
		if n < T || n > T+T/10 {
			t.Errorf("length %d outside [%d, %d]", n, T, T+T/10)
		}
		var marked []int
		for i, x := range c.Inputs {
			if x[0] < -1 || x[0] > 1 {
				t.Errorf("step %d: value %g outside [-1, 1]", i, x[0])
			}
			if x[1] == 1 {
				marked = append(marked, i)
			} else if want := map[bool]float64{true: -1, false: 0}[i == 0 || i == n-1]; x[1] != want {
				t.Errorf("step %d: marker %g, want %g", i, x[1], want)
			}
			if (c.Targets[i] != nil) != (i == n-1) {
				t.Errorf("step %d: target %v, want one at the last step only", i, c.Targets[i])
			}
		}
		if len(marked) != 2 || marked[0] >= min(10, T/2) || marked[1] >= T/2 {
			t.Fatalf("marked pairs at %v, want one in the first %d and one in the first %d", marked, min(10, T/2), T/2)
		}
		if marked[0] == 0 && c.Inputs[0][0] != 0 {
			t.Errorf("first pair marked with value %g, want 0", c.Inputs[0][0])
		}
		if got, want := c.Targets[n-1][0], datasets.AddingTarget(c.Inputs[marked[0]][0], c.Inputs[marked[1]][0]); got != want {
			t.Errorf("target %g, want %g", got, want)
		}
	case "reber":
		sym := func(v []float64) int {
			k := -1
			for i, x := range v {
				if x == 1 && k < 0 {
					k = i
				} else if x != 0 {
					return -1
				}
			}
			return k
		}
		var s []int
		for i, x := range c.Inputs {
			s = append(s, sym(x))
			if i > 0 && sym(c.Targets[i-1]) != s[i] {
				t.Fatalf("step %d: target %v is not the next input %v", i-1, c.Targets[i-1], x)
			}
		}
		s = append(s, sym(c.Targets[n-1]))
		if !(datasets.Reber{Embedded: true}).Accepts(s) {
			t.Fatalf("%q is no embedded Reber string", datasets.Symbols(s))
		}
	}
}

// TestGradientMatchesOracle compares the C peer's truncated gradient, by both of its methods,
// with internal/oracle's on random nets (weights in [-1, 1]) and one sequence of each task, and
// its SGD step with w + α·(−∂E/∂w).
func TestGradientMatchesOracle(t *testing.T) {
	bin := build(t)
	const tol = 1e-12
	worst := map[string]float64{}
	for _, tc := range []struct {
		task string
		seed int
		T    int // adding only
	}{
		{"adding", 1, 8}, {"adding", 2, 20}, {"adding", 3, 20}, {"adding", 4, 50}, {"adding", 5, 100},
		{"reber", 1, 0}, {"reber", 2, 0}, {"reber", 3, 0}, {"reber", 4, 0}, {"reber", 5, 0},
	} {
		t.Run(fmt.Sprintf("%s/seed=%d/T=%d", tc.task, tc.seed, tc.T), func(t *testing.T) {
			args := []string{"grad", tc.task, fmt.Sprint(tc.seed)}
			if tc.T > 0 {
				args = append(args, fmt.Sprint(tc.T))
			}
			out, err := exec.Command(bin, args...).Output()
			if err != nil {
				t.Fatalf("lstm97 %s: %v", strings.Join(args, " "), err)
			}
			var c gradCase
			if err := json.Unmarshal(out, &c); err != nil {
				t.Fatalf("lstm97 %s: %v", strings.Join(args, " "), err)
			}
			got := arch{c.I, c.C, c.S, c.K, c.CellBias, c.OutBias}
			if c.Task != tc.task || got != paperArchs[tc.task] || c.Weights != paperWeights[tc.task] {
				t.Fatalf("task %q, net %+v with %d weights, want %q, %+v with %d",
					c.Task, got, c.Weights, tc.task, paperArchs[tc.task], paperWeights[tc.task])
			}
			checkSequence(t, &c, tc.T)
			n := c.oracleNet()
			og, loss, _ := n.Run(c.Inputs, c.Targets)
			// The oracle returns −∂E/∂w; the peer prints ∂E/∂w.
			neg := func(m [][]float64) [][]float64 {
				r := make([][]float64, len(m))
				for i := range m {
					for _, x := range m[i] {
						r[i] = append(r[i], -x)
					}
				}
				return r
			}
			want := params{Wx: neg(og.Wx), Wh: neg(og.Wh), B: neg([][]float64{og.B})[0], Wo: neg(og.Wo), Bo: neg([][]float64{og.Bo})[0]}
			if !c.OutBias {
				want.Bo = make([]float64, c.K) // the oracle sizes Bo by K either way
			}
			for _, got := range []struct {
				method string
				g      params
				loss   float64
			}{{"rtrl", c.GradRTRL, c.LossRTRL}, {"bptt", c.GradBPTT, c.LossBPTT}} {
				d := math.Abs(got.loss-loss) / loss
				if d > tol {
					t.Errorf("%s: loss %.17g, oracle %.17g (rel. %.3g)", got.method, got.loss, loss, d)
				}
				worst["loss"] = math.Max(worst["loss"], d)
				for i, a := range got.g.flat() {
					b := want.flat()[i]
					d := relDiff(t, got.method+" "+a.name, a.v, b.v)
					if d > tol {
						t.Errorf("%s: %s differs from the oracle by %.3g (norm-relative)", got.method, a.name, d)
					}
					// Every array has a non-zero gradient: the comparison is relative, never with zeros.
					if trained := a.name != "bo" || c.OutBias; trained && slices.Max(b.v) == 0 && slices.Min(b.v) == 0 {
						t.Errorf("%s: the oracle's %s gradient is all zeros", got.method, a.name)
					}
					key := tc.task + " " + got.method
					worst[key] = math.Max(worst[key], d)
				}
			}
			// The SGD step of the training loop: w − α ∂E/∂w, with the default method's gradient.
			g := c.GradRTRL
			if tc.task == "reber" {
				g = c.GradBPTT
			}
			for i, a := range c.AfterStep.flat() {
				w, gv := c.Net.flat()[i].v, g.flat()[i].v
				step := make([]float64, len(w))
				for j := range w {
					step[j] = w[j] - c.Alpha*gv[j]
				}
				d := relDiff(t, "after_step "+a.name, a.v, step)
				if d > 1e-15 {
					t.Errorf("after the SGD step, %s differs from w − α·grad by %.3g", a.name, d)
				}
				worst["SGD step"] = math.Max(worst["SGD step"], d)
			}
		})
	}
	for _, k := range slices.Sorted(maps.Keys(worst)) {
		t.Logf("largest relative difference, %s: %.3g", k, worst[k])
	}
}

// TestTrainingProtocol runs each training mode briefly and checks the JSON line that
// examples/bench parses, and that bad arguments are refused.
func TestTrainingProtocol(t *testing.T) {
	bin := build(t)
	for _, tc := range []struct {
		args   []string
		task   string
		T      any // the "T" field: T for adding, null for reber
		method string
	}{
		{[]string{"adding", "100", "0.2"}, "adding", 100.0, "rtrl"},
		{[]string{"adding", "50", "0.2", "bptt"}, "adding", 50.0, "bptt"},
		{[]string{"reber", "0.2"}, "reber", nil, "bptt"},
		{[]string{"reber", "0.2", "rtrl"}, "reber", nil, "rtrl"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout bytes.Buffer
			cmd := exec.Command(bin, tc.args...)
			cmd.Stdout = &stdout
			if err := cmd.Run(); err != nil {
				t.Fatalf("lstm97 %s: %v", strings.Join(tc.args, " "), err)
			}
			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			if len(lines) != 1 {
				t.Fatalf("%d lines on stdout, want 1: %q", len(lines), stdout.String())
			}
			var r struct {
				Impl, Task, Method string
				T                  any
				SeqPerS            float64 `json:"seq_per_s"`
				StepsPerS          float64 `json:"steps_per_s"`
				Weights            int
			}
			if err := json.Unmarshal([]byte(lines[0]), &r); err != nil {
				t.Fatalf("%q: %v", lines[0], err)
			}
			if r.Impl != "c" || r.Task != tc.task || r.T != tc.T || r.Method != tc.method || r.Weights != paperWeights[tc.task] {
				t.Errorf("got impl %q task %q T %v method %q weights %d, want c %q %v %q %d",
					r.Impl, r.Task, r.T, r.Method, r.Weights, tc.task, tc.T, tc.method, paperWeights[tc.task])
			}
			if !(r.SeqPerS > 0) || !(r.StepsPerS > r.SeqPerS) {
				t.Errorf("seq_per_s %g, steps_per_s %g: want 0 < seq_per_s < steps_per_s", r.SeqPerS, r.StepsPerS)
			}
		})
	}
	for _, args := range [][]string{{}, {"adding", "x", "1"}, {"adding", "2", "1"}, {"reber", "-1"}, {"reber", "1", "sgd"}, {"grad", "copy", "1"}} {
		err := exec.Command(bin, args...).Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("lstm97 %s: %v, want exit status 2", strings.Join(args, " "), err)
		}
	}
}
