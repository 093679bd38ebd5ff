package vmath

import "golang.org/x/sys/cpu"

// useAsm tells whether the CPU and the OS support AVX2 and FMA, which the AVX2 kernels use;
// use512 whether they support AVX-512 F and VL too, for the AVX-512 kernels.
var useAsm, use512 = cpuFeatures()

// cpuFeatures reads the CPU's and the OS's support (golang.org/x/sys/cpu checks that the OS
// saves the YMM and ZMM state too).
func cpuFeatures() (avx2FMA, avx512 bool) {
	avx2FMA = cpu.X86.HasAVX && cpu.X86.HasFMA && cpu.X86.HasAVX2
	return avx2FMA, avx2FMA && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL
}

func exp64Asm(dst, x []float64) int {
	if use512 {
		return exp64AVX512(dst, x)
	}
	return exp64AVX2(dst, x)
}

func sigmoid64Asm(dst, x []float64) int {
	if use512 {
		return sigmoid64AVX512(dst, x)
	}
	return sigmoid64AVX2(dst, x)
}

func sigmoid32Asm(dst, x []float32) int {
	if use512 {
		return sigmoid32AVX512(dst, x)
	}
	return sigmoid32AVX2(dst, x)
}

// The kernels below compute dst[i] for i = 0, 1, ... in blocks of 8 (a masked last block of 1-7)
// and return the number of elements done: len(x), or the start of the first block with an
// element that needs a rare path (then dst from there on is not written). len(dst) >= len(x).

//go:noescape
func exp64AVX2(dst, x []float64) int

//go:noescape
func sigmoid64AVX2(dst, x []float64) int

//go:noescape
func sigmoid32AVX2(dst, x []float32) int

//go:noescape
func exp64AVX512(dst, x []float64) int

//go:noescape
func sigmoid64AVX512(dst, x []float64) int

//go:noescape
func sigmoid32AVX512(dst, x []float32) int
