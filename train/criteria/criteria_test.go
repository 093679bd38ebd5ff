package criteria_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/train"
	"github.com/lstm97/lstm97/train/criteria"
)

func TestSeqErrors(t *testing.T) {
	bt := train.Batch{Targets: [][][]float64{{{1, 0}, {0, 0}}, nil, {{0.5, 0.5}, {1, 1}}}}
	r := train.Result{TargetSteps: []int{0, 2}, Outputs: [][][]float64{{{0.9, 0.2}, {0, 0}}, {{0.5, 0.4}, {0.7, 1}}}}
	got := criteria.SeqErrors(bt, r)
	// sequence 0: |d| = 0.1, 0.2, 0, 0.1; sequence 1: 0, 0, 0.3, 0
	want := []criteria.SeqError{
		{MaxAbs: 0.2, SqErr: (0.01 + 0.04 + 0 + 0.01) / 4, AbsErr: 0.4 / 4},
		{MaxAbs: 0.3, SqErr: 0.09 / 4, AbsErr: 0.3 / 4},
	}
	for i := range want {
		if math.Abs(got[i].MaxAbs-want[i].MaxAbs) > 1e-12 || math.Abs(got[i].SqErr-want[i].SqErr) > 1e-12 || math.Abs(got[i].AbsErr-want[i].AbsErr) > 1e-12 {
			t.Errorf("sequence %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestSeqErrorsNotFinite: MaxAbs follows math.Max where an output is NaN or infinite: +Inf
// wins over NaN in either order, NaN over any finite error.
func TestSeqErrorsNotFinite(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		name string
		out  []float64
		want float64
	}{
		{"NaN then Inf", []float64{nan, inf, 0}, inf},
		{"Inf then NaN", []float64{0.5, -inf, nan}, inf},
		{"NaN", []float64{0.25, nan, 0.75}, nan},
		{"finite", []float64{0.25, 0.5, 2}, 2},
	} {
		bt := train.Batch{Targets: [][][]float64{{{0, 0, 0}}}}
		r := train.Result{TargetSteps: []int{0}, Outputs: [][][]float64{{tc.out}}}
		got := criteria.SeqErrors(bt, r)[0].MaxAbs
		if math.Float64bits(got) != math.Float64bits(tc.want) && !(math.IsNaN(got) && math.IsNaN(tc.want)) {
			t.Errorf("%s: MaxAbs %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestST3OnSyntheticStreams(t *testing.T) {
	for _, tc := range []struct {
		name    string
		stream  func(i int) criteria.SeqError
		n       int
		measure criteria.Measure
		metAt   int // first i (1-based count) at which Met is true; 0 = never
	}{
		{"all good from the start: met when the window fills", func(int) criteria.SeqError { return criteria.SeqError{MaxAbs: 0.01, SqErr: 1e-4, AbsErr: 0.01} }, 50, criteria.MeanSquared, 10},
		{"one wrong at 5: met when it leaves the window", func(i int) criteria.SeqError {
			if i == 5 {
				return criteria.SeqError{MaxAbs: 0.05, SqErr: 0.0025, AbsErr: 0.05}
			}
			return criteria.SeqError{MaxAbs: 0.01, SqErr: 1e-4, AbsErr: 0.01}
		}, 50, criteria.MeanSquared, 15},
		{"correct but average too high (mae)", func(int) criteria.SeqError { return criteria.SeqError{MaxAbs: 0.03, SqErr: 0.0009, AbsErr: 0.03} }, 50, criteria.MeanAbsolute, 0},
		{"the same stream under mse", func(int) criteria.SeqError { return criteria.SeqError{MaxAbs: 0.03, SqErr: 0.0009, AbsErr: 0.03} }, 50, criteria.MeanSquared, 10},
		{"never correct", func(int) criteria.SeqError { return criteria.SeqError{MaxAbs: 0.5, SqErr: 0.25, AbsErr: 0.5} }, 50, criteria.MeanSquared, 0},
	} {
		s, err := criteria.NewST3(0.01, 0.04, 10, tc.measure)
		if err != nil {
			t.Fatal(err)
		}
		metAt := 0
		for i := 1; i <= tc.n; i++ {
			s.Add(tc.stream(i))
			if s.Met() && metAt == 0 {
				metAt = i
			}
		}
		if metAt != tc.metAt {
			t.Errorf("%s: met at %d, want %d", tc.name, metAt, tc.metAt)
		}
	}
	if _, err := criteria.NewST3(0, 0.04, 10, criteria.MeanSquared); err == nil {
		t.Error("beta 0: no error")
	}
}

// TestST3Mean: the window's mean by either measure, whichever the criterion uses, over the
// sequences still in the window once the ring has wrapped.
func TestST3Mean(t *testing.T) {
	for _, m := range []criteria.Measure{criteria.MeanSquared, criteria.MeanAbsolute} {
		s, err := criteria.NewST3(0.01, 0.04, 4, m)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Mean(criteria.MeanSquared); !math.IsNaN(got) {
			t.Errorf("%v: empty window's mean %v, want NaN", m, got)
		}
		for i := 1; i <= 6; i++ { // the window keeps 3, 4, 5, 6
			x := float64(i)
			s.Add(criteria.SeqError{MaxAbs: x, SqErr: x * x, AbsErr: x})
		}
		for _, tc := range []struct {
			m    criteria.Measure
			want float64
		}{
			{criteria.MeanSquared, (9 + 16 + 25 + 36) / 4.0},
			{criteria.MeanAbsolute, (3 + 4 + 5 + 6) / 4.0},
		} {
			if got := s.Mean(tc.m); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("criterion by %v: Mean(%v) = %v, want %v", m, tc.m, got, tc.want)
			}
		}
		if got, want := s.Average(), s.Mean(m); got != want {
			t.Errorf("%v: Average %v, Mean by the criterion's measure %v", m, got, want)
		}
	}
}

// TestWindowJudgesAndRestores: a window counts the sequences its judge calls wrong, keeps the
// most recent Size of them, and comes back from its JSON form with the same counts, average
// and later behaviour.
func TestWindowJudgesAndRestores(t *testing.T) {
	w, err := criteria.NewWindow(3, criteria.MeanSquared)
	if err != nil {
		t.Fatal(err)
	}
	for i, correct := range []bool{false, true, false, true} { // the window keeps the last 3
		w.Add(criteria.SeqError{SqErr: float64(i + 1)}, correct)
	}
	if w.Count() != 3 || !w.Full() || w.Wrong() != 1 || w.Average() != (2.0+3+4)/3 {
		t.Errorf("count %d full %v wrong %d average %v, want 3 true 1 3", w.Count(), w.Full(), w.Wrong(), w.Average())
	}
	js, err := w.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back criteria.Window
	if err := back.UnmarshalJSON(js); err != nil {
		t.Fatal(err)
	}
	for _, x := range []*criteria.Window{w, &back} {
		x.Add(criteria.SeqError{SqErr: 5}, true) // pushes out sequence 2, the correct one
	}
	if back.Wrong() != w.Wrong() || back.Average() != w.Average() || back.Count() != w.Count() || w.Wrong() != 1 {
		t.Errorf("restored window: wrong %d average %v count %d; original %d %v %d", back.Wrong(), back.Average(), back.Count(), w.Wrong(), w.Average(), w.Count())
	}
	for _, bad := range []string{`{"size":0}`, `{"size":2,"recent":[{},{},{}],"correct":[true,true,true]}`, `{"size":2,"recent":[{}],"correct":[]}`, `[`} {
		if err := back.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	if _, err := criteria.NewWindow(0, criteria.MeanSquared); err == nil {
		t.Error("a window of 0: no error")
	}
}

// TestCriteria: ST3, the n_seq rule and an evaluation every N sequences, each fed through
// Until as a hook, stop training at the step the criterion is met and not before.
func TestCriteria(t *testing.T) {
	step := func(out float64) (train.Batch, train.Result) { // one sequence, target 0, output out
		return train.Batch{Targets: [][][]float64{{{0}}}}, train.Result{TargetSteps: []int{0}, Outputs: [][][]float64{{{out}}}}
	}
	window := func() *criteria.Window {
		w, err := criteria.NewWindow(4, criteria.MeanSquared)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	evals := 0
	for _, tc := range []struct {
		name   string
		c      criteria.Criterion
		outs   []float64 // the output of each step's sequence
		stopAt int       // the step (from 1) whose hook returns ErrStop; 0: none
	}{
		{"ST3: four correct with a small average", &criteria.ST3{Beta: 0.02, Judge: criteria.Within(0.2), Window: window()},
			[]float64{0.5, 0.1, 0.1, 0.1, 0.1, 0.1}, 5},
		{"ST3: correct but the average too high", &criteria.ST3{Beta: 0.001, Judge: criteria.Within(0.2), Window: window()},
			[]float64{0.1, 0.1, 0.1, 0.1, 0.1}, 0},
		{"n_seq: fewer than 2 of 4 wrong", &criteria.NSeq{N: 2, Judge: criteria.Within(0.2), Window: window()},
			[]float64{0.5, 0.5, 0.1, 0.1, 0.1}, 5},
		{"n_seq: 2 of 4 wrong is not fewer than 2", &criteria.NSeq{N: 2, Judge: criteria.Within(0.2), Window: window()},
			[]float64{0.5, 0.5, 0.1, 0.1}, 0},
		{"every 3 sequences, met at the second evaluation", criteria.Every{N: 3, Check: func(seen int) (bool, error) {
			evals++
			return seen >= 6, nil
		}}, []float64{1, 1, 1, 1, 1, 1, 1}, 6},
	} {
		hook, stopped := criteria.Until(tc.c), 0
		for i, out := range tc.outs {
			bt, r := step(out)
			err := hook(i+1, bt, r)
			if errors.Is(err, train.ErrStop) {
				stopped = i + 1
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
		}
		if stopped != tc.stopAt {
			t.Errorf("%s: stopped at step %d, want %d", tc.name, stopped, tc.stopAt)
		}
	}
	if evals != 2 {
		t.Errorf("the evaluated criterion was checked %d times in 6 sequences, want 2 (at 3 and 6)", evals)
	}
	if _, err := (criteria.Every{N: 0}).Observe(1, train.Batch{}, train.Result{}); err == nil {
		t.Error("Every with N = 0: no error")
	}
}

// TestWindowReadsOlderCheckpoints: checkpoints written before package train kept an ST3's
// window ({beta, tolerance, window, measure, recent}); a window restored from that form judges
// each saved sequence by the saved tolerance.
func TestWindowReadsOlderCheckpoints(t *testing.T) {
	old := `{"beta":1e308,"tolerance":1e-300,"window":3,"measure":1,"recent":[{"max_abs":1,"sq":0.25,"abs":0.5},{"max_abs":0,"sq":0.01,"abs":0.1}]}`
	var w criteria.Window
	if err := w.UnmarshalJSON([]byte(old)); err != nil {
		t.Fatal(err)
	}
	if w.Size != 3 || w.Count() != 2 || w.Wrong() != 1 || w.Measure != criteria.MeanAbsolute || math.Abs(w.Average()-0.3) > 1e-15 {
		t.Errorf("size %d count %d wrong %d measure %v average %v; want 3, 2, 1, mae, 0.3", w.Size, w.Count(), w.Wrong(), w.Measure, w.Average())
	}
}

// TestST3State: an ST3 saves β and its window and comes back with both, keeping its tolerance;
// a criterion without a window or without a way to judge is an error, not one never met.
func TestST3State(t *testing.T) {
	s, err := criteria.NewST3(0.02, 0.04, 3, criteria.MeanSquared)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []float64{0.1, 0.01, 0.01} {
		s.Add(criteria.SeqError{MaxAbs: x, SqErr: x * x})
	}
	js, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	back, err := criteria.NewST3(0.5, 0.04, 1, criteria.MeanSquared)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js, back); err != nil {
		t.Fatal(err)
	}
	if back.Beta != 0.02 || back.Count() != 3 || back.Wrong() != 1 || back.Average() != s.Average() || back.Tolerance != 0.04 {
		t.Errorf("restored ST3: beta %v count %d wrong %d average %v tolerance %v", back.Beta, back.Count(), back.Wrong(), back.Average(), back.Tolerance)
	}
	var zero criteria.ST3
	if zero.Met() {
		t.Error("a zero ST3 is met")
	}
	bt, r := train.Batch{Targets: [][][]float64{{{0}}}}, train.Result{TargetSteps: []int{0}, Outputs: [][][]float64{{{0}}}}
	if _, err := zero.Observe(1, bt, r); err == nil || !strings.Contains(err.Error(), "no window") {
		t.Errorf("zero ST3: err = %v, want one saying it has no window", err)
	}
	w, _ := criteria.NewWindow(2, criteria.MeanSquared)
	if _, err := (&criteria.NSeq{N: 1, Window: w}).Observe(1, bt, r); err == nil || !strings.Contains(err.Error(), "needs a Judge or a Tolerance") {
		t.Errorf("n_seq without a judge: err = %v", err)
	}
	if _, err := criteria.NewNSeq(0, 0.04, 10); err == nil {
		t.Error("n_seq with n = 0: no error")
	}
}

func TestSeqErrorsOfLabels(t *testing.T) {
	bt := train.Batch{Symbols: [][]int{{0}}, Alphabet: 2, Labels: [][]int{{1}}, Classes: 2}
	r := train.Result{TargetSteps: []int{0}, Outputs: [][][]float64{{{0.3, 0.7}}}}
	if got := criteria.SeqErrors(bt, r); got != nil {
		t.Errorf("SeqErrors of a label batch: %v, want nil", got)
	}
}
