// Package gemm holds the matrix products of the fused kernels: C += A·D over strided operands,
// register-blocked and vectorised (AVX2 or AVX-512 on amd64), in float32 and float64.
//
// Every element of C is summed in the same order as the plain loop
//
//	for o := 0; o < Outer; o++ { for k := 0; k < Inner; k++ { c[i][j] += a(i, o, k) * d(o, k)[j] } }
//
// with each product rounded before it is added (multiply, then add: no fused multiply-add), so
// the vectorised kernels give the plain loop's results bit for bit, whatever the tile sizes, the
// instruction set or the number of goroutines splitting the rows of C. This is what lets the
// LSTM kernel use them without changing a single result of the paper's runs.
package gemm

import (
	"fmt"
	"unsafe"
)

// Float is the element type of the products.
type Float interface{ float32 | float64 }

// Op describes C += A·D. Indices are element offsets into the slices, strides in elements and
// may be negative (a reverse sweep over time walks the rows backwards).
//
// Rows i < M and columns j < N of C are c[C0 + i·LDC + j]. The sum runs over Outer blocks of
// Inner terms; term (o, k) takes a[A0 + i·ARow + o·AOuter + k·AInner] and the row of D that
// starts at d[D0 + o·DOuter + k·DInner] (N contiguous values).
type Op struct {
	M, N, Inner, Outer int
	C0, LDC            int
	A0, ARow, AInner   int
	AOuter             int
	D0, DInner, DOuter int
}

// extent returns the smallest and largest offset of base + i·si + j·sj + k·sk over i < ni,
// j < nj, k < nk (each count at least 1).
func extent(base, ni, si, nj, sj, nk, sk int) (lo, hi int) {
	lo, hi = base, base
	if d := (ni - 1) * si; d > 0 {
		hi += d
	} else {
		lo += d
	}
	if d := (nj - 1) * sj; d > 0 {
		hi += d
	} else {
		lo += d
	}
	if d := (nk - 1) * sk; d > 0 {
		hi += d
	} else {
		lo += d
	}
	return lo, hi
}

// check panics with the operand and the offsets when the op would read or write outside a
// slice (a programming error of the kernel that called it; the asm must never see one).
func (op *Op) check(nc, na, nd int) {
	if lo, hi := extent(op.C0, op.M, op.LDC, op.N, 1, 1, 0); lo < 0 || hi >= nc {
		outside("C", lo, hi, nc, *op)
	}
	if lo, hi := extent(op.A0, op.M, op.ARow, op.Outer, op.AOuter, op.Inner, op.AInner); lo < 0 || hi >= na {
		outside("A", lo, hi, na, *op)
	}
	if lo, hi := extent(op.D0, op.Outer, op.DOuter, op.Inner, op.DInner, op.N, 1); lo < 0 || hi >= nd {
		outside("D", lo, hi, nd, *op)
	}
}

// outside panics for check. It takes op by value so that check's op does not escape: an Op
// moved to the heap would cost an allocation per product.
//
//go:noinline
func outside(what string, lo, hi, n int, op Op) {
	panic(fmt.Sprintf("gemm: %s offsets [%d, %d] outside %d values (%+v)", what, lo, hi, n, op))
}

// Acc computes c += a·d as described by op (see Op), rows [lo, hi) of C only, so that
// goroutines can split the rows among themselves: each element is computed by one call, in the
// plain loop's order, so the results do not depend on the split.
func Acc[F Float](op Op, c, a, d []F, lo, hi int) {
	if hi > op.M {
		hi = op.M
	}
	if lo >= hi || op.N <= 0 || op.Inner <= 0 || op.Outer <= 0 {
		return
	}
	op.check(len(c), len(a), len(d))
	var z F
	if unsafe.Sizeof(z) == 8 { // F is float64; no interface conversion (it would allocate)
		acc64(&op, as[float64](c), as[float64](a), as[float64](d), lo, hi)
	} else {
		acc32(&op, as[float32](c), as[float32](a), as[float32](d), lo, hi)
	}
}

// as reinterprets v as a slice of T, a type of the same size.
func as[T, F Float](v []F) []T {
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(v))), len(v))
}

// ref computes rows [lo, hi) and columns [j0, j1) of C in plain Go: the definition the
// vectorised kernels are tested against, and the whole product without AVX2 or off amd64.
func ref[F Float](op *Op, c, a, d []F, lo, hi, j0, j1 int) {
	for i := lo; i < hi; i++ {
		row := c[op.C0+i*op.LDC+j0 : op.C0+i*op.LDC+j1]
		for o := 0; o < op.Outer; o++ {
			for k := 0; k < op.Inner; k++ {
				av := a[op.A0+i*op.ARow+o*op.AOuter+k*op.AInner]
				d0 := op.D0 + o*op.DOuter + k*op.DInner + j0
				drow := d[d0 : d0+len(row)]
				for j := range row {
					row[j] += F(av * drow[j]) // rounded before the add, as the kernels do: no fusion
				}
			}
		}
	}
}
