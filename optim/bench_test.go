package optim_test

import (
	"math/rand"
	"testing"

	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/optim"
)

// BenchmarkSGDStep276Weights9Tensors measures plain SGD's step on the parameters of the paper's
// Exp. 1 net (3 blocks of 2 cells, 7 inputs, 7 outputs: nine tensors, 276 weights), the
// update made after every sequence there.
func BenchmarkSGDStep276Weights9Tensors(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	var ps []vm.Param
	for i, n := range []int{42, 72, 21, 36, 3, 21, 36, 3, 42} {
		w, g := make([]float64, n), make([]float64, n)
		for j := range w {
			w[j], g[j] = rng.NormFloat64(), rng.NormFloat64()*1e-3
		}
		ps = append(ps, param(string(rune('a'+i)), w, g))
	}
	opt, err := optim.NewSGD(0.1, optim.Clip{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := opt.Step(ps); err != nil {
			b.Fatal(err)
		}
	}
}
