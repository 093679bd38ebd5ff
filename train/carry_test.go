package train_test

import (
	"fmt"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/train"
)

// column makes a batch of one input and a target at the last step: x[t][b] is the single
// input of step t of sequence b.
func column(cont bool, x ...[]float64) train.Batch {
	bt := train.Batch{Inputs: make([][][]float64, len(x)), Targets: make([][][]float64, len(x)), Continue: cont}
	for t, step := range x {
		for _, v := range step {
			bt.Inputs[t] = append(bt.Inputs[t], []float64{v})
		}
	}
	last := len(x) - 1
	for range x[last] {
		bt.Targets[last] = append(bt.Targets[last], []float64{0})
	}
	return bt
}

// TestContinueCarriesTheFinalState: a batch with Continue starts from the final state of the
// previous batch on the same path (the probe's Final_b = h0_b + Σ_t x(t, b), its output at
// the last step x + length + h0); a batch without starts from zeros; a failed step does not
// advance the state; Step and Evaluate carry states of their own.
func TestContinueCarriesTheFinalState(t *testing.T) {
	tr := newProbe(t, probe{lengths: true, carry: true})
	for i, c := range []struct {
		eval bool
		bt   train.Batch
		want string // outputs at the last step, or an error substring
	}{
		{false, column(false, []float64{1, 2}, []float64{3, 4}), "[[5] [6]]"},                    // h0 = 0; Final [4 6]
		{false, column(true, []float64{10, 20}), "[[15] [27]]"},                                  // h0 = [4 6]; Final [14 26]
		{false, column(true, []float64{1e200, 1}), "the loss is not finite"},                     // fails: state stays [14 26]
		{false, column(true, []float64{10, 20}), "[[25] [47]]"},                                  // h0 = [14 26]; Final [24 46]
		{true, column(true, []float64{1, 1}), "there is no state to continue"},                   // Evaluate has its own state
		{true, column(false, []float64{1, 1}), "[[2] [2]]"},                                      // eval: Final [1 1]
		{true, column(true, []float64{1, 1}), "[[3] [3]]"},                                       // eval: h0 = [1 1]
		{false, column(true, []float64{0, 0}), "[[25] [47]]"},                                    // train: h0 = [24 46]
		{false, column(true, []float64{0, 0, 0}), "batch of 3 sequences continues a batch of 2"}, // state kept
		{false, column(true, []float64{1, 2}, []float64{0, 0}), "[[26] [48]]"},                   // T may change
		{false, column(false, []float64{0, 0}), "[[1] [1]]"},                                     // zeros again
	} {
		step := tr.Step
		if c.eval {
			step = tr.Evaluate
		}
		r, err := step(c.bt)
		got := fmt.Sprint(r.Outputs)
		if err != nil {
			got = err.Error()
		} else if len(r.Outputs) > 0 {
			got = fmt.Sprint(r.Outputs[len(r.Outputs)-1])
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("batch %d: got %s, want %s", i, got, c.want)
		}
	}
	tr.ResetState()
	for _, step := range []func(train.Batch) (train.Result, error){tr.Step, tr.Evaluate} {
		if _, err := step(column(true, []float64{1, 1})); err == nil || !strings.Contains(err.Error(), "or ResetState dropped it") {
			t.Errorf("continue after ResetState: %v", err)
		}
	}
}

// widthModel carries a state [B, T]: continuing a batch with another T changes the state's
// shape.
func widthModel(b *graph.Builder, s graph.Shape) (*graph.Model, error) {
	x := b.Input("x", s.T*s.B, s.In)
	o, err := output.New(b, output.Config{Units: s.Out, Cells: s.In})
	if err != nil {
		return nil, err
	}
	h0 := b.Input("h0", s.B, s.T)
	m := &graph.Model{Packed: true, Inputs: []*G.Node{x}, Outputs: []*G.Node{o.Apply(x, nil)}, Carry: []graph.Carry{{Init: h0, Final: b.Scale(h0, 1)}}}
	m.Targets, m.Mask = []*G.Node{b.Input("target", s.T*s.B, s.Out)}, b.Input("mask", s.T*s.B, s.Out)
	m.Loss = output.MaskedLoss(b, m.Outputs[0], m.Targets[0], m.Mask, s.B)
	return m, b.Err()
}

func TestContinueErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		model graph.ModelFunc
		first train.Batch
		want  string
	}{
		{"nothing before", probe{carry: true}.model, train.Batch{}, "there is no state to continue: no batch ran before it on this path"},
		{"no carry", probe{}.model, column(false, []float64{1}), "the model carries no state"},
		{"another state shape", widthModel, column(false, []float64{1}, []float64{1}), `carry 0 ("h0") has shape (1, 1) and the carried state 2 values per sequence`},
	} {
		tr, err := train.NewTrainer(train.TrainerConfig{Model: tc.model, Optimizer: sgd(0.1)})
		if err != nil {
			t.Fatal(err)
		}
		if tc.first.Inputs != nil {
			if _, err := tr.Step(tc.first); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
		}
		if _, err := tr.Step(column(true, []float64{1})); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		tr.Close()
	}
}

// widthProbe is a packed model (B = 1, one input, a target at every step) with two carries:
// h0 [1, 1] with Final h0 + x(0), whose output is x + h0 at every step; and g [1, T], a carry
// whose width depends on T, with Final g·1 (or, with inf, g + x(0)·1e308·0.5: not finite for
// x(0) = 5).
func widthProbe(inf bool) graph.ModelFunc {
	return func(b *graph.Builder, s graph.Shape) (*graph.Model, error) {
		x := b.Input("x", s.T, 1)
		h0, g := b.Input("h0", 1, 1), b.Input("g", 1, s.T)
		ones := b.Fixed("ones", []int{s.T, 1}, repeat(1, s.T))
		y := b.Add(x, b.MatMul(ones, h0))
		final1 := b.Scale(g, 1)
		if inf {
			final1 = b.Add(g, b.Scale(b.Scale(b.MatMul(b.Slice(x, 0, 0, 1), b.Fixed("row", []int{1, s.T}, repeat(1, s.T))), 1e308), 0.5))
		}
		t, mask := b.Input("target", s.T, 1), b.Input("mask", s.T, 1)
		return &graph.Model{Packed: true, Inputs: []*G.Node{x}, Targets: []*G.Node{t}, Outputs: []*G.Node{y}, Mask: mask,
			Loss:  output.MaskedLoss(b, y, t, mask, s.B),
			Carry: []graph.Carry{{Init: h0, Final: b.Add(h0, b.Slice(x, 0, 0, 1))}, {Init: g, Final: final1}}}, b.Err()
	}
}

func repeat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// TestFailedContinueLeavesNoState: a Continue batch that fails half-way through setting the
// carried state (its second carry has another width), and a batch whose final state is not
// finite, leave nothing behind: the next batch without Continue starts from zeros.
func TestFailedContinueLeavesNoState(t *testing.T) {
	for _, inf := range []bool{false, true} {
		tr, err := train.NewTrainer(train.TrainerConfig{Model: widthProbe(inf)})
		if err != nil {
			t.Fatal(err)
		}
		last := func(bt train.Batch) (float64, error) {
			r, err := tr.Evaluate(bt)
			if err != nil {
				return 0, err
			}
			return r.Outputs[len(r.Outputs)-1][0][0], nil
		}
		if _, err := last(column(false, []float64{1}, []float64{1})); err != nil { // T=2: its program zeroes once
			t.Fatal(err)
		}
		_, err = last(column(false, []float64{5})) // T=1: final h0 = 5
		if inf {
			if err == nil || !strings.Contains(err.Error(), `carry 1: final state`) || !strings.Contains(err.Error(), "+Inf") {
				t.Fatalf("inf: error %v, want one naming carry 1's final state", err)
			}
		} else {
			if err != nil {
				t.Fatal(err)
			}
			if _, err := last(column(true, []float64{1}, []float64{1})); err == nil || !strings.Contains(err.Error(), "carry 1") {
				t.Fatalf("continuing with another carry width: error %v, want one naming carry 1", err)
			}
		}
		got, err := last(column(false, []float64{1}, []float64{1}))
		if err != nil {
			t.Fatal(err)
		}
		if got != 1 {
			t.Errorf("inf=%v: a fresh batch after a failed one gave %v, want 1 (x + a zero state)", inf, got)
		}
		tr.Close()
	}
}
