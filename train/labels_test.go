package train_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/layers/loss"
	"github.com/lstm97/lstm97/train"
)

// TestLabelsFlow: class labels reach the packed model as a [rows, 1] target of class indices
// (0 where there is no target) with a [rows, 1] mask, in both packed layouts, and the outputs
// are the [Classes] scores at the steps with a label.
func TestLabelsFlow(t *testing.T) {
	seqs := []datasets.Sequence{
		{Symbols: []int{2, 1}, Alphabet: 3, Labels: []int{1, 0}, Classes: 2},
		{Symbols: []int{1}, Alphabet: 3, Labels: []int{-1}, Classes: 2},
		{Symbols: []int{1, 2, 2}, Alphabet: 3, Labels: []int{0}, Classes: 2},
	}
	bt, err := train.Stack(seqs...)
	if err != nil {
		t.Fatal(err)
	}
	// Labels [[1 -1 0] [0 -1 -1] [-1 -1 -1]]: target steps 0 and 1. Output: symbol + length.
	want := fmt.Sprint([][][]float64{{{4, 4}, nil, {4, 4}}, {{3, 3}, nil, nil}})
	for _, tc := range []struct {
		name         string
		p            probe
		target, mask [][]float64
	}{
		{"a row per step", probe{lengths: true},
			[][]float64{{1}, {0}, {0}, {0}, {0}, {0}, {0}, {0}, {0}},
			[][]float64{{1}, {0}, {1}, {1}, {0}, {0}, {0}, {0}, {0}}},
		{"a row per target step", probe{lengths: true, atTargets: true},
			[][]float64{{1}, {0}, {0}, {0}, {0}, {0}},
			[][]float64{{1}, {0}, {1}, {1}, {0}, {0}}},
	} {
		tr := newProbe(t, tc.p)
		for _, step := range []func(train.Batch) (train.Result, error){tr.Step, tr.Evaluate} {
			r, err := step(bt)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if got := fmt.Sprint(r.Outputs); got != want || fmt.Sprint(r.TargetSteps) != "[0 1]" {
				t.Errorf("%s: outputs %s at steps %v, want %s at [0 1]", tc.name, got, r.TargetSteps, want)
			}
			if w := probeLoss(tc.target, tc.mask); r.Loss != w {
				t.Errorf("%s: loss %v, want %v", tc.name, r.Loss, w)
			}
		}
	}
}

// TestLabelLayoutIsChecked: with labels, a packed model's target and mask must have one column
// and its output Classes; a model built for rows of targets is refused with the shapes named.
func TestLabelLayoutIsChecked(t *testing.T) {
	rowsModel := func(b *graph.Builder, s graph.Shape) (*graph.Model, error) {
		x := b.Input("x", s.T*s.B, s.In)
		y := b.MatMul(x, b.Param("w", []int{s.In, s.Out}, graph.Uniform(0.1)))
		tg, mask := b.Input("target", s.T*s.B, s.Out), b.Input("mask", s.T*s.B, s.Out)
		m := &graph.Model{Packed: true, Inputs: []*G.Node{x}, Outputs: []*G.Node{y}, Targets: []*G.Node{tg}, Mask: mask}
		m.Loss = b.Sum(b.Square(y))
		return m, b.Err()
	}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: rowsModel, Optimizer: sgd(0.1)})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	bt := train.Batch{Inputs: [][][]float64{{{1}}, {{2}}}, Labels: [][]int{{0}, {2}}, Classes: 3}
	if _, err := tr.Step(bt); err == nil || !strings.Contains(err.Error(), "packed model target has shape (2, 3), want (2, 1) (a row per step)") {
		t.Errorf("%v, want the target's shape refused", err)
	}
}

// TestLabelsWithSoftmaxCrossEntropy: the labels and the mask that the trainer sets are what
// loss.SoftmaxCrossEntropy reads: the loss of a linear model over padded sequences equals the
// cross-entropy computed by hand at the labelled steps.
func TestLabelsWithSoftmaxCrossEntropy(t *testing.T) {
	const classes = 3
	linear := func(b *graph.Builder, s graph.Shape) (*graph.Model, error) {
		x := b.Input("x", s.T*s.B, s.In)
		z := b.MatMul(x, b.Param("w", []int{s.In, s.Out}, graph.Uniform(1)))
		tg, mask := b.Input("labels", s.T*s.B, 1), b.Input("mask", s.T*s.B, 1)
		m := &graph.Model{Packed: true, Inputs: []*G.Node{x}, Outputs: []*G.Node{z}, Targets: []*G.Node{tg}, Mask: mask, Lengths: b.Input("lengths", s.B, 1)}
		m.Loss = loss.SoftmaxCrossEntropy(b, z, tg, mask)
		return m, b.Err()
	}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: linear, Optimizer: sgd(0.1), Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	seqs := []datasets.Sequence{
		{Inputs: [][]float64{{1, 0}, {0.5, -1}, {2, 1}}, Labels: []int{2, -1, 0}, Classes: classes},
		{Inputs: [][]float64{{-1, 1}}, Labels: []int{1}, Classes: classes},
	}
	bt, err := train.Stack(seqs...)
	if err != nil {
		t.Fatal(err)
	}
	r, err := tr.Evaluate(bt)
	if err != nil {
		t.Fatal(err)
	}
	w, err := tr.Params().Float64s("w") // [2, classes]
	if err != nil {
		t.Fatal(err)
	}
	want, n := 0.0, 0
	for _, s := range seqs {
		for step, label := range s.Labels {
			if label < 0 {
				continue
			}
			x, z, sum := s.Inputs[step], make([]float64, classes), 0.0
			for k := range z {
				z[k] = x[0]*w[k] + x[1]*w[classes+k]
				sum += math.Exp(z[k])
			}
			want += math.Log(sum) - z[label]
			n++
		}
	}
	want /= float64(n)
	d := math.Abs(r.Loss - want)
	if d > 1e-12 {
		t.Errorf("loss %v, want %v (difference %g)", r.Loss, want, d)
	}
	t.Logf("loss %v, by hand %v: difference %g", r.Loss, want, d)
	// Step 1 has no label (sequence 0 has -1, sequence 1 is padding); step 2 one for sequence 0.
	if fmt.Sprint(r.TargetSteps) != "[0 2]" || r.Outputs[1][1] != nil || len(r.Outputs[1][0]) != classes || len(r.Outputs[0][1]) != classes {
		t.Errorf("outputs %v at steps %v: want rows of %d scores where a label is, nil elsewhere, at [0 2]", r.Outputs, r.TargetSteps, classes)
	}
}
