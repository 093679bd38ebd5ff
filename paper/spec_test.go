package paper

import (
	"math"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/datasets"
)

// TestLookup: an unknown experiment or architecture is refused, and a diagnostic variant
// changes the net and names itself in the title.
func TestLookup(t *testing.T) {
	if _, err := Lookup("7", Variant{}); err == nil {
		t.Error("experiment 7 accepted")
	}
	if _, err := Lookup("1", Variant{Blocks: 5}); err == nil {
		t.Error("5 blocks accepted for experiment 1")
	}
	if s, err := Lookup("1", Variant{FullGradient: true}); err != nil || !s.Net.LSTM.FullGradient || !strings.HasSuffix(s.Title, ", full gradient") {
		t.Errorf("full gradient variant: %v", err)
	}
	if _, err := Lookup("2a", Variant{CellsOnlyRecurrence: true}); err == nil {
		t.Error("cells-only recurrence accepted for 2a, which has no recurrence")
	}
	if s, err := Lookup("2c", Variant{CellsOnlyRecurrence: true}); err != nil || !s.Net.LSTM.CellsOnlyRecurrence {
		t.Errorf("cells-only recurrence variant of 2c: %v", err)
	}
}

func TestReberCorrect(t *testing.T) {
	legal := func(syms string) []bool {
		set := make([]bool, len(datasets.ReberSymbols))
		for _, c := range syms {
			set[strings.IndexRune(datasets.ReberSymbols, c)] = true
		}
		return set
	}
	//                  B  T  P  S  X  V  E
	tp := []float64{0, .6, .5, .1, 0, 0, 0} // T and P on top
	sOnTop := []float64{0, .6, .5, .7, 0, 0, 0}
	ex := datasets.Example{Legal: [][]bool{legal("TP"), nil, legal("T")}}
	for _, tc := range []struct {
		name string
		outs [][]float64
		want bool
	}{
		{"legal symbols on top at both steps with a target", [][]float64{tp, tp}, true},
		{"S above P where T and P are legal", [][]float64{sOnTop, tp}, false},
		{"P not below T where only T is legal", [][]float64{tp, {0, .5, .5, 0, 0, 0, 0}}, false},
		{"fewer outputs than steps with a target", [][]float64{tp}, false},
	} {
		if got := reberCorrect(ex, tc.outs); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestKnobsOfOtherExperimentsRefused: a Variant field, or an option, that the experiment does
// not have is an error naming it, not a silently ignored value; so is a negative size.
func TestKnobsOfOtherExperimentsRefused(t *testing.T) {
	for _, tc := range []struct {
		id   string
		v    Variant
		want string // in the error; "" for none
	}{
		{"6a", Variant{P: 5}, "p (number of distractor symbols) does not apply to experiment 6a, only to 2a, 2b, 2c"},
		{"4", Variant{N: 1}, "N (number of information-carrying elements) does not apply to experiment 4"},
		{"2a", Variant{Q: 100}, "q (minimal time lag) does not apply to experiment 2a, only to 2c"},
		{"6b", Variant{T: 100}, "T (sequence length parameter) does not apply to experiment 6b"},
		{"3a", Variant{Blocks: 3}, "blocks (number of blocks) does not apply to experiment 3a, only to 1"},
		{"4", Variant{NSeq: 13}, "nseq (n_seq stopping rule) does not apply to experiment 4, only to 5"},
		{"2c", Variant{NoConstruct: true}, "no-construct (the memory cell from the start) does not apply to experiment 2c, only to 2a, 2b"},
		{"4", Variant{PerStep: true}, "per-step (weights changed at every step) does not apply to experiment 4, only to 1, 2a, 2b"},
		{"1", Variant{PerStep: true, FullGradient: true}, "computes the truncated gradient, not the full one"},
		{"2a", Variant{PerStep: true, ClipNorm: 1}, "the per-step learner has none"},
		{"2b", Variant{PerStep: true}, ""},
		{"4", Variant{T: -100}, "T -100, want a positive number"},
		{"2c", Variant{P: -1}, "p -1, want a positive number"},
		{"1", Variant{LR: -0.5}, "learning rate -0.5"},
		{"1", Variant{LR: math.NaN()}, "learning rate NaN"},
		{"7", Variant{T: 100}, `unknown experiment "7"`},
		{"4", Variant{T: 500}, ""},
		{"5", Variant{T: 100, NSeq: 13}, ""},
		{"3c", Variant{T: 100, N: 1}, ""},
		{"2c", Variant{P: 50, Q: 1000}, ""},
		{"2b", Variant{P: 100, NoConstruct: true}, ""},
		{"1", Variant{Blocks: 4, LR: 0.1}, ""},
	} {
		_, err := Lookup(tc.id, tc.v)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s %+v: %v", tc.id, tc.v, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s %+v: error %v, want one containing %q", tc.id, tc.v, err, tc.want)
		}
	}
}

// TestReberCorrectNotFinite: the correctness test of Exp. 1 compares the least output of the
// legal symbols with the largest of the others as math.Min and math.Max would: a NaN output
// makes the step pass (as NaN comparisons are false), infinities order as numbers.
func TestReberCorrectNotFinite(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	legal := []bool{false, true, true, false, false, false, false}
	ex := datasets.Example{Legal: [][]bool{legal}}
	for _, tc := range []struct {
		name string
		out  []float64
	}{
		{"right", []float64{0.1, 0.9, 0.8, 0.2, 0, 0, 0}},
		{"wrong", []float64{0.1, 0.9, 0.1, 0.2, 0, 0, 0}},
		{"tie", []float64{0.1, 0.9, 0.2, 0.2, 0, 0, 0}},
		{"NaN legal", []float64{0.1, nan, 0.1, 0.2, 0, 0, 0}},
		{"NaN other", []float64{0.1, 0.9, 0.1, nan, 0, 0, 0}},
		{"+Inf legal", []float64{0.1, inf, 0.5, 0.2, 0, 0, 0}},
		{"+Inf other", []float64{0.1, 0.9, 0.8, inf, 0, 0, 0}},
		{"-Inf legal", []float64{0.1, -inf, 0.8, 0.2, 0, 0, 0}},
		{"-Inf other", []float64{-inf, 0.9, 0.8, 0.2, -inf, 0, 0}},
	} {
		lo, hi := math.Inf(1), math.Inf(-1)
		for k, y := range tc.out {
			if legal[k] {
				lo = math.Min(lo, y)
			} else {
				hi = math.Max(hi, y)
			}
		}
		if got, want := reberCorrect(ex, [][]float64{tc.out}), !(lo <= hi); got != want {
			t.Errorf("%s: %v, want %v", tc.name, got, want)
		}
	}
}
