package gemm

import "testing"

// TestInstructionSets runs the same cases with AVX-512, then AVX2, switched off.
func TestInstructionSets(t *testing.T) {
	avx2, avx512 := useAVX2, useAVX512
	defer func() { useAVX2, useAVX512 = avx2, avx512; setWidths() }()
	useAVX512 = false
	setWidths()
	testAcc[float64](t)
	testAcc[float32](t)
	useAVX2 = false
	setWidths()
	testAcc[float64](t)
	testAcc[float32](t)
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
