package checkpoint_test

import (
	"context"
	"math/rand"
	"strings"
	"testing"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/internal/testmodel"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train"
	"github.com/lstm97/lstm97/train/checkpoint"
)

// newTrainer trains linear with plain SGD at learning rate lr.
func newTrainer(t *testing.T, lr float64) *train.Trainer {
	t.Helper()
	opt, err := optim.NewSGD(lr, optim.Clip{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: testmodel.Linear, Optimizer: opt})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

type src struct{ rng *rand.Rand }

func (s src) Next() (train.Batch, error) {
	q := datasets.Sequence{Inputs: make([][]float64, 3), Targets: make([][]float64, 3)}
	for i := range q.Inputs {
		q.Inputs[i] = []float64{s.rng.Float64() + 1, s.rng.Float64() + 1}
	}
	q.Targets[2] = []float64{1e6}
	return train.Stack(q)
}

// TestBlowUpKeepsLastGoodCheckpoint: the weights overflow; training stops with an error naming
// the parameter and the sequence count, and the checkpoint on disk is the last good one.
func TestBlowUpKeepsLastGoodCheckpoint(t *testing.T) {
	tr := newTrainer(t, 1e300)
	dir := t.TempDir()
	rs := datasets.NewSource(1)
	run := checkpoint.State{Trainer: tr, RNGs: map[string]*datasets.Source{"train": rs}, Config: map[string]int{"x": 1}}
	ck := checkpoint.Policy{Dir: dir, Every: 1}
	hook, stop := ck.Hook(run)
	defer stop()
	_, runErr := tr.Run(src{rand.New(rs)}, 100, hook)
	if runErr == nil || !strings.Contains(runErr.Error(), "the loss is not finite") || !strings.Contains(runErr.Error(), "after 1 sequences") {
		t.Fatalf("err = %v, want the non-finite guard naming the loss and the sequence count", runErr)
	}
	saved, err := checkpoint.ReadData(dir) // refuses non-finite values
	if err != nil {
		t.Fatalf("last good checkpoint: %v", err)
	}
	if saved.Sequences != tr.Seen() {
		t.Errorf("checkpoint after %d sequences, the blow-up came after %d", saved.Sequences, tr.Seen())
	}
	t.Logf("%v; checkpoint kept after %d sequences", runErr, saved.Sequences)
}

// TestContextInterrupts: with a Context, its cancellation stops the run at the next sequence.
func TestContextInterrupts(t *testing.T) {
	tr := newTrainer(t, 1e-12)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run := checkpoint.State{Trainer: tr, RNGs: map[string]*datasets.Source{}, Config: 1}
	hook, stop := checkpoint.Policy{Context: ctx}.Hook(run)
	defer stop()
	_, err := tr.Run(src{rand.New(rand.NewSource(1))}, 100, func(seen int, bt train.Batch, r train.Result) error {
		if seen == 3 {
			cancel()
		}
		return hook(seen, bt, r)
	})
	if !errors.Is(err, checkpoint.ErrInterrupted) || tr.Seen() != 3 {
		t.Fatalf("err = %v after %d sequences, want ErrInterrupted after 3", err, tr.Seen())
	}
}
