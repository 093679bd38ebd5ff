package vmath

import "math"

// Constants of math/exp_amd64.s, spelled the same so that they round to the same float64s.
const (
	log2e    = 1.4426950408889634073599246810018920        // 1/ln 2
	ln2U     = 0.69314718055966295651160180568695068359375 // upper part of ln 2
	ln2L     = 0.28235290563031577122588448175013436025525412068e-12
	overflow = 7.09782712893384e+02 // math.Exp's threshold: x > overflow gives +Inf

	t8 = 2.4801587301587301587e-5 // 1/8!
	t7 = 1.9841269841269841270e-4 // 1/7!
	t6 = 1.3888888888888888889e-3 // 1/6!
	t5 = 8.3333333333333333333e-3 // 1/5!
	t4 = 4.1666666666666666667e-2 // 1/4!
	t3 = 1.6666666666666666667e-1 // 1/3!
)

// block is the number of elements the assembly kernels process per iteration; an element that
// needs a rare path sends the block holding it through the Go version.
const block = 8

// minAsm is the shortest float64 slice given to the assembly kernels: a single element is as
// fast in Go.
const minAsm = 2

// Exp returns e^x, the scalar form of Exp64: Exp(x) == dst[0] after Exp64(dst, []float64{x}).
func Exp(x float64) float64 {
	b := math.Float64bits(x)
	if b&^(1<<63) >= 0x7FF0000000000000 { // NaN or ±Inf
		if b == 0xFFF0000000000000 {
			return 0
		}
		return x
	}
	if x > overflow {
		return math.Inf(1)
	}
	kf := math.RoundToEven(log2e * x) // CVTSD2SL under the default rounding mode
	if kf < -1075 {                   // far below the subnormals (or CVTSD2SL's out-of-range value)
		return 0
	}
	r := math.FMA(-kf, ln2U, x)
	r = math.FMA(-kf, ln2L, r)
	s := r * 0.0625
	p := math.FMA(s, t8, t7) // the Taylor series of (e^s - 1)/s
	p = math.FMA(p, s, t6)
	p = math.FMA(p, s, t5)
	p = math.FMA(p, s, t4)
	p = math.FMA(p, s, t3)
	p = math.FMA(p, s, 0.5)
	p = math.FMA(p, s, 1)
	// The float64 conversions round each product, as the assembly does: without them the
	// compiler may fuse a product and the next addition into an FMA (with GOAMD64=v3, on arm64).
	y := float64(s * p) // e^s - 1
	y = float64(y * (y + 2))
	y = float64(y * (y + 2))
	y = float64(y * (y + 2))
	y = math.FMA(y, y+2, 1) // e^(16s) = e^r
	bx := int(kf) + 1023    // the biased exponent of 2^k
	switch {
	case bx <= 0: // subnormal result: two steps, rounding once
		y = float64(y * math.Float64frombits(uint64(bx+1022)<<52))
		return float64(y * 0x1p-1022)
	case bx >= 0x7FF:
		return math.Inf(1)
	}
	return float64(y * math.Float64frombits(uint64(bx)<<52))
}

// Sigmoid returns the logistic function 1/(1+e^-x), the scalar form of Sigmoid64:
// Sigmoid(x) == dst[0] after Sigmoid64(dst, []float64{x}).
func Sigmoid(x float64) float64 {
	return 1 / (1 + Exp(-x))
}

// Exp64 sets dst[i] = e^x[i] (Exp) for every i. dst and x must have the same length (it panics
// otherwise) and may be the same slice, but must not overlap otherwise.
func Exp64(dst, x []float64) {
	checkLen(len(dst), len(x))
	i := 0
	for i < len(x) {
		if useAsm && len(x)-i >= minAsm {
			i += exp64Asm(dst[i:], x[i:])
		}
		for end := min(i+block, len(x)); i < end; i++ {
			dst[i] = Exp(x[i])
		}
	}
}

// Sigmoid64 sets dst[i] = 1/(1+e^-x[i]) (Sigmoid) for every i. dst and x must have the same
// length (it panics otherwise) and may be the same slice, but must not overlap otherwise.
func Sigmoid64(dst, x []float64) {
	checkLen(len(dst), len(x))
	i := 0
	for i < len(x) {
		if useAsm && len(x)-i >= minAsm {
			i += sigmoid64Asm(dst[i:], x[i:])
		}
		for end := min(i+block, len(x)); i < end; i++ {
			dst[i] = Sigmoid(x[i])
		}
	}
}

// Sigmoid32 sets dst[i] = float32(Sigmoid(float64(x[i]))) for every i: the float64 sigmoid
// rounded once to float32. dst and x must have the same length (it panics otherwise) and may be
// the same slice, but must not overlap otherwise.
func Sigmoid32(dst, x []float32) {
	checkLen(len(dst), len(x))
	i := 0
	for i < len(x) {
		if useAsm { // even for one element: the Go loop's float32 conversions wait for each other
			i += sigmoid32Asm(dst[i:], x[i:])
		}
		for end := min(i+block, len(x)); i < end; i++ {
			dst[i] = float32(Sigmoid(float64(x[i])))
		}
	}
}

func checkLen(nd, nx int) {
	if nd != nx {
		panic("vmath: dst and x have different lengths")
	}
}
