package online

import (
	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/train"
)

// BatchLearner is the learner as a train.Learner (train.TrainerConfig.Learner), so that a
// train.Trainer, with its hooks, criteria, evaluations and checkpoints, trains by App. A.1:
// the paper's trials with weights changed at every time step (paper.Variant.PerStep). Learn
// takes the weights from the trainer's parameters, runs each sequence of the batch through the
// learner one after another (each ended with EndSequence: in PerSequence mode each sequence is
// an update, unlike the graph path's mean over a batch), and writes the weights back. Its
// Result is the graph path's: the loss Σ_t ½ Σ_k (target_k - y^k(t))², averaged over the
// batch, and the outputs at the target steps.
type BatchLearner struct {
	Config Config
	// Frozen, if not nil, names the parameters kept as they are during the next batch
	// (Freeze), e.g. optim.Hold.Held for the paper's sequential construction.
	Frozen func() []string

	l *Learner
	x []float64 // a one-hot input row
}

// Learn trains on bt (see BatchLearner). On an error the parameters are left as they were.
func (b *BatchLearner) Learn(ps *graph.ParamSet, bt train.Batch) (train.Result, error) {
	s, err := bt.Shape()
	if err != nil {
		return train.Result{}, err
	}
	if bt.Labels != nil {
		return train.Result{}, errors.New("online: class labels: the learner trains the paper's output units on Targets")
	}
	if b.l == nil {
		if b.l, err = New(b.Config, ps); err != nil {
			return train.Result{}, err
		}
	} else if err := b.l.ReadParams(ps); err != nil {
		return train.Result{}, err
	}
	var frozen []string
	if b.Frozen != nil {
		frozen = b.Frozen()
	}
	if err := b.l.Freeze(frozen...); err != nil {
		return train.Result{}, err
	}
	var steps []int // the steps with a target in any sequence
	for t := range bt.Targets {
		if bt.Targets[t] != nil {
			steps = append(steps, t)
		}
	}
	r := train.Result{TargetSteps: steps, Outputs: make([][][]float64, len(steps))}
	for k := range r.Outputs {
		r.Outputs[k] = make([][]float64, s.B)
	}
	for seq := 0; seq < s.B; seq++ {
		b.l.Reset()
		n := s.T
		if bt.Lengths != nil {
			n = bt.Lengths[seq]
		}
		k := 0
		for t := 0; t < n; t++ {
			x := b.input(bt, t, seq)
			var target []float64
			if t < len(bt.Targets) && bt.Targets[t] != nil {
				target = bt.Targets[t][seq]
			}
			for k < len(steps) && steps[k] < t {
				k++
			}
			if target == nil {
				if err := b.l.Advance(x); err != nil {
					return train.Result{}, errors.Wrapf(err, "sequence %d of the batch", seq)
				}
				continue
			}
			y, err := b.l.Step(x, target)
			if err != nil {
				return train.Result{}, errors.Wrapf(err, "sequence %d of the batch", seq)
			}
			r.Outputs[k][seq] = append([]float64(nil), y...)
		}
		r.Loss += b.l.SequenceError() / float64(s.B)
		if err := b.l.EndSequence(); err != nil {
			return train.Result{}, errors.Wrapf(err, "sequence %d of the batch", seq)
		}
	}
	if err := b.l.WriteParams(ps); err != nil {
		return train.Result{}, err
	}
	return r, nil
}

// input returns step t of sequence seq of bt: its row of Inputs, or the one-hot row of its
// symbol.
func (b *BatchLearner) input(bt train.Batch, t, seq int) []float64 {
	if bt.Symbols == nil {
		return bt.Inputs[t][seq]
	}
	if len(b.x) != bt.Alphabet {
		b.x = make([]float64, bt.Alphabet)
	}
	clear(b.x)
	b.x[bt.Symbols[t][seq]] = 1
	return b.x
}
