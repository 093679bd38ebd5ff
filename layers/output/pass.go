package output

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/graph/fusedop"
	"github.com/lstm97/lstm97/internal/gemm"
	"github.com/lstm97/lstm97/internal/par"
)

// pass is one dtype's side of a denseOp: the operands of the run in progress (nil between
// runs) and the buffers kept from run to run, so that a run allocates nothing.
//
// The matrix products go through package gemm, which sums every element in the plain loop's
// order with each product rounded before it is added: the forward pass's net inputs start at
// the bias (or 0) and add h·W in the order of the cells; dh is a fresh sum over the units; dW
// sums over the rows in their order. The inputs' part (x·Wx, dx, dWx, with their zero-skipping)
// and db stay plain loops, in the same orders as the products'.
type pass[F float32 | float64] struct {
	op   *denseOp
	C, I int // cells and inputs of the run

	// The run's operands, gradients and squashing (nil between runs).
	h, w, x, wx, b, y, dy []F
	dh, dw, dx, dwx, db   []F
	sigmoid               func([]F)
	// The rows read, as gemm's operands: row n of h at rowsH[a0+n·as:], its gradient at
	// rowsDH[a0+n·as:] (h and dh themselves, or hRows and dhRows).
	rowsH, rowsDH []F
	a0, as        int

	// Kept from run to run.
	d             []F      // f'(net) of the last forward run [N, K]
	g             []F      // ∂E/∂net = dy·f'(net) [N, K]
	wT, dwT       []F      // Wᵀ and the gradient's dWᵀ [K, C]
	hRows, dhRows []F      // the rows read, gathered when they are not evenly spaced [N, C]
	loop          par.Loop // the goroutines of the passes
	parts         int      // the chunks of the running pass
}

// The parts of a run that parallel splits among goroutines.
const (
	partForward  = iota // rows of y
	partBackward        // rows of dh and columns of dWᵀ
)

// fill reads the operands (the gradient's dy too if grad) and checks their sizes.
func (p *pass[F]) fill(op *denseOp, vals []G.Value, grad bool) error {
	if grad {
		if len(vals) == 0 {
			return errors.Errorf("%v: gradient without inputs", op)
		}
		dy, ok := fusedop.Floats[F](vals[len(vals)-1])
		if !ok {
			return errors.Errorf("%v: gradient is %T, want a dense tensor of %T", op, vals[len(vals)-1], F(0))
		}
		p.dy, vals = dy, vals[:len(vals)-1]
	}
	h, w, x, wx, b, err := denseArgs[F](op, vals)
	if err != nil {
		return err
	}
	K := op.K
	C, I := len(w)/K, len(wx)/K
	switch {
	case len(w) != C*K || len(h) != op.inN*C:
		return errors.Errorf("%v: h has %d values and W %d, want [%d, C] and [C, %d]", op, len(h), len(w), op.inN, K)
	case len(wx) != I*K || len(x) != op.inN*I:
		return errors.Errorf("%v: x has %d values and Wx %d, want [%d, I] and [I, %d]", op, len(x), len(wx), op.inN, K)
	}
	p.op, p.C, p.I = op, C, I
	p.h, p.w, p.x, p.wx, p.b = h, w, x, wx, b
	return nil
}

// done drops the run's operands.
func (p *pass[F]) done() {
	p.h, p.w, p.x, p.wx, p.b, p.y, p.dy = nil, nil, nil, nil, nil, nil, nil
	p.dh, p.dw, p.dx, p.dwx, p.db, p.sigmoid, p.rowsH, p.rowsDH = nil, nil, nil, nil, nil, nil, nil, nil
}

// setRows points rowsH (and rowsDH if grad) at the rows the op reads: at h itself when they are
// evenly spaced, else at copies of them gathered into hRows (with a zeroed dhRows for their
// gradient, to be scattered into dh afterwards).
func (p *pass[F]) setRows(grad bool) {
	op, C := p.op, p.C
	if op.spaced {
		p.rowsH, p.rowsDH, p.a0, p.as = p.h, p.dh, op.first*C, op.step*C
		return
	}
	p.hRows = grow(p.hRows, op.N*C)
	for n, r := range op.rows {
		copy(p.hRows[n*C:(n+1)*C], p.h[r*C:(r+1)*C])
	}
	p.rowsH, p.a0, p.as = p.hRows, 0, C
	if grad {
		p.dhRows = grow(p.dhRows, op.N*C)
		clear(p.dhRows)
		p.rowsDH = p.dhRows
	}
}

