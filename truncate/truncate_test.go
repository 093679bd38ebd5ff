package truncate_test

import (
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/truncate"
)

// wTimesTruncW builds cost = sum(w ⊙ truncate(w)) for w = [1, 2, 3]. The full derivative would
// be 2w; with the truncated path cut it is exactly truncate(w) = w.
func wTimesTruncW(t *testing.T, dt tensor.Dtype) (*G.ExprGraph, *G.Node, *G.Node) {
	t.Helper()
	g := G.NewGraph()
	var back any = []float64{1, 2, 3}
	if dt == tensor.Float32 {
		back = []float32{1, 2, 3}
	}
	w := G.NewVector(g, dt, G.WithShape(3), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(3), tensor.WithBacking(back))))
	tw, err := truncate.Apply(w)
	if err != nil {
		t.Fatal(err)
	}
	prod, err := G.HadamardProd(w, tw)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := G.Sum(prod)
	if err != nil {
		t.Fatal(err)
	}
	return g, w, cost
}

func gradAsFloat64(t *testing.T, n *G.Node) []float64 {
	t.Helper()
	gv, err := n.Grad()
	if err != nil {
		t.Fatal(err)
	}
	switch d := gv.Data().(type) {
	case []float64:
		return d
	case []float32:
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
		return out
	}
	t.Fatalf("unexpected gradient data %T", gv.Data())
	return nil
}

func TestTruncatedPathHasNoGradient(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, machine := range []string{"tape", "lisp"} {
			t.Run(dt.String()+"/"+machine, func(t *testing.T) {
				g, w, cost := wTimesTruncW(t, dt)
				var vm G.VM
				if machine == "tape" {
					if _, err := G.Grad(cost, w); err != nil {
						t.Fatal(err)
					}
					vm = G.NewTapeMachine(g, G.BindDualValues(w))
				} else {
					vm = G.NewLispMachine(g)
				}
				defer vm.Close()
				if err := vm.RunAll(); err != nil {
					t.Fatal(err)
				}
				got := gradAsFloat64(t, w)
				want := []float64{1, 2, 3} // d/dw sum(w * stop(w)) = stop(w) = w, not 2w
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("grad[%d] = %v, want %v (full grad would be %v)", i, got[i], want[i], 2*want[i])
					}
				}
			})
		}
	}
}

func TestForwardIsIdentityAndCopies(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 2), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{1, -2, 3.5, 4}))))
	tx, err := truncate.Apply(x)
	if err != nil {
		t.Fatal(err)
	}
	var out G.Value
	G.Read(tx, &out)
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	got := out.Data().([]float64)
	want := []float64{1, -2, 3.5, 4}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("out[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	got[0] = 99 // the output must not alias the input
	if x.Value().Data().([]float64)[0] != 1 {
		t.Fatal("truncate output aliases its input")
	}
}

func TestNeverMergesWithOtherOps(t *testing.T) {
	g := G.NewGraph()
	x := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("x"))
	a, err := truncate.Apply(x)
	if err != nil {
		t.Fatal(err)
	}
	b, err := truncate.Apply(x)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("two truncations of the same node should be the same node")
	}
	// Identity-like ops on the same input must stay distinct nodes.
	others := map[string]func(*G.Node) (*G.Node, error){
		"neg": G.Neg, "abs": G.Abs, "sigmoid": G.Sigmoid, "tanh": G.Tanh,
		"iop": func(n *G.Node) (*G.Node, error) { return G.Add(n, G.NewConstant(0.0)) },
	}
	for name, f := range others {
		o, err := f(x)
		if err != nil {
			t.Fatal(name, err)
		}
		if o == a {
			t.Errorf("%s(x) merged with truncate(x)", name)
		}
		if o.Hashcode() == a.Hashcode() {
			t.Errorf("%s(x) has the same hash as truncate(x)", name)
		}
	}
	if !truncate.Is(a) || truncate.Is(x) || truncate.Is(nil) {
		t.Error("Is does not recognise truncate nodes")
	}
}

func TestParamOnlyBehindTruncateIsReported(t *testing.T) {
	g := G.NewGraph()
	w := G.NewVector(g, tensor.Float64, G.WithShape(2), G.WithName("w"), G.WithInit(G.Ones()))
	tw, err := truncate.Apply(w)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := G.Sum(tw)
	if err != nil {
		t.Fatal(err)
	}
	_, err = G.Grad(cost, w)
	if err == nil || !strings.Contains(err.Error(), "Non Differentiable") {
		t.Fatalf("G.Grad error = %v, want the documented \"Non Differentiable WRTs\"", err)
	}
}

func TestApplyNil(t *testing.T) {
	if _, err := truncate.Apply(nil); err == nil {
		t.Fatal("Apply(nil) returned no error")
	}
}
