package vmath

import "testing"

// eachKernel runs f as a subtest once for each set of assembly kernels that the CPU supports,
// and first with the Go version alone if withGo.
func eachKernel(t *testing.T, withGo bool, f func(t *testing.T)) {
	savedAsm, saved512 := useAsm, use512
	defer func() { useAsm, use512 = savedAsm, saved512 }()
	if withGo {
		useAsm, use512 = false, false
		t.Run("Go", f)
	}
	if !savedAsm {
		t.Skip("the CPU lacks AVX2 or FMA: no assembly kernels")
	}
	useAsm, use512 = true, false
	t.Run("AVX2", f)
	if saved512 {
		use512 = true
		t.Run("AVX512", f)
	}
}

// withAVX2 runs f with the AVX2 kernels even where the AVX-512 ones would be used.
func withAVX2(b *testing.B, f func(b *testing.B)) {
	if !useAsm {
		b.Skip("the CPU lacks AVX2 or FMA")
	}
	saved := use512
	defer func() { use512 = saved }()
	use512 = false
	f(b)
}

func BenchmarkSigmoid64AVX2(b *testing.B) { withAVX2(b, BenchmarkSigmoid64) }

func BenchmarkExp64AVX2(b *testing.B) { withAVX2(b, BenchmarkExp64) }

func BenchmarkSigmoid32AVX2(b *testing.B) { withAVX2(b, BenchmarkSigmoid32) }
