package train

import (
	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
)

// Batch is B sequences of equal length T, as plain Go values.
type Batch struct {
	// Inputs is [T][B][features].
	Inputs [][][]float64
	// Symbols, instead of Inputs, gives one-hot coded inputs as symbol indices: [T][B], each
	// in [0, Alphabet). Step t of sequence b is then the input row that is 1 at Symbols[t][b]
	// and 0 elsewhere. A model can take such a batch as indices (Shape.OneHot), which costs
	// T·B numbers instead of T·B·Alphabet; Inputs must be nil.
	Symbols  [][]int
	Alphabet int
	// Targets is [T][B][outputs]; Targets[t] is nil at steps without a target. It may be
	// shorter than Inputs when the last steps have no target.
	Targets [][][]float64
}

// Shape checks that the batch is rectangular and finite (its symbols in range) and returns its
// shape.
func (bt Batch) Shape() (graph.Shape, error) {
	var s graph.Shape
	if bt.Symbols != nil {
		if bt.Inputs != nil {
			return s, errors.New("train: batch: both Inputs and Symbols are set")
		}
		if err := bt.symbolShape(&s); err != nil {
			return s, err
		}
		return s, bt.targetShape(&s)
	}
	s.T = len(bt.Inputs)
	if s.T == 0 {
		return s, errors.New("train: batch: sequence of length 0")
	}
	if len(bt.Targets) > s.T {
		return s, errors.Errorf("train: batch: %d target steps for %d input steps", len(bt.Targets), s.T)
	}
	s.B = len(bt.Inputs[0])
	if s.B == 0 {
		return s, errors.New("train: batch: no sequences (batch size 0)")
	}
	s.In = len(bt.Inputs[0][0])
	if s.In == 0 {
		return s, errors.New("train: batch: input width 0")
	}
	for t, step := range bt.Inputs {
		if len(step) != s.B {
			return s, errors.Errorf("train: batch: step %d has %d sequences, step 0 has %d", t, len(step), s.B)
		}
		for i, x := range step {
			if len(x) != s.In {
				return s, errors.Errorf("train: batch: step %d sequence %d has %d inputs, want %d", t, i, len(x), s.In)
			}
			if k := graph.FirstNonFinite(x); k >= 0 {
				return s, errors.Errorf("train: batch: step %d sequence %d input %d is %v", t, i, k, x[k])
			}
		}
	}
	return s, bt.targetShape(&s)
}

// symbolShape sets T, B, In and OneHot of s from the batch's Symbols and checks them.
func (bt Batch) symbolShape(s *graph.Shape) error {
	s.OneHot = true
	s.T = len(bt.Symbols)
	if s.T == 0 {
		return errors.New("train: batch: sequence of length 0")
	}
	if len(bt.Targets) > s.T {
		return errors.Errorf("train: batch: %d target steps for %d input steps", len(bt.Targets), s.T)
	}
	s.B = len(bt.Symbols[0])
	if s.B == 0 {
		return errors.New("train: batch: no sequences (batch size 0)")
	}
	s.In = bt.Alphabet
	if s.In <= 0 {
		return errors.Errorf("train: batch: symbols over an alphabet of %d", s.In)
	}
	for t, step := range bt.Symbols {
		if len(step) != s.B {
			return errors.Errorf("train: batch: step %d has %d sequences, step 0 has %d", t, len(step), s.B)
		}
		for i, k := range step {
			if k < 0 || k >= s.In {
				return errors.Errorf("train: batch: step %d sequence %d has symbol %d, want one in [0, %d)", t, i, k, s.In)
			}
		}
	}
	return nil
}

