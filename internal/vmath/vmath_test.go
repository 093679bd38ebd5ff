package vmath

import (
	"fmt"
	"math"
	"math/big"
	"math/rand"
	"runtime"
	"testing"
)

// sameMath tells whether Exp must equal math.Exp bit for bit: math.Exp on amd64 runs the FMA
// path of math/exp_amd64.s when the CPU has FMA (and AVX), which is the algorithm of this package.
var sameMath = runtime.GOARCH == "amd64" && useAsm

func mathSigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// ord maps a float64 to an integer whose order is the floats' order, adjacent floats to adjacent
// integers (so the difference of two is their distance in ulps).
func ord(x float64) int64 {
	b := int64(math.Float64bits(x))
	if b < 0 {
		return math.MinInt64 - b
	}
	return b
}

// ulps returns the distance of got from want in ulps: 0 if both are the same value or both NaN,
// MaxInt64 if only one is NaN.
func ulps(got, want float64) int64 {
	switch {
	case math.IsNaN(got) && math.IsNaN(want):
		return 0
	case math.IsNaN(got) || math.IsNaN(want):
		return math.MaxInt64
	case got == want:
		return 0
	}
	d := ord(got) - ord(want)
	if d < 0 {
		d = -d
	}
	return d
}

// same reports whether a and b have the same bits, or are both NaN.
func same(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || math.IsNaN(a) && math.IsNaN(b)
}

func same32(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
}

// through runs f (a slice function) on x placed at position pos of a slice of n elements, the
// others 0.5, and returns the result at pos. It checks that f leaves the guard element behind dst
// untouched.
func through[F float32 | float64](t *testing.T, f func(dst, x []F), x F, n, pos int) F {
	t.Helper()
	xs := make([]F, n)
	for i := range xs {
		xs[i] = 0.5
	}
	xs[pos] = x
	buf := make([]F, n+1)
	buf[n] = 42
	f(buf[:n], xs)
	if buf[n] != 42 {
		t.Fatalf("n=%d: the element after dst was overwritten: %v", n, buf[n])
	}
	return buf[pos]
}

func TestEdgeCases(t *testing.T) {
	eachKernel(t, true, testEdgeCases)
}

func testEdgeCases(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	tests := []struct {
		name       string
		x          float64
		exp, sigma float64 // NaN: want NaN; -1: no fixed value (compared with math and the oracle)
	}{
		{"NaN", nan, nan, nan},
		{"+Inf", inf, inf, 1},
		{"-Inf", -inf, 0, 0},
		{"zero", 0, 1, 0.5},
		{"negative zero", math.Copysign(0, -1), 1, 0.5},
		{"one", 1, math.E, -1},
		{"tiny", 1e-300, 1, 0.5},
		{"largest finite exp", 709.436, -1, 1},
		{"math.Exp's early overflow", 709.44, inf, 1},
		{"overflow threshold", 7.09782712893384e+02, inf, 1},
		{"above the threshold", 709.79, inf, 1},
		{"huge", 1e300, inf, 1},
		{"MaxFloat64", math.MaxFloat64, inf, 1},
		{"smallest normal result", -708.39, -1, -1},
		{"subnormal result", -708.5, -1, -1},
		{"subnormal result 2", -740, -1, 0},
		{"smallest subnormal result", -745.1, 5e-324, 0},
		{"underflow", -745.2, 0, 0},
		{"-huge", -1e300, 0, 0},
		{"-MaxFloat64", -math.MaxFloat64, 0, 0},
		{"sigmoid 40", 40, -1, -1},
		{"sigmoid -40", -40, -1, -1},
		{"sigmoid rounds to 1", 37, -1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			check := func(what string, got, fixed, math, x float64) {
				t.Helper()
				if fixed != -1 && !same(got, fixed) {
					t.Errorf("%s(%v) = %v, want %v", what, x, got, fixed)
				}
				if sameMath && !same(got, math) {
					t.Errorf("%s(%v) = %v, math gives %v", what, x, got, math)
				}
				if d := ulps(got, math); d > 1 {
					t.Errorf("%s(%v) = %v, math gives %v: %d ulps apart", what, x, got, math, d)
				}
			}
			check("Exp", Exp(tc.x), tc.exp, math.Exp(tc.x), tc.x)
			check("Sigmoid", Sigmoid(tc.x), tc.sigma, mathSigmoid(tc.x), tc.x)
			// the slice forms, alone, in a full block, in the tail, and in a long slice
			for _, np := range [][2]int{{1, 0}, {2, 1}, {8, 3}, {12, 11}, {21, 17}} {
				n, pos := np[0], np[1]
				if got := through(t, Exp64, tc.x, n, pos); !same(got, Exp(tc.x)) {
					t.Errorf("Exp64 n=%d pos=%d: %v, Exp gives %v", n, pos, got, Exp(tc.x))
				}
				if got := through(t, Sigmoid64, tc.x, n, pos); !same(got, Sigmoid(tc.x)) {
					t.Errorf("Sigmoid64 n=%d pos=%d: %v, Sigmoid gives %v", n, pos, got, Sigmoid(tc.x))
				}
				x32 := float32(tc.x)
				want32 := float32(Sigmoid(float64(x32)))
				if got := through(t, Sigmoid32, x32, n, pos); !same32(got, want32) {
					t.Errorf("Sigmoid32 n=%d pos=%d: %v, want %v", n, pos, got, want32)
				}
			}
		})
	}
}

