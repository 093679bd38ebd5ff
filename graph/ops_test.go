package graph_test

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/internal/gradcheck"
)

var dtypes = []tensor.Dtype{tensor.Float64, tensor.Float32}

// opFn applies the operation under test to x.
type opFn func(b *graph.Builder, x *G.Node) *G.Node

// forwardValues builds op(x) for a fixed x, runs it forward only and returns its values.
func forwardValues(t *testing.T, dt tensor.Dtype, shape []int, x []float64, op opFn) []float64 {
	t.Helper()
	b := graph.NewBuilder(graph.Config{Dtype: dt})
	y := op(b, b.Fixed("x", shape, x))
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	p, err := vm.Compile(b, nil, vm.ForwardOnly(), vm.Watch(y))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Run(); err != nil {
		t.Fatal(err)
	}
	v, err := p.Value(y)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestOpsForward checks every op's values against a hand computation, in float64 and float32.
func TestOpsForward(t *testing.T) {
	e := math.E
	// Softmax of [1 2 3] is e^(j-3)/(e^-2 + e^-1 + 1): divide by s = 1 + 1/e + 1/e².
	s := 1 + 1/e + 1/(e*e)
	for _, tc := range []struct {
		name  string
		shape []int
		x     []float64
		op    opFn
		want  []float64
	}{
		{"tanh", []int{3}, []float64{0, 0.5, -1}, (*graph.Builder).Tanh, []float64{0, 0.46211715726000974, -0.7615941559557649}},
		{"exp", []int{1, 3}, []float64{0, 1, -1}, (*graph.Builder).Exp, []float64{1, e, 1 / e}},
		{"log", []int{3}, []float64{1, e, 0.5}, (*graph.Builder).Log, []float64{0, 1, -0.6931471805599453}},
		{"relu", []int{2, 2}, []float64{-1, 0, 2, -0.5}, (*graph.Builder).ReLU, []float64{0, 0, 2, 0}},
		{"neg", []int{2}, []float64{1, -2}, (*graph.Builder).Neg, []float64{-1, 2}},
		{"neg of a scalar", []int{2}, []float64{1, 2}, func(b *graph.Builder, x *G.Node) *G.Node { return b.Neg(b.Sum(x)) }, []float64{-3}},
		{"softmax", []int{2, 3}, []float64{1, 2, 3, 0, 0, 0}, (*graph.Builder).Softmax,
			[]float64{1 / (e * e * s), 1 / (e * s), 1 / s, 1. / 3, 1. / 3, 1. / 3}},
		{"softmax of huge values", []int{1, 3}, []float64{1000, 0, -1000}, (*graph.Builder).Softmax, []float64{1, 0, 0}},
		{"logsoftmax", []int{2, 3}, []float64{1, 2, 3, 0, 0, 0}, (*graph.Builder).LogSoftmax,
			[]float64{-2 - math.Log(s), -1 - math.Log(s), -math.Log(s), -math.Log(3), -math.Log(3), -math.Log(3)}},
		{"logsoftmax of huge values", []int{1, 3}, []float64{1000, 0, -1000}, (*graph.Builder).LogSoftmax, []float64{0, -1000, -2000}},
		{"mean", []int{2, 2}, []float64{1, 2, 3, 4}, (*graph.Builder).Mean, []float64{2.5}},
		{"sum", []int{2, 2}, []float64{1, 2, 3, 4}, (*graph.Builder).Sum, []float64{10}},
		{"mean of a scalar", []int{2, 2}, []float64{1, 2, 3, 4}, func(b *graph.Builder, x *G.Node) *G.Node { return b.Mean(b.Sum(x)) }, []float64{10}},
		{"scale", []int{2}, []float64{1, -2}, func(b *graph.Builder, x *G.Node) *G.Node { return b.Scale(x, 2.5) }, []float64{2.5, -5}},
		{"shift", []int{2}, []float64{1, -2}, func(b *graph.Builder, x *G.Node) *G.Node { return b.Shift(x, 1) }, []float64{2, -1}},
		{"slice rows", []int{3, 3}, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9},
			func(b *graph.Builder, x *G.Node) *G.Node { return b.Slice(x, 0, 1, 3) }, []float64{4, 5, 6, 7, 8, 9}},
		{"slice columns", []int{3, 3}, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9},
			func(b *graph.Builder, x *G.Node) *G.Node { return b.Slice(x, 1, 0, 2) }, []float64{1, 2, 4, 5, 7, 8}},
		{"slice one column", []int{3, 3}, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9},
			func(b *graph.Builder, x *G.Node) *G.Node { return b.Slice(x, 1, 2, 3) }, []float64{3, 6, 9}},
		{"slice a vector", []int{4}, []float64{1, 2, 3, 4},
			func(b *graph.Builder, x *G.Node) *G.Node { return b.Slice(x, 0, 1, 3) }, []float64{2, 3}},
		{"reshape", []int{2, 3}, []float64{1, 2, 3, 4, 5, 6},
			func(b *graph.Builder, x *G.Node) *G.Node { return b.Slice(b.Reshape(x, 3, 2), 1, 1, 2) }, []float64{2, 4, 6}},
		{"reshape to a vector", []int{2, 3}, []float64{1, 2, 3, 4, 5, 6},
			func(b *graph.Builder, x *G.Node) *G.Node { return b.Reshape(x, 6) }, []float64{1, 2, 3, 4, 5, 6}},
		{"concat columns", []int{2, 1}, []float64{1, 2}, func(b *graph.Builder, x *G.Node) *G.Node {
			return b.Concat(1, x, b.Fixed("c", []int{2, 2}, []float64{3, 4, 5, 6}))
		}, []float64{1, 3, 4, 2, 5, 6}},
		{"concat rows", []int{1, 2}, []float64{1, 2}, func(b *graph.Builder, x *G.Node) *G.Node {
			return b.Concat(0, x, b.Fixed("c", []int{1, 2}, []float64{3, 4}))
		}, []float64{1, 2, 3, 4}},
	} {
		for _, dt := range dtypes {
			t.Run(fmt.Sprintf("%s/%v", tc.name, dt), func(t *testing.T) {
				got := forwardValues(t, dt, tc.shape, tc.x, tc.op)
				tol := 1e-15
				if dt == tensor.Float32 {
					tol = 1e-6
				}
				if len(got) != len(tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
				for i, w := range tc.want {
					if math.Abs(got[i]-w) > tol*math.Max(1, math.Abs(w)) {
						t.Errorf("value %d: got %v, want %v", i, got[i], w)
					}
				}
			})
		}
	}
}

