package vm_test

import (
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
)

// runLoss sets x, runs p and returns its loss.
func runLoss(t *testing.T, p *vm.Program, x *G.Node, vals []float64) float64 {
	t.Helper()
	if err := p.Set(x, vals); err != nil {
		t.Fatal(err)
	}
	if err := p.Run(); err != nil {
		t.Fatal(err)
	}
	l, err := p.Loss()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestOneOpenProgramPerGraph: while a Program is open, its builder neither compiles a second
// Program nor adds nodes; after Close it does both, and the new Program computes the right
// numbers. Two graphs on one ParamSet are the way to have two programs at once.
func TestOneOpenProgramPerGraph(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			b, x, _, loss := linear(t, nil)
			p1, err := vm.Compile(b, loss, e.opts...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = vm.Compile(b, loss, append(e.opts, vm.ForwardOnly())...)
			for _, want := range []string{"already compiled into a Program that is open", `graph (parameters "lin/w" and inputs "lin/x")`, "NewBuilder(Config{Params: b.ParamSet()})", "Close the first Program"} {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("second Compile: err = %v, want it to contain %q", err, want)
				}
			}
			// w = [1, 2]: loss = (x·w)²/2.
			if got := runLoss(t, p1, x, []float64{1, 1}); got != 4.5 {
				t.Errorf("first program: loss %v, want 4.5", got)
			}
			if n := b.Scope("late").Input("x2", 1, 2); n != nil {
				t.Error("the builder added an input to a compiled graph")
			}
			if err := b.Err(); err == nil || !strings.Contains(err.Error(), `add "late/x2": the graph is compiled and its Program is open`) {
				t.Errorf("input after Compile: err = %v", err)
			}

			b2, x2, _, loss2 := linear(t, nil)
			q1, err := vm.Compile(b2, loss2, e.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if err := q1.Close(); err != nil {
				t.Fatal(err)
			}
			if err := q1.Set(x2, []float64{1, 1}); err == nil || !strings.Contains(err.Error(), "closed") {
				t.Errorf("Set after Close: err = %v", err)
			}
			y := b2.Square(loss2) // allowed again once the program is closed
			q2, err := vm.Compile(b2, loss2, append(e.opts, vm.Watch(y))...)
			if err != nil {
				t.Fatal(err)
			}
			defer q2.Close()
			if got := runLoss(t, q2, x2, []float64{2, 0}); got != 2 {
				t.Errorf("program compiled after Close: loss %v, want 2", got)
			}
			if v, err := q2.Value(y); err != nil || v[0] != 4 {
				t.Errorf("node added after Close: %v %v, want 4", v, err)
			}
			ps, err := q2.Params()
			if err != nil {
				t.Fatal(err)
			}
			// ∂loss/∂w = xᵀ(x·w) = [2, 0]·2.
			if g := ps[0].Grad.Data().([]float64); g[0] != 4 || g[1] != 0 {
				t.Errorf("gradient of the recompiled program %v, want [4 0]", g)
			}
		})
	}
}

// TestRunNeedsEveryInput: a run before every input the program reads is set fails and names
// the missing ones; an input the program does not read is not required; a value once set stays.
func TestRunNeedsEveryInput(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			b := graph.NewBuilder(graph.Config{})
			w := b.Param("w", []int{2, 1}, graph.Values(1, 2))
			x := b.Input("x", 1, 2)
			m := b.Input("m", 1, 1)
			unused := b.Input("unused", 3)
			loss := b.Sum(b.Mul(b.MatMul(x, w), m))
			if err := b.Err(); err != nil {
				t.Fatal(err)
			}
			p, err := vm.Compile(b, loss, e.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if err := p.Run(); err == nil || !strings.Contains(err.Error(), `input "x", "m"`) || !strings.Contains(err.Error(), "never set") {
				t.Errorf("nothing set: err = %v", err)
			}
			if err := p.Set(m, []float64{3}); err != nil {
				t.Fatal(err)
			}
			// The TapeMachine runs every node of the graph, so it reads every input; the
			// executor only those its results depend on.
			want := `input "x" never set`
			if e.opts != nil {
				want = `input "x", "unused" never set`
			}
			if err := p.Run(); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("x not set: err = %v, want it to contain %q", err, want)
			}
			if e.opts != nil {
				if err := p.Set(unused, []float64{0, 0, 0}); err != nil {
					t.Fatal(err)
				}
			}
			for i, xs := range [][]float64{{1, 1}, {2, 0}} {
				if got, want := runLoss(t, p, x, xs), 3*(xs[0]+2*xs[1]); got != want {
					t.Errorf("run %d: loss %v, want %v (the mask set once stays)", i, got, want)
				}
			}
		})
	}
}

