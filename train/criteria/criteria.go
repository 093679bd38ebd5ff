package criteria

import (
	"encoding/json"
	"math"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/train"
)

// SeqError summarises one sequence's error at its target steps.
type SeqError struct {
	// MaxAbs is the largest |target - output| over all target steps and outputs: the paper's
	// per-sequence correctness test ("absolute error < 0.04", ABS(β)) compares it to a bound.
	MaxAbs float64 `json:"max_abs"`
	// SqErr is the mean over target steps and outputs of (target - output)².
	SqErr float64 `json:"sq"`
	// AbsErr is the mean over target steps and outputs of |target - output|.
	AbsErr float64 `json:"abs"`
}

// SeqErrors returns the error of every sequence of a batch given the step's result, over the
// steps where the sequence has a target. A batch of class labels (train.Batch.Labels) has no
// target values to compare the outputs (class scores) with: SeqErrors returns nil for it, and
// the criteria built on it see no sequences.
func SeqErrors(bt train.Batch, r train.Result) []SeqError {
	if len(r.Outputs) == 0 || bt.Labels != nil {
		return nil
	}
	out := make([]SeqError, len(r.Outputs[0]))
	for i := range out {
		out[i] = seqError(&bt, &r, i)
	}
	return out
}

// seqError is SeqErrors' entry for sequence i (of a batch of targets with outputs).
func seqError(bt *train.Batch, r *train.Result, i int) SeqError {
	var e SeqError
	n := 0
	for k, t := range r.TargetSteps {
		y := r.Outputs[k][i]
		if len(y) == 0 {
			continue // no target there
		}
		tg := bt.Targets[t][i][:len(y)]
		for u, yu := range y {
			d := math.Abs(tg[u] - yu)
			switch { // e.MaxAbs = math.Max(e.MaxAbs, d), without the call where neither is NaN
			case d > e.MaxAbs:
				e.MaxAbs = d
			case d <= e.MaxAbs:
			default:
				e.MaxAbs = math.Max(e.MaxAbs, d)
			}
			e.SqErr += d * d
			e.AbsErr += d
			n++
		}
	}
	if n > 0 {
		e.SqErr /= float64(n)
		e.AbsErr /= float64(n)
	}
	return e
}

// Measure selects what "average training error" means. The paper does not define it
// (docs/paper.md, "Readings").
type Measure int

const (
	// MeanSquared averages SeqError.SqErr (the paper's error E is a squared error, eq. 16).
	// The default.
	MeanSquared Measure = iota
	// MeanAbsolute averages SeqError.AbsErr.
	MeanAbsolute
)

// String returns "mse" or "mae", the names ParseMeasure reads.
func (m Measure) String() string {
	if m == MeanAbsolute {
		return "mae"
	}
	return "mse"
}

// ParseMeasure parses "mse" or "mae".
func ParseMeasure(s string) (Measure, error) {
	switch s {
	case "mse":
		return MeanSquared, nil
	case "mae":
		return MeanAbsolute, nil
	}
	return 0, errors.Errorf("criteria: unknown error measure %q (want mse or mae)", s)
}

// Of returns e's error by measure m: its mean absolute or mean squared error.
func (m Measure) Of(e SeqError) float64 {
	if m == MeanAbsolute {
		return e.AbsErr
	}
	return e.SqErr
}

// Criterion is a stopping criterion. Observe is called after every training step with the
// number of sequences seen so far (this batch included), the batch and its result, and reports
// whether the criterion is met. The paper's criteria (Hochreiter & Schmidhuber 1997, Table 11)
// are all of this kind: ST3 and NSeq judge a window of recent training sequences; the ST1/ST2
// test set, ABS over successive sequences and the Reber grammar's "every next symbol
// predicted" are evaluations every N sequences (Every).
type Criterion interface {
	Observe(seen int, bt train.Batch, r train.Result) (met bool, err error)
}