// gradCase is an op whose gradient is checked, with how to draw its input.
type gradCase struct {
	name  string
	shape []int
	draw  func(r *rand.Rand) float64 // default uniform on [-2, 2]
	op    opFn
}

var gradCases = []gradCase{
	{name: "tanh", shape: []int{3, 4}, op: (*graph.Builder).Tanh},
	{name: "exp", shape: []int{3, 4}, op: (*graph.Builder).Exp},
	{name: "log", shape: []int{3, 4}, draw: func(r *rand.Rand) float64 { return 0.2 + 2*r.Float64() }, op: (*graph.Builder).Log},
	{name: "relu", shape: []int{3, 4}, draw: func(r *rand.Rand) float64 { // away from the kink at 0
		v := 0.1 + r.Float64()
		if r.Intn(2) == 0 {
			return -v
		}
		return v
	}, op: (*graph.Builder).ReLU},
	{name: "neg", shape: []int{3, 4}, op: (*graph.Builder).Neg},
	{name: "softmax", shape: []int{3, 4}, op: (*graph.Builder).Softmax},
	{name: "logsoftmax", shape: []int{3, 4}, op: (*graph.Builder).LogSoftmax},
	{name: "logsoftmax of large values", shape: []int{2, 3}, draw: func(r *rand.Rand) float64 { return 300 * (2*r.Float64() - 1) },
		op: (*graph.Builder).LogSoftmax},
	{name: "mean", shape: []int{3, 4}, op: (*graph.Builder).Mean},
	{name: "sum", shape: []int{3, 4}, op: (*graph.Builder).Sum},
	{name: "exp of a scalar", shape: []int{2}, op: func(b *graph.Builder, x *G.Node) *G.Node { return b.Exp(b.Mean(x)) }},
	{name: "scale", shape: []int{3, 4}, op: func(b *graph.Builder, x *G.Node) *G.Node { return b.Scale(x, -1.5) }},
	{name: "shift", shape: []int{3, 4}, op: func(b *graph.Builder, x *G.Node) *G.Node { return b.Shift(x, 0.5) }},
	{name: "slice rows", shape: []int{4, 3}, op: func(b *graph.Builder, x *G.Node) *G.Node { return b.Slice(x, 0, 1, 3) }},
	{name: "slice columns", shape: []int{3, 4}, op: func(b *graph.Builder, x *G.Node) *G.Node { return b.Slice(x, 1, 2, 4) }},
	{name: "reshape", shape: []int{3, 4}, op: func(b *graph.Builder, x *G.Node) *G.Node { return b.Reshape(x, 2, 6) }},
	{name: "concat", shape: []int{3, 2}, op: func(b *graph.Builder, x *G.Node) *G.Node {
		return b.Concat(1, x, b.Fixed("c", []int{3, 1}, []float64{1, 2, 3}), x)
	}},
	{name: "softmax head", shape: []int{2, 3}, op: func(b *graph.Builder, x *G.Node) *G.Node {
		return b.LogSoftmax(b.Slice(b.Tanh(b.Reshape(x, 3, 2)), 1, 0, 2))
	}},
}

