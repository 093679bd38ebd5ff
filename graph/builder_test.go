package graph_test

import (
	"errors"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
)

func TestDuplicateNamesAreErrors(t *testing.T) {
	for name, build := range map[string]func(b *graph.Builder){
		"param twice": func(b *graph.Builder) {
			b.Param("w", []int{2}, graph.Uniform(1))
			b.Param("w", []int{2}, graph.Uniform(1))
		},
		"input twice": func(b *graph.Builder) {
			b.Input("x", 1, 2)
			b.Input("x", 1, 2)
		},
		"param and input": func(b *graph.Builder) {
			b.Scope("a").Param("x", []int{2}, graph.Uniform(1))
			b.Scope("a").Input("x", 1, 2)
		},
	} {
		b := graph.NewBuilder(graph.Config{})
		build(b)
		if err := b.Err(); !errors.Is(err, graph.ErrDuplicateName) {
			t.Errorf("%s: err = %v, want ErrDuplicateName", name, err)
		}
	}
	b := graph.NewBuilder(graph.Config{})
	b.Scope("a").Param("w", []int{2}, graph.Uniform(1))
	b.Scope("b").Param("w", []int{2}, graph.Uniform(1))
	if err := b.Err(); err != nil {
		t.Errorf("same local name in two scopes: %v", err)
	}
	if got := b.ParamSet().Names(); strings.Join(got, ",") != "a/w,b/w" {
		t.Errorf("names = %v", got)
	}
}

func TestBadNamesAndShapes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(b *graph.Builder)
		want  string
	}{
		{"empty name", func(b *graph.Builder) { b.Input("", 1) }, "empty name"},
		{"empty path segment", func(b *graph.Builder) { b.Input("a//b", 1) }, "empty name"},
		{"slash in scope", func(b *graph.Builder) { b.Scope("a/b") }, "without '/'"},
		{"scope with space", func(b *graph.Builder) { b.Scope("a b") }, "name \"a b\""},
		{"zero size", func(b *graph.Builder) { b.Input("x", 0, 2) }, "sizes must be > 0"},
		{"negative size", func(b *graph.Builder) { b.Param("w", []int{-1}, graph.Uniform(1)) }, "sizes must be > 0"},
		{"3-d", func(b *graph.Builder) { b.Input("x", 1, 2, 3) }, "1 or 2 dimensions"},
		{"bad init count", func(b *graph.Builder) { b.Param("w", []int{3}, graph.Values(1, 2)) }, "got 2 values for 3"},
		{"NaN range", func(b *graph.Builder) { b.Param("w", []int{3}, graph.Uniform(nan())) }, "range must be finite"},
		{"nil init", func(b *graph.Builder) { b.Param("w", []int{3}, nil) }, "nil initialiser"},
		{"shape mismatch", func(b *graph.Builder) {
			b.MatMul(b.Input("x", 1, 2), b.Param("w", []int{3, 1}, graph.Uniform(1)))
		}, "matmul of \"x\"(1, 2), \"w\"(3, 1)"},
		{"nil operand", func(b *graph.Builder) { b.Sigmoid(nil) }, "operand 0 is nil"},
	} {
		b := graph.NewBuilder(graph.Config{})
		tc.build(b)
		if err := b.Err(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
}

func TestStickyErrorKeepsFirst(t *testing.T) {
	b := graph.NewBuilder(graph.Config{})
	b.Input("", 1)
	x := b.Input("x", 1, 2)
	if x != nil {
		t.Error("a builder with an error still creates nodes")
	}
	if err := b.Err(); err == nil || !strings.Contains(err.Error(), "empty name") {
		t.Errorf("err = %v, want the first error", err)
	}
}

func TestSeededInitIsBitIdentical(t *testing.T) {
	draw := func(seed int64) []float64 {
		b := graph.NewBuilder(graph.Config{Seed: seed})
		b.Param("w", []int{4, 5}, graph.Uniform(0.1))
		v, err := b.ParamSet().Float64s("w")
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	a, b, c := draw(7), draw(7), draw(8)
	same := true
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, value %d differs: %v vs %v", i, a[i], b[i])
		}
		if a[i] != c[i] {
			same = false
		}
		if a[i] < -0.1 || a[i] > 0.1 {
			t.Errorf("value %v outside [-0.1, 0.1]", a[i])
		}
	}
	if same {
		t.Error("different seeds gave identical weights")
	}
}

