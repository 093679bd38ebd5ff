package vm_test

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/layers/output"
)

// TestViewReadsTheLastRun: View gives a watched node's values after the last run, as Value
// does; for a float64 graph it is the program's buffer, which the next run overwrites, while a
// Value copy keeps its values; for a float32 graph a converted copy that only the next View
// refreshes.
func TestViewReadsTheLastRun(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		b := graph.NewBuilder(graph.Config{Seed: 1, Dtype: dt})
		w := b.Param("w", []int{2, 1}, graph.Values(1, 2))
		x := b.Input("x", 1, 2)
		y := b.MatMul(x, w)
		p, err := vm.Compile(b, b.Sum(y), vm.Watch(y))
		if err != nil {
			t.Fatal(err)
		}
		run := func(x0, x1 float64) {
			if err := p.Set(x, []float64{x0, x1}); err != nil {
				t.Fatal(err)
			}
			if err := p.Run(); err != nil {
				t.Fatal(err)
			}
		}
		run(1, 1)
		kept, err := p.Value(y)
		if err != nil {
			t.Fatal(err)
		}
		v, err := p.View(y)
		if err != nil {
			t.Fatal(err)
		}
		if kept[0] != 3 || v[0] != 3 {
			t.Errorf("%v: Value %v, View %v after the first run, want 3", dt, kept, v)
		}
		run(2, 5)
		if aliased := v[0] == 12; aliased != (dt == tensor.Float64) {
			t.Errorf("%v: the first View's slice reads %v after the second run", dt, v[0])
		}
		v2, err := p.View(y)
		if err != nil {
			t.Fatal(err)
		}
		if kept[0] != 3 || v2[0] != 12 {
			t.Errorf("%v: after the second run the copy holds %v (want 3), View %v (want 12)", dt, kept, v2)
		}
		if _, err := p.View(b.Input("other", 1, 1)); err == nil {
			t.Errorf("%v: View of a node the program does not compute gave no error", dt)
		}
		p.Close()
	}
}

// TestFusedGradientsAccumulate: the gradients of a fused layer (output units and masked loss,
// whose parameter gradients the executor adds straight from their flat vector) accumulate over
// runs exactly as on gorgonia's TapeMachine, which copies them out first, and as central
// differences of the summed loss say.
func TestFusedGradientsAccumulate(t *testing.T) {
	targets := [][]float64{{1, 0, 0, 1, 0, 1, 1, 0}, {0, 0, 1, 1, 1, 0, 0, 1}, {0.5, 0.5, 0.2, 0.8, 0, 1, 0, 0}}
	type model struct {
		p  *vm.Program
		tg *G.Node
		ps *graph.ParamSet
	}
	build := func(opts ...vm.CompileOption) model {
		b := graph.NewBuilder(graph.Config{Seed: 4})
		out, err := output.New(b, output.Config{Units: 2, Cells: 3, Inputs: 2, Bias: true, InitRange: 0.8})
		if err != nil {
			t.Fatal(err)
		}
		h := b.Param("h", []int{4, 3}, graph.Uniform(1))
		x := b.Input("x", 4, 2)
		y := out.Apply(h, x)
		tg, mask := b.Input("target", 4, 2), b.Input("mask", 4, 2)
		loss := output.MaskedLoss(b, y, tg, mask, 2)
		p, err := vm.Compile(b, loss, opts...)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Set(mask, []float64{1, 1, 0, 0, 1, 1, 1, 1}); err != nil {
			t.Fatal(err)
		}
		if err := p.Set(x, []float64{0, 1, 1, 0, 0.5, -1, 0, 0}); err != nil {
			t.Fatal(err)
		}
		return model{p: p, tg: tg, ps: b.ParamSet()}
	}
	lossSum := func(m model) float64 {
		total := 0.0
		for _, tg := range targets {
			if err := m.p.Set(m.tg, tg); err != nil {
				t.Fatal(err)
			}
			if err := m.p.Run(); err != nil {
				t.Fatal(err)
			}
			l, err := m.p.Loss()
			if err != nil {
				t.Fatal(err)
			}
			total += l
		}
		return total
	}
	exec, tape, fwd := build(), build(vm.UseTapeMachine()), build()
	defer exec.p.Close()
	defer tape.p.Close()
	defer fwd.p.Close()
	lossSum(exec)
	lossSum(tape)
	ge, err := exec.p.Params()
	if err != nil {
		t.Fatal(err)
	}
	gt, err := tape.p.Params()
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i, pe := range ge {
		a, b := graph.Float64View(pe.Grad), graph.Float64View(gt[i].Grad)
		vals := graph.Float64View(fwd.ps.Get(pe.Name)) // the same initial weights
		for j := range a {
			if a[j] != b[j] {
				t.Errorf("%s[%d]: executor %v, TapeMachine %v", pe.Name, j, a[j], b[j])
			}
			w0, step := vals[j], 1e-6
			vals[j] = w0 + step
			up := lossSum(fwd)
			vals[j] = w0 - step
			down := lossSum(fwd)
			vals[j] = w0
			fd := (up - down) / (2 * step)
			d := math.Abs(fd - a[j])
			worst = math.Max(worst, d)
			if d > 1e-7+1e-6*math.Abs(fd) {
				t.Errorf("%s[%d]: gradient %v, central difference %v", pe.Name, j, a[j], fd)
			}
		}
	}
	t.Logf("largest difference from the central differences: %.3g", worst)
}
