package train_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/train"
)

// probe is a packed model whose every number a test can predict by hand. With x the input
// row of step t of sequence b (the symbol index for a batch of symbols):
//
//	output(t, b)[k] = Σ_j (j+1)·x_j  [+ length_b with Lengths]  [+ Σ_j h0_bj with Carry]
//	Final_b         = h0_b + Σ_t x(t, b)                        (Carry "h0" [B, in])
//	loss            = Σ_r Σ_j (mask_rj + 1000·target_rj)·(r·w + j + 1)   (w: target width)
//
// plus 0·Σ output², so that the weights have a gradient that is always zero: training does not
// change them, and the loss shows exactly what the trainer put into the target and the mask.
// Its outputs, targets and mask have a row per step, or with atTargets a row per target step
// (graph.Model's second packed layout); r counts those rows.
type probe struct{ lengths, carry, atTargets bool }

func (p probe) model(b *graph.Builder, s graph.Shape) (*graph.Model, error) {
	in, w, rows := s.In, s.Out, s.T*s.B
	if s.OneHot {
		in = 1
	}
	if s.Labels {
		w = 1
	}
	x := b.Input("x", rows, in)
	m := &graph.Model{Packed: true, Inputs: []*G.Node{x}}
	wx := b.MatMul(x, b.Param("w", []int{in, 1}, graph.Values(count(in, 1)...)))
	var u *G.Node // [B, 1], added to every step of sequence b
	if p.lengths {
		m.Lengths = b.Input("lengths", s.B, 1)
		u = m.Lengths
	}
	if p.carry {
		h0 := b.Input("h0", s.B, in)
		sum := make([]float64, s.B*rows) // [B, T·B]: row b sums the steps of sequence b
		for r := 0; r < rows; r++ {
			sum[(r%s.B)*rows+r] = 1
		}
		m.Carry = []graph.Carry{{Init: h0, Final: b.Add(h0, b.MatMul(b.Fixed("sum", []int{s.B, rows}, sum), x))}}
		hs := b.MatMul(h0, b.Fixed("ones_in", []int{in, 1}, count(in, 0)))
		if u == nil {
			u = hs
		} else {
			u = b.Add(u, hs)
		}
	}
	if u != nil {
		spread := make([]float64, rows*s.B) // [T·B, B]: row t·B+b is 1 at b
		for r := 0; r < rows; r++ {
			spread[r*s.B+r%s.B] = 1
		}
		wx = b.Add(wx, b.MatMul(b.Fixed("spread", []int{rows, s.B}, spread), u))
	}
	if p.atTargets {
		k := len(s.TargetSteps) * s.B
		pick := make([]float64, k*rows) // [K·B, T·B]: row i·B+b picks row TargetSteps[i]·B+b
		for i, t := range s.TargetSteps {
			for j := 0; j < s.B; j++ {
				pick[(i*s.B+j)*rows+t*s.B+j] = 1
			}
		}
		wx, rows = b.MatMul(b.Fixed("pick", []int{k, rows}, pick), wx), k
	}
	y := b.MatMul(wx, b.Fixed("ones_out", []int{1, s.Out}, count(s.Out, 0)))
	tg, mask := b.Input("target", rows, w), b.Input("mask", rows, w)
	m.Outputs, m.Targets, m.Mask = []*G.Node{y}, []*G.Node{tg}, mask
	k := b.Fixed("k", []int{rows, w}, count(rows*w, 1))
	m.Loss = b.Add(b.Sum(b.Mul(b.Add(mask, b.Scale(tg, 1000)), k)), b.Scale(b.Sum(b.Square(y)), 0))
	return m, b.Err()
}

// count returns n values: from+0, from+1, ... (from 0 gives n ones: a zero step).
func count(n int, from float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 1
		if from > 0 {
			v[i] = from + float64(i)
		}
	}
	return v
}

// probeLoss is the probe's loss for the target and mask values that a test expects, [rows][w].
func probeLoss(target, mask [][]float64) float64 {
	loss := 0.0
	for r := range mask {
		for j := range mask[r] {
			loss += (mask[r][j] + 1000*target[r][j]) * float64(r*len(mask[r])+j+1)
		}
	}
	return loss
}

