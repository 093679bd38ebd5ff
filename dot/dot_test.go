package dot_test

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lstm97/lstm97/dot"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// smallNet builds the adding network (2 blocks of 2 cells) for T steps, compiled so that the
// graph also holds the gradient nodes.
func smallNet(t testing.TB, T int, unrolled bool) *graph.Builder {
	t.Helper()
	b := graph.NewBuilder(graph.Config{Seed: 1})
	cfg := layers.NetConfig{
		LSTM:     layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 2, InputGateBias: []float64{-3, -6}},
		Output:   output.Config{Units: 1, Bias: true},
		Unrolled: unrolled,
	}
	m, err := layers.BuildNet(b, cfg, graph.Shape{T: T, B: 1, In: 2, Out: 1, TargetSteps: []int{T - 1}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := graph.Compile(b, m.Loss); err != nil {
		t.Fatal(err)
	}
	return b
}

var dotViews = []struct {
	file     string
	unrolled bool
	cfg      dot.Config
}{
	{"step1.dot", true, dot.Config{View: dot.ViewStep, Step: 1}},
	{"steps2.dot", true, dot.Config{View: dot.ViewSteps, Steps: 2}},
	{"summary.dot", true, dot.Config{View: dot.ViewSummary}},
	{"full.dot", true, dot.Config{}},
	{"full_gradients.dot", true, dot.Config{Gradients: true}},
	{"fused.dot", false, dot.Config{}},
	{"fused_gradients.dot", false, dot.Config{Gradients: true}},
}

// TestDotGolden compares every view of a 3-step LSTM with testdata (go test -update rewrites
// them), checks that writing twice gives the same bytes and that graphviz accepts the output.
func TestDotGolden(t *testing.T) {
	dotBin, _ := exec.LookPath("dot")
	if dotBin == "" {
		t.Log("graphviz's dot is not installed: the syntax check is skipped (apt-get install -y graphviz)")
	}
	for _, v := range dotViews {
		t.Run(v.file, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := dot.Write(&a, smallNet(t, 3, v.unrolled), v.cfg); err != nil {
				t.Fatal(err)
			}
			if err := dot.Write(&b, smallNet(t, 3, v.unrolled), v.cfg); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatal("the same graph built twice gives different DOT")
			}
			golden := filepath.Join("testdata", v.file)
			if *update {
				if err := os.WriteFile(golden, a.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(a.Bytes(), want) {
				t.Errorf("DOT differs from %s (run go test -update if the change is intended)", golden)
			}
			if dotBin != "" {
				// Small views are rendered; the full views only parsed (graphviz's gc), since
				// laying them out takes graphviz tens of seconds.
				cmd := exec.Command(dotBin, "-Tsvg", "-o", os.DevNull)
				if strings.HasPrefix(v.file, "full") {
					cmd = exec.Command(filepath.Join(filepath.Dir(dotBin), "gc"))
				}
				cmd.Stdin = bytes.NewReader(a.Bytes())
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if err := cmd.Run(); err != nil || stderr.Len() > 0 {
					t.Errorf("graphviz rejects %s: %v %s", v.file, err, stderr.String())
				}
			}
		})
	}
}

// TestDotShowsTruncationAndCEC checks the drawing conventions in the one-step view.
func TestDotShowsTruncationAndCEC(t *testing.T) {
	var buf bytes.Buffer
	if err := dot.Write(&buf, smallNet(t, 3, true), dot.Config{View: dot.ViewStep, Step: 2}); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	for _, want := range []string{
		`label="truncate y(t-1)`, // the truncate node
		`[color=red, style=dashed, label="error stops"]`,
		`[color=blue, penwidth=3, label="CEC (w = 1.0)"]`, // s(t-1) -> s(t)
		`label="s(t) = s(t-1) + y_in·g`,
		`label="y_in = f(net_in)`, `label="y_out = f(net_out)`, `label="y_c = y_out · h(s)`,
		`label="lstm/cell/wx`, // parameters drawn
		`label="x/t2`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("step view lacks %s", want)
		}
	}
	if strings.Contains(s, `label="x/t1`) {
		t.Error("step view of t2 draws the input of t1")
	}
	if strings.Contains(s, "gray70") {
		t.Error("gradient nodes drawn without dot.Config.Gradients")
	}
}

func TestDotBadInput(t *testing.T) {
	b := smallNet(t, 3, true)
	for _, tc := range []struct {
		b    *graph.Builder
		cfg  dot.Config
		want string
	}{
		{nil, dot.Config{}, "nil builder"},
		{graph.NewBuilder(graph.Config{}), dot.Config{}, "empty graph"},
		{b, dot.Config{View: dot.ViewStep, Step: 3}, "view asks for step 3, the graph has steps 0..2"},
		{b, dot.Config{View: dot.ViewStep, Step: -1}, "view asks for step -1"},
		{b, dot.Config{View: dot.ViewSteps, Steps: 4}, "view asks for 4 steps, the graph has 3"},
		{b, dot.Config{View: dot.ViewSteps}, "view asks for 0 steps"},
		{smallNet(t, 3, false), dot.Config{View: dot.ViewStep}, "no time steps"},
		{b, dot.Config{View: 9}, "unknown view 9"},
	} {
		if err := dot.Write(&bytes.Buffer{}, tc.b, tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
	dir := t.TempDir()
	// An error leaves nothing behind: no file at the path, no temporary file beside it.
	bad := filepath.Join(dir, "bad.dot")
	if err := dot.WriteFile(bad, b, dot.Config{View: dot.ViewStep, Step: 7}); err == nil {
		t.Error("no error for step 7")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left after a failed write: %v", entries)
	}
	if err := dot.WriteFile(filepath.Join(dir, "no/such/dir/x.dot"), b, dot.Config{}); err == nil {
		t.Error("unwritable path: no error")
	}
	good := filepath.Join(dir, "good.dot")
	if err := dot.WriteFile(good, b, dot.Config{View: dot.ViewSummary}); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %v, want just good.dot", entries)
	}
}

// TestDotLargeGraphIsFast writes the full DOT of an unrolled T=1000 LSTM (about 90,000 nodes).
func TestDotLargeGraphIsFast(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 90,000-node graph")
	}
	b := smallNet(t, 1000, true)
	start := time.Now()
	var buf bytes.Buffer
	if err := dot.Write(&buf, b, dot.Config{}); err != nil {
		t.Fatal(err)
	}
	t.Logf("T=1000: %d nodes, %d bytes of DOT in %v", len(b.Graph().AllNodes()), buf.Len(), time.Since(start))
	if !strings.Contains(buf.String(), "t999") {
		t.Error("the last step is missing")
	}
}
