package dense_test

import (
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/internal/gradcheck"
	"github.com/lstm97/lstm97/layers/dense"
)

// tol is the tolerance of the gradient checks: |graph − central difference| <= 1e-7 +
// 1e-6·|central difference|.
var tol = gradcheck.Tol{Abs: 1e-7, Rel: 1e-6}

// weighted returns Σ y ⊙ R for a fixed random R of y's shape: a loss whose gradient with
// respect to y is R, so every output value matters with its own weight.
func weighted(b *graph.Builder, y *G.Node, name string, seed int64) *G.Node {
	if y == nil {
		return nil
	}
	rng := rand.New(rand.NewSource(seed))
	r := make([]float64, y.Shape().TotalSize())
	for i := range r {
		r[i] = rng.NormFloat64()
	}
	return b.Sum(b.Mul(y, b.Fixed(name, y.Shape(), r)))
}

func compile(t *testing.T, b *graph.Builder, loss *G.Node, opts ...vm.CompileOption) *vm.Program {
	t.Helper()
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	p, err := vm.Compile(b, loss, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func values(t *testing.T, p *vm.Program, n *G.Node) []float64 {
	t.Helper()
	v, err := p.Value(n)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// reference computes act(x·W + b) in plain loops, independently of the op.
func reference(x, w, bias []float64, rows, in, out int, act dense.Activation) []float64 {
	y := make([]float64, rows*out)
	for n := 0; n < rows; n++ {
		for k := 0; k < out; k++ {
			v := 0.0
			if bias != nil {
				v = bias[k]
			}
			for i := 0; i < in; i++ {
				v += x[n*in+i] * w[i*out+k]
			}
			switch act {
			case dense.Sigmoid:
				v = 1 / (1 + math.Exp(-v))
			case dense.Tanh:
				v = math.Tanh(v)
			case dense.ReLU:
				v = math.Max(v, 0)
			}
			y[n*out+k] = v
		}
	}
	return y
}

// TestDenseGradient checks, for every activation, with and without bias and with x a
// parameter or a graph input, the layer's output against a plain-loop reference and the
// gradients of W, b and x against central differences.
func TestDenseGradient(t *testing.T) {
	const rows, in, out = 4, 3, 5
	for _, tc := range []struct {
		name    string
		act     dense.Activation
		noBias  bool
		xInput  bool
		zeroRow bool // a row of x is 0 (the op skips zero inputs)
	}{
		{"identity", dense.Identity, false, false, false},
		{"sigmoid", dense.Sigmoid, false, false, false},
		{"tanh", dense.Tanh, false, false, true},
		{"relu", dense.ReLU, false, false, false},
		{"relu without bias", dense.ReLU, true, false, false},
		{"sigmoid, x an input", dense.Sigmoid, false, true, true},
		{"identity without bias, x an input", dense.Identity, true, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := graph.NewBuilder(graph.Config{Seed: 5})
			xv := make([]float64, rows*in)
			rng := rand.New(rand.NewSource(9))
			for i := range xv {
				xv[i] = 2*rng.Float64() - 1
			}
			if tc.zeroRow {
				clear(xv[in : 2*in])
			}
			var x *G.Node
			if tc.xInput {
				x = b.Input("x", rows, in)
			} else {
				x = b.Param("x", []int{rows, in}, graph.Values(xv...))
			}
			d, err := dense.New(b, dense.Config{Name: "head", In: in, Out: out, Activation: tc.act, NoBias: tc.noBias, InitRange: 1})
			if err != nil {
				t.Fatal(err)
			}
			y := d.Apply(x)
			p := compile(t, b, weighted(b, y, "r", 3), vm.Watch(y))
			if tc.xInput {
				if err := p.Set(x, xv); err != nil {
					t.Fatal(err)
				}
			}
			check := []string{"head/w", "head/b", "x"}
			nonzero := gradcheck.Program(t, p, nil, tol, check...).NonZero
			want := in * out
			if !tc.noBias {
				want += out
			}
			if !tc.xInput {
				want += rows * in
			}
			if nonzero < want*2/3 {
				t.Errorf("only %d of %d finite differences are non-zero: the check is too weak", nonzero, want)
			}

			ps := b.ParamSet()
			wv, _ := ps.Float64s("head/w")
			var bv []float64
			if !tc.noBias {
				bv, _ = ps.Float64s("head/b")
			}
			got, ref := values(t, p, y), reference(xv, wv, bv, rows, in, out, tc.act)
			for i := range ref {
				if math.Abs(got[i]-ref[i]) > 1e-14 {
					t.Errorf("y[%d] = %v, reference %v", i, got[i], ref[i])
				}
			}
			if names := d.Params(); len(names) != 2-btoi(tc.noBias) || names[0].Name() != "head/w" {
				t.Errorf("Params() = %v", names)
			}
		})
	}
}

func btoi(v bool) int {
	if v {
		return 1
	}
	return 0
}

// TestEmbeddingGradient checks the lookup against the table's rows and the scatter-added
// gradient of the table (indices repeat; one row is never read) against central differences.
func TestEmbeddingGradient(t *testing.T) {
	const vocab, dim = 5, 3
	idx := []float64{2, 0, 2, 3, 1, 2}
	b := graph.NewBuilder(graph.Config{Seed: 8})
	in := b.Input("sym", len(idx), 1)
	e, err := dense.NewEmbedding(b, dense.EmbeddingConfig{Name: "emb", Vocab: vocab, Dim: dim, InitRange: 1})
	if err != nil {
		t.Fatal(err)
	}
	y := e.Apply(in, 2)
	p := compile(t, b, weighted(b, y, "r", 4), vm.Watch(y))
	if err := p.Set(in, idx); err != nil {
		t.Fatal(err)
	}
	if nonzero := gradcheck.Program(t, p, nil, tol, "emb/table").NonZero; nonzero != 4*dim { // row 4 is never read
		t.Errorf("%d non-zero finite differences, want %d", nonzero, 4*dim)
	}
	table, _ := b.ParamSet().Float64s("emb/table")
	got := values(t, p, y)
	for r, s := range idx {
		for k := 0; k < dim; k++ {
			if got[r*dim+k] != table[int(s)*dim+k] {
				t.Errorf("row %d, column %d: %v, table[%v] has %v", r, k, got[r*dim+k], s, table[int(s)*dim+k])
			}
		}
	}
	ps, err := p.Params()
	if err != nil {
		t.Fatal(err)
	}
	for k, g := range ps[0].Grad.Data().([]float64)[4*dim:] {
		if g != 0 {
			t.Errorf("gradient of the unread row 4, column %d: %v, want 0", k, g)
		}
	}
}

// TestEmbeddingBadIndex: an index that is not an integer in [0, Vocab) fails the run with an
// error naming the row (and its step and sequence when the batch is known).
func TestEmbeddingBadIndex(t *testing.T) {
	for _, tc := range []struct {
		name  string
		batch int
		idx   []float64
		want  string
	}{
		{"too large", 2, []float64{0, 1, 4, 0}, "row 2 (step 1, sequence 0) has index 4, want an integer in [0, 4)"},
		{"negative", 2, []float64{0, 1, 0, -1}, "row 3 (step 1, sequence 1) has index -1"},
		{"fraction", 0, []float64{0, 1.5, 0, 0}, "row 1 has index 1.5, want an integer in [0, 4)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := graph.NewBuilder(graph.Config{})
			in := b.Input("sym", 4, 1)
			e, err := dense.NewEmbedding(b, dense.EmbeddingConfig{Vocab: 4, Dim: 2})
			if err != nil {
				t.Fatal(err)
			}
			p := compile(t, b, b.Sum(e.Apply(in, tc.batch)))
			if err := p.Set(in, tc.idx); err != nil {
				t.Fatal(err)
			}
			if err := p.Run(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run: error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// TestDropoutGradient checks the gradient of x through dropout with the mask held fixed (the
// random source re-seeded before every run) against central differences, and that every output
// value is 0 or x/(1-p).
func TestDropoutGradient(t *testing.T) {
	const rows, n, p = 4, 5, 0.4
	b := graph.NewBuilder(graph.Config{Seed: 2})
	x := b.Param("x", []int{rows, n}, graph.Uniform(1))
	rng := rand.New(rand.NewSource(7))
	y := dense.Dropout(b, x, p, rng)
	prog := compile(t, b, weighted(b, y, "r", 6), vm.Watch(y))
	nonzero := gradcheck.Program(t, prog, func() { rng.Seed(7) }, tol, "x").NonZero
	xv, _ := b.ParamSet().Float64s("x")
	dropped := 0
	for i, v := range values(t, prog, y) {
		switch {
		case v == 0:
			dropped++
		case math.Abs(v-xv[i]/(1-p)) > 1e-15:
			t.Errorf("y[%d] = %v, want 0 or %v", i, v, xv[i]/(1-p))
		}
	}
	if dropped == 0 || dropped == rows*n || nonzero != rows*n-dropped {
		t.Errorf("%d of %d dropped, %d non-zero finite differences: want some dropped, the others non-zero", dropped, rows*n, nonzero)
	}
}

// TestDropoutMasks: the same seed gives the same masks run after run in two graphs, a new mask
// is drawn on every run, the dropped fraction is close to p, and an evaluation builder or
// p = 0 gives x itself.
func TestDropoutMasks(t *testing.T) {
	const rows, n, p, runs = 50, 40, 0.3, 3
	masks := func() [][]float64 {
		b := graph.NewBuilder(graph.Config{Seed: 1})
		x := b.Param("x", []int{rows, n}, graph.Uniform(1))
		y := dense.Dropout(b, x, p, rand.New(rand.NewSource(42)))
		prog := compile(t, b, b.Sum(y), vm.Watch(y))
		var out [][]float64
		for range runs {
			if err := prog.Run(); err != nil {
				t.Fatal(err)
			}
			out = append(out, values(t, prog, y))
		}
		return out
	}
	a, c := masks(), masks()
	for r := range runs {
		if !slices.Equal(a[r], c[r]) {
			t.Errorf("run %d: two graphs with the same seed drew different masks", r)
		}
		if r > 0 && slices.Equal(a[r], a[r-1]) {
			t.Errorf("run %d drew the mask of run %d", r, r-1)
		}
		dropped := 0
		for _, v := range a[r] {
			if v == 0 {
				dropped++
			}
		}
		if f := float64(dropped) / (rows * n); math.Abs(f-p) > 0.05 {
			t.Errorf("run %d: dropped fraction %.3f, want about %v", r, f, p)
		}
	}
	for _, tc := range []struct {
		name string
		eval bool
		p    float64
	}{{"evaluation", true, 0.5}, {"p = 0", false, 0}} {
		b := graph.NewBuilder(graph.Config{Eval: tc.eval})
		x := b.Input("x", 2, 2)
		if y := dense.Dropout(b, x, tc.p, rand.New(rand.NewSource(1))); y != x || b.Err() != nil {
			t.Errorf("%s: Dropout gave %v (error %v), want x itself", tc.name, y, b.Err())
		}
	}
}

// TestFloat32 builds embedding → dense (tanh) → dropout → dense in float32 and in float64 from
// the same parameters and compares outputs and gradients.
func TestFloat32(t *testing.T) {
	idx := []float64{1, 0, 3, 2, 1, 1}
	var outs [2][]float64
	var grads [2][][]float64
	for i, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		b := graph.NewBuilder(graph.Config{Seed: 4, Dtype: dt})
		in := b.Input("sym", len(idx), 1)
		e, err := dense.NewEmbedding(b, dense.EmbeddingConfig{Vocab: 4, Dim: 3, InitRange: 1})
		if err != nil {
			t.Fatal(err)
		}
		h, err := dense.New(b, dense.Config{Name: "hidden", In: 3, Out: 4, Activation: dense.Tanh})
		if err != nil {
			t.Fatal(err)
		}
		o, err := dense.New(b, dense.Config{Name: "out", In: 4, Out: 2, Activation: dense.Sigmoid})
		if err != nil {
			t.Fatal(err)
		}
		y := o.Apply(dense.Dropout(b, h.Apply(e.Apply(in, 0)), 0.25, rand.New(rand.NewSource(3))))
		p := compile(t, b, b.Sum(b.Square(y)), vm.Watch(y))
		if err := p.Set(in, idx); err != nil {
			t.Fatal(err)
		}
		if err := p.Run(); err != nil {
			t.Fatal(err)
		}
		outs[i] = values(t, p, y)
		ps, err := p.Params()
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range ps {
			grads[i] = append(grads[i], graph.Float64View(q.Grad))
		}
	}
	for j := range outs[0] {
		if math.Abs(outs[0][j]-outs[1][j]) > 1e-6 {
			t.Errorf("output %d: float64 %v, float32 %v", j, outs[0][j], outs[1][j])
		}
	}
	for k := range grads[0] {
		for j := range grads[0][k] {
			if math.Abs(grads[0][k][j]-grads[1][k][j]) > 1e-5 {
				t.Errorf("gradient %d[%d]: float64 %v, float32 %v", k, j, grads[0][k][j], grads[1][k][j])
			}
		}
	}
}

// TestTapeMachine runs the three layers on gorgonia's TapeMachine and on the executor: same
// loss, same gradients.
func TestTapeMachine(t *testing.T) {
	idx := []float64{3, 0, 1, 1}
	var got [2][]float64
	for i, opts := range [][]vm.CompileOption{nil, {vm.UseTapeMachine()}} {
		b := graph.NewBuilder(graph.Config{Seed: 6})
		in := b.Input("sym", len(idx), 1)
		e, err := dense.NewEmbedding(b, dense.EmbeddingConfig{Vocab: 4, Dim: 3})
		if err != nil {
			t.Fatal(err)
		}
		d, err := dense.New(b, dense.Config{In: 3, Out: 2, Activation: dense.ReLU, InitRange: 1})
		if err != nil {
			t.Fatal(err)
		}
		y := d.Apply(dense.Dropout(b, e.Apply(in, 0), 0.5, rand.New(rand.NewSource(1))))
		p := compile(t, b, weighted(b, y, "r", 2), opts...)
		if err := p.Set(in, idx); err != nil {
			t.Fatal(err)
		}
		if err := p.Run(); err != nil {
			t.Fatal(err)
		}
		l, err := p.Loss()
		if err != nil {
			t.Fatal(err)
		}
		got[i] = append(got[i], l)
		ps, err := p.Params()
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range ps {
			got[i] = append(got[i], q.Grad.Data().([]float64)...)
		}
	}
	if len(got[0]) != len(got[1]) {
		t.Fatalf("executor %d values, TapeMachine %d", len(got[0]), len(got[1]))
	}
	nonzero := 0
	for j := range got[0] {
		if math.Abs(got[0][j]-got[1][j]) > 1e-12 {
			t.Errorf("value %d (0 is the loss): executor %v, TapeMachine %v", j, got[0][j], got[1][j])
		}
		if got[0][j] != 0 {
			nonzero++
		}
	}
	if nonzero < len(got[0])/3 {
		t.Errorf("only %d of %d values are non-zero", nonzero, len(got[0]))
	}
}

// TestMisuse: malformed configurations and calls give an error saying what is wrong.
func TestMisuse(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func(b *graph.Builder) error
		want string
	}{
		{"dense: In 0", func(b *graph.Builder) error { _, err := dense.New(b, dense.Config{Out: 2}); return err }, `layer "dense": In must be > 0, got 0`},
		{"dense: Out 0", func(b *graph.Builder) error { _, err := dense.New(b, dense.Config{In: 2}); return err }, `layer "dense": Out must be > 0, got 0`},
		{"dense: bad activation", func(b *graph.Builder) error {
			_, err := dense.New(b, dense.Config{In: 2, Out: 2, Activation: 9})
			return err
		}, `unknown activation Activation(9)`},
		{"dense: negative InitRange", func(b *graph.Builder) error {
			_, err := dense.New(b, dense.Config{In: 2, Out: 2, InitRange: -1})
			return err
		}, `InitRange must be finite and > 0, got -1`},
		{"dense: nil builder", func(*graph.Builder) error { _, err := dense.New(nil, dense.Config{In: 1, Out: 1}); return err }, `nil builder`},
		{"dense: duplicate name", func(b *graph.Builder) error {
			if _, err := dense.New(b, dense.Config{In: 2, Out: 2}); err != nil {
				return err
			}
			_, err := dense.New(b, dense.Config{In: 2, Out: 2})
			return err
		}, `"dense/w": graph: duplicate name`},
		{"dense: wrong input width", func(b *graph.Builder) error {
			d, err := dense.New(b, dense.Config{Name: "h", In: 2, Out: 2})
			if err != nil {
				return err
			}
			d.Apply(b.Input("x", 3, 4))
			return b.Err()
		}, `layer "h": input "x" has shape (3, 4), want [rows, 2]`},
		{"dense: nil input", func(b *graph.Builder) error {
			d, err := dense.New(b, dense.Config{In: 2, Out: 2})
			if err != nil {
				return err
			}
			d.Apply(nil)
			return b.Err()
		}, `layer "dense": nil input`},
		{"dense: float32 input in a float64 graph", func(b *graph.Builder) error {
			d, err := dense.New(b, dense.Config{In: 2, Out: 2})
			if err != nil {
				return err
			}
			d.Apply(G.NewMatrix(b.Graph(), tensor.Float32, G.WithShape(3, 2), G.WithName("x32")))
			return b.Err()
		}, `layer "dense": input "x32" is float32, the weights are float64`},
		{"embedding: Vocab 0", func(b *graph.Builder) error {
			_, err := dense.NewEmbedding(b, dense.EmbeddingConfig{Dim: 2})
			return err
		}, `embedding "embedding": Vocab must be > 0, got 0`},
		{"embedding: Dim 0", func(b *graph.Builder) error {
			_, err := dense.NewEmbedding(b, dense.EmbeddingConfig{Vocab: 2})
			return err
		}, `Dim must be > 0, got 0`},
		{"embedding: index not an input", func(b *graph.Builder) error {
			e, err := dense.NewEmbedding(b, dense.EmbeddingConfig{Vocab: 3, Dim: 2})
			if err != nil {
				return err
			}
			e.Apply(b.Param("p", []int{4, 1}, graph.Uniform(1)), 0)
			return b.Err()
		}, `index input "p" must be a graph input`},
		{"embedding: index of width 2", func(b *graph.Builder) error {
			e, err := dense.NewEmbedding(b, dense.EmbeddingConfig{Vocab: 3, Dim: 2})
			if err != nil {
				return err
			}
			e.Apply(b.Input("sym", 4, 2), 0)
			return b.Err()
		}, `index input "sym" has shape (4, 2), want [rows, 1]`},
		{"embedding: batch does not divide rows", func(b *graph.Builder) error {
			e, err := dense.NewEmbedding(b, dense.EmbeddingConfig{Vocab: 3, Dim: 2})
			if err != nil {
				return err
			}
			e.Apply(b.Input("sym", 5, 1), 2)
			return b.Err()
		}, `batch 2 does not divide the 5 rows of "sym"`},
		{"dropout: p 1", func(b *graph.Builder) error {
			dense.Dropout(b, b.Input("x", 2, 2), 1, rand.New(rand.NewSource(1)))
			return b.Err()
		}, `dropout of "x": p must be in [0, 1), got 1`},
		{"dropout: p negative", func(b *graph.Builder) error {
			dense.Dropout(b, b.Input("x", 2, 2), -0.1, rand.New(rand.NewSource(1)))
			return b.Err()
		}, `p must be in [0, 1), got -0.1`},
		{"dropout: p NaN", func(b *graph.Builder) error {
			dense.Dropout(b, b.Input("x", 2, 2), math.NaN(), rand.New(rand.NewSource(1)))
			return b.Err()
		}, `p must be in [0, 1), got NaN`},
		{"dropout: nil rng", func(b *graph.Builder) error {
			dense.Dropout(b, b.Input("x", 2, 2), 0.5, nil)
			return b.Err()
		}, `dropout of "x": nil random source`},
		{"dropout: nil input", func(b *graph.Builder) error {
			dense.Dropout(b, nil, 0.5, rand.New(rand.NewSource(1)))
			return b.Err()
		}, `dropout: nil input`},
		{"dropout: vector", func(b *graph.Builder) error {
			dense.Dropout(b, b.Input("v", 3), 0.5, rand.New(rand.NewSource(1)))
			return b.Err()
		}, `dropout of "v": shape (3), want [rows, n]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(graph.NewBuilder(graph.Config{}))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}
