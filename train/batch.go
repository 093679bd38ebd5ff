package train

import (
	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
)

// Batch is B sequences as plain Go values, padded to the length T of the longest.
type Batch struct {
	// Inputs is [T][B][features]. Steps after a sequence's length (Lengths) are padding; they
	// must still be rows of the right width and finite (Stack makes them zero).
	Inputs [][][]float64
	// Symbols, instead of Inputs, gives one-hot coded inputs as symbol indices: [T][B], each
	// in [0, Alphabet). Step t of sequence b is then the input row that is 1 at Symbols[t][b]
	// and 0 elsewhere. A model can take such a batch as indices (Shape.OneHot), which costs
	// T·B numbers instead of T·B·Alphabet; Inputs must be nil. Padding is symbol 0.
	Symbols  [][]int
	Alphabet int
	// Targets is [T][B][outputs]; Targets[t] is nil at steps where no sequence has a target
	// and Targets[t][b] is nil where sequence b has none. It may be shorter than Inputs when
	// the last steps have no target. A step without a target gets mask 0 (graph.Model.Mask).
	Targets [][][]float64
	// Labels, instead of Targets, gives class targets as class indices: [T][B], each in
	// [0, Classes) or -1 where that sequence has no target at that step; Labels[t] may be nil
	// at a step without any target, and Labels may be shorter than Inputs. The model's
	// outputs are then the scores of Classes classes (graph.Shape.Labels, Out = Classes),
	// and only a packed model takes them.
	Labels  [][]int
	Classes int
	// Lengths is [B]: the length of each sequence, in [1, T]; nil means T for every sequence.
	// Steps at and after a sequence's length are padding: they have no target, and a model
	// that takes lengths (graph.Model.Lengths) lets them change nothing. A batch with a length
	// below T needs such a model.
	Lengths []int
	// Continue says that the batch continues the sequences of the previous batch given to the
	// same path (Trainer.Step, or Trainer.Evaluate), sequence b continuing sequence b: the
	// model starts from the state that batch ended in (graph.Model.Carry) instead of zeros.
	// Trainer.ResetState drops the carried states.
	Continue bool
}

// Shape checks the batch and returns its shape. It checks that the batch is rectangular,
// that its inputs and targets are finite and its symbols and labels in range, that every
// length is in [1, T] and that no sequence has a target at a padded step; the errors name
// the step and the sequence.
func (bt Batch) Shape() (graph.Shape, error) { return bt.shape(nil) }

// shape is Shape with the target steps appended to steps[:0]: a buffer of the caller's, so that
// a training step allocates nothing for them.
func (bt *Batch) shape(steps []int) (graph.Shape, error) {
	s := graph.Shape{TargetSteps: steps[:0]}
	var err error
	switch {
	case bt.Symbols != nil && bt.Inputs != nil:
		return s, errors.New("train: batch: both Inputs and Symbols are set")
	case bt.Symbols != nil:
		err = bt.symbolShape(&s)
	default:
		err = bt.inputShape(&s)
	}
	if err != nil {
		return s, err
	}
	if bt.Lengths != nil {
		if len(bt.Lengths) != s.B {
			return s, errors.Errorf("train: batch: %d lengths for %d sequences", len(bt.Lengths), s.B)
		}
		for b, n := range bt.Lengths {
			if n < 1 || n > s.T {
				return s, errors.Errorf("train: batch: sequence %d has length %d, want one in [1, %d] (T)", b, n, s.T)
			}
		}
	}
	if bt.Labels != nil {
		if bt.Targets != nil {
			return s, errors.New("train: batch: both Targets and Labels are set")
		}
		return s, bt.labelShape(&s)
	}
	return s, bt.targetShape(&s)
}

// inputShape sets T, B and In of s from the batch's Inputs and checks them.
func (bt *Batch) inputShape(s *graph.Shape) error {
	s.T = len(bt.Inputs)
	if s.T == 0 {
		return errors.New("train: batch: sequence of length 0")
	}
	s.B = len(bt.Inputs[0])
	if s.B == 0 {
		return errors.New("train: batch: no sequences (batch size 0)")
	}
	s.In = len(bt.Inputs[0][0])
	if s.In == 0 {
		return errors.New("train: batch: input width 0")
	}
	// A value that is not finite is looked for (firstNonFinite) if there is one, and it is the
	// error if it comes before a wrong shape. The loop only notes where the shape is wrong: the
	// error is made after it, which keeps the loop over every value of every training batch
	// short.
	B, In, bad := s.B, s.In, false
	t, i := -1, -1 // the step with a wrong number of sequences, or the sequence of a wrong width
scan:
	for ts, step := range bt.Inputs {
		if len(step) != B {
			t = ts
			break
		}
		for is, x := range step {
			if len(x) != In {
				t, i = ts, is
				break scan
			}
			bad = bad || !allFinite(x)
		}
	}
	switch {
	case bad:
		return firstNonFinite(bt.Inputs, "input")
	case t >= 0 && i < 0:
		return errors.Errorf("train: batch: step %d has %d sequences, step 0 has %d", t, len(bt.Inputs[t]), B)
	case t >= 0:
		return errors.Errorf("train: batch: step %d sequence %d has %d inputs, want %d", t, i, len(bt.Inputs[t][i]), In)
	}
	return nil
}