// randInputs returns n inputs of mixed kinds: the LSTM's range, the whole range of finite
// results, the rare paths, and arbitrary bit patterns (NaNs, infinities, subnormals).
func randInputs(rng *rand.Rand, n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		switch rng.Intn(8) {
		case 0, 1, 2, 3:
			xs[i] = rng.Float64()*80 - 40
		case 4, 5:
			xs[i] = rng.Float64()*1460 - 750
		case 6:
			xs[i] = math.Copysign(700+rng.Float64()*50, float64(rng.Intn(2)*2-1))
		default:
			xs[i] = math.Float64frombits(rng.Uint64())
		}
	}
	return xs
}

// TestAsmMatchesGo checks that the assembly kernels give the bits of the Go version (Exp,
// Sigmoid) on a million inputs, at every length and offset of the blocks and tails.
func TestAsmMatchesGo(t *testing.T) {
	eachKernel(t, false, testAsmMatchesGo)
}

func testAsmMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	x := randInputs(rng, 1<<20)
	x32 := make([]float32, len(x))
	for i, v := range x {
		x32[i] = float32(v)
	}
	dst := make([]float64, len(x))
	dst32 := make([]float32, len(x))
	bad := 0
	report := func(what string, i int, got, want any) {
		if bad++; bad <= 10 {
			t.Errorf("%s: x[%d] = %v: %v, Go gives %v", what, i, x[i], got, want)
		}
	}
	// cut x into pieces of every length 0..40 so that all blocks and tails are met
	for lo, n := 0, 0; lo < len(x); lo, n = lo+n, (n+1)%41 {
		hi := min(lo+n, len(x))
		Exp64(dst[lo:hi], x[lo:hi])
	}
	for i, v := range x {
		if want := Exp(v); !same(dst[i], want) {
			report("Exp64", i, dst[i], want)
		}
	}
	for lo, n := 0, 0; lo < len(x); lo, n = lo+n, (n+3)%41 {
		hi := min(lo+n, len(x))
		Sigmoid64(dst[lo:hi], x[lo:hi])
		Sigmoid32(dst32[lo:hi], x32[lo:hi])
	}
	for i, v := range x {
		if want := Sigmoid(v); !same(dst[i], want) {
			report("Sigmoid64", i, dst[i], want)
		}
		if want := float32(Sigmoid(float64(x32[i]))); !same32(dst32[i], want) {
			report("Sigmoid32", i, dst32[i], want)
		}
	}
	// in place, 1003 elements: 125 blocks and a tail of 3
	y := append([]float64(nil), x[:1003]...)
	Sigmoid64(y, y)
	z := append([]float64(nil), x[:1003]...)
	Exp64(z, z)
	y32 := append([]float32(nil), x32[:1003]...)
	Sigmoid32(y32, y32)
	for i, v := range x[:1003] {
		if want := Sigmoid(v); !same(y[i], want) {
			report("Sigmoid64 in place", i, y[i], want)
		}
		if want := Exp(v); !same(z[i], want) {
			report("Exp64 in place", i, z[i], want)
		}
		if want := float32(Sigmoid(float64(x32[i]))); !same32(y32[i], want) {
			report("Sigmoid32 in place", i, y32[i], want)
		}
	}
	if bad > 0 {
		t.Errorf("%d results differ", bad)
	}
}