// gradProgram builds loss = Σ op(x)⊙R (or r·op(x) for a scalar op(x)) for the parameter x,
// with R fixed and random, and compiles it.
func gradProgram(t *testing.T, tc gradCase, dt tensor.Dtype, opts ...vm.CompileOption) (*vm.Program, *G.Node) {
	t.Helper()
	r := rand.New(rand.NewSource(11))
	n := 1
	for _, d := range tc.shape {
		n *= d
	}
	xs := make([]float64, n)
	for i := range xs {
		if tc.draw != nil {
			xs[i] = tc.draw(r)
		} else {
			xs[i] = 4*r.Float64() - 2
		}
	}
	b := graph.NewBuilder(graph.Config{Dtype: dt})
	x := b.Param("x", tc.shape, graph.Values(xs...))
	y := tc.op(b, x)
	var loss *G.Node
	if y != nil && y.IsScalar() {
		loss = b.Scale(y, 0.7)
	} else if y != nil {
		rs := make([]float64, y.Shape().TotalSize())
		for i := range rs {
			rs[i] = 2*r.Float64() - 1
		}
		loss = b.Sum(b.Mul(y, b.Fixed("r", y.Shape(), rs)))
	}
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	p, err := vm.Compile(b, loss, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p, x
}

// gradient runs p once and returns its loss and the gradient of its only parameter.
func gradient(t *testing.T, p *vm.Program) (float64, []float64) {
	t.Helper()
	if err := p.Run(); err != nil {
		t.Fatal(err)
	}
	l, err := p.Loss()
	if err != nil {
		t.Fatal(err)
	}
	ps, err := p.Params()
	if err != nil {
		t.Fatal(err)
	}
	return l, append([]float64(nil), graph.Float64View(ps[0].Grad)...)
}

// TestOpsGradients checks ∂loss/∂x of loss = Σ op(x)⊙R against central differences (float64,
// step 1e-6), and that float32 graphs and gorgonia's TapeMachine give the same loss and
// gradient.
func TestOpsGradients(t *testing.T) {
	for _, tc := range gradCases {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := gradProgram(t, tc, tensor.Float64)
			defer p.Close()
			loss, grad := gradient(t, p)
			gradcheck.Program(t, p, nil, gradcheck.Tol{Abs: 1e-7, Rel: 1e-6})

			for _, other := range []struct {
				name string
				dt   tensor.Dtype
				opts []vm.CompileOption
				tol  float64
			}{
				{"float32", tensor.Float32, nil, 1e-4},
				{"TapeMachine", tensor.Float64, []vm.CompileOption{vm.UseTapeMachine()}, 1e-12},
			} {
				q, _ := gradProgram(t, tc, other.dt, other.opts...)
				l, g := gradient(t, q)
				if err := q.Close(); err != nil {
					t.Fatal(err)
				}
				if math.Abs(l-loss) > other.tol*math.Max(1, math.Abs(loss)) {
					t.Errorf("%s: loss %v, float64 executor %v", other.name, l, loss)
				}
				for i := range g {
					if math.Abs(g[i]-grad[i]) > other.tol*math.Max(1, math.Abs(grad[i])) {
						t.Errorf("%s: ∂loss/∂x[%d] = %v, float64 executor %v", other.name, i, g[i], grad[i])
					}
				}
			}
		})
	}
}

