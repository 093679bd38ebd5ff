package train_test

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/internal/testmodel"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train"
)

// linearBatch is a batch of one sequence of 3 steps for linear: inputs in [scale, 2·scale),
// the target y at the last step.
func linearBatch(t *testing.T, rng *rand.Rand, scale, y float64) train.Batch {
	t.Helper()
	q := datasets.Sequence{Inputs: make([][]float64, 3), Targets: make([][]float64, 3)}
	for i := range q.Inputs {
		q.Inputs[i] = []float64{scale * (rng.Float64() + 1), scale * (rng.Float64() + 1)}
	}
	q.Targets[2] = []float64{y}
	bt, err := train.Stack(q)
	if err != nil {
		t.Fatal(err)
	}
	return bt
}

// weights prints the parameters bit for bit.
func weights(t *testing.T, tr *train.Trainer) string {
	t.Helper()
	s, err := testmodel.ParamBits(tr.Params())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestWeightGuardNamesParameter: one step that overflows the weights is reported with the
// parameter's name. The optimizer is the tests' plain sgd, which does not refuse such a step
// itself (as package optim's optimizers do), so that the trainer's own guard is what speaks.
func TestWeightGuardNamesParameter(t *testing.T) {
	tr, err := train.NewTrainer(train.TrainerConfig{Model: testmodel.Linear, Optimizer: sgd(1e305)})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	_, err = tr.Step(linearBatch(t, rand.New(rand.NewSource(1)), 1, 1e6))
	if err == nil || !strings.Contains(err.Error(), `parameter "w" value`) || !strings.Contains(err.Error(), "Inf after the optimizer step") {
		t.Fatalf("err = %v", err)
	}
}

// TestCheckFinite: inputs of 1e200 make the squared error overflow. Without CheckFinite, Step
// names the loss and points to the option; with it, Step and Evaluate name the first node whose
// value is not finite, the squaring. Either way the parameters and the sequence count stay as
// they were, and on finite batches CheckFinite changes nothing, bit for bit.
func TestCheckFinite(t *testing.T) {
	for _, tc := range []struct {
		check bool
		want  []string // in Step's error
		eval  string   // in Evaluate's error; "" if Evaluate succeeds
	}{
		{false, []string{"after 3 sequences: the loss is not finite; parameters left unchanged (set TrainerConfig.CheckFinite to name the node)"}, ""},
		{true, []string{"after 3 sequences", `vm: run: node "`, "op square", "is the first with a value that is not finite", "value 0"}, "op square"},
	} {
		t.Run(fmt.Sprint("CheckFinite=", tc.check), func(t *testing.T) {
			tr, err := train.NewTrainer(train.TrainerConfig{Model: testmodel.Linear, Optimizer: sgd(0.01), Seed: 1, CheckFinite: tc.check})
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			rng := rand.New(rand.NewSource(2))
			for range 3 {
				if _, err := tr.Step(linearBatch(t, rng, 1, 1)); err != nil {
					t.Fatal(err)
				}
			}
			before := weights(t, tr)
			huge := linearBatch(t, rng, 1e200, 1)
			_, err = tr.Step(huge)
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Fatalf("Step: err = %v, want %q", err, w)
				}
			}
			t.Logf("Step: %v", err)
			if after := weights(t, tr); after != before || tr.Seen() != 3 {
				t.Errorf("the failed step changed the trainer: seen %d, weights\n%s\nwere\n%s", tr.Seen(), after, before)
			}
			_, err = tr.Evaluate(huge)
			if tc.eval == "" && err != nil || tc.eval != "" && (err == nil || !strings.Contains(err.Error(), tc.eval)) {
				t.Errorf("Evaluate: err = %v, want %q", err, tc.eval)
			}
			// Training goes on from the weights the failed step left.
			for range 3 {
				if _, err := tr.Step(linearBatch(t, rng, 1, 1)); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	// On finite batches the option changes nothing.
	var got [2]string
	for i, check := range []bool{false, true} {
		tr, err := train.NewTrainer(train.TrainerConfig{Model: sumModel, Optimizer: sgd(0.1), Seed: 3, CheckFinite: check})
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		if _, err := tr.Run(sumSource{rand.New(rand.NewSource(4))}, 20); err != nil {
			t.Fatal(err)
		}
		got[i] = weights(t, tr)
	}
	if got[0] != got[1] {
		t.Errorf("with CheckFinite the weights after 20 sequences are\n%s\nwithout\n%s", got[1], got[0])
	}
}

// TestFiniteCheckerKeepsTheErrors: a gradient that overflows while the loss does not is
// reported by the trainer in the same words, parameters unchanged, whether the optimizer
// checks for it itself (train.FiniteChecker: package optim's SGD, whose refusal the trainer
// then names) or not (the tests' plain sgd, which the trainer guards).
func TestFiniteCheckerKeepsTheErrors(t *testing.T) {
	checking, err := optim.NewSGD(0.01, optim.Clip{})
	if err != nil {
		t.Fatal(err)
	}
	for _, opt := range []train.Optimizer{sgd(0.01), checking} {
		_, checks := opt.(train.FiniteChecker)
		tr, err := train.NewTrainer(train.TrainerConfig{Model: testmodel.Linear, Optimizer: opt, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		// Inputs near 1e159 and a target 1e150 off the output: the loss, about 5e299, is
		// finite, the gradient, about 1e309, is not.
		bt := linearBatch(t, rand.New(rand.NewSource(3)), 1e159, 0)
		r, err := tr.Evaluate(bt)
		if err != nil {
			t.Fatal(err)
		}
		bt.Targets[2][0] = []float64{r.Outputs[0][0][0] + 1e150}
		before := weights(t, tr)
		_, err = tr.Step(bt)
		if want := "train: train step after 0 sequences: the gradient of w is not finite; parameters left unchanged"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("checking optimizer %v: err = %v, want %q", checks, err, want)
		}
		if after := weights(t, tr); after != before || tr.Seen() != 0 {
			t.Errorf("checking optimizer %v: the refused step changed the trainer: seen %d", checks, tr.Seen())
		}
		if _, err := tr.Step(linearBatch(t, rand.New(rand.NewSource(4)), 1, 1)); err != nil {
			t.Errorf("checking optimizer %v: the next step: %v", checks, err)
		}
	}
}