// Until returns a training hook that feeds c after every step and ends train.Trainer.Run
// (train.ErrStop) once c is met.
func Until(c Criterion) train.Hook {
	return func(seen int, bt train.Batch, r train.Result) error {
		met, err := c.Observe(seen, bt, r)
		if err != nil {
			return err
		}
		if met {
			return train.ErrStop
		}
		return nil
	}
}

// Judge decides whether sequence i of a batch was processed correctly, given the step's result
// and the sequence's error e.
type Judge func(bt train.Batch, r train.Result, i int, e SeqError) bool

// Within returns the paper's per-sequence test ABS(tol) (Table 11): every output at every
// target step within tol of its target (SeqError.MaxAbs < tol).
func Within(tol float64) Judge {
	return func(_ train.Batch, _ train.Result, _ int, e SeqError) bool { return e.MaxAbs < tol }
}

// Window holds the errors of the Size most recent training sequences and whether each was
// correct: what ST3(β) and the n_seq rule judge (the paper's window is 2000 sequences). Its
// JSON form keeps the window, for checkpoints.
type Window struct {
	Size    int
	Measure Measure

	ring  []SeqError
	ok    []bool
	next  int
	full  bool
	sum   float64
	wrong int
}

// NewWindow returns an empty window of size sequences whose Average is by measure m.
func NewWindow(size int, m Measure) (*Window, error) {
	if size <= 0 {
		return nil, errors.Errorf("criteria: window of %d sequences, want > 0", size)
	}
	return &Window{Size: size, Measure: m, ring: make([]SeqError, size), ok: make([]bool, size)}, nil
}

// Add records one sequence's error and whether it was correct.
func (w *Window) Add(e SeqError, correct bool) {
	if w.full {
		w.sum -= w.Measure.Of(w.ring[w.next])
		if !w.ok[w.next] {
			w.wrong--
		}
	}
	w.ring[w.next], w.ok[w.next] = e, correct
	w.sum += w.Measure.Of(e)
	if !correct {
		w.wrong++
	}
	w.next++
	if w.next == w.Size {
		w.next, w.full = 0, true
	}
}

// Observe adds every sequence of a training step, judged by judge.
func (w *Window) Observe(bt train.Batch, r train.Result, judge Judge) {
	if len(r.Outputs) == 0 || bt.Labels != nil {
		return // SeqErrors has none
	}
	for i := range r.Outputs[0] {
		e := seqError(&bt, &r, i)
		w.Add(e, judge(bt, r, i, e))
	}
}

// Full reports whether the window holds Size sequences.
func (w *Window) Full() bool { return w.full }

// Count returns the number of sequences in the window (at most Size).
func (w *Window) Count() int {
	if w.full {
		return w.Size
	}
	return w.next
}

// Average returns the average error over the window by its Measure (NaN if empty).
func (w *Window) Average() float64 {
	if w.Count() == 0 {
		return math.NaN()
	}
	return w.sum / float64(w.Count())
}

// Mean returns the average error over the window by measure m, which need not be the window's:
// Average for w.Measure, otherwise summed over the window anew.
func (w *Window) Mean(m Measure) float64 {
	if m == w.Measure {
		return w.Average()
	}
	n := w.Count()
	if n == 0 {
		return math.NaN()
	}
	sum := 0.0
	for _, e := range w.ring[:n] { // a full ring's entries are all in the window
		sum += m.Of(e)
	}
	return sum / float64(n)
}

// Wrong returns the number of incorrect sequences in the window.
func (w *Window) Wrong() int { return w.wrong }

// windowState is the saved form of a window. Checkpoints written before package train saved
// the window of an ST3 instead, with Window and Tolerance in place of Size and Correct (a
// sequence was correct if its MaxAbs was below the tolerance); UnmarshalJSON reads both.
type windowState struct {
	Size    int        `json:"size"`
	Measure Measure    `json:"measure"`
	Recent  []SeqError `json:"recent"`  // oldest first
	Correct []bool     `json:"correct"` // aligned with Recent
	// The older form's fields.
	OldSize   int     `json:"window,omitempty"`
	Tolerance float64 `json:"tolerance,omitempty"`
}

