package paper

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train"
)

func param(name string, grad any) graph.Param {
	var g *tensor.Dense
	switch d := grad.(type) {
	case []float64:
		g = tensor.New(tensor.WithShape(len(d)), tensor.WithBacking(d))
	case []float32:
		g = tensor.New(tensor.WithShape(len(d)), tensor.WithBacking(d))
	case []int:
		g = tensor.New(tensor.WithShape(len(d)), tensor.WithBacking(d))
	}
	return graph.Param{Name: name, Grad: g}
}

func TestGradNorm(t *testing.T) {
	for _, tc := range []struct {
		name string
		ps   []graph.Param
		want float64
		bad  bool
	}{
		{"one vector", []graph.Param{param("a", []float64{3, 4})}, 5, false},
		{"norm over all parameters", []graph.Param{param("a", []float64{1}), param("b", []float64{2, -2})}, 3, false},
		{"float32", []graph.Param{param("a", []float32{0, -5, 12})}, 13, false},
		{"none", nil, 0, false},
		{"no gradient", []graph.Param{{Name: "a"}}, 0, true},
		{"integer gradient", []graph.Param{param("a", []int{1})}, 0, true},
	} {
		got, err := gradNorm(tc.ps)
		if (err != nil) != tc.bad {
			t.Errorf("%s: error %v, want an error: %v", tc.name, err, tc.bad)
		}
		if !tc.bad && math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: norm %v, want %v", tc.name, got, tc.want)
		}
	}
}

func isStateful(opt train.Optimizer) bool {
	_, ok := opt.(train.Stateful)
	return ok
}

// recorder is an optimizer that keeps copies of the gradients it is given.
type recorder struct{ grads [][]float64 }

func (r *recorder) Step(ps []graph.Param) error {
	for _, p := range ps {
		r.grads = append(r.grads, append([]float64(nil), p.Grad.Float64s()...))
	}
	return nil
}

// TestNormMeter: the meter hands every update on unchanged, and take reports the mean and the
// largest norm since the last take, with the sequence number of the largest.
func TestNormMeter(t *testing.T) {
	rec := &recorder{}
	m, opt := metering(rec)
	if isStateful(opt) {
		t.Error("a meter around a stateless optimizer claims a state")
	}
	for _, g := range [][]float64{{1, 0}, {3, 4}, {0, 2}} {
		if err := opt.Step([]graph.Param{param("w", g)}); err != nil {
			t.Fatal(err)
		}
	}
	if want := [][]float64{{1, 0}, {3, 4}, {0, 2}}; len(rec.grads) != 3 || !equalFloats(rec.grads[1], want[1]) {
		t.Errorf("the inner optimizer got %v, want %v", rec.grads, want)
	}
	// The three updates were those of sequences 101-103.
	mean, max, at, ok := m.take(103)
	if !ok || math.Abs(mean-8.0/3) > 1e-12 || max != 5 || at != 102 {
		t.Errorf("take: mean %v, max %v at %d (%v); want 8/3, 5 at 102", mean, max, at, ok)
	}
	if _, _, _, ok := m.take(103); ok {
		t.Error("a second take without updates reports some")
	}
	if err := opt.Step([]graph.Param{param("w", []float64{0, 0})}); err != nil {
		t.Fatal(err)
	}
	if mean, max, at, ok := m.take(104); !ok || mean != 0 || max != 0 || at != 104 {
		t.Errorf("after a zero gradient: mean %v, max %v at %d (%v); want 0, 0 at 104", mean, max, at, ok)
	}
	adam, err := optim.New("adam", 0.01, optim.Clip{})
	if err != nil {
		t.Fatal(err)
	}
	if _, opt := metering(adam); !isStateful(opt) {
		t.Error("a meter around Adam hides its state from checkpoints")
	}
}

// TestLearningCurveShowsOutlyingUpdate: 3a (T=100, N=3) seed 9's largest update among its
// first 7,000 is the 6,634th, with a gradient norm of 2.05 (measured independently, by a probe
// inside the optimizer's clipping; see examples/paper/NOTES.md). The learning curve must name it.
func TestLearningCurveShowsOutlyingUpdate(t *testing.T) {
	s, err := Lookup("3a", Variant{T: 100, N: 3})
	if err != nil {
		t.Fatal(err)
	}
	var metrics bytes.Buffer
	if _, err := RunTrial(s, Options{Seed: 9, Max: 7000, Metrics: &metrics, Test: -1}); err != nil {
		t.Fatal(err)
	}
	prev, lines := 0, 0
	found := false
	sc := bufio.NewScanner(&metrics)
	for sc.Scan() {
		var m CurvePoint
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