// TestCheckFinite: with CheckFinite a run names the first value that is not finite: a
// parameter, else the first node in execution order, else an accumulated gradient.
func TestCheckFinite(t *testing.T) {
	type net struct {
		b       *graph.Builder
		x, y, z *G.Node
		loss    *G.Node
	}
	// loss = sum(square(x·w)), with x [1, 2] and w [2, 1].
	build := func(t *testing.T, dt tensor.Dtype, w0, w1 float64) net {
		b := graph.NewBuilder(graph.Config{Dtype: dt})
		w := b.Param("w", []int{2, 1}, graph.Values(w0, w1))
		x := b.Input("x", 1, 2)
		y := b.MatMul(x, w)
		z := b.Square(y)
		loss := b.Sum(z)
		if err := b.Err(); err != nil {
			t.Fatal(err)
		}
		return net{b, x, y, z, loss}
	}
	for _, tc := range []struct {
		name   string
		dtype  tensor.Dtype
		w      [2]float64
		nan    bool // w[1] is NaN in the ParamSet
		xs     [][]float64
		want   []string
		readY  float64 // the value of y readable after the failure
		noGrad bool    // the failed run added no gradient
	}{
		{"parameter", tensor.Float64, [2]float64{1, 2}, true, [][]float64{{1, 1}},
			[]string{`parameter "w" value 1 (row 1, column 0) is NaN`}, math.NaN(), true},
		{"forward node", tensor.Float64, [2]float64{1e200, 0}, false, [][]float64{{1e200, 0}},
			[]string{`(op A × B, shape (1, 1))`, "step 1 of", "value 0 (row 0, column 0) is +Inf"}, math.Inf(1), true},
		{"later forward node", tensor.Float64, [2]float64{1e100, 0}, false, [][]float64{{1e100, 0}},
			[]string{`(op square, shape (1, 1))`, "step 2 of", "is +Inf"}, 1e200, true},
		{"float32 node", tensor.Float32, [2]float64{1e20, 0}, false, [][]float64{{1e20, 0}},
			[]string{`(op A × B, shape (1, 1))`, "is +Inf"}, math.Inf(1), true},
		// w = [0.5, 0], x = [1e154, 0]: y = 0.5e154, the loss 0.25e308 and ∂loss/∂w0 =
		// 2·x0·y = 1e308 are finite; two runs' gradients add up to more than MaxFloat64.
		{"accumulated gradient", tensor.Float64, [2]float64{0.5, 0}, false, [][]float64{{1e154, 0}, {1e154, 0}},
			[]string{`accumulated gradient of parameter "w" is +Inf at index 0 (row 0, column 0)`}, 0.5e154, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := build(t, tc.dtype, tc.w[0], tc.w[1])
			if tc.nan {
				w := n.b.ParamSet().Get("w")
				switch d := w.Data().(type) {
				case []float64:
					d[1] = math.NaN()
				}
			}
			p, err := vm.Compile(n.b, n.loss, vm.CheckFinite(), vm.Watch(n.y))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			for i, xs := range tc.xs {
				if err := p.Set(n.x, xs); err != nil {
					t.Fatal(err)
				}
				err = p.Run()
				if i < len(tc.xs)-1 && err != nil {
					t.Fatalf("run %d: %v", i, err)
				}
			}
			for _, want := range tc.want {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("err = %v, want it to contain %q", err, want)
				}
			}
			got, verr := p.Value(n.y)
			if verr != nil {
				t.Fatal(verr)
			}
			if !(got[0] == tc.readY || math.IsNaN(got[0]) && math.IsNaN(tc.readY)) && tc.dtype == tensor.Float64 {
				t.Errorf("y after the failed run = %v, want %v", got[0], tc.readY)
			}
			ps, perr := p.Params()
			if perr != nil {
				t.Fatal(perr)
			}
			g := graph.Float64View(ps[0].Grad)
			if added := g[0] != 0 || g[1] != 0; added == tc.noGrad {
				t.Errorf("gradient after the failed run = %v; want it untouched: %v", g, tc.noGrad)
			}
		})
	}
	n := build(t, tensor.Float64, 1, 2)
	if _, err := vm.Compile(n.b, n.loss, vm.CheckFinite(), vm.UseTapeMachine()); err == nil || !strings.Contains(err.Error(), "cannot be combined with UseTapeMachine") {
		t.Errorf("CheckFinite with the TapeMachine: err = %v", err)
	}
}

