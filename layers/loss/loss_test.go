package loss_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/internal/gradcheck"
	"github.com/lstm97/lstm97/layers/loss"
)

// tol is the tolerance of the gradient checks: |graph − central difference| <= 1e-7 +
// 1e-6·|central difference|.
var tol = gradcheck.Tol{Abs: 1e-7, Rel: 1e-6}

// setup compiles the loss l of b and sets the inputs.
func setup(t *testing.T, b *graph.Builder, l *G.Node, inputs map[*G.Node][]float64) *vm.Program {
	t.Helper()
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	p, err := vm.Compile(b, l)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	for n, v := range inputs {
		if err := p.Set(n, v); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func grads(t *testing.T, p *vm.Program) map[string][]float64 {
	t.Helper()
	ps, err := p.Params()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float64{}
	for _, q := range ps {
		out[q.Name] = graph.Float64View(q.Grad)
	}
	return out
}

// TestMSE checks the loss against a hand computation and its gradients (prediction and
// target) against central differences, with a mask per value and a mask per row, weights 0, 1
// and 2.
func TestMSE(t *testing.T) {
	pred := []float64{0.5, -1, 2, 0.25, 1, 1}
	target := []float64{1, 1, 0, 0.75, 3, -1}
	for _, tc := range []struct {
		name  string
		mask  []float64
		width int
		want  float64
	}{
		// (0.25 + 4·1 + 4 + 0.25·0 + 4·2 + 4·1) / (1+1+1+0+2+1)
		{"mask per value", []float64{1, 1, 1, 0, 2, 1}, 2, (0.25 + 4 + 4 + 8 + 4) / 6},
		// rows 0 and 2 with weight 1 and 2: (0.25 + 4 + 2·(4 + 4)) / (2 + 2·2)
		{"mask per row", []float64{1, 0, 2}, 1, (0.25 + 4 + 16) / 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := graph.NewBuilder(graph.Config{})
			y := b.Param("y", []int{3, 2}, graph.Values(pred...))
			tg := b.Param("t", []int{3, 2}, graph.Values(target...))
			m := b.Input("mask", 3, tc.width)
			p := setup(t, b, loss.MSE(b, y, tg, m), map[*G.Node][]float64{m: tc.mask})
			if nonzero := gradcheck.Program(t, p, nil, tol, "y", "t").NonZero; nonzero < 8 {
				t.Errorf("only %d non-zero finite differences", nonzero)
			}
			got, err := p.Loss()
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tc.want) > 1e-15 {
				t.Errorf("MSE = %v, hand computation %v", got, tc.want)
			}
		})
	}
}

// TestSoftmaxCrossEntropy checks the gradient of the logits against central differences, with
// a row whose mask is 0 (and whose label is out of range: it must not be read) and a row of
// weight 2, and the loss against a hand computation.
func TestSoftmaxCrossEntropy(t *testing.T) {
	logits := []float64{0.3, -1.2, 2, 0.1, 1.5, 1.4, -0.5, 0, 0.7, 0.2, 0.2, -2, 3, 1, -1, 0.5}
	labels := []float64{2, 9, 0, 3}
	mask := []float64{1, 0, 2, 1}
	b := graph.NewBuilder(graph.Config{})
	z := b.Param("z", []int{4, 4}, graph.Values(logits...))
	lab, m := b.Input("labels", 4, 1), b.Input("mask", 4, 1)
	p := setup(t, b, loss.SoftmaxCrossEntropy(b, z, lab, m), map[*G.Node][]float64{lab: labels, m: mask})
	if nonzero := gradcheck.Program(t, p, nil, tol, "z").NonZero; nonzero != 12 {
		t.Errorf("%d non-zero finite differences, want 12 (the rows whose mask is not 0)", nonzero)
	}
	want, total := 0.0, 0.0
	for r := range 4 {
		if mask[r] == 0 {
			continue
		}
		s := 0.0
		for k := range 4 {
			s += math.Exp(logits[r*4+k])
		}
		want += mask[r] * (math.Log(s) - logits[r*4+int(labels[r])])
		total += mask[r]
	}
	want /= total
	got, err := p.Loss()
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > 1e-14 {
		t.Errorf("CE = %v, hand computation %v", got, want)
	}
}

