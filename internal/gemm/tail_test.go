package gemm

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
	"unsafe"
)

// guardedBytes returns n bytes that end where the memory mapped for them ends: on Linux, at a
// page that faults on any access (guard_linux_test.go), freed when the test ends.
var guardedBytes = func(_ *testing.T, n int) []byte { return make([]byte, n) }

// endOf returns the last n values of b as F: an operand there has nothing after it, so a load
// past its end faults where the guard page is.
func endOf[F Float](b []byte, n int) []F {
	var z F
	sz := int(unsafe.Sizeof(z))
	return unsafe.Slice((*F)(unsafe.Pointer(&b[len(b)-n*sz])), n)
}

// tailCases are ops whose column counts end in every tail width, after every combination of
// whole tiles, with 1 to 7 rows (4-row and 1-row tiles), in the kernel's shapes: a forward
// projection with gaps between the rows of C, a reverse sweep (negative outer strides), every
// row stride negative (row 0 of C and A and term 0 of D last in their slices), and panels wide
// and tall enough to be packed with the tail to their right.
func tailCases() []Op {
	var ops []Op
	for n := 1; n <= 40; n++ {
		for _, m := range []int{1, 4, 5, 7} {
			k := 1 + (n+m)%6
			ops = append(ops,
				Op{M: m, N: n, Inner: k, Outer: 1, LDC: n + 3, ARow: k, AInner: 1, DInner: n},
				Op{M: m, N: n, Inner: 2, Outer: 3, LDC: n,
					A0: 2 * 2 * m, ARow: 1, AInner: m, AOuter: -2 * m,
					D0: 2 * 2 * n, DInner: n, DOuter: -2 * n},
				Op{M: m, N: n, Inner: k, Outer: 1, C0: (m - 1) * (n + 1), LDC: -(n + 1),
					A0: (m - 1) * k, ARow: -k, AInner: 1, D0: (k - 1) * n, DInner: -n})
		}
	}
	for t := 1; t < 32; t++ {
		n := 64 + t
		ops = append(ops, Op{M: 66, N: n, Inner: 33, Outer: 1, LDC: n + 1, ARow: 33, AInner: 1, DInner: n})
	}
	return ops
}

// sentinel fills the values of C that are not elements of the product: a kernel that writes
// one changes its bits.
const sentinel = -123.25

// testTails compares acc (Acc, or one set of tiles) with the plain loop bit for bit on ops,
// the operands at the very end of guarded memory, then C followed by sentinels; rows
// split among "goroutines" one and two ways. The values between and after C's rows must stay
// sentinels.
func testTails[F Float](t *testing.T, ops []Op, acc func(op Op, c, a, d []F, lo, hi int)) {
	t.Helper()
	var z F
	sz := int(unsafe.Sizeof(z))
	rng := rand.New(rand.NewSource(2))
	const most = 1 << 14 // values of the largest operand of tailCases
	bc, ba, bd := guardedBytes(t, most*sz), guardedBytes(t, most*sz), guardedBytes(t, most*sz)
	for _, op := range ops {
		nc, na, nd := sizes(op)
		in := make([]bool, nc) // the elements of C
		for i := 0; i < op.M; i++ {
			for j := 0; j < op.N; j++ {
				in[op.C0+i*op.LDC+j] = true
			}
		}
		for _, pad := range []int{0, 5} {
			for _, split := range []int{1, 2} {
				name := fmt.Sprintf("%dx%d inner %d outer %d ldc %d, %d sentinels after C, split %d",
					op.M, op.N, op.Inner, op.Outer, op.LDC, pad, split)
				c, a, d := endOf[F](bc, nc+pad), endOf[F](ba, na), endOf[F](bd, nd)
				copy(a, random[F](rng, na))
				copy(d, random[F](rng, nd))
				for i := range c {
					c[i] = sentinel
					if i < nc && in[i] {
						c[i] = F(rng.NormFloat64())
					}
				}
				want := append([]F(nil), c...)
				naive(op, want, a, d)
				step := (op.M + split - 1) / split
				for lo := 0; lo < op.M; lo += step {
					acc(op, c, a, d, lo, min(lo+step, op.M))
				}
				for i := range want {
					if math.Float64bits(float64(c[i])) != math.Float64bits(float64(want[i])) {
						what := "an element of C"
						if i >= nc || !in[i] {
							what = "a sentinel"
						}
						t.Fatalf("%s: value %d (%s) is %v, the plain loop gives %v", name, i, what, c[i], want[i])
					}
				}
			}
		}
	}
}

func TestTailsAreThePlainLoopBitForBit(t *testing.T) {
	testTails(t, tailCases(), Acc[float64])
	testTails(t, tailCases(), Acc[float32])
}
