package gemm

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// The assembly tiles add rows × cols of C, held in registers over a whole block of the sum: c,
// a and d point at the tile's C[0][0], A(0, 0, 0) and D(0, 0)[0]; strides in bytes, the
// outer ones given as the jump after an inner loop. 4-row tiles take the row strides ldc and
// arow; 1-row tiles take the rows that remain. Columns: 8 (float64) and 16 (float32) with
// AVX2, twice that with AVX-512 (names ending in z).

//go:noescape
func tile4x8f64(c unsafe.Pointer, ldc uintptr, a unsafe.Pointer, arow, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)

//go:noescape
func tile1x8f64(c unsafe.Pointer, a unsafe.Pointer, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)

//go:noescape
func tile4x16f32(c unsafe.Pointer, ldc uintptr, a unsafe.Pointer, arow, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)

//go:noescape
func tile1x16f32(c unsafe.Pointer, a unsafe.Pointer, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)

//go:noescape
func tile4x8f32(c unsafe.Pointer, ldc uintptr, a unsafe.Pointer, arow, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)

//go:noescape
func tile1x8f32(c unsafe.Pointer, a unsafe.Pointer, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)

//go:noescape
func tile4x16f64z(c unsafe.Pointer, ldc uintptr, a unsafe.Pointer, arow, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)

//go:noescape
func tile1x16f64z(c unsafe.Pointer, a unsafe.Pointer, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)

//go:noescape
func tile4x32f32z(c unsafe.Pointer, ldc uintptr, a unsafe.Pointer, arow, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)

//go:noescape
func tile1x32f32z(c unsafe.Pointer, a unsafe.Pointer, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)

type tile4 func(c unsafe.Pointer, ldc uintptr, a unsafe.Pointer, arow, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)
type tile1 func(c unsafe.Pointer, a unsafe.Pointer, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)

// width is one column width of tiles: its 4-row and 1-row kernels. The widest usable width
// goes first; narrower ones take the columns that remain.
type width struct {
	cols   int
	t4     tile4
	t1     tile1
	usable bool
}

// The instruction sets in use; tests switch them off to compare.
var (
	useAVX2   = cpu.X86.HasAVX2
	useAVX512 = cpu.X86.HasAVX512F
)

// The tile widths of each type, widest first (setWidths, after the flags above).
var widths64, widths32 []width

func init() { setWidths() }

func setWidths() {
	widths64 = []width{{16, tile4x16f64z, tile1x16f64z, useAVX512}, {8, tile4x8f64, tile1x8f64, useAVX2}}
	widths32 = []width{{32, tile4x32f32z, tile1x32f32z, useAVX512}, {16, tile4x16f32, tile1x16f32, useAVX2},
		{8, tile4x8f32, tile1x8f32, useAVX2}}
}

func acc64(op Op, c, a, d []float64, lo, hi int) { blocks(op, c, a, d, lo, hi, widths64) }
func acc32(op Op, c, a, d []float32, lo, hi int) { blocks(op, c, a, d, lo, hi, widths32) }

// blockTerms is the number of terms of the sum a tile takes at a time: its panels of A and D
// then stay in the first-level cache while the tiles of a block of columns pass over them.
const blockTerms = 128

// blocks splits the sum into consecutive blocks of about blockTerms terms (whole outer steps,
// or part of the inner loop when there is one outer step), in order, so each element is still
// summed in the plain loop's order.
func blocks[F Float](op Op, c, a, d []F, lo, hi int, ws []width) {
	if op.Outer*op.Inner <= blockTerms {
		tiles(op, c, a, d, lo, hi, ws)
		return
	}
	if op.Outer == 1 {
		for k0 := 0; k0 < op.Inner; k0 += blockTerms {
			sub := op
			sub.Inner = min(blockTerms, op.Inner-k0)
			sub.A0 += k0 * op.AInner
			sub.D0 += k0 * op.DInner
			tiles(sub, c, a, d, lo, hi, ws)
		}
		return
	}
	per := max(1, blockTerms/op.Inner)
	for o0 := 0; o0 < op.Outer; o0 += per {
		sub := op
		sub.Outer = min(per, op.Outer-o0)
		sub.A0 += o0 * op.AOuter
		sub.D0 += o0 * op.DOuter
		tiles(sub, c, a, d, lo, hi, ws)
	}
}

// tiles computes rows [lo, hi) of C for one block of the sum: columns in tiles of the widest
// usable width, then the next, the last few in plain Go; for each column tile, the rows four at
// a time, then one at a time.
func tiles[F Float](op Op, c, a, d []F, lo, hi int, ws []width) {
	var z F
	sz := int(unsafe.Sizeof(z))
	ldc, arow, ainner := uintptr(op.LDC*sz), uintptr(op.ARow*sz), uintptr(op.AInner*sz)
	dinner := uintptr(op.DInner * sz)
	ajump := uintptr((op.AOuter - op.Inner*op.AInner) * sz)
	djump := uintptr((op.DOuter - op.Inner*op.DInner) * sz)
	j := 0
	for _, w := range ws {
		if !w.usable {
			continue
		}
		for ; j+w.cols <= op.N; j += w.cols {
			pd := unsafe.Pointer(&d[op.D0+j])
			i := lo
			for ; i+4 <= hi; i += 4 {
				w.t4(unsafe.Pointer(&c[op.C0+i*op.LDC+j]), ldc, unsafe.Pointer(&a[op.A0+i*op.ARow]), arow, ainner, ajump,
					pd, dinner, djump, op.Inner, op.Outer)
			}
			for ; i < hi; i++ {
				w.t1(unsafe.Pointer(&c[op.C0+i*op.LDC+j]), unsafe.Pointer(&a[op.A0+i*op.ARow]), ainner, ajump,
					pd, dinner, djump, op.Inner, op.Outer)
			}
		}
	}
	if j < op.N {
		ref(op, c, a, d, lo, hi, j, op.N)
	}
}
