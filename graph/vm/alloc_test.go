//go:build !race

// The race detector changes allocation counts.

package vm_test

import (
	"testing"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/layers/output"
)

// TestFusedRunAllocatesNothing: a run of fused ops (output units, masked loss: a scalar) with
// their backward pass allocates nothing, and neither do reading the loss and the outputs with
// View and zeroing the gradients.
func TestFusedRunAllocatesNothing(t *testing.T) {
	b := graph.NewBuilder(graph.Config{Seed: 2})
	out, err := output.New(b, output.Config{Units: 7, Cells: 6, Bias: true})
	if err != nil {
		t.Fatal(err)
	}
	h := b.Param("h", []int{5, 6}, graph.Uniform(1))
	y := out.Apply(h, nil)
	tg, mask := b.Input("target", 5, 7), b.Input("mask", 5, 7)
	p, err := vm.Compile(b, output.MaskedLoss(b, y, tg, mask, 1), vm.Watch(y))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ones := make([]float64, 35)
	for i := range ones {
		ones[i] = 1
	}
	if err := p.Set(tg, ones); err != nil {
		t.Fatal(err)
	}
	if err := p.Set(mask, ones); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(20, func() {
		if err := p.Run(); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Loss(); err != nil {
			t.Fatal(err)
		}
		if _, err := p.View(y); err != nil {
			t.Fatal(err)
		}
		if err := p.ZeroGrads(); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per run", n)
	}
}