// TestSoftmaxCrossEntropyByHand: exact values for a few rows, large logits, and an empty
// mask.
func TestSoftmaxCrossEntropyByHand(t *testing.T) {
	e := math.E
	for _, tc := range []struct {
		name           string
		logits, labels []float64
		mask           []float64
		want           float64
		wantGrad       []float64
	}{
		{"logits 1 2 3, label 2", []float64{1, 2, 3}, []float64{2}, []float64{1}, math.Log(e+e*e+e*e*e) - 3,
			[]float64{e / (e + e*e + e*e*e), e * e / (e + e*e + e*e*e), e*e*e/(e+e*e+e*e*e) - 1}},
		{"logits of 1000, label 1", []float64{1000, 0, -1000}, []float64{1}, []float64{1}, 1000, []float64{1, -1, 0}},
		{"logits of 1000, label 0", []float64{1000, 1000, -1000}, []float64{0}, []float64{1}, math.Ln2, []float64{-0.5, 0.5, 0}},
		{"two rows, mean", []float64{0, 0, 0, 5, 5, 5}, []float64{1, 2}, []float64{1, 1}, math.Log(3),
			[]float64{1. / 6, -1. / 3, 1. / 6, 1. / 6, 1. / 6, -1. / 3}},
		{"mask all 0", []float64{1, 2, 3}, []float64{7}, []float64{0}, 0, []float64{0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := len(tc.labels)
			b := graph.NewBuilder(graph.Config{})
			z := b.Param("z", []int{rows, len(tc.logits) / rows}, graph.Values(tc.logits...))
			lab, m := b.Input("labels", rows, 1), b.Input("mask", rows, 1)
			p := setup(t, b, loss.SoftmaxCrossEntropy(b, z, lab, m), map[*G.Node][]float64{lab: tc.labels, m: tc.mask})
			if err := p.Run(); err != nil {
				t.Fatal(err)
			}
			got, err := p.Loss()
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tc.want) > 1e-12*math.Max(1, tc.want) {
				t.Errorf("CE = %v, want %v", got, tc.want)
			}
			for i, g := range grads(t, p)["z"] {
				if math.Abs(g-tc.wantGrad[i]) > 1e-15 {
					t.Errorf("∂CE/∂z[%d] = %v, want %v", i, g, tc.wantGrad[i])
				}
			}
		})
	}
}

// TestMSEMaskAllZero: an all-0 mask gives 0 and zero gradients, not NaN.
func TestMSEMaskAllZero(t *testing.T) {
	b := graph.NewBuilder(graph.Config{})
	y := b.Param("y", []int{2, 2}, graph.Values(1, 2, 3, 4))
	tg, m := b.Input("t", 2, 2), b.Input("mask", 2, 1)
	p := setup(t, b, loss.MSE(b, y, tg, m), map[*G.Node][]float64{tg: {0, 0, 0, 0}, m: {0, 0}})
	if err := p.Run(); err != nil {
		t.Fatal(err)
	}
	got, err := p.Loss()
	if err != nil {
		t.Fatal(err)
	}
	if got != 0 {
		t.Errorf("MSE = %v, want 0", got)
	}
	if g := grads(t, p)["y"]; !slices.Equal(g, []float64{0, 0, 0, 0}) {
		t.Errorf("∂MSE/∂y = %v, want 0", g)
	}
}

