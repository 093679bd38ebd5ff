package dot_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/dot"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/truncate"
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
	if _, err := vm.Compile(b, m.Loss); err != nil {
		t.Fatal(err)
	}
	return b
}

// stackedNet builds two LSTM layers, the second fed by the first's cell outputs, and a head
// written with builder ops, for T steps: fused (Cell.Sequence) or unrolled.
func stackedNet(t testing.TB, T int, unrolled bool) *graph.Builder {
	t.Helper()
	b := graph.NewBuilder(graph.Config{Seed: 1})
	l1, err := layers.NewCell(b, layers.Config{Name: "lstm0", Inputs: 2, NumBlocks: 2, CellsPerBlock: 2, InputGateBias: []float64{-1, -2}})
	if err != nil {
		t.Fatal(err)
	}
	l2, err := layers.NewCell(b, layers.Config{Name: "lstm1", Inputs: 4, NumBlocks: 1, CellsPerBlock: 3})
	if err != nil {
		t.Fatal(err)
	}
	v := b.Param("head/v", []int{3, 1}, graph.Uniform(0.5))
	if unrolled {
		var xs []*G.Node
		for s := 0; s < T; s++ {
			xs = append(xs, b.Scope("x").Input(fmt.Sprintf("t%d", s), 1, 2))
		}
		var h []*G.Node
		for _, st := range l1.Unroll(xs) {
			h = append(h, st.Cells)
		}
		if st := l2.Unroll(h); st != nil {
			b.Sigmoid(b.MatMul(st[T-1].Cells, v))
		}
	} else {
		b.Sigmoid(b.MatMul(l2.Sequence(l1.Sequence(b.Input("x", T, 2), T), T), v))
	}
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	return b
}