// denseForward computes y [N, K] and keeps f'(net) for the backward pass.
func denseForward[F float32 | float64](op *denseOp, p *pass[F], vals []G.Value, y []F, sigmoid func([]F)) error {
	defer p.done()
	if err := p.fill(op, vals, false); err != nil {
		return err
	}
	if len(y) != op.N*op.K {
		return errors.Errorf("%v: output of %d values, want %d", op, len(y), op.N*op.K)
	}
	p.y, p.sigmoid = y, sigmoid
	p.d = grow(p.d, op.N*op.K)
	p.setRows(false)
	parallel(p, partForward, op.N, op.N*p.C*op.K)
	return nil
}

// forward computes rows [lo, hi) of y and d: each net input starts at the bias (or 0), adds
// h·W in the order of the cells (gemm), then x·Wx in the order of the inputs, skipping zero
// inputs (one-hot rows add nothing), each product rounded before it is added; then the
// squashing.
func (p *pass[F]) forward(lo, hi int) {
	op, K := p.op, p.op.K
	y, d := p.y[lo*K:hi*K], p.d[lo*K:hi*K]
	for n := lo; n < hi; n++ {
		if p.b != nil {
			copy(p.y[n*K:(n+1)*K], p.b)
		} else {
			clear(p.y[n*K : (n+1)*K])
		}
	}
	gemm.Acc(gemm.Op{M: op.N, N: K, Inner: p.C, Outer: 1, LDC: K, A0: p.a0, ARow: p.as, AInner: 1, DInner: K},
		p.y, p.rowsH, p.w, lo, hi)
	if op.hasX {
		I := p.I
		for n := lo; n < hi; n++ {
			r := op.in(n)
			xr, yr := p.x[r*I:(r+1)*I:(r+1)*I], p.y[n*K:(n+1)*K:(n+1)*K]
			for k := range yr {
				yr[k] = netX(yr[k], xr, p.wx, k, K)
			}
		}
	}
	if op.linear {
		for i := range d {
			d[i] = 1
		}
		return
	}
	p.sigmoid(y)
	for i, v := range y {
		d[i] = v * (1 - v)
	}
}

// denseBackward writes dh, dW, (dx, dWx), (db) into out, in input order. out arrives zeroed
// (fusedop's gradient op clears it): the rows of h and x that rows leaves out keep a zero
// gradient, and the sums of dh and dW start at +0, as the plain loops' do.
func denseBackward[F float32 | float64](op *denseOp, p *pass[F], vals []G.Value, out []F) error {
	defer p.done()
	if err := p.fill(op, vals, true); err != nil {
		return err
	}
	N, K, C, I := op.N, op.K, p.C, p.I
	if len(p.d) != N*K || len(p.dy) != N*K {
		return errors.Errorf("%v: gradient before the forward op ran", op)
	}
	if want := len(p.h) + len(p.w) + len(p.x) + len(p.wx) + len(p.b); len(out) != want {
		return errors.Errorf("%v: gradient of %d values, want %d", op, len(out), want)
	}
	rest := out
	p.dh, rest = rest[:len(p.h)], rest[len(p.h):]
	p.dw, rest = rest[:len(p.w)], rest[len(p.w):]
	p.dx, rest = rest[:len(p.x)], rest[len(p.x):]
	p.dwx, rest = rest[:len(p.wx)], rest[len(p.wx):]
	p.db = rest
	// ∂E/∂net = dy·f'(net), every row; Wᵀ [K, C] for dh = g·Wᵀ; dWᵀ [K, C] = gᵀ·h, summed over
	// the rows in order, then transposed into dW (which is 0: dW = 0 + dWᵀ's sums exactly).
	p.g = grow(p.g, N*K)
	for i, v := range p.dy {
		p.g[i] = v * p.d[i]
	}
	p.wT, p.dwT = grow(p.wT, K*C), grow(p.dwT, K*C)
	for c := 0; c < C; c++ {
		for k, v := range p.w[c*K : (c+1)*K] {
			p.wT[k*C+c] = v
		}
	}
	clear(p.dwT)
	p.setRows(true)
	parallel(p, partBackward, N, 2*N*C*K)
	for k := 0; k < K; k++ {
		for c, v := range p.dwT[k*C : (k+1)*C] {
			p.dw[c*K+k] = v
		}
	}
	if !op.spaced {
		for n, r := range op.rows {
			copy(p.dh[r*C:(r+1)*C], p.dhRows[n*C:(n+1)*C])
		}
	}
	// db and the inputs' part: row after row, as dW.
	for n := 0; n < N; n++ {
		g := p.g[n*K : (n+1)*K : (n+1)*K]
		if p.b != nil {
			db := p.db[:K]
			for k, v := range g {
				db[k] += v
			}
		}
		if op.hasX {
			inputGrad(op, p.x, p.wx, p.dx, p.dwx, op.in(n), I, g)
		}
	}
	return nil
}

