package train_test

import (
	"strings"
	"testing"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/internal/testmodel"
	"github.com/lstm97/lstm97/train"
)

// addLearner adds d to every weight of "w" per batch, or fails on a batch whose first input is
// negative.
type addLearner struct {
	d     float64
	calls int
}

func (l *addLearner) Learn(ps *graph.ParamSet, bt train.Batch) (train.Result, error) {
	if bt.Inputs[0][0][0] < 0 {
		return train.Result{}, errors.New("negative input")
	}
	l.calls++
	w, err := ps.Float64s("w")
	if err != nil {
		return train.Result{}, err
	}
	for i := range w {
		w[i] += l.d
	}
	return train.Result{Loss: float64(l.calls)}, ps.SetFloat64s("w", w)
}

// TestLearner: with a Learner, Step creates the parameters from the seed, hands them to it, and
// counts the sequences; Evaluate runs the model's program on the parameters it changed; an
// error names the step and changes nothing.
func TestLearner(t *testing.T) {
	l := &addLearner{d: 1}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: testmodel.Linear, Learner: l, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	bt := train.Batch{Inputs: [][][]float64{{{1, 2}}}, Targets: [][][]float64{{{0}}}}
	ref, _ := train.NewTrainer(train.TrainerConfig{Model: testmodel.Linear, Seed: 3})
	before, err := ref.Evaluate(bt)
	if err != nil {
		t.Fatal(err)
	}
	y0 := before.Outputs[0][0][0]
	for i := 1; i <= 2; i++ {
		r, err := tr.Step(bt)
		if err != nil {
			t.Fatal(err)
		}
		if r.Loss != float64(i) || tr.Seen() != i {
			t.Fatalf("step %d: loss %v, seen %d", i, r.Loss, tr.Seen())
		}
	}
	// Every weight grew by 2: y = x·w grows by 2·(1+2) = 6.
	after, err := tr.Evaluate(bt)
	if err != nil {
		t.Fatal(err)
	}
	if got := after.Outputs[0][0][0] - y0; got < 6-1e-12 || got > 6+1e-12 {
		t.Errorf("the evaluation after two learner steps moved by %v, want 6", got)
	}
	bad := train.Batch{Inputs: [][][]float64{{{-1, 2}}}, Targets: [][][]float64{{{0}}}}
	if _, err := tr.Step(bad); err == nil || !strings.Contains(err.Error(), "train: learner step after 2 sequences: negative input") {
		t.Errorf("failing learner: %v", err)
	}
	bt.Continue = true
	if _, err := tr.Step(bt); err == nil || !strings.Contains(err.Error(), "keeps no state") {
		t.Errorf("Continue with a learner: %v", err)
	}
	if tr.Seen() != 2 || l.calls != 2 {
		t.Errorf("after the failures: seen %d, calls %d", tr.Seen(), l.calls)
	}
}
