package layers_test

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/internal/gradcheck"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train"
)

// stacked returns a model of two LSTM layers, the second fed by the first's cell outputs,
// followed by an output expression and a loss written by the user with plain builder ops:
// y = σ(y^c_2·V + c), loss = Σ_targets (target - y)² (no ½, no batch mean: the user's choice).
func stacked(unrolled bool) graph.ModelFunc {
	return func(b *graph.Builder, s graph.Shape) (*graph.Model, error) {
		l1, err := layers.NewCell(b, layers.Config{Name: "lstm0", Inputs: s.In, NumBlocks: 2, CellsPerBlock: 2, InputGateBias: []float64{-1, -2}, InitRange: 0.5})
		if err != nil {
			return nil, err
		}
		l2, err := layers.NewCell(b, layers.Config{Name: "lstm1", Inputs: l1.Config().NumCells(), NumBlocks: 1, CellsPerBlock: 3, InitRange: 0.5})
		if err != nil {
			return nil, err
		}
		v := b.Param("head/v", []int{3, s.Out}, graph.Uniform(0.5))
		c := b.Param("head/c", []int{1, s.Out}, graph.Uniform(0.5))
		head := func(h *G.Node) *G.Node { return b.Sigmoid(b.AddBias(b.MatMul(h, v), c)) }
		m := &graph.Model{}
		if !unrolled {
			x := b.Input("x", s.T*s.B, s.In)
			y := head(l2.Sequence(l1.Sequence(x, s.T), s.T)) // [T·B, Out]
			tg := b.Input("target", s.T*s.B, s.Out)
			mask := b.Input("mask", s.T*s.B, s.Out)
			m.Packed, m.Inputs, m.Outputs, m.Targets, m.Mask = true, []*G.Node{x}, []*G.Node{y}, []*G.Node{tg}, mask
			m.Loss = b.Sum(b.Mul(mask, b.Square(b.Sub(tg, y))))
			return m, b.Err()
		}
		for t := 0; t < s.T; t++ {
			m.Inputs = append(m.Inputs, b.Scope("x").Input(fmt.Sprintf("t%d", t), s.B, s.In))
		}
		var h1 []*G.Node
		for _, st := range l1.Unroll(m.Inputs) {
			h1 = append(h1, st.Cells)
		}
		st2 := l2.Unroll(h1)
		if st2 == nil {
			return nil, b.Err()
		}
		y := head(st2[s.T-1].Cells)
		tg := b.Input("target_last", s.B, s.Out)
		m.Outputs, m.Targets, m.Loss = []*G.Node{y}, []*G.Node{tg}, b.Sum(b.Square(b.Sub(tg, y)))
		return m, b.Err()
	}
}

// memorySeq is a sequence whose target at the end is 1 if its first input is positive, else 0.
func memorySeq(rng *rand.Rand, T int) datasets.Sequence {
	s := datasets.Sequence{Inputs: make([][]float64, T), Targets: make([][]float64, T)}
	sign := float64(2*rng.Intn(2) - 1)
	for t := range s.Inputs {
		s.Inputs[t] = []float64{0, rng.Float64() - 0.5}
	}
	s.Inputs[0][0] = sign
	s.Targets[T-1] = []float64{(sign + 1) / 2}
	return s
}