// backward computes rows [lo, hi) of dh and columns [clo, chi) of dWᵀ.
func (p *pass[F]) backward(lo, hi, clo, chi int) {
	op, K, C := p.op, p.op.K, p.C
	gemm.Acc(gemm.Op{M: op.N, N: C, Inner: K, Outer: 1, C0: p.a0, LDC: p.as, ARow: K, AInner: 1, DInner: C},
		p.rowsDH, p.g, p.wT, lo, hi)
	if clo < chi {
		gemm.Acc(gemm.Op{M: K, N: chi - clo, Inner: op.N, Outer: 1, C0: clo, LDC: C, ARow: 1, AInner: K, D0: p.a0 + clo, DInner: p.as},
			p.dwT, p.g, p.rowsH, 0, K)
	}
}

// parallel runs part over [0, n) split into chunks among up to GOMAXPROCS goroutines (at most
// graph.Config.Threads, if set) when the work is large enough (package par: the caller and
// workers that live from pass to pass, each taking the chunks left by the others once its own
// is done). Each element is computed by one
// goroutine, in the same order as by one, so the results do not depend on the number of
// goroutines nor on which one computes a chunk. (The LSTM kernel's parallel,
// layers/internal/kernel, does the same for its parts.)
func parallel[F float32 | float64](p *pass[F], part, n, work int) {
	p.parts = par.Procs(work, n/4)
	if t := p.op.threads; t > 0 {
		p.parts = min(p.parts, t)
	}
	p.loop.For(p, part, p.parts, 1, p.parts)
}

// Run runs chunks [lo, hi) of part (see parallel; it is par.Runner's method).
func (p *pass[F]) Run(part, lo, hi int) {
	for i := lo; i < hi; i++ {
		run(p, part, i, p.parts)
	}
}

// run runs chunk i of parts of part.
func run[F float32 | float64](p *pass[F], part, i, parts int) {
	switch part {
	case partForward:
		p.forward(chunk(p.op.N, i, parts, 4))
	case partBackward:
		lo, hi := chunk(p.op.N, i, parts, 4)
		clo, chi := chunk(p.C, i, parts, 32)
		p.backward(lo, hi, clo, chi)
	}
}

// chunk returns chunk i of [0, n) cut into parts chunks of a multiple of align (4 for rows, the
// rows of gemm's tiles; 32 for columns, its widest tiles'), the last ones shorter or empty.
func chunk(n, i, parts, align int) (lo, hi int) {
	size := ((n+parts-1)/parts + align - 1) / align * align
	return min(i*size, n), min((i+1)*size, n)
}

// grow returns b with length size, reusing its storage when it is large enough.
func grow[T any](b []T, size int) []T {
	if cap(b) < size {
		return make([]T, size)
	}
	return b[:size]
}