// TestLogOfSoftmaxIsAnError: Log of a softmax node (ours or gorgonia's) fails with a message
// that says to use LogSoftmax, and leaves gorgonia's softmax node unchanged (gorgonia's own Log
// would have turned it into a log-softmax in place).
func TestLogOfSoftmaxIsAnError(t *testing.T) {
	for _, tc := range []struct {
		name    string
		softmax opFn
	}{
		{"Builder.Softmax", (*graph.Builder).Softmax},
		{"gorgonia SoftMax", func(b *graph.Builder, x *G.Node) *G.Node {
			return b.Op("gorgonia-softmax", func(n ...*G.Node) (*G.Node, error) { return G.SoftMax(n[0]) }, x)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := graph.NewBuilder(graph.Config{})
			sm := tc.softmax(b, b.Input("logits", 2, 3))
			before := sm.Op().String()
			if got := b.Scope("head").Log(sm); got != nil {
				t.Error("Log of a softmax returned a node")
			}
			err := b.Err()
			for _, want := range []string{`in "head"`, "log of", "(2, 3): the node is a softmax", "gorgonia rewrites log(softmax(x))", "use LogSoftmax"} {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("err = %v, want it to contain %q", err, want)
				}
			}
			if after := sm.Op().String(); after != before {
				t.Errorf("the softmax op changed from %s to %s", before, after)
			}
		})
	}
}

// TestLogSoftmaxIsLogOfSoftmax compares LogSoftmax with the log of Softmax on random rows
// (including rows far from 0), and shows the naive form failing where LogSoftmax does not.
func TestLogSoftmaxIsLogOfSoftmax(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	xs := make([]float64, 4*5)
	for i := range xs {
		xs[i] = 10*r.Float64() - 5 + float64(i/5)*100 // row k is shifted by 100k
	}
	b := graph.NewBuilder(graph.Config{})
	x := b.Fixed("x", []int{4, 5}, xs)
	sm, lsm := b.Softmax(x), b.LogSoftmax(x)
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	p, err := vm.Compile(b, nil, vm.ForwardOnly(), vm.Watch(sm, lsm))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Run(); err != nil {
		t.Fatal(err)
	}
	smv, _ := p.Value(sm)
	lsmv, _ := p.Value(lsm)
	worst := 0.0
	for i := range smv {
		worst = math.Max(worst, math.Abs(lsmv[i]-math.Log(smv[i])))
	}
	if worst > 1e-13 {
		t.Errorf("largest |LogSoftmax - log(Softmax)| = %g", worst)
	}
	t.Logf("largest |LogSoftmax - log(Softmax)| = %.2g", worst)

	// x = [1000, 0]: the naive log(exp(x)/Σexp(x)) is NaN (Inf/Inf), log(softmax) of the
	// second entry is -Inf (exp(-1000) underflows), LogSoftmax is [0, -1000].
	naive := math.Log(math.Exp(1000) / (math.Exp(1000) + 1))
	got := forwardValues(t, tensor.Float64, []int{1, 2}, []float64{1000, 0}, (*graph.Builder).LogSoftmax)
	soft := forwardValues(t, tensor.Float64, []int{1, 2}, []float64{1000, 0}, (*graph.Builder).Softmax)
	if !math.IsNaN(naive) || !math.IsInf(math.Log(soft[1]), -1) {
		t.Errorf("naive form %v, log(softmax) %v: expected NaN and -Inf", naive, math.Log(soft[1]))
	}
	if got[0] != 0 || got[1] != -1000 {
		t.Errorf("LogSoftmax([1000 0]) = %v, want [0 -1000]", got)
	}
}