// MarshalJSON saves the window, oldest sequence first.
func (w *Window) MarshalJSON() ([]byte, error) {
	st := windowState{Size: w.Size, Measure: w.Measure}
	if w.full {
		st.Recent = append(append(st.Recent, w.ring[w.next:]...), w.ring[:w.next]...)
		st.Correct = append(append(st.Correct, w.ok[w.next:]...), w.ok[:w.next]...)
	} else {
		st.Recent = append(st.Recent, w.ring[:w.next]...)
		st.Correct = append(st.Correct, w.ok[:w.next]...)
	}
	return json.Marshal(st)
}

// UnmarshalJSON restores a window saved by MarshalJSON.
func (w *Window) UnmarshalJSON(b []byte) error {
	var st windowState
	if err := json.Unmarshal(b, &st); err != nil {
		return errors.Wrap(err, "criteria: window")
	}
	if st.Size == 0 && st.OldSize > 0 && st.Correct == nil { // the form of older checkpoints
		st.Size = st.OldSize
		for _, e := range st.Recent {
			st.Correct = append(st.Correct, e.MaxAbs < st.Tolerance)
		}
	}
	n, err := NewWindow(st.Size, st.Measure)
	if err != nil {
		return err
	}
	if len(st.Recent) > st.Size || len(st.Correct) != len(st.Recent) {
		return errors.Errorf("criteria: window: %d saved errors and %d judgements for a window of %d", len(st.Recent), len(st.Correct), st.Size)
	}
	for i, e := range st.Recent {
		n.Add(e, st.Correct[i])
	}
	*w = *n
	return nil
}

// ST3 is the paper's stopping criterion ST3(β) (Table 11): the average training error over
// the window's sequences is below Beta and every one of them was processed correctly. The
// paper uses a window of 2000 sequences; β = 0.01 and ABS(0.04) for the adding problem,
// β = 0.1 and ABS(0.3) for temporal order. A sequence is correct if Judge says so or, without a
// Judge, if all its outputs are within Tolerance of their targets.
type ST3 struct {
	Beta      float64
	Tolerance float64
	Judge     Judge
	*Window
}

// NewST3 returns ST3(beta) over window sequences, a sequence being correct if all its outputs
// are within tol of their targets.
func NewST3(beta, tol float64, window int, m Measure) (*ST3, error) {
	if !(beta > 0) || !(tol > 0) || window <= 0 {
		return nil, errors.Errorf("criteria: ST3 needs beta > 0, tolerance > 0 and window > 0, got %v, %v, %d", beta, tol, window)
	}
	w, err := NewWindow(window, m)
	if err != nil {
		return nil, err
	}
	return &ST3{Beta: beta, Tolerance: tol, Window: w}, nil
}

// Add records one sequence's error, judged by Tolerance (SeqError.MaxAbs < Tolerance).
func (s *ST3) Add(e SeqError) { s.Window.Add(e, e.MaxAbs < s.Tolerance) }

// Met reports whether the window is full, its average error is below Beta and it holds no
// incorrect sequence. A criterion without a window is never met.
func (s *ST3) Met() bool {
	return s.Window != nil && s.full && s.wrong == 0 && s.Average() < s.Beta
}

// Observe adds the step's sequences and reports whether the criterion is met.
func (s *ST3) Observe(_ int, bt train.Batch, r train.Result) (bool, error) {
	err := observe("ST3", s.Window, s.Judge, s.Tolerance, bt, r)
	return err == nil && s.Met(), err
}

// Hook returns a training hook that feeds the criterion and stops training when it is met
// (Until(s)).
func (s *ST3) Hook() train.Hook { return Until(s) }

