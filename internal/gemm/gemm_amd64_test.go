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
