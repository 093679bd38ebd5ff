package vmath

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// benchSizes are the slice lengths of the kernel's calls: 12 gate units of the adding net at
// batch 1, 32·8 at batch 32, 32·192 for the 64-block net, and a few in between.
var benchSizes = []int{1, 4, 8, 12, 32, 192, 256, 1024, 6144}

// benchInputs returns n net inputs in the range a gate sees, [-8, 8], as the start of a longer
// buffer (as in the kernel; tiny slices of their own would sit next to dst in memory, and the
// kernels' masked loads and stores of whole blocks would make consecutive calls wait for each
// other, which is not what the kernel sees).
func benchInputs(n int) []float64 {
	rng := rand.New(rand.NewSource(4))
	x := make([]float64, n, n+64)
	for i := range x {
		x[i] = rng.Float64()*16 - 8
	}
	return x
}

func benchSlice(b *testing.B, f func(dst, x []float64)) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("N%d", n), func(b *testing.B) {
			x := benchInputs(n)
			dst := make([]float64, n, n+64)
			b.ReportAllocs()
			for b.Loop() {
				f(dst, x)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/elem")
		})
	}
}

func mathSigmoids(dst, x []float64) {
	for i, v := range x {
		dst[i] = 1 / (1 + math.Exp(-v))
	}
}

func BenchmarkSigmoid64(b *testing.B) { benchSlice(b, Sigmoid64) }

func BenchmarkExp64(b *testing.B) { benchSlice(b, Exp64) }

// BenchmarkMathSigmoid is the loop that Sigmoid64 replaces.
func BenchmarkMathSigmoid(b *testing.B) { benchSlice(b, mathSigmoids) }

// BenchmarkMathExp is the loop that Exp64 replaces.
func BenchmarkMathExp(b *testing.B) {
	benchSlice(b, func(dst, x []float64) {
		for i, v := range x {
			dst[i] = math.Exp(v)
		}
	})
}

// BenchmarkScalarSigmoid is the Go version, one element at a time.
func BenchmarkScalarSigmoid(b *testing.B) {
	benchSlice(b, func(dst, x []float64) {
		for i, v := range x {
			dst[i] = Sigmoid(v)
		}
	})
}

func BenchmarkSigmoid32(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("N%d", n), func(b *testing.B) {
			x64 := benchInputs(n)
			x := make([]float32, n, n+64)
			for i, v := range x64 {
				x[i] = float32(v)
			}
			dst := make([]float32, n, n+64)
			b.ReportAllocs()
			for b.Loop() {
				Sigmoid32(dst, x)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/elem")
		})
	}
}

// benchStep times a recurrent chain like the kernel's at batch 1: each step computes the net
// inputs from the last activations (scalar stores) and squashes them, so the steps wait for each
// other and the latency of a call counts, not its throughput.
func benchStep(b *testing.B, f func(dst, x []float64)) {
	for _, n := range []int{1, 4, 12, 32} {
		b.Run(fmt.Sprintf("N%d", n), func(b *testing.B) {
			buf := make([]float64, 256)
			net, act := buf[0:n], buf[128:128+n]
			for b.Loop() {
				for i := range net {
					net[i] = 0.9*act[i] + 0.1
				}
				f(act, net)
			}
		})
	}
}

func BenchmarkStepSigmoid64(b *testing.B) { benchStep(b, Sigmoid64) }

func BenchmarkStepMathSigmoid(b *testing.B) { benchStep(b, mathSigmoids) }

// benchCell times the chain of a step of the paper's cell at batch 1, the adding net's sizes:
// σ of the 8 units' net inputs, the 4 states from them, σ of the states, the outputs, and the
// next step's net inputs from the outputs. Each call waits for the one before, so this is the
// least time a step of a batch-1 forward pass can take with these logistic functions, whatever
// else it does.
func benchCell(b *testing.B, f func(dst, x []float64)) {
	buf := make([]float64, 256)
	net, sig, s, hs, y := buf[0:8], buf[32:40], buf[64:68], buf[96:100], buf[128:132]
	for b.Loop() {
		f(sig, net)
		for c := range s {
			s[c] += sig[4+c/2] * (4*sig[c] - 2)
		}
		f(hs, s)
		for c := range y {
			y[c] = sig[6+c/2] * (2*hs[c] - 1)
		}
		for u := range net {
			net[u] = 0.5*y[u%4] - 0.25
		}
	}
}

func BenchmarkCellSigmoid64(b *testing.B) { benchCell(b, Sigmoid64) }

func BenchmarkCellMathSigmoid(b *testing.B) { benchCell(b, mathSigmoids) }
