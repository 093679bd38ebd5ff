package gemm

import (
	"sync"
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

// The tail tiles are the same for the last cols columns, fewer than a whole tile's, in one
// register per row (two for float64 with AVX2) whose lanes beyond cols are masked off: neither
// read (so an operand may end where its slice does) nor written. With AVX-512 (K masks) up to
// 7 float64 or 15 float32 columns, with AVX2 (VMASKMOVPD/PS) up to 7.

//go:noescape
func tail4f64z(c unsafe.Pointer, ldc uintptr, a unsafe.Pointer, arow, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer, cols int)

//go:noescape
func tail1f64z(c unsafe.Pointer, a unsafe.Pointer, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer, cols int)

//go:noescape
func tail4f32z(c unsafe.Pointer, ldc uintptr, a unsafe.Pointer, arow, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer, cols int)

//go:noescape
func tail1f32z(c unsafe.Pointer, a unsafe.Pointer, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer, cols int)

//go:noescape
func tail4f64(c unsafe.Pointer, ldc uintptr, a unsafe.Pointer, arow, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer, cols int)

//go:noescape
func tail1f64(c unsafe.Pointer, a unsafe.Pointer, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer, cols int)

//go:noescape
func tail4f32(c unsafe.Pointer, ldc uintptr, a unsafe.Pointer, arow, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer, cols int)

//go:noescape
func tail1f32(c unsafe.Pointer, a unsafe.Pointer, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer, cols int)

type tile4 func(c unsafe.Pointer, ldc uintptr, a unsafe.Pointer, arow, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)
type tile1 func(c unsafe.Pointer, a unsafe.Pointer, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer int)
type tail4 func(c unsafe.Pointer, ldc uintptr, a unsafe.Pointer, arow, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer, cols int)
type tail1 func(c unsafe.Pointer, a unsafe.Pointer, ainner, aouter uintptr, d unsafe.Pointer, dinner, douter uintptr, inner, outer, cols int)

// width is one column width of tiles: its 4-row and 1-row kernels. The widest usable width
// goes first; narrower ones take the columns that remain.
type width struct {
	cols   int
	t4     tile4
	t1     tile1
	usable bool
}

// tail is the masked tiles of a type: any number of columns below max in one call.
type tail struct {
	max    int
	t4     tail4
	t1     tail1
	usable bool
}

// set is the tiles of a type: the column widths, widest first, and the tail.
type set struct {
	ws   []width
	tail tail
}

// The instruction sets in use; tests switch them off to compare.
var (
	useAVX2   = cpu.X86.HasAVX2
	useAVX512 = cpu.X86.HasAVX512F
)

// The tiles of each type (setTiles, after the flags above).
var tiles64, tiles32 set

func init() { setTiles() }

func setTiles() {
	tiles64 = set{[]width{{16, tile4x16f64z, tile1x16f64z, useAVX512}, {8, tile4x8f64, tile1x8f64, useAVX2}},
		tail{8, tail4f64, tail1f64, useAVX2}}
	tiles32 = set{[]width{{32, tile4x32f32z, tile1x32f32z, useAVX512}, {16, tile4x16f32, tile1x16f32, useAVX2},
		{8, tile4x8f32, tile1x8f32, useAVX2}}, tail{8, tail4f32, tail1f32, useAVX2}}
	if useAVX512 { // K masks: cheaper than AVX2's vector masks, and wider
		tiles64.tail = tail{8, tail4f64z, tail1f64z, true}
		tiles32.tail = tail{16, tail4f32z, tail1f32z, true}
	}
}

// acc64 and acc32 take the op by address, and are not inlined: Acc is instantiated in the
// packages that call it, which know that these do not keep the address (so that the op stays on
// the stack) but not the generic functions they call.
//
//go:noinline
func acc64(op *Op, c, a, d []float64, lo, hi int) { blocks(op, c, a, d, lo, hi, &tiles64) }

//go:noinline
func acc32(op *Op, c, a, d []float32, lo, hi int) { blocks(op, c, a, d, lo, hi, &tiles32) }

// blockTerms is the number of terms of the sum a tile takes at a time: its panels of A and D
// then stay in the first-level cache while the tiles of a block of columns pass over them.
const blockTerms = 128

// blocks splits the sum into consecutive blocks of about blockTerms terms (whole outer steps,
// or part of the inner loop when there is one outer step), in order, so each element is still
// summed in the plain loop's order. A single block with too few rows to pack goes straight to
// unpacked: the products of the paper's small nets (one sequence, a few units) are mostly calls.
func blocks[F Float](op *Op, c, a, d []F, lo, hi int, s *set) {
	if op.Outer*op.Inner <= blockTerms {
		if hi-lo < 4*packRowTiles {
			unpacked(op, c, a, d, lo, hi, s)
		} else {
			tiles(op, c, a, d, lo, hi, s)
		}
		return
	}
	if op.Outer == 1 {
		for k0 := 0; k0 < op.Inner; k0 += blockTerms {
			sub := *op
			sub.Inner = min(blockTerms, op.Inner-k0)
			sub.A0 += k0 * op.AInner
			sub.D0 += k0 * op.DInner
			tiles(&sub, c, a, d, lo, hi, s)
		}
		return
	}
	per := max(1, blockTerms/op.Inner)
	for o0 := 0; o0 < op.Outer; o0 += per {
		sub := *op
		sub.Outer = min(per, op.Outer-o0)
		sub.A0 += o0 * op.AOuter
		sub.D0 += o0 * op.DOuter
		tiles(&sub, c, a, d, lo, hi, s)
	}
}

// tiles computes rows [lo, hi) of C for one block of the sum. Where there are enough tiles
// to share them, the block's panels of A and D are first copied into contiguous buffers
// (packed), so that a tile reads consecutive addresses instead of one cache line and often one
// page per term; the terms stay in the same order. The rest: columns in tiles of the widest
// usable width, then the next, the last few in a tail tile (in plain Go without AVX2); for
// each column tile, the rows four at a time, then one at a time.
func tiles[F Float](op *Op, c, a, d []F, lo, hi int, s *set) {
	if w, ok := widest(s.ws); ok {
		rows, cols := (hi-lo)/4*4, op.N/w.cols*w.cols
		if K := op.Inner * op.Outer; K >= 32 && rows/4 >= packRowTiles && cols/w.cols >= 2 {
			packed(op, c, a, d, lo, lo+rows, cols, w)
			if cols < op.N { // the columns to the right of the packed ones, these rows
				right := *op
				right.C0 += cols
				right.D0 += cols
				right.N -= cols
				unpacked(&right, c, a, d, lo, lo+rows, s)
			}
			lo += rows // the last rows, all columns
			if lo == hi {
				return
			}
		}
	}
	unpacked(op, c, a, d, lo, hi, s)
}

// packRowTiles is the least number of 4-row tiles sharing a packed panel of D that makes
// packing pay (a variable for the benchmarks that compare).
var packRowTiles = 16

// widest returns the widest usable tile width.
func widest(ws []width) (width, bool) {
	for _, w := range ws {
		if w.usable {
			return w, true
		}
	}
	return width{}, false
}

// scratch holds the packing buffers of one goroutine at a time.
var scratch64, scratch32 sync.Pool

// buffer returns a buffer of at least n values from pool (allocating only when the pool has
// none large enough), to be put back with release.
func buffer[F Float](pool *sync.Pool, n int) *[]F {
	if p, ok := pool.Get().(*[]F); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	b := make([]F, n)
	return &b
}

// packed computes rows [lo, hi) (a multiple of 4) and columns [0, cols) (a multiple of w's) of
// C for one block of the sum, from packed panels: A as [row tile][term][4], D as
// [column tile][term][w.cols].
func packed[F Float](op *Op, c, a, d []F, lo, hi, cols int, w width) {
	var z F
	sz := int(unsafe.Sizeof(z))
	pool := &scratch64
	if sz == 4 {
		pool = &scratch32
	}
	K, W := op.Inner*op.Outer, w.cols
	nIt, nJt := (hi-lo)/4, cols/W
	pa, pd := buffer[F](pool, nIt*K*4), buffer[F](pool, nJt*K*W)
	defer pool.Put(pa)
	defer pool.Put(pd)
	bufA, bufD := *pa, *pd
	p := 0
	for it := 0; it < nIt; it++ {
		base := op.A0 + (lo+4*it)*op.ARow
		for o := 0; o < op.Outer; o++ {
			for k := 0; k < op.Inner; k++ {
				at := base + o*op.AOuter + k*op.AInner
				bufA[p], bufA[p+1], bufA[p+2], bufA[p+3] = a[at], a[at+op.ARow], a[at+2*op.ARow], a[at+3*op.ARow]
				p += 4
			}
		}
	}
	p = 0
	for jt := 0; jt < nJt; jt++ {
		for o := 0; o < op.Outer; o++ {
			for k := 0; k < op.Inner; k++ {
				row := op.D0 + o*op.DOuter + k*op.DInner + jt*W
				copy(bufD[p:p+W], d[row:row+W])
				p += W
			}
		}
	}
	ldc := uintptr(op.LDC * sz)
	for jt := 0; jt < nJt; jt++ {
		dp := unsafe.Pointer(&bufD[jt*K*W])
		for it := 0; it < nIt; it++ {
			i := lo + 4*it
			w.t4(unsafe.Pointer(&c[op.C0+i*op.LDC+jt*W]), ldc, unsafe.Pointer(&bufA[it*K*4]), uintptr(sz), uintptr(4*sz), 0,
				dp, uintptr(W*sz), 0, K, 1)
		}
	}
}

// unpacked is tiles without packing.
func unpacked[F Float](op *Op, c, a, d []F, lo, hi int, s *set) {
	var z F
	sz := int(unsafe.Sizeof(z))
	ldc, arow, ainner := uintptr(op.LDC*sz), uintptr(op.ARow*sz), uintptr(op.AInner*sz)
	dinner := uintptr(op.DInner * sz)
	ajump := uintptr((op.AOuter - op.Inner*op.AInner) * sz)
	djump := uintptr((op.DOuter - op.Inner*op.DInner) * sz)
	j := 0
	for k := range s.ws {
		w := &s.ws[k]
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
	switch t := &s.tail; { // the last columns
	case j == op.N:
	case t.usable && op.N-j < t.max:
		pd, cols := unsafe.Pointer(&d[op.D0+j]), op.N-j
		i := lo
		for ; i+4 <= hi; i += 4 {
			t.t4(unsafe.Pointer(&c[op.C0+i*op.LDC+j]), ldc, unsafe.Pointer(&a[op.A0+i*op.ARow]), arow, ainner, ajump,
				pd, dinner, djump, op.Inner, op.Outer, cols)
		}
		for ; i < hi; i++ {
			t.t1(unsafe.Pointer(&c[op.C0+i*op.LDC+j]), unsafe.Pointer(&a[op.A0+i*op.ARow]), ainner, ajump,
				pd, dinner, djump, op.Inner, op.Outer, cols)
		}
	default:
		ref(op, c, a, d, lo, hi, j, op.N)
	}
}
