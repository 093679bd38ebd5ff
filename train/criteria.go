package train

import (
	"encoding/json"
	"math"

	"github.com/pkg/errors"
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

// SeqErrors returns the error of every sequence of a batch given the step's result.
func SeqErrors(bt Batch, r Result) []SeqError {
	if len(r.Outputs) == 0 {
		return nil
	}
	B := len(r.Outputs[0])
	out := make([]SeqError, B)
	for i := range out {
		n := 0
		for k, t := range r.TargetSteps {
			for u, y := range r.Outputs[k][i] {
				d := math.Abs(bt.Targets[t][i][u] - y)
				out[i].MaxAbs = math.Max(out[i].MaxAbs, d)
				out[i].SqErr += d * d
				out[i].AbsErr += d
				n++
			}
		}
		if n > 0 {
			out[i].SqErr /= float64(n)
			out[i].AbsErr /= float64(n)
		}
	}
	return out
}

// Measure selects what "average training error" means. The paper does not define it
// (PAPER.md §6.5).
type Measure int

const (
	// MeanSquared averages SeqError.SqErr (the paper's error E is a squared error, eq. 16).
	// The default.
	MeanSquared Measure = iota
	// MeanAbsolute averages SeqError.AbsErr.
	MeanAbsolute
)

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
	return 0, errors.Errorf("train: unknown error measure %q (want mse or mae)", s)
}

// ST3 is the paper's stopping criterion ST3(β) (Table 11): the average training error over the
// Window most recent sequences is below Beta and every one of them was processed correctly
// (SeqError.MaxAbs < Tolerance). The paper uses Window 2000; Beta 0.01 and Tolerance 0.04 for
// the adding problem, Beta 0.1 and Tolerance 0.3 for temporal order.
type ST3 struct {
	Beta      float64
	Tolerance float64
	Window    int
	Measure   Measure

	ring  []SeqError
	next  int
	full  bool
	sum   float64
	wrong int
}

// NewST3 returns ST3(beta) over window sequences with the correctness tolerance tol.
func NewST3(beta, tol float64, window int, m Measure) (*ST3, error) {
	if !(beta > 0) || !(tol > 0) || window <= 0 {
		return nil, errors.Errorf("train: ST3 needs beta > 0, tolerance > 0 and window > 0, got %v, %v, %d", beta, tol, window)
	}
	return &ST3{Beta: beta, Tolerance: tol, Window: window, Measure: m, ring: make([]SeqError, window)}, nil
}

// Of returns e's error by measure m: its mean absolute or mean squared error.
func (m Measure) Of(e SeqError) float64 {
	if m == MeanAbsolute {
		return e.AbsErr
	}
	return e.SqErr
}

// Add records one sequence's error.
func (s *ST3) Add(e SeqError) {
	if s.full {
		old := s.ring[s.next]
		s.sum -= s.Measure.Of(old)
		if old.MaxAbs >= s.Tolerance {
			s.wrong--
		}
	}
	s.ring[s.next] = e
	s.sum += s.Measure.Of(e)
	if e.MaxAbs >= s.Tolerance {
		s.wrong++
	}
	s.next++
	if s.next == s.Window {
		s.next, s.full = 0, true
	}
}

// Count returns the number of sequences in the window (at most Window).
func (s *ST3) Count() int {
	if s.full {
		return s.Window
	}
	return s.next
}

// Average returns the average error over the window.
func (s *ST3) Average() float64 {
	if s.Count() == 0 {
		return math.NaN()
	}
	return s.sum / float64(s.Count())
}

// Mean returns the average error over the window by measure m, which need not be the
// criterion's: Average for s.Measure, otherwise summed over the window anew.
func (s *ST3) Mean(m Measure) float64 {
	if m == s.Measure {
		return s.Average()
	}
	n := s.Count()
	if n == 0 {
		return math.NaN()
	}
	sum := 0.0
	for _, e := range s.ring[:n] { // a full ring's entries are all in the window
		sum += m.Of(e)
	}
	return sum / float64(n)
}

// Wrong returns the number of incorrect sequences in the window.
func (s *ST3) Wrong() int { return s.wrong }

// Met reports whether the window is full, its average error is below Beta and it holds no
// incorrect sequence.
func (s *ST3) Met() bool { return s.full && s.wrong == 0 && s.Average() < s.Beta }

// Hook returns a training hook that feeds the criterion and stops training when it is met.
func (s *ST3) Hook() Hook {
	return func(_ int, bt Batch, r Result) error {
		for _, e := range SeqErrors(bt, r) {
			s.Add(e)
		}
		if s.Met() {
			return ErrStop
		}
		return nil
	}
}

// st3State is the saved form of an ST3 window.
type st3State struct {
	Beta      float64    `json:"beta"`
	Tolerance float64    `json:"tolerance"`
	Window    int        `json:"window"`
	Measure   Measure    `json:"measure"`
	Recent    []SeqError `json:"recent"` // oldest first
}

// MarshalJSON saves the criterion with its window, for checkpoints.
func (s *ST3) MarshalJSON() ([]byte, error) {
	st := st3State{Beta: s.Beta, Tolerance: s.Tolerance, Window: s.Window, Measure: s.Measure}
	if s.full {
		st.Recent = append(append(st.Recent, s.ring[s.next:]...), s.ring[:s.next]...)
	} else {
		st.Recent = append(st.Recent, s.ring[:s.next]...)
	}
	return json.Marshal(st)
}

// UnmarshalJSON restores a criterion saved by MarshalJSON.
func (s *ST3) UnmarshalJSON(b []byte) error {
	var st st3State
	if err := json.Unmarshal(b, &st); err != nil {
		return errors.Wrap(err, "train: ST3")
	}
	n, err := NewST3(st.Beta, st.Tolerance, st.Window, st.Measure)
	if err != nil {
		return err
	}
	if len(st.Recent) > st.Window {
		return errors.Errorf("train: ST3: %d saved errors for a window of %d", len(st.Recent), st.Window)
	}
	for _, e := range st.Recent {
		n.Add(e)
	}
	*s = *n
	return nil
}
