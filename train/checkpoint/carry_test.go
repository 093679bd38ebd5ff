package checkpoint_test

import (
	"fmt"
	"math/rand"
	"testing"

	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/internal/testmodel"
	"github.com/lstm97/lstm97/train"
	"github.com/lstm97/lstm97/train/checkpoint"
)

// TestCarriedStateSurvivesSave: a trainer that streams in chunks (Batch.Continue), saved after
// its first chunk and loaded into a fresh trainer, continues the stream exactly as the saved
// one does: the same weights after the next chunks, bit for bit; also with each batch in 2
// parts (train.TrainerConfig.Replicas), whose programs have the parts' shapes.
func TestCarriedStateSurvivesSave(t *testing.T) {
	for _, replicas := range []int{0, 2} {
		t.Run(fmt.Sprintf("replicas %d", replicas), func(t *testing.T) { testCarriedStateSurvivesSave(t, replicas) })
	}
}

func testCarriedStateSurvivesSave(t *testing.T, replicas int) {
	cfg := smallNet()
	cfg.Net.Carry = true
	rng := rand.New(rand.NewSource(3))
	chunk := func(cont bool) train.Batch {
		var seqs []datasets.Sequence
		for b := 0; b < 2; b++ {
			s := datasets.Sequence{}
			for i := 0; i < 5; i++ {
				s.Inputs = append(s.Inputs, []float64{rng.Float64(), rng.Float64()})
			}
			s.Targets = make([][]float64, 5)
			s.Targets[4] = []float64{rng.Float64()}
			seqs = append(seqs, s)
		}
		bt, err := train.Stack(seqs...)
		if err != nil {
			t.Fatal(err)
		}
		bt.Continue = cont
		return bt
	}
	bts := []train.Batch{chunk(false), chunk(true), chunk(true)}
	saved := adamTrainerParts(t, cfg, tensor.Float64, 1, replicas)
	steps(t, saved, bts[:1])
	dir := t.TempDir()
	if err := checkpoint.Save(dir, saved, cfg); err != nil {
		t.Fatal(err)
	}
	if _, ok := saved.Carried(); !ok {
		t.Fatal("the trainer carries no state after a batch of a model with Carry")
	}
	fresh := adamTrainerParts(t, cfg, tensor.Float64, 2, replicas)
	if err := checkpoint.Load(dir, fresh, nil); err != nil {
		t.Fatal(err)
	}
	// Started from zeros instead of the carried state, the next chunks train other weights:
	// the comparison below can fail.
	zeros := adamTrainerParts(t, cfg, tensor.Float64, 2, replicas)
	if err := checkpoint.Load(dir, zeros, nil); err != nil {
		t.Fatal(err)
	}
	restart := []train.Batch{bts[1], bts[2]}
	restart[0].Continue = false
	steps(t, saved, bts[1:])
	steps(t, fresh, bts[1:])
	steps(t, zeros, restart)
	bits := func(tr *train.Trainer) string {
		s, err := testmodel.ParamBits(tr.Params())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	want := bits(saved)
	if bits(fresh) != want {
		t.Errorf("after continuing the stream: the loaded trainer's weights differ from the saved one's")
	}
	if bits(zeros) == want {
		t.Errorf("the stream restarted from zeros trained the same weights: the carried state made no difference")
	}
}
