package gemm_test

import (
	"math/rand"
	"testing"

	"github.com/lstm97/lstm97/internal/gemm"
)

// These run Acc from another package, as the kernels call it: its instantiation is compiled
// there, and an Op whose address escaped would cost an allocation per product there only.

// tinyOp is a product of the paper's tiny nets, c [m][n] += a [m][k] · d [k][n].
func tinyOp[F gemm.Float](m, n, k int) (op gemm.Op, c, a, d []F) {
	rng := rand.New(rand.NewSource(1))
	values := func(n int) []F {
		v := make([]F, n)
		for i := range v {
			v[i] = F(rng.NormFloat64())
		}
		return v
	}
	op = gemm.Op{M: m, N: n, Inner: k, Outer: 1, LDC: n, ARow: k, AInner: 1, DInner: n}
	return op, values(m * n), values(m * k), values(k * n)
}

func TestAccDoesNotAllocate(t *testing.T) {
	for _, s := range [][3]int{{1, 7, 15}, {4, 7, 20}, {32, 192, 192}, {70, 40, 33}} {
		op, c, a, d := tinyOp[float64](s[0], s[1], s[2])
		if n := testing.AllocsPerRun(10, func() { gemm.Acc(op, c, a, d, 0, op.M) }); n != 0 {
			t.Errorf("float64 %v: %v allocations per product", s, n)
		}
		op, c32, a32, d32 := tinyOp[float32](s[0], s[1], s[2])
		if n := testing.AllocsPerRun(10, func() { gemm.Acc(op, c32, a32, d32, 0, op.M) }); n != 0 {
			t.Errorf("float32 %v: %v allocations per product", s, n)
		}
	}
}

// benchTiny is a tiny product through every layer of Acc.
func benchTiny[F gemm.Float](b *testing.B, m, n, k int) {
	op, c, a, d := tinyOp[F](m, n, k)
	b.ReportAllocs()
	for b.Loop() {
		gemm.Acc(op, c, a, d, 0, m)
	}
}

func BenchmarkTinyM1N7K15(b *testing.B)        { benchTiny[float64](b, 1, 7, 15) }
func BenchmarkTinyM1N4K8(b *testing.B)         { benchTiny[float64](b, 1, 4, 8) }
func BenchmarkTinyM4N7K20(b *testing.B)        { benchTiny[float64](b, 4, 7, 20) }
func BenchmarkTinyM1N7K15Float32(b *testing.B) { benchTiny[float32](b, 1, 7, 15) }
func BenchmarkTinyM4N7K20Float32(b *testing.B) { benchTiny[float32](b, 4, 7, 20) }
