package fusedop_test

import (
	"reflect"
	"testing"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph/fusedop"
)

// TestFloatsIsTheStorage: Floats gives a tensor's own values, as its Float64s or Float32s
// method does (the same memory, length and capacity), for matrices, vectors, scalars and views,
// and refuses another dtype or a value that is not a dense tensor.
func TestFloatsIsTheStorage(t *testing.T) {
	m64 := tensor.New(tensor.WithShape(3, 4), tensor.WithBacking([]float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}))
	view, err := m64.Slice(G.S(1, 3))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		t    *tensor.Dense
	}{
		{"matrix", m64},
		{"vector", tensor.New(tensor.WithShape(5), tensor.WithBacking([]float64{1, -2, 3, -4, 5}))},
		{"scalar", tensor.New(tensor.FromScalar(2.5))},
		{"view of rows 1-2", view.(*tensor.Dense)},
	} {
		got, ok := fusedop.Floats[float64](tc.t)
		want := tc.t.Float64s()
		if !ok || len(got) != len(want) || cap(got) != cap(want) || (len(got) > 0 && &got[0] != &want[0]) {
			t.Errorf("%s: Floats gives %v (len %d, cap %d, ok %v), Float64s %v (len %d, cap %d)", tc.name, got, len(got), cap(got), ok, want, len(want), cap(want))
		}
		if _, ok := fusedop.Floats[float32](tc.t); ok {
			t.Errorf("%s: a float64 tensor read as float32", tc.name)
		}
	}
	m32 := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float32{1, 2, 3, 4, 5, 6}))
	got, ok := fusedop.Floats[float32](m32)
	if want := m32.Float32s(); !ok || len(got) != len(want) || &got[0] != &want[0] {
		t.Errorf("float32: Floats gives %v (ok %v), Float32s %v", got, ok, want)
	}
	if _, ok := fusedop.Floats[float64](m32); ok {
		t.Error("a float32 tensor read as float64")
	}
	if _, ok := fusedop.Floats[float64](G.NewF64(1)); ok {
		t.Error("a scalar value that is not a tensor read as a tensor")
	}
	ints := tensor.New(tensor.WithShape(2), tensor.WithBacking([]int{1, 2}))
	if _, ok := fusedop.Floats[float64](ints); ok {
		t.Error("an int tensor read as float64")
	}
}

// TestSameDtype: SameDtype answers as == does for every pair of dtypes, the zero Dtype and a
// Dtype made anew from the same reflect.Type included.
func TestSameDtype(t *testing.T) {
	dts := []tensor.Dtype{tensor.Float64, tensor.Float32, tensor.Int, tensor.Int32, tensor.Bool, tensor.Complex128, {}}
	dts = append(dts, tensor.Dtype{Type: reflect.TypeOf(float64(0))}, tensor.Dtype{Type: reflect.TypeOf(float32(0))})
	for _, a := range dts {
		for _, b := range dts {
			if got, want := fusedop.SameDtype(a, b), a == b; got != want {
				t.Errorf("SameDtype(%v, %v) = %v, == gives %v", a, b, got, want)
			}
		}
	}
}

// sumOp is Σ x, a scalar op for testing DoScalar.
type sumOp struct{ fusedop.Base }

func (op *sumOp) Arity() int    { return 1 }
func (op *sumOp) Type() hm.Type { return fusedop.Matrices(op.Dtype(), 1, 0) }
func (op *sumOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.ScalarShape(), nil
}
func (op *sumOp) String() string                                     { return "Σ" }
func (op *sumOp) Do(vals ...G.Value) (G.Value, error)                { return fusedop.DoScalar(op, vals) }
func (op *sumOp) DiffWRT(n int) []bool                               { return make([]bool, n) }
func (op *sumOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) { return nil, nil }
func (op *sumOp) Value64(vals []G.Value) (float64, error) {
	x, err := fusedop.Input[float64](op, vals, 0, -1)
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s, err
}
func (op *sumOp) Value32(vals []G.Value) (float64, error) {
	x, err := fusedop.Input[float32](op, vals, 0, -1)
	s := 0.0
	for _, v := range x {
		s += float64(v)
	}
	return s, err
}

// ownSumOp is sumOp with its own output value.
type ownSumOp struct {
	sumOp
	fusedop.ScalarOut
}

func (op *ownSumOp) Do(vals ...G.Value) (G.Value, error) { return fusedop.DoScalar(op, vals) }

// TestScalarOut: DoScalar returns a new value at every call, or, for an op that embeds
// ScalarOut, the op's own value, overwritten by the next call; the values are right either way.
func TestScalarOut(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		x := func(vs ...float64) G.Value {
			if dt == tensor.Float32 {
				f := make([]float32, len(vs))
				for i, v := range vs {
					f[i] = float32(v)
				}
				return tensor.New(tensor.WithShape(len(vs)), tensor.WithBacking(f))
			}
			return tensor.New(tensor.WithShape(len(vs)), tensor.WithBacking(vs))
		}
		scalar := func(v G.Value) float64 {
			switch s := v.(type) {
			case *G.F64:
				return float64(*s)
			case *G.F32:
				return float64(*s)
			}
			t.Fatalf("%v: value %T, want a scalar", dt, v)
			return 0
		}
		fresh := &sumOp{Base: fusedop.NewBase("fusedop_test.sumOp", dt)}
		own := &ownSumOp{sumOp: sumOp{Base: fusedop.NewBase("fusedop_test.ownSumOp", dt)}}
		for _, op := range []interface {
			Do(...G.Value) (G.Value, error)
		}{fresh, own} {
			a, err := op.Do(x(1, 2))
			if err != nil {
				t.Fatal(err)
			}
			va := scalar(a)
			b, err := op.Do(x(3, 4, 5))
			if err != nil {
				t.Fatal(err)
			}
			if va != 3 || scalar(b) != 12 {
				t.Errorf("%v %T: sums %v and %v, want 3 and 12", dt, op, va, scalar(b))
			}
			if same := a == b; same != (op == own) {
				t.Errorf("%v %T: the two calls return the same value: %v", dt, op, same)
			}
		}
	}
}

// TestPart: Part names the values each part node of FlatGrad copies, input after input, and
// nothing for other ops.
func TestPart(t *testing.T) {
	g := G.NewGraph()
	a := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3), G.WithName("a"), G.WithInit(G.Zeroes()))
	b := G.NewVector(g, tensor.Float64, G.WithShape(4), G.WithName("b"), G.WithInit(G.Zeroes()))
	grad := G.NewScalar(g, tensor.Float64, G.WithName("grad"), G.WithInit(G.Zeroes()))
	parts, err := fusedop.FlatGrad(testComputer{fusedop.NewBase("fusedop_test.computer", tensor.Float64)}, G.Nodes{a, b}, grad)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range [][2]int{{0, 6}, {6, 4}} {
		off, n, ok := fusedop.Part(parts[i].Op())
		if !ok || off != want[0] || n != want[1] {
			t.Errorf("part %d: off %d, n %d, ok %v; want %v", i, off, n, ok, want)
		}
	}
	sum, err := G.Add(a, a)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []*G.Node{sum, a} {
		if _, _, ok := fusedop.Part(n.Op()); ok {
			t.Errorf("%v taken for a part", n)
		}
	}
}

// testComputer is a GradComputer whose gradient is never computed here.
type testComputer struct{ fusedop.Base }

func (testComputer) String() string                                             { return "computer" }
func (testComputer) Grad64(vals []G.Value, _ []tensor.Shape, _ []float64) error { return nil }
func (testComputer) Grad32(vals []G.Value, _ []tensor.Shape, _ []float32) error { return nil }
