package mathop_test

import (
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph/mathop"
)

// TestErrors: calls without a builder get errors naming the operation, never panics.
func TestErrors(t *testing.T) {
	g := G.NewGraph()
	ints := G.NewMatrix(g, tensor.Int, G.WithShape(2, 2), G.WithName("ints"))
	for _, tc := range []struct {
		name string
		call func() (*G.Node, error)
		want string
	}{
		{"nil node", func() (*G.Node, error) { return mathop.Softmax(nil) }, "mathop: softmax: nil node"},
		{"unknown function", func() (*G.Node, error) { return mathop.Elementwise(mathop.Func(9), ints) }, "unknown elementwise function Func(9)"},
		{"integer node", func() (*G.Node, error) { return mathop.Elementwise(mathop.Exp, ints) }, `exp: node "ints" is int, want float64 or float32`},
		{"integer slice", func() (*G.Node, error) { return mathop.Slice(ints, 0, 0, 1) }, "want float64 or float32"},
		{"nil reshape", func() (*G.Node, error) { return mathop.Reshape(nil, 4) }, "reshape to (4): nil node"},
	} {
		n, err := tc.call()
		if n != nil || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, %v; want an error containing %q", tc.name, n, err, tc.want)
		}
	}
}

// TestIsSoftmax recognises this package's softmax and gorgonia's, and nothing else.
func TestIsSoftmax(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3), G.WithName("x"))
	ours, err := mathop.Softmax(x)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := G.SoftMax(x)
	if err != nil {
		t.Fatal(err)
	}
	logs, err := mathop.LogSoftmax(x)
	if err != nil {
		t.Fatal(err)
	}
	tanh, err := mathop.Elementwise(mathop.Tanh, x)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		n    *G.Node
		want bool
	}{{"Softmax", ours, true}, {"gorgonia SoftMax", theirs, true}, {"LogSoftmax", logs, false}, {"tanh", tanh, false}, {"input", x, false}, {"nil", nil, false}} {
		if got := mathop.IsSoftmax(tc.n); got != tc.want {
			t.Errorf("IsSoftmax(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
}