// TestOpErrors: bad operands give an error through the sticky error naming the operation, the
// node and its shape; nothing panics.
func TestOpErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(b *graph.Builder)
		want  []string
	}{
		{"softmax of a vector", func(b *graph.Builder) { b.Softmax(b.Input("v", 3)) },
			[]string{`softmax of "v"(3)`, "want a matrix [rows, n]", "reshape a vector to [1, n]"}},
		{"logsoftmax of a 3-d tensor", func(b *graph.Builder) {
			x := G.NewTensor(b.Graph(), tensor.Float64, 3, G.WithShape(2, 2, 2), G.WithName("t3"))
			b.LogSoftmax(x)
		}, []string{`logsoftmax of "t3"(2, 2, 2)`, "want a matrix [rows, n]"}},
		{"softmax of a scalar", func(b *graph.Builder) { b.Softmax(b.Sum(b.Input("v", 3))) }, []string{"softmax of", "got shape ()"}},
		{"slice past the end", func(b *graph.Builder) { b.Slice(b.Input("x", 2, 3), 0, 1, 3) },
			[]string{`slice axis 0 [1:3] of "x"(2, 3)`, "want 0 <= from < to <= 2"}},
		{"slice before the start", func(b *graph.Builder) { b.Slice(b.Input("x", 2, 3), 1, -1, 2) }, []string{"want 0 <= from < to <= 3"}},
		{"empty slice", func(b *graph.Builder) { b.Slice(b.Input("x", 2, 3), 1, 2, 2) }, []string{"slice axis 1 [2:2]", "from < to"}},
		{"slice of a missing axis", func(b *graph.Builder) { b.Slice(b.Input("x", 2, 3), 2, 0, 1) }, []string{"shape (2, 3) has no axis 2"}},
		{"reshape to another size", func(b *graph.Builder) { b.Reshape(b.Input("x", 2, 3), 4, 2) },
			[]string{`reshape to [4 2] of "x"(2, 3)`, "has 8 values, (2, 3) has 6"}},
		{"reshape to 3-d", func(b *graph.Builder) { b.Reshape(b.Input("x", 2, 3), 1, 2, 3) }, []string{"want 1 or 2 dimensions"}},
		{"reshape to size 0", func(b *graph.Builder) { b.Reshape(b.Input("x", 2, 3), 0, 6) }, []string{"sizes must be > 0"}},
		{"log of nil", func(b *graph.Builder) { b.Log(nil) }, []string{"graph: log: operand 0 is nil"}},
		{"mean of nil", func(b *graph.Builder) { b.Mean(nil) }, []string{"graph: sum: operand 0 is nil"}},
		{"tanh of a node of another graph", func(b *graph.Builder) {
			b.Tanh(graph.NewBuilder(graph.Config{}).Input("x", 2))
		}, []string{"tanh: operand 0", "belongs to another graph"}},
		{"concat of different heights", func(b *graph.Builder) { b.Concat(1, b.Input("x", 2, 3), b.Input("y", 3, 3)) },
			[]string{`concat of "x"(2, 3), "y"(3, 3)`}},
		{"in a scope", func(b *graph.Builder) { b.Scope("head").Softmax(b.Input("v", 3)) }, []string{`in "head"`, `softmax of "v"(3)`}},
		{"concat of nothing", func(b *graph.Builder) { b.Concat(0) }, []string{"graph: concat: no nodes"}},
		{"concat of one nil node", func(b *graph.Builder) { b.Concat(0, nil) }, []string{"concat: operand 0 is nil"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := graph.NewBuilder(graph.Config{})
			tc.build(b)
			err := b.Err()
			for _, want := range tc.want {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("err = %v, want it to contain %q", err, want)
				}
			}
			if n := b.Tanh(b.Input("after", 2)); n != nil {
				t.Error("a builder with an error still builds nodes")
			}
		})
	}
}