// st3State is ST3's saved form: β and the window (a tolerance or judge is configuration).
type st3State struct {
	Beta   float64 `json:"beta"`
	Window *Window `json:"window"`
}

// MarshalJSON saves β and the window, for checkpoints.
func (s *ST3) MarshalJSON() ([]byte, error) {
	return json.Marshal(st3State{Beta: s.Beta, Window: s.Window})
}

// UnmarshalJSON restores β and the window saved by MarshalJSON, keeping the criterion's
// Tolerance and Judge.
func (s *ST3) UnmarshalJSON(b []byte) error {
	var st st3State
	if err := json.Unmarshal(b, &st); err != nil {
		return errors.Wrap(err, "criteria: ST3")
	}
	if st.Window == nil {
		return errors.New("criteria: ST3: no window saved")
	}
	s.Beta, s.Window = st.Beta, st.Window
	return nil
}

// NSeq is the paper's stopping rule of Exp. 5 (Sec. 5.5): fewer than N of the window's
// sequences (the 2000 most recent) are incorrect. The paper uses N = 140 and N = 13. A sequence
// is correct if Judge says so or, without a Judge, if all its outputs are within Tolerance of
// their targets (0.04 in Exp. 5).
type NSeq struct {
	N         int
	Tolerance float64
	Judge     Judge
	*Window
}

// NewNSeq returns the n_seq rule: fewer than n of the window most recent sequences incorrect,
// a sequence being correct if all its outputs are within tol of their targets.
func NewNSeq(n int, tol float64, window int) (*NSeq, error) {
	if n <= 0 || !(tol > 0) || window <= 0 {
		return nil, errors.Errorf("criteria: n_seq rule needs n > 0, tolerance > 0 and window > 0, got %d, %v, %d", n, tol, window)
	}
	w, err := NewWindow(window, MeanSquared)
	if err != nil {
		return nil, err
	}
	return &NSeq{N: n, Tolerance: tol, Window: w}, nil
}

// Met reports whether the window is full and holds fewer than N incorrect sequences. A rule
// without a window is never met.
func (s *NSeq) Met() bool { return s.Window != nil && s.full && s.wrong < s.N }

// Observe adds the step's sequences and reports whether the rule is met.
func (s *NSeq) Observe(_ int, bt train.Batch, r train.Result) (bool, error) {
	err := observe("n_seq rule", s.Window, s.Judge, s.Tolerance, bt, r)
	return err == nil && s.Met(), err
}

// Hook returns a training hook that feeds the rule and stops training when it is met
// (Until(s)).
func (s *NSeq) Hook() train.Hook { return Until(s) }

// observe adds a step's sequences to a window criterion's window, judged by its Judge, or by
// Within(tol) without one. A criterion with neither, or without a window, is an error rather
// than a criterion that is never met.
func observe(what string, w *Window, j Judge, tol float64, bt train.Batch, r train.Result) error {
	switch {
	case w == nil:
		return errors.Errorf("criteria: %s has no window (make it with its constructor)", what)
	case j == nil && tol > 0:
		j = Within(tol)
	case j == nil:
		return errors.Errorf("criteria: %s needs a Judge or a Tolerance > 0 to tell correct sequences", what)
	}
	w.Observe(bt, r, j)
	return nil
}

// Every is a criterion decided by an evaluation every N sequences: Check runs after the steps
// at which the number of sequences seen is a multiple of N (with one sequence per step, every
// N-th step), and its answer is the criterion's.
type Every struct {
	N     int
	Check func(seen int) (bool, error)
}

// Observe runs Check if seen is a multiple of N.
func (e Every) Observe(seen int, _ train.Batch, _ train.Result) (bool, error) {
	if e.N <= 0 || e.Check == nil {
		return false, errors.Errorf("criteria: Every needs N > 0 and a Check, got N = %d", e.N)
	}
	if seen%e.N != 0 {
		return false, nil
	}
	return e.Check(seen)
}