func TestStackedLayersComposeAndTrain(t *testing.T) {
	final := map[bool]float64{}
	for _, unrolled := range []bool{true, false} {
		opt, err := optim.NewSGD(0.3, optim.Clip{})
		if err != nil {
			t.Fatal(err)
		}
		tr, err := train.NewTrainer(train.TrainerConfig{Model: stacked(unrolled), Optimizer: opt, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewSource(6))
		avg := func(n int, training bool) float64 {
			sum := 0.0
			for i := 0; i < n; i++ {
				bt, err := train.Stack(memorySeq(rng, 6))
				if err != nil {
					t.Fatal(err)
				}
				var r train.Result
				if training {
					r, err = tr.Step(bt)
				} else {
					r, err = tr.Evaluate(bt)
				}
				if err != nil {
					t.Fatal(err)
				}
				sum += r.Loss
			}
			return sum / float64(n)
		}
		before := avg(200, false)
		avg(3000, true)
		after := avg(200, false)
		tr.Close()
		t.Logf("unrolled=%v: stacked LSTM loss before %.4f, after 3000 sequences %.4f", unrolled, before, after)
		if !(after < 0.02 && after < before/10) {
			t.Errorf("unrolled=%v: the stacked model did not learn: loss %.4f -> %.4f", unrolled, before, after)
		}
		final[unrolled] = after
	}
	// Same seeds, same data, same arithmetic up to rounding: the two forms train alike.
	if d := math.Abs(final[true] - final[false]); d > 1e-9 {
		t.Errorf("fused and unrolled training diverged: final loss %.12g vs %.12g", final[false], final[true])
	}
}

// TestStackedFusedEqualsUnrolled checks the gradient of every parameter (and so the error
// flowing from the upper layer into the lower one through the fused op's input gradient) of the
// same two-layer model built fused and unrolled.
func TestStackedFusedEqualsUnrolled(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	const T, B = 7, 2
	seqs := []datasets.Sequence{memorySeq(rng, T), memorySeq(rng, T)}
	bt, err := train.Stack(seqs...)
	if err != nil {
		t.Fatal(err)
	}
	grads := map[bool]map[string][]float64{}
	for _, unrolled := range []bool{true, false} {
		b := graph.NewBuilder(graph.Config{Seed: 3})
		l1, _ := layers.NewCell(b, layers.Config{Name: "lstm0", Inputs: 2, NumBlocks: 2, CellsPerBlock: 2, InitRange: 0.7})
		l2, _ := layers.NewCell(b, layers.Config{Name: "lstm1", Inputs: 4, NumBlocks: 1, CellsPerBlock: 3, InitRange: 0.7})
		v := b.Param("head/v", []int{3, 1}, graph.Uniform(0.7))
		var all *G.Node // [T·B, 3], rows t·B+b
		var xs []*G.Node
		if unrolled {
			var h1 []*G.Node
			for tt := 0; tt < T; tt++ {
				xs = append(xs, b.Input(fmt.Sprintf("x%d", tt), B, 2))
			}
			for _, st := range l1.Unroll(xs) {
				h1 = append(h1, st.Cells)
			}
			var h2 []*G.Node
			for _, st := range l2.Unroll(h1) {
				h2 = append(h2, st.Cells)
			}
			all = b.Concat(0, h2...)
		} else {
			x := b.Input("x", T*B, 2)
			xs = []*G.Node{x}
			all = l2.Sequence(l1.Sequence(x, T), T)
		}
		// A loss over every step, so every time step's error reaches both layers.
		loss := b.Sum(b.Square(b.MatMul(all, v)))
		p, err := vm.Compile(b, loss)
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range xs {
			var vals []float64
			if unrolled {
				for _, row := range bt.Inputs[i] {
					vals = append(vals, row...)
				}
			} else {
				for tt := 0; tt < T; tt++ {
					for _, row := range bt.Inputs[tt] {
						vals = append(vals, row...)
					}
				}
			}
			if err := p.Set(n, vals); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.Run(); err != nil {
			t.Fatal(err)
		}
		ps, err := p.Params()
		if err != nil {
			t.Fatal(err)
		}
		grads[unrolled] = map[string][]float64{}
		for _, q := range ps {
			grads[unrolled][q.Name] = append([]float64(nil), q.Grad.Data().([]float64)...)
		}
		p.Close()
	}
	if len(grads[true]) != len(grads[false]) || len(grads[true]) < 13 {
		t.Fatalf("parameter sets differ: %d vs %d", len(grads[true]), len(grads[false]))
	}
	for name, want := range grads[true] {
		got := grads[false][name]
		for i := range want {
			if d := math.Abs(got[i] - want[i]); d > 1e-12*math.Max(1, math.Abs(want[i])) {
				t.Errorf("%s[%d]: fused %.17g, unrolled %.17g", name, i, got[i], want[i])
			}
		}
	}
}

// TestGradientOfAParameterInput feeds a parameter (not a graph input) to the fused LSTM and to
// the output layer's direct input connection: its gradient must still be computed (the ops
// skip it only for Builder inputs), checked against central finite differences of the loss.
func TestGradientOfAParameterInput(t *testing.T) {
	const T, In = 4, 3
	b := graph.NewBuilder(graph.Config{Seed: 3})
	x := b.Param("x", []int{T, In}, graph.Uniform(1))
	l, err := layers.NewCell(b, layers.Config{Name: "lstm", Inputs: In, NumBlocks: 2, CellsPerBlock: 1, FullGradient: true, InitRange: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	o, err := output.New(b, output.Config{Units: 2, Cells: 2, Inputs: In, Bias: true, InitRange: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	loss := b.Sum(b.Square(o.Apply(l.Sequence(x, T), x)))
	p, err := vm.Compile(b, loss)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	lossAt := func() float64 {
		if err := p.Run(); err != nil {
			t.Fatal(err)
		}
		v, err := p.Loss()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	lossAt()
	ps, err := p.Params()
	if err != nil {
		t.Fatal(err)
	}
	grad := append([]float64(nil), ps[0].Grad.Data().([]float64)...)
	if ps[0].Name != "x" {
		t.Fatalf("first parameter is %q", ps[0].Name)
	}
	c := &gradcheck.Checker{T: t, Loss: lossAt, Tol: fdTol}
	c.Check("x", ps[0].Value.Data().([]float64), grad)
	c.Report(t.Name())
	if c.NonZero < T*In/2 {
		t.Errorf("only %d of %d finite differences are non-zero: the check is too weak", c.NonZero, T*In)
	}
}