// TestCheckFinitePassesFiniteRuns: a checked program computes exactly what an unchecked one
// computes.
func TestCheckFinitePassesFiniteRuns(t *testing.T) {
	var got [2][2]float64
	for i, opts := range [][]vm.CompileOption{nil, {vm.CheckFinite()}} {
		b, x, _, loss := linear(t, nil)
		p, err := vm.Compile(b, loss, opts...)
		if err != nil {
			t.Fatal(err)
		}
		got[i][0] = runLoss(t, p, x, []float64{1, -3})
		ps, err := p.Params()
		if err != nil {
			t.Fatal(err)
		}
		got[i][1] = ps[0].Grad.Float64s()[1]
		p.Close()
	}
	if got[0] != got[1] || got[0][0] != 12.5 {
		t.Errorf("unchecked %v, checked %v; want loss 12.5 from both", got[0], got[1])
	}
}

// TestNilProgramAndNodes: nil programs, nodes and builders give errors, never panics.
func TestNilProgramAndNodes(t *testing.T) {
	var p *vm.Program
	var zero vm.Program
	b, x, y, loss := linear(t, nil)
	q, err := vm.Compile(b, loss, vm.Watch(y))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if err := q.Set(x, []float64{1, 1}); err != nil {
		t.Fatal(err)
	}
	if err := q.Run(); err != nil {
		t.Fatal(err)
	}
	var nb *graph.Builder
	for _, tc := range []struct {
		name string
		err  func() error
		want string
	}{
		{"run nil program", p.Run, "nil Program"},
		{"close nil program", p.Close, "nil Program"},
		{"loss of nil program", func() error { _, err := p.Loss(); return err }, "nil Program"},
		{"run zero program", zero.Run, "not made by Compile"},
		{"value of nil node", func() error { _, err := q.Value(nil); return err }, "nil node"},
		{"set nil node", func() error { return q.Set(nil, []float64{1}) }, "nil node is not an input"},
		{"nil builder", func() error { nb.Input("x", 1); return nb.Err() }, "nil or zero Builder"},
		{"zero builder", func() error {
			(&graph.Builder{}).Param("w", []int{1}, graph.Uniform(1))
			return (&graph.Builder{}).Err()
		}, "nil or zero Builder"},
		{"compile nil builder", func() error { _, err := vm.Compile(nb, loss); return err }, "nil or zero Builder"},
		{"nil option", func() error {
			b, _, _, loss := linear(t, nil)
			_, err := vm.Compile(b, loss, nil)
			return err
		}, "option 0 is nil"},
		{"nothing to compute", func() error {
			b, _, _, _ := linear(t, nil)
			_, err := vm.Compile(b, nil, vm.ForwardOnly())
			return err
		}, "no loss and no watched node"},
	} {
		if err := tc.err(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
}
