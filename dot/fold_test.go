package dot

import "testing"

// TestCleanOp checks the short names of gorgonia's op strings, which carry flags and
// internals.
func TestCleanOp(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"+ false", "+"},
		{"⊙ true", "⊙"},
		{"A × B", "matmul"},
		{"A × Bᵀ", "A × Bᵀ"}, // a gradient's product keeps its transposition
		{"Softmax{-1, false}()", "softmax"},
		{"Softmax{-1, true}()", "logsoftmax"},
		{"Concat(axis=1)", "concat"},
		{"SizeOf=16", "size"},
		{"SizeOf(0)", "size"},
		{"Repeat0", "broadcast"},
		{"Reshape(1, 2)", "reshape"},
		{"sigmoid", "sigmoid"},
		{"LSTM[lstm T=3 B=1]", "LSTM[lstm T=3 B=1]"},
	} {
		if got := cleanOp(tc.in); got != tc.want {
			t.Errorf("cleanOp(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestExprPrecedence checks where operands are parenthesised.
func TestExprPrecedence(t *testing.T) {
	for _, tc := range []struct {
		e    expr
		p    int
		want string
	}{
		{expr{"a + b", precSum}, precProd, "(a + b)"},
		{expr{"a + b", precSum}, precSum, "a + b"},
		{expr{"a·b", precProd}, precProd, "a·b"},
		{expr{"a·b", precProd}, precAtom, "(a·b)"},
		{expr{"σ(a)", precAtom}, precAtom, "σ(a)"},
	} {
		if got := tc.e.at(tc.p); got != tc.want {
			t.Errorf("%q at %d = %q, want %q", tc.e.s, tc.p, got, tc.want)
		}
	}
}
