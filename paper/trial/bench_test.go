package trial_test

import (
	"testing"

	"github.com/lstm97/lstm97/internal/benchnets"
	"github.com/lstm97/lstm97/internal/testnets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/paper"
	"github.com/lstm97/lstm97/paper/trial"
	"github.com/lstm97/lstm97/train"
)

// BenchmarkTrainExp1 is examples/bench's "exp1 train": Exp. 1's default row (its net and α)
// trained by per-sequence SGD on 1000 embedded Reber strings drawn beforehand, float64, no
// evaluation.
func BenchmarkTrainExp1(b *testing.B) {
	spec, err := paper.Lookup("1", paper.Variant{})
	if err != nil {
		b.Fatal(err)
	}
	data, err := benchnets.ReberBatches(1000, 1)
	if err != nil {
		b.Fatal(err)
	}
	opt, err := optim.NewSGD(spec.LR, optim.Clip{})
	if err != nil {
		b.Fatal(err)
	}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(spec.Net), Optimizer: opt, Seed: 1, MaxPrograms: trial.MaxPrograms})
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	testnets.BenchSteps(b, tr, data...)
}