// TestULPSweep compares with math.Exp and 1/(1+math.Exp(-x)) over a dense sweep of [-40, 40]
// (step 2^-13) and 2^18 random points over the whole range: at most 1 ulp apart everywhere, and
// no bit apart where math.Exp runs the same algorithm (amd64 with FMA).
func TestULPSweep(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	var x []float64
	for v := -40.0; v <= 40; v += 0x1p-13 {
		x = append(x, v)
	}
	for range 1 << 18 {
		x = append(x, rng.Float64()*1460-750)
	}
	for range 1 << 12 {
		x = append(x, math.Float64frombits(rng.Uint64()))
	}
	dst := make([]float64, len(x))
	for _, tc := range []struct {
		name string
		f    func(dst, x []float64)
		ref  func(float64) float64
	}{
		{"Exp64", Exp64, math.Exp},
		{"Sigmoid64", Sigmoid64, mathSigmoid},
	} {
		tc.f(dst, x)
		var maxU int64
		differ := 0
		for i, v := range x {
			u := ulps(dst[i], tc.ref(v))
			if u != 0 {
				differ++
			}
			if u > maxU {
				maxU = u
			}
			if u > 1 || sameMath && u != 0 {
				t.Errorf("%s(%v) = %v, math gives %v (%d ulps)", tc.name, v, dst[i], tc.ref(v), u)
			}
		}
		t.Logf("%s vs math over %d points: max %d ulp, %.3g%% differ", tc.name, len(x), maxU,
			100*float64(differ)/float64(len(x)))
	}
}

// bigExp returns e^x in 256-bit big.Float arithmetic: e^x = (e^(x/2^m))^(2^m) with
// |x/2^m| < 2^-10 and 30 terms of the Taylor series. An oracle independent of math.Exp.
func bigExp(x float64) *big.Float {
	const prec, m = 256, 16
	r := new(big.Float).SetPrec(prec).SetFloat64(x)
	r.SetMantExp(r, -m)
	sum := new(big.Float).SetPrec(prec).SetFloat64(1)
	term := new(big.Float).SetPrec(prec).SetFloat64(1)
	for k := 1; k <= 30; k++ {
		term.Mul(term, r)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(int64(k)))
		sum.Add(sum, term)
	}
	for range m {
		sum.Mul(sum, sum)
	}
	return sum
}

// TestAccuracyVsBig checks Exp and Sigmoid against an oracle in 256-bit arithmetic on random
// points of [-40, 40]: within 1 ulp of the correctly rounded value for Exp, 2 for Sigmoid (two
// more roundings).
func TestAccuracyVsBig(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	var maxE, maxS int64
	var wrongE, wrongS int
	const n = 2000
	one := big.NewFloat(1)
	for range n {
		x := rng.Float64()*80 - 40
		e, _ := bigExp(x).Float64()
		if u := ulps(Exp(x), e); u > maxE {
			maxE = u
		}
		if Exp(x) != e {
			wrongE++
		}
		d := bigExp(-x)
		s, _ := d.Quo(one, d.Add(d, one)).Float64()
		if u := ulps(Sigmoid(x), s); u > maxS {
			maxS = u
		}
		if Sigmoid(x) != s {
			wrongS++
		}
	}
	if maxE > 1 || maxS > 2 {
		t.Errorf("max error vs the 256-bit oracle: Exp %d ulps, Sigmoid %d ulps", maxE, maxS)
	}
	t.Logf("vs the 256-bit oracle on %d points: Exp max %d ulp (%.3g%% not correctly rounded), "+
		"Sigmoid max %d ulp (%.3g%%)", n, maxE, 100*float64(wrongE)/n, maxS, 100*float64(wrongS)/n)
}

func TestLengths(t *testing.T) {
	Exp64(nil, nil)
	Sigmoid64([]float64{}, nil)
	Sigmoid32(nil, []float32{})
	defer func() {
		if recover() == nil {
			t.Error("Sigmoid64 with lengths 2 and 3 did not panic")
		}
	}()
	Sigmoid64(make([]float64, 2), make([]float64, 3))
}

func ExampleSigmoid64() {
	x := []float64{-2, 0, 2, 40}
	y := make([]float64, len(x))
	Sigmoid64(y, x)
	for i := range x {
		fmt.Printf("σ(%g) = %.6f\n", x[i], y[i])
	}
	// Output:
	// σ(-2) = 0.119203
	// σ(0) = 0.500000
	// σ(2) = 0.880797
	// σ(40) = 1.000000
}