// TestRunErrors: bad labels and mask values fail the run with an error naming the row.
func TestRunErrors(t *testing.T) {
	for _, tc := range []struct {
		name         string
		mse          bool
		labels, mask []float64
		want         string
	}{
		{"label too large", false, []float64{0, 1, 3}, []float64{1, 1, 1}, "row 2 has label 3, want an integer in [0, 3)"},
		{"label negative", false, []float64{-1, 1, 0}, []float64{1, 1, 1}, "row 0 has label -1"},
		{"label a fraction", false, []float64{0, 0.5, 0}, []float64{1, 1, 1}, "row 1 has label 0.5"},
		{"mask negative", false, []float64{0, 0, 0}, []float64{1, -1, 1}, "row 1: mask value -1, want >= 0"},
		{"mse: mask negative", true, nil, []float64{1, 1, -2}, "row 2: mask value -2, want >= 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := graph.NewBuilder(graph.Config{})
			z := b.Param("z", []int{3, 3}, graph.Uniform(1))
			lab, m := b.Input("labels", 3, 1), b.Input("mask", 3, 1)
			in := map[*G.Node][]float64{m: tc.mask}
			var l *G.Node
			if tc.mse {
				tg := b.Input("t", 3, 3)
				l = loss.MSE(b, z, tg, m)
				in[tg] = make([]float64, 9)
			} else {
				l = loss.SoftmaxCrossEntropy(b, z, lab, m)
				in[lab] = tc.labels
			}
			p := setup(t, b, l, in)
			if err := p.Run(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run: error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// TestFloat32 computes both losses and their gradients in float32 and float64.
func TestFloat32(t *testing.T) {
	var got [2][]float64
	for i, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		b := graph.NewBuilder(graph.Config{Dtype: dt, Seed: 3})
		z := b.Param("z", []int{4, 3}, graph.Uniform(3))
		lab, m, tg := b.Input("labels", 4, 1), b.Input("mask", 4, 1), b.Input("t", 4, 3)
		l := b.Add(loss.SoftmaxCrossEntropy(b, z, lab, m), loss.MSE(b, z, tg, m))
		p := setup(t, b, l, map[*G.Node][]float64{lab: {2, 0, 1, 1}, m: {1, 1, 0, 1}, tg: {1, 0, 0, 0, 1, 0, 0, 0, 1, 0.5, 0.5, 0}})
		if err := p.Run(); err != nil {
			t.Fatal(err)
		}
		v, err := p.Loss()
		if err != nil {
			t.Fatal(err)
		}
		got[i] = append([]float64{v}, grads(t, p)["z"]...)
	}
	for j := range got[0] {
		if math.Abs(got[0][j]-got[1][j]) > 1e-5*math.Max(1, math.Abs(got[0][j])) {
			t.Errorf("value %d (0 is the loss): float64 %v, float32 %v", j, got[0][j], got[1][j])
		}
	}
}

// TestMisuse: malformed calls record an error naming the nodes and their shapes.
func TestMisuse(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func(b *graph.Builder) *G.Node
		want string
	}{
		{"ce: labels of width 2", func(b *graph.Builder) *G.Node {
			return loss.SoftmaxCrossEntropy(b, b.Input("z", 4, 3), b.Input("labels", 4, 2), b.Input("mask", 4, 1))
		}, `softmax cross-entropy: labels "labels" has shape (4, 2), want [4, 1] (logits "z" (4, 3))`},
		{"ce: mask rows differ", func(b *graph.Builder) *G.Node {
			return loss.SoftmaxCrossEntropy(b, b.Input("z", 4, 3), b.Input("labels", 4, 1), b.Input("mask", 3, 1))
		}, `mask "mask" has shape (3, 1), want [4, 1]`},
		{"ce: vector logits", func(b *graph.Builder) *G.Node {
			return loss.SoftmaxCrossEntropy(b, b.Input("z", 4), b.Input("labels", 4, 1), b.Input("mask", 4, 1))
		}, `logits "z" has shape (4), want a matrix`},
		{"ce: nil labels", func(b *graph.Builder) *G.Node {
			return loss.SoftmaxCrossEntropy(b, b.Input("z", 4, 3), nil, b.Input("mask", 4, 1))
		}, `softmax cross-entropy: nil labels`},
		{"ce: float32 logits in a float64 graph", func(b *graph.Builder) *G.Node {
			z := G.NewMatrix(b.Graph(), tensor.Float32, G.WithShape(4, 3), G.WithName("z32"))
			return loss.SoftmaxCrossEntropy(b, z, b.Input("labels", 4, 1), b.Input("mask", 4, 1))
		}, `labels "labels" is float64, logits "z32" is float32`},
		{"ce: node of another graph", func(b *graph.Builder) *G.Node {
			other := graph.NewBuilder(graph.Config{})
			return loss.SoftmaxCrossEntropy(b, other.Input("z", 4, 3), b.Input("labels", 4, 1), b.Input("mask", 4, 1))
		}, `logits "z" belongs to another graph`},
		{"mse: shapes differ", func(b *graph.Builder) *G.Node {
			return loss.MSE(b, b.Input("y", 4, 3), b.Input("t", 4, 2), b.Input("mask", 4, 1))
		}, `mse: prediction "y" (4, 3) and target "t" (4, 2) differ in shape`},
		{"mse: mask width", func(b *graph.Builder) *G.Node {
			return loss.MSE(b, b.Input("y", 4, 3), b.Input("t", 4, 3), b.Input("mask", 4, 2))
		}, `mse: mask "mask" has shape (4, 2), want [4, 3] or [4, 1] (prediction "y")`},
		{"mse: nil mask", func(b *graph.Builder) *G.Node {
			return loss.MSE(b, b.Input("y", 4, 3), b.Input("t", 4, 3), nil)
		}, `mse: nil mask`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := graph.NewBuilder(graph.Config{})
			n := tc.call(b)
			if n != nil || b.Err() == nil || !strings.Contains(b.Err().Error(), tc.want) {
				t.Errorf("node %v, error %v; want an error saying %q", n, b.Err(), tc.want)
			}
		})
	}
	if loss.MSE(nil, nil, nil, nil) != nil || loss.SoftmaxCrossEntropy(nil, nil, nil, nil) != nil {
		t.Error("a nil builder gave a node")
	}
}
