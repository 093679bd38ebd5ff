package gemm

import "testing"

// eachSet runs f with each instruction set the machine has: none (the plain loop alone), AVX2,
// AVX-512.
func eachSet(t *testing.T, f func(t *testing.T)) {
	avx2, avx512 := useAVX2, useAVX512
	defer func() { useAVX2, useAVX512 = avx2, avx512; setTiles() }()
	for _, s := range []struct {
		name         string
		avx2, avx512 bool
	}{{"none", false, false}, {"AVX2", avx2, false}, {"AVX-512", avx2, avx512}} {
		if s.name == "AVX2" && !avx2 || s.name == "AVX-512" && !avx512 {
			continue
		}
		useAVX2, useAVX512 = s.avx2, s.avx512
		setTiles()
		t.Run(s.name, f)
	}
}

func TestInstructionSets(t *testing.T) {
	eachSet(t, func(t *testing.T) {
		testAcc[float64](t)
		testAcc[float32](t)
		testTails(t, tailCases(), Acc[float64])
		testTails(t, tailCases(), Acc[float32])
	})
}

// TestTailTiles runs the tail tiles of each instruction set alone, on every width they take
// (with AVX-512, float32 widths 8 to 15 too, which Acc gives to whole tiles).
func TestTailTiles(t *testing.T) {
	eachSet(t, func(t *testing.T) {
		testTailTiles[float64](t, &tiles64.tail)
		testTailTiles[float32](t, &tiles32.tail)
	})
}

func testTailTiles[F Float](t *testing.T, tl *tail) {
	if !tl.usable {
		t.Skip("no tail tiles without AVX2")
	}
	var ops []Op
	for _, op := range tailCases() {
		if op.N < tl.max {
			ops = append(ops, op)
		}
	}
	s := set{tail: *tl}
	testTails(t, ops, func(op Op, c, a, d []F, lo, hi int) {
		op.check(len(c), len(a), len(d))
		unpacked(&op, c, a, d, lo, hi, &s)
	})
}

// BenchmarkUnpacked runs the shapes above without packing, for comparison.
func BenchmarkUnpacked(b *testing.B) {
	defer func(n int) { packRowTiles = n }(packRowTiles)
	packRowTiles = 1 << 30
	b.Run("Step64Blocks", BenchmarkStep64Blocks)
	b.Run("Step256Blocks", BenchmarkStep256Blocks)
	b.Run("Sweep192", BenchmarkSweep192)
	b.Run("Sweep768", BenchmarkSweep768)
}
