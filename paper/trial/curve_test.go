package trial

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/lstm97/lstm97/paper"
)

// TestLearningCurveShowsOutlyingUpdate: 3a (T=100, N=3) seed 9's largest update among its
// first 7,000 is the 6,634th, with a gradient norm of 2.05 (measured independently, by a probe
// inside the optimizer's clipping; see docs/notes.md). The learning curve must name it.
func TestLearningCurveShowsOutlyingUpdate(t *testing.T) {
	s, err := paper.Lookup("3a", paper.Variant{T: 100, N: 3})
	if err != nil {
		t.Fatal(err)
	}
	var metrics bytes.Buffer
	if _, err := Run(s, Options{Seed: 9, Max: 7000, Metrics: &metrics, Test: -1}); err != nil {
		t.Fatal(err)
	}
	prev, lines := 0, 0
	found := false
	sc := bufio.NewScanner(&metrics)
	for sc.Scan() {
		var m paper.CurvePoint
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		lines++
		if m.GradNormMean == nil || m.GradNormMax == nil || m.GradNormMaxAt == nil {
			t.Fatalf("line %d lacks the gradient norms: %s", lines, sc.Bytes())
		}
		if at := *m.GradNormMaxAt; at <= prev || at > m.Sequences || *m.GradNormMean > *m.GradNormMax || *m.GradNormMean <= 0 {
			t.Errorf("line %d (sequences %d-%d): mean %v, max %v at %d", lines, prev+1, m.Sequences, *m.GradNormMean, *m.GradNormMax, at)
		}
		if prev < 6634 && 6634 <= m.Sequences {
			found = true
			if *m.GradNormMaxAt != 6634 || math.Abs(*m.GradNormMax-2.05) > 0.005 {
				t.Errorf("sequences %d-%d: largest update %d with norm %v, want 6634 with 2.05", prev+1, m.Sequences, *m.GradNormMaxAt, *m.GradNormMax)
			}
		}
		prev = m.Sequences
	}
	if !found || lines != 7 {
		t.Errorf("%d lines of the learning curve, found the 6,634th update: %v; want 7 lines and it", lines, found)
	}
}