// allFinite reports whether every value of x is finite: v-v is 0 for a finite v and NaN for a
// NaN or an infinity.
func allFinite(x []float64) bool {
	for _, v := range x {
		if v-v != 0 {
			return false
		}
	}
	return true
}

// firstNonFinite returns the error for the first value of rows ([T][B][n]) that is NaN or
// infinite, what being "input" or "target", or nil.
func firstNonFinite(rows [][][]float64, what string) error {
	for t, step := range rows {
		for i, x := range step {
			if k := graph.FirstNonFinite(x); k >= 0 {
				return errors.Errorf("train: batch: step %d sequence %d %s %d is %v", t, i, what, k, x[k])
			}
		}
	}
	return nil
}

// symbolShape sets T, B, In and OneHot of s from the batch's Symbols and checks them.
func (bt *Batch) symbolShape(s *graph.Shape) error {
	s.OneHot = true
	s.T = len(bt.Symbols)
	if s.T == 0 {
		return errors.New("train: batch: sequence of length 0")
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

// length returns the length of sequence b.
func (bt *Batch) length(b, T int) int {
	if bt.Lengths == nil {
		return T
	}
	return bt.Lengths[b]
}

// targetShape sets Out and TargetSteps of s from the batch's Targets and checks them. The
// values are checked as inputShape checks its own.
func (bt *Batch) targetShape(s *graph.Shape) error {
	bad := false
	err := targetSteps(bt, s, bt.Targets, "target", func(y []float64) bool { return y != nil }, func(t, i int, y []float64) error {
		if s.Out == 0 {
			s.Out = len(y)
		}
		if len(y) != s.Out || s.Out == 0 {
			return errors.Errorf("train: batch: step %d sequence %d has %d targets, want %d", t, i, len(y), s.Out)
		}
		bad = bad || !allFinite(y)
		return nil
	})
	if bad {
		return firstNonFinite(bt.Targets, "target")
	}
	return err
}

// labelShape sets Out, Labels and TargetSteps of s from the batch's Labels and checks them.
func (bt *Batch) labelShape(s *graph.Shape) error {
	s.Labels, s.Out = true, bt.Classes
	if bt.Classes <= 0 {
		return errors.Errorf("train: batch: labels over %d classes", bt.Classes)
	}
	return targetSteps(bt, s, bt.Labels, "label", func(k int) bool { return k != -1 }, func(t, i, k int) error {
		if k < 0 || k >= bt.Classes {
			return errors.Errorf("train: batch: step %d sequence %d has label %d, want one in [0, %d) or -1 (no target)", t, i, k, bt.Classes)
		}
		return nil
	})
}

// targetSteps checks steps, the batch's Targets or Labels (what: "target" or "label"), and
// sets s.TargetSteps to the steps at which some sequence has one: has reports whether an entry
// is a target (not "none"), check validates one at step t of sequence i. A target at a padding
// step is an error, and so is a batch without any target.
func targetSteps[E any](bt *Batch, s *graph.Shape, steps [][]E, what string, has func(E) bool, check func(t, i int, e E) error) error {
	if len(steps) > s.T {
		return errors.Errorf("train: batch: %d %s steps for %d input steps", len(steps), what, s.T)
	}
	for t, step := range steps {
		if step == nil {
			continue
		}
		if len(step) != s.B {
			return errors.Errorf("train: batch: %ss at step %d have %d sequences, want %d", what, t, len(step), s.B)
		}
		some := false
		for i, e := range step {
			if !has(e) {
				continue
			}
			if err := check(t, i, e); err != nil {
				return err
			}
			if n := bt.length(i, s.T); t >= n {
				return errors.Errorf("train: batch: step %d sequence %d has a %s, but the sequence has length %d (the step is padding)", t, i, what, n)
			}
			some = true
		}
		if some {
			s.TargetSteps = append(s.TargetSteps, t)
		}
	}
	if len(s.TargetSteps) == 0 {
		return errors.New("train: batch: no step has a target")
	}
	return nil
}

// hasTarget reports whether sequence b has a target at step t.
func (bt *Batch) hasTarget(t, b int) bool {
	if bt.Labels != nil {
		return t < len(bt.Labels) && bt.Labels[t] != nil && bt.Labels[t][b] >= 0
	}
	return t < len(bt.Targets) && bt.Targets[t] != nil && bt.Targets[t][b] != nil
}

// Stack makes a batch of sequences: step t of Batch.Inputs (or Symbols) and Targets (or
// Labels) holds step t of every sequence, in order. Sequences of different lengths are padded
// to the longest, T: padded steps get zero input rows (all of them one shared row) or symbol
// 0, and no target; Lengths is then set (it stays nil when all lengths are equal). All
// sequences must code their inputs alike (Inputs or Symbols over one alphabet) and their
// targets alike (Targets or Labels over one number of classes). Stack checks the structure;
// Batch.Shape checks the values.
func Stack(seqs ...datasets.Sequence) (Batch, error) {
	if len(seqs) == 0 {
		return Batch{}, errors.New("train: stack: no sequences")
	}
	// Indexed, not ranged over by value: a Sequence is 112 bytes, copied at every step otherwise.
	s0 := &seqs[0]
	hot, labels := s0.Symbols != nil, s0.Labels != nil
	T, equal := 0, true
	for i := range seqs {
		s := &seqs[i]
		n := s.Len()
		switch {
		case s.Symbols != nil && s.Inputs != nil:
			return Batch{}, errors.Errorf("train: stack: sequence %d has both Inputs and Symbols", i)
		case s.Labels != nil && s.Targets != nil:
			return Batch{}, errors.Errorf("train: stack: sequence %d has both Targets and Labels", i)
		case (s.Symbols != nil) != hot:
			return Batch{}, errors.Errorf("train: stack: sequence %d and sequence 0 code their inputs differently (Inputs or Symbols)", i)
		case hot && s.Alphabet != s0.Alphabet:
			return Batch{}, errors.Errorf("train: stack: sequence %d has an alphabet of %d symbols, sequence 0 of %d", i, s.Alphabet, s0.Alphabet)
		case (s.Labels != nil) != labels:
			return Batch{}, errors.Errorf("train: stack: sequence %d and sequence 0 give their targets differently (Targets or Labels)", i)
		case labels && s.Classes != s0.Classes:
			return Batch{}, errors.Errorf("train: stack: sequence %d has labels over %d classes, sequence 0 over %d", i, s.Classes, s0.Classes)
		case n == 0:
			return Batch{}, errors.Errorf("train: stack: sequence %d has no steps", i)
		case len(s.Targets) > n || len(s.Labels) > n:
			return Batch{}, errors.Errorf("train: stack: sequence %d has %d target steps for %d steps", i, max(len(s.Targets), len(s.Labels)), n)
		case !hot && len(s.Inputs[0]) == 0:
			return Batch{}, errors.Errorf("train: stack: sequence %d has an input row of width 0 at step 0", i)
		}
		equal = equal && n == s0.Len()
		T = max(T, n)
	}
	// One backing array per field, not one per step: a 2c sequence has over a thousand steps.
	B := len(seqs)
	bt := Batch{}
	var symbols, classes []int
	var inputs, targets [][]float64
	var zero []float64 // the padding row
	if hot {
		bt.Symbols, bt.Alphabet, symbols = make([][]int, T), s0.Alphabet, make([]int, T*B)
	} else {
		bt.Inputs, inputs = make([][][]float64, T), make([][]float64, T*B)
		if !equal {
			zero = make([]float64, len(s0.Inputs[0]))
		}
	}
	if labels {
		bt.Labels, bt.Classes, classes = make([][]int, T), s0.Classes, make([]int, T*B)
	} else {
		bt.Targets = make([][][]float64, T)
	}
	if !equal {
		bt.Lengths = make([]int, B)
		for i := range seqs {
			bt.Lengths[i] = seqs[i].Len()
		}
	}
	for t := 0; t < T; t++ {
		if hot {
			row := symbols[t*B : (t+1)*B : (t+1)*B]
			for i := range seqs {
				if s := &seqs[i]; t < len(s.Symbols) {
					row[i] = s.Symbols[t]
				}
			}
			bt.Symbols[t] = row
		} else {
			row := inputs[t*B : (t+1)*B : (t+1)*B]
			for i := range seqs {
				if s := &seqs[i]; t < len(s.Inputs) {
					row[i] = s.Inputs[t]
				} else {
					row[i] = zero
				}
			}
			bt.Inputs[t] = row
		}
		if labels {
			row := classes[t*B : (t+1)*B : (t+1)*B]
			for i := range seqs {
				row[i] = -1
				if s := &seqs[i]; t < len(s.Labels) {
					row[i] = s.Labels[t]
				}
			}
			bt.Labels[t] = row
			continue
		}
		some := false
		for i := range seqs {
			if s := &seqs[i]; t < len(s.Targets) && s.Targets[t] != nil {
				some = true
				break
			}
		}
		if !some {
			continue
		}
		if targets == nil {
			targets = make([][]float64, (T-t)*B) // from the first step with a target on
		}
		bt.Targets[t], targets = targets[:B:B], targets[B:]
		for i := range seqs {
			if s := &seqs[i]; t < len(s.Targets) {
				bt.Targets[t][i] = s.Targets[t]
			}
		}
	}
	return bt, nil
}