// targetShape sets Out and TargetSteps of s from the batch's Targets and checks them.
func (bt Batch) targetShape(s *graph.Shape) error {
	for t, step := range bt.Targets {
		if step == nil {
			continue
		}
		if len(step) != s.B {
			return errors.Errorf("train: batch: targets at step %d have %d sequences, want %d", t, len(step), s.B)
		}
		for i, y := range step {
			if s.Out == 0 {
				s.Out = len(y)
			}
			if len(y) != s.Out || s.Out == 0 {
				return errors.Errorf("train: batch: step %d sequence %d has %d targets, want %d", t, i, len(y), s.Out)
			}
			if k := graph.FirstNonFinite(y); k >= 0 {
				return errors.Errorf("train: batch: step %d sequence %d target %d is %v", t, i, k, y[k])
			}
		}
		s.TargetSteps = append(s.TargetSteps, t)
	}
	if len(s.TargetSteps) == 0 {
		return errors.New("train: batch: no step has a target")
	}
	return nil
}

// Stack makes a batch of sequences of equal length: step t of Batch.Inputs (or Symbols) and
// Targets holds step t of every sequence, in order.
func Stack(seqs ...datasets.Sequence) (Batch, error) {
	if len(seqs) == 0 {
		return Batch{}, errors.New("train: stack: no sequences")
	}
	T := seqs[0].Len()
	hot := seqs[0].Symbols != nil
	bt := Batch{Targets: make([][][]float64, T)}
	if hot {
		bt.Symbols, bt.Alphabet = make([][]int, T), seqs[0].Alphabet
	} else {
		bt.Inputs = make([][][]float64, T)
	}
	for i, s := range seqs {
		switch {
		case (s.Symbols != nil) != hot || (hot && s.Inputs != nil):
			return Batch{}, errors.Errorf("train: stack: sequence %d and sequence 0 code their inputs differently (Inputs or Symbols)", i)
		case hot && s.Alphabet != bt.Alphabet:
			return Batch{}, errors.Errorf("train: stack: sequence %d has an alphabet of %d symbols, sequence 0 of %d", i, s.Alphabet, bt.Alphabet)
		case s.Len() != T:
			return Batch{}, errors.Errorf("train: stack: sequence %d has length %d, sequence 0 has %d", i, s.Len(), T)
		}
		if len(s.Targets) > T {
			return Batch{}, errors.Errorf("train: stack: sequence %d has %d target steps for %d steps", i, len(s.Targets), T)
		}
	}
	// One backing array per field, not one per step: a 2c sequence has over a thousand steps.
	B := len(seqs)
	var symbols []int
	var inputs, targets [][]float64
	if hot {
		symbols = make([]int, T*B)
	} else {
		inputs = make([][]float64, T*B)
	}
	// Indexed, not ranged over by value: a Sequence is 80 bytes, copied at every step otherwise.
	tg0 := seqs[0].Targets
	for t := 0; t < T; t++ {
		if hot {
			row := symbols[t*B : (t+1)*B : (t+1)*B]
			for i := range seqs {
				row[i] = seqs[i].Symbols[t]
			}
			bt.Symbols[t] = row
		} else {
			row := inputs[t*B : (t+1)*B : (t+1)*B]
			for i := range seqs {
				row[i] = seqs[i].Inputs[t]
			}
			bt.Inputs[t] = row
		}
		if t >= len(tg0) || tg0[t] == nil {
			for i := 1; i < B; i++ {
				if s := &seqs[i]; t < len(s.Targets) && s.Targets[t] != nil {
					return Batch{}, errors.Errorf("train: stack: sequence %d has a target at step %d, sequence 0 has none", i, t)
				}
			}
			continue
		}
		if targets == nil {
			targets = make([][]float64, (T-t)*B) // from the first step with a target on
		}
		bt.Targets[t], targets = targets[:B:B], targets[B:]
		for i := range seqs {
			if s := &seqs[i]; t >= len(s.Targets) || s.Targets[t] == nil {
				return Batch{}, errors.Errorf("train: stack: sequence %d has no target at step %d, sequence 0 has one", i, t)
			}
			bt.Targets[t][i] = seqs[i].Targets[t]
		}
	}
	return bt, nil
}
