package trial

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/paper"
)

// TestReberTrialIsReproduced: Experiment 1 with seed 2 meets its criterion (every string of
// both sets predicted) after 7,400 sequences, with the learning curve's last line as measured
// before the trial's training and evaluation loops were made allocation-free (the curve's
// numbers, bit for bit).
func TestReberTrialIsReproduced(t *testing.T) {
	s, err := paper.Lookup("1", paper.Variant{})
	if err != nil {
		t.Fatal(err)
	}
	var metrics bytes.Buffer
	res, err := Run(s, Options{Seed: 2, Max: 8000, Metrics: &metrics, Test: -1})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Success || res.Sequences != 7400 {
		t.Fatalf("success %v after %d sequences, want success after 7400", res.Success, res.Sequences)
	}
	lines := strings.Split(strings.TrimSpace(metrics.String()), "\n")
	var last paper.CurvePoint
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatal(err)
	}
	if last.Sequences != 7400 || last.TrainMSE != 0.0567335940650256 || last.TrainWrong != 1701 || !last.CriterionOK ||
		*last.GradNormMax != 4.781290120000811 || *last.GradNormMaxAt != 7268 {
		t.Errorf("last line of the curve %s, want 7400 sequences, train MSE 0.0567335940650256, 1701 wrong, largest gradient norm 4.781290120000811 at 7268", lines[len(lines)-1])
	}
}

// TestReberEvaluationMatchesEvaluate: the trial's evaluation of Exp. 1 over its sets in padded
// chunks gives every string's outputs bit for bit as Evaluate gives them for the string alone,
// and the judgement of Evaluate and Correct over all strings.
func TestReberEvaluationMatchesEvaluate(t *testing.T) {
	s, err := paper.Lookup("1", paper.Variant{})
	if err != nil {
		t.Fatal(err)
	}
	tr := newTrainer(t, s, 3)
	trainSet, testSet, err := s.Reber.Sets(rand.New(rand.NewSource(4)), 40, 40)
	if err != nil {
		t.Fatal(err)
	}
	train, err := stackAll(trainSet)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := chunkAll(trainSet, testSet)
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	mixed := 0 // chunks padding some of their strings
	for i, c := range chunks {
		if c.ex[0].Len() != c.ex[len(c.ex)-1].Len() {
			mixed++
		}
		sizes = append(sizes, len(c.ex))
		if i > 0 && c.ex[0].Len() < chunks[i-1].ex[len(chunks[i-1].ex)-1].Len() {
			t.Errorf("chunk %d starts with a string shorter than the last of chunk %d", i, i-1)
		}
	}
	if fmt.Sprint(sizes) != "[1 3 12 48 16]" {
		t.Fatalf("chunks of %v strings, want [1 3 12 48 16]", sizes)
	}
	if mixed == 0 {
		t.Fatal("no chunk holds strings of different lengths")
	}
	for round := 0; round < 3; round++ {
		want, seen := true, 0
		for _, c := range chunks {
			r, err := tr.Evaluate(c.bt)
			if err != nil {
				t.Fatal(err)
			}
			var got [][][]float64 // copied: the next evaluations reuse the result's rows
			for i := range c.ex {
				var o [][]float64
				for _, row := range outputsOf(nil, r, i) {
					o = append(o, append([]float64(nil), row...))
				}
				got = append(got, o)
			}
			for i, ex := range c.ex {
				outs, _, err := Evaluate(tr, ex)
				if err != nil {
					t.Fatal(err)
				}
				if len(outs) != len(got[i]) || len(outs) != ex.Len() {
					t.Fatalf("round %d, string %d: %d steps alone, %d in a chunk, length %d", round, seen, len(outs), len(got[i]), ex.Len())
				}
				for k := range outs {
					for u, y := range outs[k] {
						if math.Float64bits(y) != math.Float64bits(got[i][k][u]) {
							t.Fatalf("round %d, string %d, step %d, output %d: %v alone, %v in a chunk of %d", round, seen, k, u, y, got[i][k][u], len(c.ex))
						}
					}
				}
				want = want && s.Correct(ex, outs)
				seen++
			}
		}
		if seen != 80 {
			t.Fatalf("round %d: %d strings in the chunks, want 80", round, seen)
		}
		got, err := evaluate(s, tr, chunks, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("round %d: evaluation %v, Evaluate and Correct say %v", round, got, want)
		}
		for _, e := range train[:6] { // train a little, so that rounds differ
			if _, err := tr.Step(e.bt); err != nil {
				t.Fatal(err)
			}
		}
	}
}
