package train_test

import (
	"math"
	"testing"

	"github.com/lstm97/lstm97/train"
)

func TestSeqErrors(t *testing.T) {
	bt := train.Batch{Targets: [][][]float64{{{1, 0}, {0, 0}}, nil, {{0.5, 0.5}, {1, 1}}}}
	r := train.Result{TargetSteps: []int{0, 2}, Outputs: [][][]float64{{{0.9, 0.2}, {0, 0}}, {{0.5, 0.4}, {0.7, 1}}}}
	got := train.SeqErrors(bt, r)
	// sequence 0: |d| = 0.1, 0.2, 0, 0.1; sequence 1: 0, 0, 0.3, 0
	want := []train.SeqError{
		{MaxAbs: 0.2, SqErr: (0.01 + 0.04 + 0 + 0.01) / 4, AbsErr: 0.4 / 4},
		{MaxAbs: 0.3, SqErr: 0.09 / 4, AbsErr: 0.3 / 4},
	}
	for i := range want {
		if math.Abs(got[i].MaxAbs-want[i].MaxAbs) > 1e-12 || math.Abs(got[i].SqErr-want[i].SqErr) > 1e-12 || math.Abs(got[i].AbsErr-want[i].AbsErr) > 1e-12 {
			t.Errorf("sequence %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestST3OnSyntheticStreams(t *testing.T) {
	for _, tc := range []struct {
		name    string
		stream  func(i int) train.SeqError
		n       int
		measure train.Measure
		metAt   int // first i (1-based count) at which Met is true; 0 = never
	}{
		{"all good from the start: met when the window fills", func(int) train.SeqError { return train.SeqError{MaxAbs: 0.01, SqErr: 1e-4, AbsErr: 0.01} }, 50, train.MeanSquared, 10},
		{"one wrong at 5: met when it leaves the window", func(i int) train.SeqError {
			if i == 5 {
				return train.SeqError{MaxAbs: 0.05, SqErr: 0.0025, AbsErr: 0.05}
			}
			return train.SeqError{MaxAbs: 0.01, SqErr: 1e-4, AbsErr: 0.01}
		}, 50, train.MeanSquared, 15},
		{"correct but average too high (mae)", func(int) train.SeqError { return train.SeqError{MaxAbs: 0.03, SqErr: 0.0009, AbsErr: 0.03} }, 50, train.MeanAbsolute, 0},
		{"the same stream under mse", func(int) train.SeqError { return train.SeqError{MaxAbs: 0.03, SqErr: 0.0009, AbsErr: 0.03} }, 50, train.MeanSquared, 10},
		{"never correct", func(int) train.SeqError { return train.SeqError{MaxAbs: 0.5, SqErr: 0.25, AbsErr: 0.5} }, 50, train.MeanSquared, 0},
	} {
		s, err := train.NewST3(0.01, 0.04, 10, tc.measure)
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
	if _, err := train.NewST3(0, 0.04, 10, train.MeanSquared); err == nil {
		t.Error("beta 0: no error")
	}
}

// TestST3Mean: the window's mean by either measure, whichever the criterion uses, over the
// sequences still in the window once the ring has wrapped.
func TestST3Mean(t *testing.T) {
	for _, m := range []train.Measure{train.MeanSquared, train.MeanAbsolute} {
		s, err := train.NewST3(0.01, 0.04, 4, m)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Mean(train.MeanSquared); !math.IsNaN(got) {
			t.Errorf("%v: empty window's mean %v, want NaN", m, got)
		}
		for i := 1; i <= 6; i++ { // the window keeps 3, 4, 5, 6
			x := float64(i)
			s.Add(train.SeqError{MaxAbs: x, SqErr: x * x, AbsErr: x})
		}
		for _, tc := range []struct {
			m    train.Measure
			want float64
		}{
			{train.MeanSquared, (9 + 16 + 25 + 36) / 4.0},
			{train.MeanAbsolute, (3 + 4 + 5 + 6) / 4.0},
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