func newProbe(t *testing.T, p probe) *train.Trainer {
	t.Helper()
	tr, err := train.NewTrainer(train.TrainerConfig{Model: p.model, Optimizer: sgd(0.1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

func TestStackPadsToTheLongest(t *testing.T) {
	seqs := []datasets.Sequence{
		{Inputs: [][]float64{{1, 2}, {3, 4}}, Targets: [][]float64{nil, {5}}},
		{Inputs: [][]float64{{6, 7}, {8, 9}, {10, 11}}, Targets: [][]float64{{12}, nil, {13}}},
		{Inputs: [][]float64{{14, 15}}, Targets: [][]float64{{16}}},
	}
	bt, err := train.Stack(seqs...)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ what, got, want string }{
		{"lengths", fmt.Sprint(bt.Lengths), "[2 3 1]"},
		{"inputs", fmt.Sprint(bt.Inputs), "[[[1 2] [6 7] [14 15]] [[3 4] [8 9] [0 0]] [[0 0] [10 11] [0 0]]]"},
		{"targets", fmt.Sprint(bt.Targets), "[[[] [12] [16]] [[5] [] []] [[] [13] []]]"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %s, want %s", c.what, c.got, c.want)
		}
	}
	s, err := bt.Shape()
	if err != nil || s.T != 3 || s.B != 3 || s.In != 2 || s.Out != 1 || fmt.Sprint(s.TargetSteps) != "[0 1 2]" {
		t.Errorf("shape %+v, err %v", s, err)
	}

	syms := []datasets.Sequence{
		{Symbols: []int{2, 1}, Alphabet: 3, Labels: []int{1, 0}, Classes: 2},
		{Symbols: []int{1}, Alphabet: 3, Labels: []int{-1}, Classes: 2},
		{Symbols: []int{1, 2, 2}, Alphabet: 3, Labels: []int{0}, Classes: 2},
	}
	bt, err = train.Stack(syms...)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ what, got, want string }{
		{"lengths", fmt.Sprint(bt.Lengths), "[2 1 3]"},
		{"symbols", fmt.Sprint(bt.Symbols), "[[2 1 1] [1 0 2] [0 0 2]]"},
		{"labels", fmt.Sprint(bt.Labels), "[[1 -1 0] [0 -1 -1] [-1 -1 -1]]"},
		{"classes, targets", fmt.Sprint(bt.Classes, bt.Targets == nil), "2 true"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %s, want %s", c.what, c.got, c.want)
		}
	}
	s, err = bt.Shape()
	if err != nil || s.T != 3 || s.In != 3 || s.Out != 2 || !s.Labels || !s.OneHot || fmt.Sprint(s.TargetSteps) != "[0 1]" {
		t.Errorf("shape %+v, err %v", s, err)
	}
}

func TestStackErrors(t *testing.T) {
	rows := datasets.Sequence{Inputs: [][]float64{{1}, {2}}, Targets: [][]float64{nil, {3}}}
	labels := datasets.Sequence{Inputs: [][]float64{{1}, {2}}, Labels: []int{-1, 1}, Classes: 2}
	for _, tc := range []struct {
		name string
		seqs []datasets.Sequence
		want string
	}{
		{"no sequences", nil, "train: stack: no sequences"},
		{"empty sequence", []datasets.Sequence{{}}, "sequence 0 has no steps"},
		{"empty second sequence", []datasets.Sequence{rows, {Inputs: [][]float64{}}}, "sequence 1 has no steps"},
		{"input width 0", []datasets.Sequence{rows, {Inputs: [][]float64{{}}, Targets: [][]float64{{1}}}}, "sequence 1 has an input row of width 0"},
		{"targets longer", []datasets.Sequence{rows, {Inputs: [][]float64{{1}}, Targets: [][]float64{nil, {3}}}}, "sequence 1 has 2 target steps for 1 steps"},
		{"labels longer", []datasets.Sequence{{Inputs: [][]float64{{1}}, Labels: []int{0, 1}, Classes: 2}}, "sequence 0 has 2 target steps for 1 steps"},
		{"targets and labels", []datasets.Sequence{rows, labels}, "sequence 1 and sequence 0 give their targets differently"},
		{"labels and targets", []datasets.Sequence{labels, rows}, "sequence 1 and sequence 0 give their targets differently"},
		{"both in one", []datasets.Sequence{{Inputs: rows.Inputs, Targets: rows.Targets, Labels: labels.Labels, Classes: 2}}, "sequence 0 has both Targets and Labels"},
		{"classes", []datasets.Sequence{labels, {Inputs: rows.Inputs, Labels: labels.Labels, Classes: 3}}, "sequence 1 has labels over 3 classes, sequence 0 over 2"},
	} {
		if _, err := train.Stack(tc.seqs...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestBatchShape(t *testing.T) {
	x := [][][]float64{{{1}, {2}}, {{3}, {4}}, {{5}, {6}}} // T=3, B=2
	y := func(vals ...float64) []float64 { return vals }
	for _, tc := range []struct {
		name  string
		bt    train.Batch
		steps string // TargetSteps, or the error substring wanted
	}{
		{"a target for one sequence", train.Batch{Inputs: x, Targets: [][][]float64{nil, {nil, y(1)}}}, "[1]"},
		{"nil targets only", train.Batch{Inputs: x, Targets: [][][]float64{{nil, nil}, {y(1), y(2)}}}, "[1]"},
		{"lengths", train.Batch{Inputs: x, Lengths: []int{1, 3}, Targets: [][][]float64{{y(1), nil}, nil, {nil, y(2)}}}, "[0 2]"},
		{"labels", train.Batch{Inputs: x, Lengths: []int{3, 2}, Labels: [][]int{{-1, -1}, {0, 2}, {1, -1}}, Classes: 3}, "[1 2]"},
		{"labels, nil step", train.Batch{Inputs: x, Labels: [][]int{nil, {0, -1}}, Classes: 3}, "[1]"},

		{"empty", train.Batch{}, "sequence of length 0"},
		{"no sequences", train.Batch{Inputs: [][][]float64{{}}}, "no sequences (batch size 0)"},
		{"lengths count", train.Batch{Inputs: x, Lengths: []int{3}, Targets: [][][]float64{{y(1), y(1)}}}, "1 lengths for 2 sequences"},
		{"length 0", train.Batch{Inputs: x, Lengths: []int{3, 0}, Targets: [][][]float64{{y(1), y(1)}}}, "sequence 1 has length 0, want one in [1, 3]"},
		{"length above T", train.Batch{Inputs: x, Lengths: []int{4, 3}, Targets: [][][]float64{{y(1), y(1)}}}, "sequence 0 has length 4, want one in [1, 3]"},
		{"target in padding", train.Batch{Inputs: x, Lengths: []int{3, 2}, Targets: [][][]float64{nil, nil, {y(1), y(1)}}}, "step 2 sequence 1 has a target, but the sequence has length 2"},
		{"NaN input in padding", train.Batch{Inputs: [][][]float64{{{1}, {2}}, {{3}, {math.NaN()}}}, Lengths: []int{2, 1}, Targets: [][][]float64{{y(1), y(1)}}}, "step 1 sequence 1 input 0 is NaN"},
		{"ragged target widths", train.Batch{Inputs: x, Targets: [][][]float64{{nil, y(1)}, {y(1, 2), nil}}}, "step 1 sequence 0 has 2 targets, want 1"},
		{"targets of step for 1 sequence", train.Batch{Inputs: x, Targets: [][][]float64{{y(1)}}}, "targets at step 0 have 1 sequences, want 2"},
		{"too many target steps", train.Batch{Inputs: x[:1], Targets: [][][]float64{nil, {y(1), y(1)}}}, "2 target steps for 1 input steps"},
		{"targets and labels", train.Batch{Inputs: x, Targets: [][][]float64{{y(1), y(1)}}, Labels: [][]int{{0, 0}}, Classes: 2}, "both Targets and Labels"},
		{"no classes", train.Batch{Inputs: x, Labels: [][]int{{0, 0}}}, "labels over 0 classes"},
		{"label too large", train.Batch{Inputs: x, Labels: [][]int{{0, 2}}, Classes: 2}, "step 0 sequence 1 has label 2, want one in [0, 2) or -1"},
		{"label below -1", train.Batch{Inputs: x, Labels: [][]int{nil, {-2, 0}}, Classes: 2}, "step 1 sequence 0 has label -2"},
		{"label in padding", train.Batch{Inputs: x, Lengths: []int{1, 3}, Labels: [][]int{nil, {0, 0}}, Classes: 2}, "step 1 sequence 0 has a label, but the sequence has length 1"},
		{"labels of step for 1 sequence", train.Batch{Inputs: x, Labels: [][]int{{0}}, Classes: 2}, "labels at step 0 have 1 sequences, want 2"},
		{"too many label steps", train.Batch{Inputs: x, Labels: [][]int{nil, nil, nil, {0, 0}}, Classes: 2}, "4 label steps for 3 input steps"},
		{"no label", train.Batch{Inputs: x, Labels: [][]int{{-1, -1}}, Classes: 2}, "no step has a target"},
		{"only nil targets", train.Batch{Inputs: x, Targets: [][][]float64{{nil, nil}}}, "no step has a target"},
		// The first of two faults is the error, be it a value or the shape.
		{"NaN input, then a ragged row", train.Batch{Inputs: [][][]float64{{{math.NaN()}, {2}}, {{3}, {4, 5}}}, Targets: [][][]float64{{y(1), y(1)}}}, "step 0 sequence 0 input 0 is NaN"},
		{"ragged row, then a NaN input", train.Batch{Inputs: [][][]float64{{{1}, {2, 3}}, {{math.NaN()}, {4}}}, Targets: [][][]float64{{y(1), y(1)}}}, "step 0 sequence 1 has 2 inputs, want 1"},
		{"Inf input, then a short step", train.Batch{Inputs: [][][]float64{{{1}, {math.Inf(-1)}}, {{3}}}, Targets: [][][]float64{{y(1), y(1)}}}, "step 0 sequence 1 input 0 is -Inf"},
		{"NaN target, then a target in padding", train.Batch{Inputs: x, Lengths: []int{3, 2}, Targets: [][][]float64{{y(math.NaN()), nil}, nil, {nil, y(1)}}}, "step 0 sequence 0 target 0 is NaN"},
		{"NaN target in padding", train.Batch{Inputs: x, Lengths: []int{3, 2}, Targets: [][][]float64{nil, nil, {y(1), y(math.NaN())}}}, "step 2 sequence 1 target 0 is NaN"},
		{"target in padding, then a NaN target", train.Batch{Inputs: x, Lengths: []int{2, 3}, Targets: [][][]float64{nil, nil, {y(1), y(math.Inf(1))}}}, "step 2 sequence 0 has a target, but the sequence has length 2"},
		{"ragged target, then a NaN target", train.Batch{Inputs: x, Targets: [][][]float64{{y(1), y(1, 2)}, {y(math.NaN()), y(1)}}}, "step 0 sequence 1 has 2 targets, want 1"},
		{"NaN target, then a ragged target", train.Batch{Inputs: x, Targets: [][][]float64{{y(0, math.NaN()), y(1, 2)}, {y(1, 2), y(1, 2, 3)}}}, "step 0 sequence 0 target 1 is NaN"},
	} {
		s, err := tc.bt.Shape()
		got := fmt.Sprint(s.TargetSteps)
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, tc.steps) || (err == nil) != strings.HasPrefix(tc.steps, "[") {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.steps)
		}
	}
}

// TestTrainerSetsLengths: the model gets the batch's lengths (T for every sequence when the
// batch has none), the mask is 1 exactly where a sequence has a target, and the outputs at
// steps without a target, padding included, are nil.
func TestTrainerSetsLengths(t *testing.T) {
	tr := newProbe(t, probe{lengths: true})
	seqs := []datasets.Sequence{
		{Inputs: [][]float64{{1, 2}, {3, 4}}, Targets: [][]float64{nil, {5}}},
		{Inputs: [][]float64{{6, 7}, {8, 9}, {10, 11}}, Targets: [][]float64{{12}, nil, {13}}},
		{Inputs: [][]float64{{14, 15}}, Targets: [][]float64{{16}}},
	}
	bt, err := train.Stack(seqs...)
	if err != nil {
		t.Fatal(err)
	}
	// Rows t·B+b, B = 3; one target column.
	target := [][]float64{{0}, {12}, {16}, {5}, {0}, {0}, {0}, {13}, {0}}
	mask := [][]float64{{0}, {1}, {1}, {1}, {0}, {0}, {0}, {1}, {0}}
	// output = x_0 + 2·x_1 + length.
	want := fmt.Sprint([][][]float64{{nil, {6 + 7*2 + 3}, {14 + 15*2 + 1}}, {{3 + 4*2 + 2}, nil, nil}, {nil, {10 + 11*2 + 3}, nil}})
	for _, step := range []func(train.Batch) (train.Result, error){tr.Step, tr.Evaluate} {
		r, err := step(bt)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(r.Outputs); got != want || fmt.Sprint(r.TargetSteps) != "[0 1 2]" {
			t.Errorf("outputs %s at steps %v, want %s at [0 1 2]", got, r.TargetSteps, want)
		}
		if w := probeLoss(target, mask); r.Loss != w {
			t.Errorf("loss %v, want %v", r.Loss, w)
		}
	}
	// A batch without lengths: T for every sequence, and the mask of a full batch.
	full := train.Batch{Inputs: [][][]float64{{{1, 1}, {2, 2}}, {{3, 3}, {4, 4}}}, Targets: [][][]float64{nil, {{1}, {2}}}}
	r, err := tr.Step(full)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(r.Outputs), "[[[11] [14]]]"; got != want {
		t.Errorf("no lengths: outputs %s, want %s (T=2 for both)", got, want)
	}
	if got, want := r.Loss, probeLoss([][]float64{{0}, {0}, {1}, {2}}, [][]float64{{0}, {0}, {1}, {1}}); got != want {
		t.Errorf("no lengths: loss %v, want %v", got, want)
	}
	// The same shape with a sequence lacking its target: the mask follows the batch.
	part := full
	part.Targets = [][][]float64{nil, {nil, {2}}}
	if r, err = tr.Step(part); err != nil {
		t.Fatal(err)
	}
	if got, want := r.Loss, probeLoss([][]float64{{0}, {0}, {0}, {2}}, [][]float64{{0}, {0}, {0}, {1}}); got != want {
		t.Errorf("a missing target: loss %v, want %v", got, want)
	}
	if r, err = tr.Step(full); err != nil || r.Loss != probeLoss([][]float64{{0}, {0}, {1}, {2}}, [][]float64{{0}, {0}, {1}, {1}}) {
		t.Errorf("full again: loss %v err %v", r.Loss, err)
	}
}

// TestLengthsNeedAModelThatTakesThem: a batch with a sequence shorter than T cannot go to a
// model without Lengths; a batch of equal lengths can, with or without Lengths set.
func TestLengthsNeedAModelThatTakesThem(t *testing.T) {
	tr := newProbe(t, probe{})
	short := train.Batch{Inputs: [][][]float64{{{1}, {2}}, {{3}, {4}}}, Lengths: []int{2, 1}, Targets: [][][]float64{{{1}, {1}}}}
	if _, err := tr.Step(short); err == nil || !strings.Contains(err.Error(), "sequence 1 has length 1, below the batch's T=2, and the model does not take lengths") {
		t.Errorf("step: %v", err)
	}
	if _, err := tr.Evaluate(short); err == nil || !strings.Contains(err.Error(), "the model does not take lengths") {
		t.Errorf("evaluate: %v", err)
	}
	whole := short
	whole.Lengths = []int{2, 2}
	if _, err := tr.Step(whole); err != nil {
		t.Errorf("lengths all T: %v", err)
	}
}

// TestPerStepModelsNeedFullTargets: a per-step model has no mask, so it takes neither a
// target step that some sequence lacks nor labels.
func TestPerStepModelsNeedFullTargets(t *testing.T) {
	x := [][][]float64{{{1, 1}, {2, 2}}, {{3, 3}, {4, 4}}}
	for _, tc := range []struct {
		name string
		bt   train.Batch
		want string
	}{
		{"a missing target", train.Batch{Inputs: x, Targets: [][][]float64{nil, {{1}, nil}}}, "step 1 sequence 1 has no target, and a per-step model has no mask"},
		{"labels", train.Batch{Inputs: x, Labels: [][]int{nil, {0, 1}}, Classes: 2}, "a per-step model cannot take labels"},
	} {
		tr, err := train.NewTrainer(train.TrainerConfig{Model: sumModel, Optimizer: sgd(0.1)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Step(tc.bt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		tr.Close()
	}
}

// TestEvaluationProgramsAreBuiltForEvaluation: Step builds with graph.Config.Eval false,
// Evaluate with it true (Dropout is off there).
func TestEvaluationProgramsAreBuiltForEvaluation(t *testing.T) {
	var evals []bool
	model := func(b *graph.Builder, s graph.Shape) (*graph.Model, error) {
		evals = append(evals, b.Eval())
		return probe{}.model(b, s)
	}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: model, Optimizer: sgd(0.1)})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	bt := train.Batch{Inputs: [][][]float64{{{1}}}, Targets: [][][]float64{{{1}}}}
	if _, err := tr.Step(bt); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Evaluate(bt); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(evals) != "[false true]" {
		t.Errorf("Builder.Eval in the model func: %v, want [false true] (Step, then Evaluate)", evals)
	}
}
