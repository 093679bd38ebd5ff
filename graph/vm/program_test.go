package vm_test

import (
	"fmt"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
)

// linear builds loss = sum((x·w) ⊙ (x·w)) / 2 with x [1,2] an input and w [2,1] a parameter.
func linear(t *testing.T, ps *graph.ParamSet) (*graph.Builder, *G.Node, *G.Node, *G.Node) {
	t.Helper()
	b := graph.NewBuilder(graph.Config{Seed: 1, Params: ps})
	m := b.Scope("lin")
	w := m.Param("w", []int{2, 1}, graph.Values(1, 2))
	x := m.Input("x", 1, 2)
	y := b.MatMul(x, w)
	loss := b.Scale(b.Sum(b.Square(y)), 0.5)
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	return b, x, y, loss
}

// engines are the two ways a Program can run.
var engines = []struct {
	name string
	opts []vm.CompileOption
}{{"executor", nil}, {"tapemachine", []vm.CompileOption{vm.UseTapeMachine()}}}

func TestProgramRunsManyTimesWithNewInputs(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) { testManyRuns(t, e.opts) })
	}
}

func testManyRuns(t *testing.T, opts []vm.CompileOption) {
	b, x, y, loss := linear(t, nil)
	p, err := vm.Compile(b, loss, append(opts, vm.Watch(y))...)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, tc := range []struct {
		x        []float64
		y, loss  float64
		gw0, gw1 float64 // accumulated gradient after this run
	}{
		{[]float64{1, 1}, 3, 4.5, 3, 3},
		{[]float64{2, 0}, 2, 2, 7, 3},
		{[]float64{0, -1}, -2, 2, 7, 5},
	} {
		if err := p.Set(x, tc.x); err != nil {
			t.Fatal(err)
		}
		if err := p.Run(); err != nil {
			t.Fatal(err)
		}
		got, err := p.Value(y)
		if err != nil {
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
		g := ps[0].Grad.Data().([]float64)
		if got[0] != tc.y || l != tc.loss || g[0] != tc.gw0 || g[1] != tc.gw1 {
			t.Errorf("x=%v: y=%v loss=%v grad=%v, want %v %v [%v %v]", tc.x, got[0], l, g, tc.y, tc.loss, tc.gw0, tc.gw1)
		}
	}
	if err := p.ZeroGrads(); err != nil {
		t.Fatal(err)
	}
	ps, _ := p.Params()
	if g := ps[0].Grad.Data().([]float64); g[0] != 0 || g[1] != 0 {
		t.Errorf("after ZeroGrads grad = %v", g)
	}
}

func TestProgramsShareParamSet(t *testing.T) {
	ps := graph.NewParamSet()
	b1, x1, y1, l1 := linear(t, ps)
	b2, x2, y2, l2 := linear(t, ps)
	p1, err := vm.Compile(b1, l1, vm.Watch(y1))
	if err != nil {
		t.Fatal(err)
	}
	p2, err := vm.Compile(b2, l2, vm.Watch(y2))
	if err != nil {
		t.Fatal(err)
	}
	if err := ps.SetFloat64s("lin/w", []float64{10, 20}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p    *vm.Program
		x, y *G.Node
	}{{p1, x1, y1}, {p2, x2, y2}} {
		if err := c.p.Set(c.x, []float64{1, 1}); err != nil {
			t.Fatal(err)
		}
		if err := c.p.Run(); err != nil {
			t.Fatal(err)
		}
		got, _ := c.p.Value(c.y)
		if got[0] != 30 {
			t.Errorf("y = %v, want 30 from the shared parameter", got[0])
		}
		params, err := c.p.Params()
		if err != nil {
			t.Fatal(err)
		}
		if params[0].Value != ps.Get("lin/w") {
			t.Error("program parameter is not the ParamSet's tensor")
		}
	}
	if ps.NumWeights() != 2 || ps.Len() != 1 {
		t.Errorf("ParamSet has %d tensors, %d weights", ps.Len(), ps.NumWeights())
	}
}

func TestProgramErrors(t *testing.T) {
	b, x, y, loss := linear(t, nil)
	p, err := vm.Compile(b, loss, vm.Watch(y))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Value(y); err == nil || !strings.Contains(err.Error(), "not run") {
		t.Errorf("Value before run: %v", err)
	}
	if _, err := p.Params(); err == nil {
		t.Error("Params before run: no error")
	}
	for name, tc := range map[string]struct {
		n    *G.Node
		vals []float64
		want string
	}{
		"too few":   {x, []float64{1}, "got 1 values, want 2"},
		"NaN":       {x, []float64{1, nan()}, "value 1 is NaN"},
		"not input": {y, []float64{1}, "not an input"},
		"nil":       {nil, []float64{1}, "not an input"},
	} {
		if err := p.Set(tc.n, tc.vals); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Set error = %v, want it to contain %q", name, err, tc.want)
		}
	}
}

// TestSetFindsEveryInput: Set finds each input of programs with few inputs (looked through)
// and with many (looked up in a map), and refuses a node that is not one of them: the loss
// Σ_i x_i·w, w = [1, 2], comes out as computed here.
func TestSetFindsEveryInput(t *testing.T) {
	for _, n := range []int{1, 8, 9, 20} {
		b := graph.NewBuilder(graph.Config{Seed: 1})
		w := b.Param("w", []int{2, 1}, graph.Values(1, 2))
		var xs []*G.Node
		var loss *G.Node
		for i := 0; i < n; i++ {
			x := b.Input(fmt.Sprintf("x%d", i), 1, 2)
			xs = append(xs, x)
			if y := b.Sum(b.MatMul(x, w)); loss == nil {
				loss = y
			} else {
				loss = b.Add(loss, y)
			}
		}
		p, err := vm.Compile(b, loss)
		if err != nil {
			t.Fatal(err)
		}
		want := 0.0
		for i, x := range xs {
			if err := p.Set(x, []float64{float64(i), 1}); err != nil {
				t.Fatalf("%d inputs: input %d: %v", n, i, err)
			}
			want += float64(i) + 2
		}
		if err := p.Run(); err != nil {
			t.Fatal(err)
		}
		if got, err := p.Loss(); err != nil || got != want {
			t.Errorf("%d inputs: loss %v (%v), want %v", n, got, err, want)
		}
		if err := p.Set(w, []float64{1, 1}); err == nil || !strings.Contains(err.Error(), "not an input") {
			t.Errorf("%d inputs: Set of a parameter: %v", n, err)
		}
		p.Close()
	}
}

func TestCompileErrors(t *testing.T) {
	b, _, y, _ := linear(t, nil)
	if _, err := vm.Compile(b, nil); err == nil || !strings.Contains(err.Error(), "nil loss") {
		t.Errorf("nil loss: %v", err)
	}
	if _, err := vm.Compile(b, y); err == nil || !strings.Contains(err.Error(), "must be a scalar") {
		t.Errorf("matrix loss: %v", err)
	}
	bad := graph.NewBuilder(graph.Config{})
	bad.Param("w", []int{0, 3}, graph.Uniform(1))
	if _, err := vm.Compile(bad, nil, vm.ForwardOnly()); err == nil || !strings.Contains(err.Error(), "sizes must be > 0") {
		t.Errorf("builder error: %v", err)
	}
	if _, err := vm.Compile(nil, nil); err == nil {
		t.Error("nil builder: no error")
	}
}

func nan() float64 { z := 0.0; return z / z }