func TestParamSetReuseChecksShape(t *testing.T) {
	ps := graph.NewParamSet()
	b := graph.NewBuilder(graph.Config{Params: ps})
	b.Param("w", []int{2, 3}, graph.Uniform(1))
	b2 := graph.NewBuilder(graph.Config{Params: ps})
	b2.Param("w", []int{3, 2}, graph.Uniform(1))
	if err := b2.Err(); err == nil || !strings.Contains(err.Error(), "has shape (2, 3) in the ParamSet") {
		t.Errorf("err = %v", err)
	}
	b3 := graph.NewBuilder(graph.Config{Params: ps, Dtype: tensor.Float32})
	b3.Param("w", []int{2, 3}, graph.Uniform(1))
	if err := b3.Err(); err == nil || !strings.Contains(err.Error(), "float64 in the ParamSet") {
		t.Errorf("dtype err = %v", err)
	}
}

func TestOverrideInit(t *testing.T) {
	b := graph.NewBuilder(graph.Config{})
	b.Param("b", []int{4}, graph.Override(graph.Uniform(0.1), map[int]float64{1: -3, 3: -6}))
	v, _ := b.ParamSet().Float64s("b")
	if v[1] != -3 || v[3] != -6 || v[0] < -0.1 || v[0] > 0.1 {
		t.Errorf("values = %v", v)
	}
	b.Param("c", []int{2}, graph.Override(graph.Uniform(0.1), map[int]float64{2: 1}))
	if err := b.Err(); err == nil || !strings.Contains(err.Error(), "index 2 out of range") {
		t.Errorf("err = %v", err)
	}
}

func nan() float64 { z := 0.0; return z / z }

// TestFreeze: a frozen builder adds no nodes and cannot be frozen again; the first call of
// release unfreezes it, a second call does nothing (it must not unfreeze a later freeze).
func TestFreeze(t *testing.T) {
	b := graph.NewBuilder(graph.Config{})
	if _, ok := b.Freeze(); !ok {
		t.Fatal("first Freeze failed")
	}
	if _, ok := b.Freeze(); ok {
		t.Error("second Freeze of a frozen builder succeeded")
	}
	if n := b.Scope("s").Input("x", 1, 2); n != nil || b.Err() == nil || !strings.Contains(b.Err().Error(), `add "s/x": the graph is compiled`) {
		t.Errorf("input on a frozen builder: node %v, err %v", n, b.Err())
	}
	b = graph.NewBuilder(graph.Config{})
	release, _ := b.Freeze()
	release()
	again, ok := b.Freeze()
	if !ok {
		t.Fatal("Freeze after release failed")
	}
	release() // must not unfreeze the second freeze
	if _, ok := b.Freeze(); ok {
		t.Error("a stale release unfroze the builder")
	}
	again()
	if b.Input("y", 1, 2) == nil || b.Err() != nil {
		t.Errorf("input after release: %v", b.Err())
	}
	var zero graph.Builder
	if rel, ok := zero.Freeze(); ok || rel != nil {
		t.Error("zero Builder froze")
	}
}

// TestThreads: Config.Threads reaches the fused ops through Builder.Threads; a negative
// value is an error.
func TestThreads(t *testing.T) {
	for _, tc := range []struct {
		threads int
		err     string
	}{{0, ""}, {1, ""}, {4, ""}, {-1, "Threads is -1"}} {
		b := graph.NewBuilder(graph.Config{Threads: tc.threads})
		switch err := b.Err(); {
		case tc.err == "" && err != nil:
			t.Errorf("Threads %d: %v", tc.threads, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("Threads %d: error %v, want one with %q", tc.threads, err, tc.err)
		case tc.err == "" && b.Threads() != tc.threads:
			t.Errorf("Threads %d: Builder.Threads() = %d", tc.threads, b.Threads())
		}
	}
	var nilB *graph.Builder
	if nilB.Threads() != 0 {
		t.Error("a nil Builder's Threads is not 0")
	}
}
