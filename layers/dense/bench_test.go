package dense_test

import (
	"math/rand"
	"testing"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/layers/dense"
)

// BenchmarkHeadRows1000In64Out64 runs embedding (vocab 64) → dense tanh 64 → dropout 0.2 →
// dense 64 forward and backward over 1,000 rows (T·B of a packed batch).
func BenchmarkHeadRows1000In64Out64(bm *testing.B) {
	const rows, width = 1000, 64
	b := graph.NewBuilder(graph.Config{Seed: 1})
	in := b.Input("sym", rows, 1)
	e, err := dense.NewEmbedding(b, dense.EmbeddingConfig{Vocab: width, Dim: width})
	if err != nil {
		bm.Fatal(err)
	}
	h, err := dense.New(b, dense.Config{Name: "h", In: width, Out: width, Activation: dense.Tanh})
	if err != nil {
		bm.Fatal(err)
	}
	o, err := dense.New(b, dense.Config{Name: "o", In: width, Out: width})
	if err != nil {
		bm.Fatal(err)
	}
	y := o.Apply(dense.Dropout(b, h.Apply(e.Apply(in, 0)), 0.2, rand.New(rand.NewSource(1))))
	p, err := vm.Compile(b, b.Sum(y))
	if err != nil {
		bm.Fatal(err)
	}
	defer p.Close()
	idx := make([]float64, rows)
	for i := range idx {
		idx[i] = float64(i % width)
	}
	if err := p.Set(in, idx); err != nil {
		bm.Fatal(err)
	}
	bm.ReportAllocs()
	for bm.Loop() {
		if err := p.Run(); err != nil {
			bm.Fatal(err)
		}
	}
}