// TestOpsOfNilBuilder: every operation of a nil Builder returns nil without panicking.
func TestOpsOfNilBuilder(t *testing.T) {
	x := graph.NewBuilder(graph.Config{}).Input("x", 2, 2)
	var b *graph.Builder
	for name, op := range map[string]opFn{
		"tanh": (*graph.Builder).Tanh, "exp": (*graph.Builder).Exp, "log": (*graph.Builder).Log,
		"relu": (*graph.Builder).ReLU, "neg": (*graph.Builder).Neg, "softmax": (*graph.Builder).Softmax,
		"logsoftmax": (*graph.Builder).LogSoftmax, "mean": (*graph.Builder).Mean, "sum": (*graph.Builder).Sum,
		"scale":   func(b *graph.Builder, x *G.Node) *G.Node { return b.Scale(x, 2) },
		"shift":   func(b *graph.Builder, x *G.Node) *G.Node { return b.Shift(x, 2) },
		"slice":   func(b *graph.Builder, x *G.Node) *G.Node { return b.Slice(x, 0, 0, 1) },
		"reshape": func(b *graph.Builder, x *G.Node) *G.Node { return b.Reshape(x, 4) },
		"concat":  func(b *graph.Builder, x *G.Node) *G.Node { return b.Concat(0, x, x) },
	} {
		if n := op(b, x); n != nil {
			t.Errorf("%s of a nil builder returned a node", name)
		}
	}
	if err := b.Err(); err == nil {
		t.Error("a nil builder has no error")
	}
}

// TestOpsShareOnlyEqualNodes: the same operation of the same node may give the same node (the
// merge guard allows it); operations that differ in kind or in a parameter never do.
func TestOpsShareOnlyEqualNodes(t *testing.T) {
	b := graph.NewBuilder(graph.Config{})
	x := b.Input("x", 4, 4)
	nodes := map[string]*G.Node{
		"softmax": b.Softmax(x), "logsoftmax": b.LogSoftmax(x), "tanh": b.Tanh(x), "exp": b.Exp(x),
		"log": b.Log(x), "relu": b.ReLU(x), "neg": b.Neg(x),
		"rows 0:2": b.Slice(x, 0, 0, 2), "rows 1:3": b.Slice(x, 0, 1, 3), "columns 0:2": b.Slice(x, 1, 0, 2),
		"reshape 2x8": b.Reshape(x, 2, 8), "reshape 8x2": b.Reshape(x, 8, 2),
	}
	if again := b.Slice(x, 0, 1, 3); again != nodes["rows 1:3"] {
		t.Error("the same slice twice gave two nodes")
	}
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	seen := map[*G.Node]string{}
	for name, n := range nodes {
		if prev, ok := seen[n]; ok {
			t.Errorf("%s and %s are one node", name, prev)
		}
		seen[n] = name
	}
}