var dotViews = []struct {
	file  string
	build func(t testing.TB, T int, unrolled bool) *graph.Builder
	// unrolled builds the LSTM unrolled (Cell.Unroll), else fused (Cell.Sequence, the
	// default of layers.Net).
	unrolled bool
	cfg      dot.Config
}{
	{"step1.dot", smallNet, true, dot.Config{View: dot.ViewStep, Step: 1}},
	{"steps2.dot", smallNet, true, dot.Config{View: dot.ViewSteps, Steps: 2}},
	{"summary.dot", smallNet, true, dot.Config{View: dot.ViewSummary}},
	{"full.dot", smallNet, true, dot.Config{}},
	{"full_gradients.dot", smallNet, true, dot.Config{Gradients: true}},
	{"fused.dot", smallNet, false, dot.Config{}},
	{"fused_gradients.dot", smallNet, false, dot.Config{Gradients: true}},
	{"fused_step1.dot", smallNet, false, dot.Config{View: dot.ViewStep, Step: 1}},
	{"fused_step0.dot", smallNet, false, dot.Config{View: dot.ViewStep, Step: 0}},
	{"stacked_fused_step1.dot", stackedNet, false, dot.Config{View: dot.ViewStep, Step: 1}},
	{"stacked_step1.dot", stackedNet, true, dot.Config{View: dot.ViewStep, Step: 1}},
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
			if err := dot.Write(&a, v.build(t, 3, v.unrolled), v.cfg); err != nil {
				t.Fatal(err)
			}
			if err := dot.Write(&b, v.build(t, 3, v.unrolled), v.cfg); err != nil {
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
		`label="s(t-1)\n[1,4]"`, // the state of step 1, named relative to step 2
		`label="y_in = f(net_in)`, `label="y_out = f(net_out)`, `label="y_c = y_out · h(s)`,
		`label="net_c = x(t)·wx + y(t-1)·wh + b`, // the bias add with the sum it adds to
		`label="x(t)·wx\n[1,2]×[2,4]"`,           // a product with its shapes
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

// drawing is a DOT graph read back: node labels by ID and edges as label pairs.
type drawing struct {
	labels map[string]string
	edges  []string // "from label -> to label [attrs]", sorted
}

// parse reads the node and edge lines that Write writes.
func parse(t *testing.T, s string) drawing {
	t.Helper()
	d := drawing{labels: map[string]string{}}
	var edges [][3]string
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		id, rest, ok := strings.Cut(line, " ")
		if !ok || len(id) < 2 || id[0] != 'n' || strings.Trim(id[1:], "0123456789") != "" {
			continue
		}
		if to, ok := strings.CutPrefix(rest, "-> "); ok {
			to, attrs, _ := strings.Cut(strings.TrimSuffix(to, ";"), " ")
			edges = append(edges, [3]string{id, to, attrs})
			continue
		}
		i := strings.Index(rest, `label="`)
		if i < 0 {
			t.Fatalf("node line without a label: %s", line)
		}
		d.labels[id] = strings.TrimSuffix(rest[i+len(`label="`):], `"];`)
	}
	for _, e := range edges {
		d.edges = append(d.edges, d.labels[e[0]]+" -> "+d.labels[e[1]]+" "+e[2])
	}
	sort.Strings(d.edges)
	return d
}

// TestFusedStepView checks that the one-step view of a fused model (the default layers.Net,
// Cell.Sequence) draws the memory cell, its gates and the CEC, and the same nodes and edges as
// the step view of the same model built unrolled, plus what reads the layer from outside.
func TestFusedStepView(t *testing.T) {
	for _, tc := range []struct {
		name   string
		build  func(t testing.TB, T int, unrolled bool) *graph.Builder
		step   int
		extras []string // nodes drawn outside the fused model's step
		// unrolledOnly are nodes of the unrolled model's step that the fused model has not
		// (its targets are one packed input).
		unrolledOnly []string
	}{
		{"adding net, step 1", smallNet, 1, []string{`out: logistic, 1 of 3 rows\n[1,1]`}, nil},
		{"adding net, step 0", smallNet, 0, []string{`out: logistic, 1 of 3 rows\n[1,1]`}, nil},
		{"adding net, last step", smallNet, 2, []string{`out: logistic, 1 of 3 rows\n[1,1]`}, []string{`target/t2\n[1,1]`}},
		{"two stacked layers", stackedNet, 1, []string{`matmul\n[3,1]`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := dot.Config{View: dot.ViewStep, Step: tc.step}
			var fused, unrolled bytes.Buffer
			if err := dot.Write(&fused, tc.build(t, 3, false), cfg); err != nil {
				t.Fatal(err)
			}
			if err := dot.Write(&unrolled, tc.build(t, 3, true), cfg); err != nil {
				t.Fatal(err)
			}
			f, u := parse(t, fused.String()), parse(t, unrolled.String())
			var roles []string
			for _, l := range f.labels {
				roles = append(roles, strings.SplitN(l, " ", 2)[0])
			}
			for _, want := range []string{"net_in", "y_in", "net_out", "y_out", "net_c", "g(net_c)", "s(t)", "h(s)", "y_c", "y(t)"} {
				if !slices.Contains(roles, want) {
					t.Errorf("fused step view has no node %q (the cell, its gates and the CEC)", want)
				}
			}
			if tc.step > 0 {
				for _, want := range []string{
					`s(t-1)\n[1,4] -> s(t) = s(t-1) + y_in·g\n[1,4] [color=blue, penwidth=3, label="CEC (w = 1.0)"]`,
					`y(t-1)\n[1,8] -> truncate y(t-1)\n[1,8] [color=red, style=dashed, label="error stops"]`,
				} {
					if !slices.Contains(f.edges, want) {
						t.Errorf("fused step view lacks the edge %s", want)
					}
				}
			}
			got := map[string]int{}
			for _, l := range f.labels {
				got[l]++
			}
			for _, l := range u.labels {
				got[l]--
			}
			for _, e := range tc.extras {
				got[e]--
			}
			for _, e := range tc.unrolledOnly {
				got[e]++
			}
			for l, n := range got {
				if n != 0 {
					t.Errorf("node %q: %+d in the fused step view", l, n)
				}
			}
			var fe []string
			for _, e := range f.edges {
				if !slices.ContainsFunc(tc.extras, func(x string) bool { return strings.Contains(e, "-> "+x) }) {
					fe = append(fe, e)
				}
			}
			if !slices.Equal(fe, u.edges) {
				t.Errorf("edges of the fused step view differ from the unrolled one:\nfused    %q\nunrolled %q", fe, u.edges)
			}
		})
	}
}

// TestLabels checks how operations are labelled: by their role in the operands' names, with
// gorgonia's helper nodes folded into the operation they serve.
func TestLabels(t *testing.T) {
	for _, tc := range []struct {
		name   string
		build  func(b *graph.Builder, x, h, a *G.Node)
		want   []string
		absent []string
	}{
		{"product with its shapes, its weight named in it", func(b *graph.Builder, x, h, a *G.Node) {
			b.MatMul(x, b.Param("w", []int{2, 3}, graph.Uniform(1)))
		}, []string{`label="x·w\n[1,2]×[2,3]"`}, []string{`label="w\n`}},
		{"a weight used twice is drawn", func(b *graph.Builder, x, h, a *G.Node) {
			w := b.Param("w", []int{2, 3}, graph.Uniform(1))
			b.Add(b.MatMul(x, w), b.MatMul(b.Input("z", 1, 2), w))
		}, []string{`label="w\n[2,3]"`, `label="x·w\n[1,2]×[2,3]"`, `label="z·w\n[1,2]×[2,3]"`, `label="x·w + z·w\n[1,3]"`}, nil},
		{"bias add folds the product and gorgonia's broadcast", func(b *graph.Builder, x, h, a *G.Node) {
			b.AddBias(b.MatMul(x, b.Param("w", []int{2, 3}, graph.Uniform(1))), b.Param("b", []int{1, 3}, graph.Uniform(1)))
		}, []string{`label="x·w + b\n[1,2]×[2,3]"`}, []string{"SizeOf", "Repeat", "Reshape", `label="size`, `label="broadcast`, `label="x·w\n`}},
		{"net input of a gate", func(b *graph.Builder, x, h, a *G.Node) {
			net := b.Add(b.MatMul(x, b.Param("wx", []int{2, 3}, graph.Uniform(1))), b.MatMul(h, b.Param("wh", []int{4, 3}, graph.Uniform(1))))
			b.Annotate(b.AddBias(net, b.Param("b", []int{1, 3}, graph.Uniform(1))), "net_in", graph.RoleNone)
		}, []string{`label="net_in = x·wx + h·wh + b\n[1,3]"`, `label="x·wx\n[1,2]×[2,3]"`, `label="h·wh\n[1,4]×[4,3]"`}, nil},
		{"squashing function is one node", func(b *graph.Builder, x, h, a *G.Node) {
			b.Annotate(b.Shift(b.Scale(b.Sigmoid(a), 4), -2), "g(a)", graph.RoleNone)
		}, []string{`label="g(a) = 4σ(a) - 2\n[1,3]"`}, []string{"×4", "+-2", `label="σ(a)`}},
		{"unlabelled scale", func(b *graph.Builder, x, h, a *G.Node) { b.Scale(b.Sigmoid(a), 2) }, []string{`label="2σ(a)\n[1,3]"`}, []string{"×2"}},
		{"a label with its formula is kept", func(b *graph.Builder, x, h, a *G.Node) {
			b.Annotate(b.Sigmoid(a), "y = f(a)", graph.RoleNone)
		}, []string{`label="y = f(a)\n[1,3]"`}, []string{"σ"}},
		{"softmax", func(b *graph.Builder, x, h, a *G.Node) {
			b.Op("softmax", func(n ...*G.Node) (*G.Node, error) { return G.SoftMax(n[0]) }, a)
		}, []string{`label="softmax(a)\n[1,3]"`}, []string{"Softmax{"}},
		{"concatenation", func(b *graph.Builder, x, h, a *G.Node) { b.Concat(1, x, a) }, []string{`label="[x, a]\n[1,5]"`}, []string{"Concat("}},
		{"spreading a block's gate to its cells", func(b *graph.Builder, x, h, a *G.Node) {
			e := b.Fixed("e", []int{2, 4}, []float64{1, 1, 0, 0, 0, 0, 1, 1})
			b.Mul(b.MatMul(x, e), h)
		}, []string{`label="x · h\n[1,4]"`}, []string{`label="e\n`, "·e"}},
		{"a fixed matrix that mixes is a product", func(b *graph.Builder, x, h, a *G.Node) {
			e := b.Fixed("e", []int{2, 4}, []float64{0.5, 1, 0, 0, 0.5, 0, 1, 1})
			b.Mul(b.MatMul(x, e), h)
		}, []string{`label="x·e\n[1,2]×[2,4]"`, `label="e\n[2,4]"`}, nil},
		{"squared error", func(b *graph.Builder, x, h, a *G.Node) {
			b.Scale(b.Sum(b.Square(b.Sub(a, b.Sigmoid(a)))), 0.5)
		}, []string{`label="a - σ(a)\n[1,3]"`, `label="(a - σ(a))²\n[1,3]"`, `label="Σ (a - σ(a))²"`, `label="0.5·(Σ (a - σ(a))²)"`}, []string{"×0.5"}},
		{"truncation names what it stops", func(b *graph.Builder, x, h, a *G.Node) {
			stop := b.Op("truncate", func(n ...*G.Node) (*G.Node, error) { return truncate.Apply(n[0]) }, h)
			b.Annotate(stop, "truncate y(t-1)", graph.RoleStopGradient)
			b.MatMul(stop, b.Param("wh", []int{4, 3}, graph.Uniform(1)))
		}, []string{`label="truncate y(t-1)\n[1,4]"`, `label="y(t-1)·wh\n[1,4]×[4,3]"`, `[color=red, style=dashed]`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := graph.NewBuilder(graph.Config{Seed: 1})
			tc.build(b, b.Input("x", 1, 2), b.Input("h", 1, 4), b.Input("a", 1, 3))
			if err := b.Err(); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := dot.Write(&buf, b, dot.Config{}); err != nil {
				t.Fatal(err)
			}
			s := buf.String()
			for _, w := range tc.want {
				if !strings.Contains(s, w) {
					t.Errorf("lacks %s", w)
				}
			}
			for _, w := range tc.absent {
				if strings.Contains(s, w) {
					t.Errorf("has %s", w)
				}
			}
			if t.Failed() {
				t.Log(s)
			}
		})
	}
}

func TestDotBadInput(t *testing.T) {
	b := smallNet(t, 3, true)
	fused := smallNet(t, 3, false)
	noSteps := graph.NewBuilder(graph.Config{})
	noSteps.Sigmoid(noSteps.Input("x", 1, 2))
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
		{fused, dot.Config{View: dot.ViewSteps, Steps: 1}, "ViewSteps needs the model built unrolled"},
		{fused, dot.Config{View: dot.ViewStep, Step: 3}, "view asks for step 3, LSTM[lstm T=3 B=1] has steps 0..2"},
		{fused, dot.Config{View: dot.ViewStep, Step: -1}, "view asks for step -1"},
		{noSteps, dot.Config{View: dot.ViewStep}, "no time steps and no fused sequence node"},
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
