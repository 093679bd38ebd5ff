//go:build !race

// The race detector changes allocation counts (sync.Pool drops items at random under it).

package train_test

import (
	"math/rand"
	"testing"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train"
)

// TestLengthsAndStateAllocateNothing: a step whose batch has lengths, a missing target and
// continues the previous batch allocates no more than a step of a plain batch of the same
// shape: the trainer stages lengths, mask and carried states in buffers it reuses.
func TestLengthsAndStateAllocateNothing(t *testing.T) {
	tr := newProbe(t, probe{lengths: true, carry: true})
	plain := column(false, []float64{1, 2, 3}, []float64{4, 5, 6})
	plain.Targets[0] = [][]float64{{1}, {1}, {1}}
	rich := column(true, []float64{1, 2, 3}, []float64{4, 5, 6})
	rich.Lengths = []int{2, 1, 2}
	rich.Targets[1][1] = nil
	rich.Targets[0] = [][]float64{nil, {1}, nil}
	allocs := func(bt train.Batch) float64 {
		return testing.AllocsPerRun(20, func() {
			if _, err := tr.Step(bt); err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, err := tr.Step(plain); err != nil {
		t.Fatal(err)
	}
	p, r := allocs(plain), allocs(rich)
	if r > p {
		t.Errorf("%v allocations per step with lengths, a missing target and Continue, %v without", r, p)
	}
}

// TestNetStepAllocatesNothing: a training step and an evaluation of the paper's network
// (Experiment 1's: a packed model, an output at every step) on batches of shapes seen before
// allocate nothing: inputs, targets, outputs, gradients and the update all live in buffers
// that the trainer, its programs and the optimizer keep.
func TestNetStepAllocatesNothing(t *testing.T) {
	net := layers.NetConfig{
		LSTM:   layers.Config{Inputs: 7, NumBlocks: 3, CellsPerBlock: 2, Biases: layers.BiasGates, OutputGateBias: []float64{-1, -2, -3}, InitRange: 0.2},
		Output: output.Config{Units: 7, InitRange: 0.2},
	}
	opt, err := optim.NewSGD(0.5, optim.Clip{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(net), Optimizer: opt, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	set, _, err := datasets.Reber{Embedded: true}.Sets(rand.New(rand.NewSource(1)), 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	var bts []train.Batch
	for _, ex := range set {
		bt, err := train.Stack(ex.Sequence)
		if err != nil {
			t.Fatal(err)
		}
		bts = append(bts, bt)
	}
	run := func() {
		for _, bt := range bts { // two shapes, one after the other
			if _, err := tr.Step(bt); err != nil {
				t.Fatal(err)
			}
			if _, err := tr.Evaluate(bt); err != nil {
				t.Fatal(err)
			}
		}
	}
	run()
	if n := testing.AllocsPerRun(20, run); n != 0 {
		t.Errorf("%v allocations per two steps and two evaluations", n)
	}
}

// TestReplicasStepAllocatesNothing: a step of a batch split into parts (Replicas) allocates
// nothing either once its shape was seen: the parts' views of the batch, their carried state
// and the merged outputs are kept from step to step.
func TestReplicasStepAllocatesNothing(t *testing.T) {
	net := partsNet(3, false)
	net.Carry = true
	opt, err := optim.NewSGD(0.5, optim.Clip{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(net), Optimizer: opt, Seed: 1, Replicas: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	first := partsCase{net: net, B: 5}.batch(t, 1)
	next := first
	next.Continue = true
	if _, err := tr.Step(first); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(20, func() {
		if _, err := tr.Step(next); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per step in 2 parts", n)
	}
}
