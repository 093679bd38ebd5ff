// Package vmath computes the exponential and the logistic sigmoid 1/(1+e^-x) elementwise over
// slices, fast, for the fused LSTM kernel (layers/internal/kernel), where the squashing
// functions of Hochreiter & Schmidhuber 1997 (eqs. 3-5: f the logistic function, g = 4σ-2,
// h = 2σ-1), applied to every gate, cell input and cell state in eqs. 7-9, took over a third of
// the step time when done with one math.Exp per unit.
//
// # Algorithm
//
// Exp64 is the algorithm of the standard library's math.Exp for amd64 (math/exp_amd64.s, with
// FMA; after N. Shibata, "Efficient evaluation methods of elementary functions suitable for SIMD
// computation", ISC'10, and SLEEF), evaluated on 4 or 8 lanes at once: k = round(x·log2 e),
// r = x − k·ln 2 (two FMA steps), s = r/16, e^s − 1 by an 8-term Taylor polynomial, four
// squarings y ← y(y+2) back to e^r, and the scaling by 2^k. Every rounding step is the same as
// math.Exp's, so on amd64 with FMA the results are bit-identical to math.Exp, including its edge
// cases: NaN → NaN, +Inf → +Inf, −Inf → 0, x > 7.09782712893384e+02 → +Inf, underflow through
// the subnormals to 0. (Like math.Exp on amd64, Exp64 returns +Inf already from x ≥ 1023.5·ln 2
// ≈ 709.436, where the true e^x is still finite, about 1.27e308.)
//
// Sigmoid64 is 1/(1+Exp64(-x)) with the same two roundings as the expression
// 1/(1+math.Exp(-x)), hence bit-identical to it on amd64 with FMA: exactly 0 and 1 far out, 0.5
// at 0, NaN for NaN. Sigmoid32 converts to float64, computes Sigmoid64 and rounds once:
// Sigmoid32(x) == float32(Sigmoid(float64(x))) for every x.
//
// # Implementations
//
// On amd64 the slices go through assembly kernels chosen at start-up with CPUID: AVX-512 (F and
// VL, 8 lanes a register) where the CPU and OS support it, else AVX2 with FMA (2 registers of 4
// lanes), 8 elements per iteration and a masked last block for the last 1-7. Anywhere else, and
// for a float64 slice of one element, a pure Go version of the same algorithm runs (math.FMA for
// each fused step, float64 conversions against the compiler's own fusing), with bit-identical
// results. A block with a lane that needs a rare path (|x| ≳ 708: overflow, subnormal or zero
// results, NaN, ±Inf) is handed to the Go version, so it costs a scalar call per element but
// gives the same bits. The Go version is also the scalar Sigmoid and Exp. On a CPU without
// hardware FMA, math.FMA is emulated in software and the Go version is slow; all x86-64 CPUs
// since 2013 have FMA.
//
// The slice functions do not allocate and need no alignment. dst and x may be the same slice (in
// place) but must not overlap otherwise; their lengths must be equal. The masked last block
// reads and writes no element outside the slices, but the CPU may still make it wait for recent
// stores just past their ends.
//
// # Speed
//
// A call costs about the latency of one block (some 35 ns from the stores of x to the loads of
// dst on an AMD EPYC Zen 5) and then about 0.6 ns (AVX-512) or 1.2 ns (AVX2) per element,
// against 6.4 ns per element for 1/(1+math.Exp(-x)) in a loop: one call over all the units of a
// step beats a call per unit from 2 units on.
package vmath
