package output_test

import (
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/layers/output"
)

// TestApplyRows: the layer applied to some rows gives, row for row, what it gives applied to
// all of them, in the order listed, with the inputs of connectivity B; bad row lists are
// refused with an error naming the row.
func TestApplyRows(t *testing.T) {
	b := graph.NewBuilder(graph.Config{Seed: 3})
	out, err := output.New(b, output.Config{Units: 3, Cells: 2, Inputs: 4, Bias: true, InitRange: 0.7})
	if err != nil {
		t.Fatal(err)
	}
	h := b.Param("h", []int{5, 2}, graph.Uniform(1))
	x := b.Param("x", []int{5, 4}, graph.Uniform(1))
	all := out.Apply(h, x)
	rows := []int{4, 1, 2}
	some := out.ApplyRows(h, x, rows)
	tg := b.Input("t", len(rows), 3)
	loss := output.Loss(b, []*G.Node{some}, []*G.Node{tg})
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	p, err := vm.Compile(b, loss, vm.Watch(all, some))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Set(tg, make([]float64, 3*len(rows))); err != nil {
		t.Fatal(err)
	}
	if err := p.Run(); err != nil {
		t.Fatal(err)
	}
	ya, err := p.Value(all)
	if err != nil {
		t.Fatal(err)
	}
	ys, err := p.Value(some)
	if err != nil {
		t.Fatal(err)
	}
	if sh := some.Shape(); sh[0] != 3 || sh[1] != 3 {
		t.Fatalf("ApplyRows gives shape %v, want (3, 3)", sh)
	}
	for n, r := range rows {
		for k := 0; k < 3; k++ {
			if ys[n*3+k] != ya[r*3+k] {
				t.Errorf("row %d (input row %d), unit %d: %v, Apply gives %v", n, r, k, ys[n*3+k], ya[r*3+k])
			}
		}
	}
	// The gradient reaches the listed rows of h only.
	ps, err := p.Params()
	if err != nil {
		t.Fatal(err)
	}
	for _, prm := range ps {
		if prm.Name != "h" {
			continue
		}
		g := prm.Grad.Data().([]float64)
		for r := 0; r < 5; r++ {
			listed := r == 4 || r == 1 || r == 2
			for c := 0; c < 2; c++ {
				if (g[r*2+c] != 0) != listed {
					t.Errorf("∂loss/∂h[%d][%d] = %v (row listed: %v)", r, c, g[r*2+c], listed)
				}
			}
		}
	}

	for _, tc := range []struct {
		rows []int
		want string
	}{
		{nil, "no rows"},
		{[]int{}, "no rows"},
		{[]int{0, 5}, "row 5 (entry 1) is outside [0, 5)"},
		{[]int{-1}, "row -1 (entry 0)"},
		{[]int{2, 2}, "row 2 (entry 1)"},
	} {
		b := graph.NewBuilder(graph.Config{Seed: 3})
		out, err := output.New(b, output.Config{Units: 1, Cells: 2})
		if err != nil {
			t.Fatal(err)
		}
		if n := out.ApplyRows(b.Input("h", 5, 2), nil, tc.rows); n != nil || b.Err() == nil || !strings.Contains(b.Err().Error(), tc.want) {
			t.Errorf("rows %v: node %v, error %v; want an error saying %q", tc.rows, n, b.Err(), tc.want)
		}
	}
}
