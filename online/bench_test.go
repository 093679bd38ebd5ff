package online_test

import (
	"math/rand"
	"testing"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/internal/testnets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/online"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/paper"
	"github.com/lstm97/lstm97/train"
)

// addingSetup returns the adding net of the paper's Exp. 4 (Table 10 row 4-1, 93 weights),
// its learning rate and one batch of a sequence of length T.
func addingSetup(b *testing.B, T int) (layers.NetConfig, float64, train.Batch) {
	spec, err := paper.Lookup("4", paper.Variant{T: T})
	if err != nil {
		b.Fatal(err)
	}
	q, err := datasets.Adding{T: T}.SampleLength(rand.New(rand.NewSource(1)), T)
	if err != nil {
		b.Fatal(err)
	}
	bt, err := train.Stack(datasets.Sequence(q))
	if err != nil {
		b.Fatal(err)
	}
	return spec.Net, spec.LR, bt
}

// benchOnline measures training on one sequence of length T with the learner: Advance at the
// steps without a target, Step at the last, then EndSequence.
func benchOnline(b *testing.B, T int, mode online.Mode) {
	net, lr, bt := addingSetup(b, T)
	ps, err := online.NewParams(net, 1)
	if err != nil {
		b.Fatal(err)
	}
	l, err := online.New(online.Config{Net: net, LR: lr, Mode: mode}, ps)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for t, x := range bt.Inputs {
			if t >= len(bt.Targets) || bt.Targets[t] == nil {
				if err := l.Advance(x[0]); err != nil {
					b.Fatal(err)
				}
			} else if _, err := l.Step(x[0], bt.Targets[t][0]); err != nil {
				b.Fatal(err)
			}
		}
		if err := l.EndSequence(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "seq/s")
}

// benchGraph measures the same with the fused graph path: one train.Trainer step (forward,
// backward, SGD) per sequence, as layers' BenchmarkTrainT100B1.
func benchGraph(b *testing.B, T int) {
	net, lr, bt := addingSetup(b, T)
	opt, err := optim.NewSGD(lr, optim.Clip{})
	if err != nil {
		b.Fatal(err)
	}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(net), Optimizer: opt, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	testnets.BenchSteps(b, tr, bt)
}

func BenchmarkOnlineT100B1(b *testing.B)        { benchOnline(b, 100, online.PerSequence) }
func BenchmarkOnlinePerStepT100B1(b *testing.B) { benchOnline(b, 100, online.PerStep) }
func BenchmarkGraphT100B1(b *testing.B)         { benchGraph(b, 100) }
