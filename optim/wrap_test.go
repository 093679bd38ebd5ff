package optim_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train"
	"github.com/lstm97/lstm97/train/checkpoint"
)

func gradParam(name string, grad any) vm.Param {
	var g *tensor.Dense
	switch d := grad.(type) {
	case []float64:
		g = tensor.New(tensor.WithShape(len(d)), tensor.WithBacking(d))
	case []float32:
		g = tensor.New(tensor.WithShape(len(d)), tensor.WithBacking(d))
	case []int:
		g = tensor.New(tensor.WithShape(len(d)), tensor.WithBacking(d))
	}
	return vm.Param{Name: name, Grad: g}
}

func TestGradNorm(t *testing.T) {
	for _, tc := range []struct {
		name string
		ps   []vm.Param
		want float64
		bad  bool
	}{
		{"one vector", []vm.Param{gradParam("a", []float64{3, 4})}, 5, false},
		{"norm over all parameters", []vm.Param{gradParam("a", []float64{1}), gradParam("b", []float64{2, -2})}, 3, false},
		{"float32", []vm.Param{gradParam("a", []float32{0, -5, 12})}, 13, false},
		{"none", nil, 0, false},
		{"no gradient", []vm.Param{{Name: "a"}}, 0, true},
		{"integer gradient", []vm.Param{gradParam("a", []int{1})}, 0, true},
	} {
		got, err := optim.GradNorm(tc.ps)
		if (err != nil) != tc.bad {
			t.Errorf("%s: error %v, want an error: %v", tc.name, err, tc.bad)
		}
		if !tc.bad && math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: norm %v, want %v", tc.name, got, tc.want)
		}
	}
}

// isStateful reports whether checkpoints find an optimizer state in opt (checkpoint.StatefulOf).
func isStateful(opt train.Optimizer) bool {
	_, ok := checkpoint.StatefulOf(opt)
	return ok
}

// recorder is an optimizer that keeps copies of the gradients it is given.
type recorder struct{ grads [][]float64 }

func (r *recorder) Step(ps []vm.Param) error {
	for _, p := range ps {
		r.grads = append(r.grads, append([]float64(nil), p.Grad.Float64s()...))
	}
	return nil
}

// TestMeter: the meter hands every update on unchanged, and Take reports the mean and the
// largest norm since the last take, with the sequence number of the largest.
func TestMeter(t *testing.T) {
	rec := &recorder{}
	m := optim.NewMeter(rec)
	opt := train.Optimizer(m)
	if isStateful(opt) {
		t.Error("a meter around a stateless optimizer claims a state")
	}
	for _, g := range [][]float64{{1, 0}, {3, 4}, {0, 2}} {
		if err := opt.Step([]vm.Param{gradParam("w", g)}); err != nil {
			t.Fatal(err)
		}
	}
	if want := [][]float64{{1, 0}, {3, 4}, {0, 2}}; len(rec.grads) != 3 || !slices.Equal(rec.grads[1], want[1]) {
		t.Errorf("the inner optimizer got %v, want %v", rec.grads, want)
	}
	// The three updates were those of sequences 101-103.
	mean, max, at, ok := m.Take(103)
	if !ok || math.Abs(mean-8.0/3) > 1e-12 || max != 5 || at != 102 {
		t.Errorf("take: mean %v, max %v at %d (%v); want 8/3, 5 at 102", mean, max, at, ok)
	}
	if _, _, _, ok := m.Take(103); ok {
		t.Error("a second take without updates reports some")
	}
	if err := opt.Step([]vm.Param{gradParam("w", []float64{0, 0})}); err != nil {
		t.Fatal(err)
	}
	if mean, max, at, ok := m.Take(104); !ok || mean != 0 || max != 0 || at != 104 {
		t.Errorf("after a zero gradient: mean %v, max %v at %d (%v); want 0, 0 at 104", mean, max, at, ok)
	}
	adam, err := optim.New("adam", 0.01, optim.Clip{})
	if err != nil {
		t.Fatal(err)
	}
	if !isStateful(optim.NewMeter(adam)) {
		t.Error("a meter around Adam hides its state from checkpoints")
	}
}

// TestHold: held parameters are not handed to the inner optimizer until Release; the others
// are, every step; Adam's state stays visible through the hold.
func TestHold(t *testing.T) {
	rec := &recorder{}
	h := optim.NewHold(rec, "b", "c", "b")
	if got := h.Held(); !slices.Equal(got, []string{"b", "c"}) {
		t.Errorf("Held() = %q, want [b c]", got)
	}
	h = optim.NewHold(rec, "b")
	opt := train.Optimizer(h)
	ps := []vm.Param{param("a", []float64{0}, []float64{1}), param("b", []float64{0}, []float64{2})}
	if err := opt.Step(ps); err != nil {
		t.Fatal(err)
	}
	h.Release()
	if got := h.Held(); len(got) != 0 {
		t.Errorf("Held() after Release = %q", got)
	}
	if err := opt.Step(ps); err != nil {
		t.Fatal(err)
	}
	if want := [][]float64{{1}, {1}, {2}}; len(rec.grads) != 3 || !slices.Equal(rec.grads[0], want[0]) || !slices.Equal(rec.grads[2], want[2]) {
		t.Errorf("the inner optimizer got %v, want %v (b only after Release)", rec.grads, want)
	}
	n := len(rec.grads)
	if err := optim.NewHold(rec, "B").Step(ps); err == nil || !strings.Contains(err.Error(), `held parameter "B" is not among the 2 parameters`) {
		t.Errorf("a misspelt held name: err = %v", err)
	}
	if len(rec.grads) != n {
		t.Error("a hold of a misspelt name handed the update on")
	}
	adam, err := optim.New("adam", 0.01, optim.Clip{})
	if err != nil {
		t.Fatal(err)
	}
	if !isStateful(optim.NewHold(optim.NewMeter(adam), "b")) {
		t.Error("a hold around Adam hides its state from checkpoints")
	}
	if isStateful(optim.NewHold(rec)) {
		t.Error("a hold around a stateless optimizer claims a state")
	}
}
