package graph_test

import (
	"errors"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/truncate"
)

// Two input names whose truncate nodes have the same 32-bit gorgonia hash. Found by a birthday
// search over the names "c0", "c1", ... (75,619 names; gorgonia's nodeEq does not compare
// children, so it merges such nodes silently).
const collideA, collideB = "c15357", "c75618"

// TestGorgoniaMergesCollidingNodes shows the trap the guard exists for: in a bare gorgonia
// graph, truncate(b) comes back as the node truncate(a).
func TestGorgoniaMergesCollidingNodes(t *testing.T) {
	g := G.NewGraph()
	a := G.NewMatrix(g, tensor.Float64, G.WithShape(1, 2), G.WithName(collideA))
	b := G.NewMatrix(g, tensor.Float64, G.WithShape(1, 2), G.WithName(collideB))
	ta, err := truncate.Apply(a)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := truncate.Apply(b)
	if err != nil {
		t.Fatal(err)
	}
	if ta.Hashcode() != tb.Hashcode() {
		t.Fatalf("the names no longer collide (hashes %d, %d): gorgonia's hashing changed; search a new pair", ta.Hashcode(), tb.Hashcode())
	}
	if ta != tb {
		t.Skip("gorgonia no longer merges colliding nodes")
	}
}

// TestBuilderCatchesMerge: the same construction through the builder fails with ErrMerged.
func TestBuilderCatchesMerge(t *testing.T) {
	bd := graph.NewBuilder(graph.Config{})
	a := bd.Input(collideA, 1, 2)
	b := bd.Input(collideB, 1, 2)
	tr := func(n ...*G.Node) (*G.Node, error) { return truncate.Apply(n[0]) }
	if bd.Op("truncate", tr, a) == nil {
		t.Fatal(bd.Err())
	}
	if n := bd.Op("truncate", tr, b); n != nil {
		t.Error("the merged node was handed out")
	}
	if err := bd.Err(); !errors.Is(err, graph.ErrMerged) {
		t.Fatalf("err = %v, want ErrMerged", err)
	}
	// Asking for the same expression twice is not a merge.
	bd2 := graph.NewBuilder(graph.Config{})
	a2 := bd2.Input(collideA, 1, 2)
	first := bd2.Op("truncate", tr, a2)
	second := bd2.Op("truncate", tr, a2)
	if first != second || bd2.Err() != nil {
		t.Errorf("identical expressions: nodes %v and %v, %v", first, second, bd2.Err())
	}
}

// TestBuilderCatchesRewrites: gorgonia rewrites some expressions as it builds them and hands
// back an existing node (Neg(Neg(x)) is x; Log(SoftMax(x)) is the softmax node, switched to
// log-softmax in place). The builder reports both as ErrMerged instead of handing them out.
func TestBuilderCatchesRewrites(t *testing.T) {
	for _, tc := range []struct {
		name  string
		inner func(*G.Node) (*G.Node, error)
		outer func(*G.Node) (*G.Node, error)
	}{
		{"neg of neg", G.Neg, G.Neg},
		{"log of softmax", func(n *G.Node) (*G.Node, error) { return G.SoftMax(n) }, G.Log},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := graph.NewBuilder(graph.Config{})
			x := b.Input("x", 2, 3)
			in := b.Op("inner", func(n ...*G.Node) (*G.Node, error) { return tc.inner(n[0]) }, x)
			if in == nil {
				t.Fatal(b.Err())
			}
			if out := b.Op("outer", func(n ...*G.Node) (*G.Node, error) { return tc.outer(n[0]) }, in); out != nil {
				t.Errorf("the rewritten node %v was handed out", out)
			}
			err := b.Err()
			if !errors.Is(err, graph.ErrMerged) || !strings.Contains(err.Error(), "rewrites") {
				t.Errorf("err = %v, want ErrMerged naming gorgonia's rewrites", err)
			}
		})
	}
}
