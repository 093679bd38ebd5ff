//go:build !race

// Allocation counts are not stable under the race detector, which allocates on its own.

package graph_test

import (
	"testing"

	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
)

// TestOpsDoNotAllocate: the mathop operations write into buffers kept across runs, forward and
// backward. (The loss here is gorgonia's Sum, whose backward pass allocates; the chain of
// operations must add no allocation to it.)
func TestOpsDoNotAllocate(t *testing.T) {
	allocs := func(dt tensor.Dtype, chain, grad bool) float64 {
		b := graph.NewBuilder(graph.Config{Dtype: dt})
		y := b.Param("x", []int{8, 6}, graph.Uniform(1))
		if chain {
			y = b.Tanh(b.Neg(b.ReLU(b.Exp(y))))
			y = b.Log(b.Exp(b.LogSoftmax(b.Softmax(b.Reshape(b.Slice(y, 1, 1, 5), 4, 8)))))
		}
		loss, opts := b.Sum(y), []vm.CompileOption{vm.Watch(y)}
		if !grad {
			loss, opts = nil, append(opts, vm.ForwardOnly())
		}
		p, err := vm.Compile(b, loss, opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		return testing.AllocsPerRun(20, func() {
			if err := p.Run(); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, dt := range dtypes {
		if got := allocs(dt, true, false); got != 0 {
			t.Errorf("%v forward: %v allocations per run, want 0", dt, got)
		}
		if got, base := allocs(dt, true, true), allocs(dt, false, true); got != base {
			t.Errorf("%v forward and backward: %v allocations per run, %v without the operations", dt, got, base)
		}
	}
}
