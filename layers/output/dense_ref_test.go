package output

import (
	"fmt"
	"math"
	"math/rand"
	"runtime"
	"strings"
	"testing"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph/fusedop"
	"github.com/lstm97/lstm97/internal/par"
)

// denseCase is a shape and configuration of the output layer's op.
type denseCase struct {
	inN, C, K, I int
	oneHot       bool // x one-hot rows (else dense, with some exact zeros)
	xIsInput     bool // no dx
	bias, linear bool
	rows         []int // nil: all inN rows
}

// TestDenseGemmMatchesScalarLoops: the op's forward and backward passes (matrix products by
// package gemm, rows split among goroutines) give bit for bit what the scalar loops that
// computed them before gave (kept below, refForward and refBackward: rows two at a time, sums
// in registers), in float64 and float32, for odd and even numbers of rows, listed rows (evenly
// spaced, descending, scattered), inputs one-hot and dense, bias or not, logistic or linear, 1
// to 16 units and 1 to 300 cells, with 1, 2 and 3 goroutines. The values include exact zeros of
// both signs, so that products of -0 test the sign of zero sums.
func TestDenseGemmMatchesScalarLoops(t *testing.T) {
	cases := []denseCase{
		{inN: 12, C: 6, K: 7},
		{inN: 1, C: 1, K: 1},
		{inN: 2, C: 1, K: 1, bias: true},
		{inN: 5, C: 3, K: 7, bias: true},
		{inN: 8, C: 8, K: 8, I: 4, bias: true},
		{inN: 9, C: 9, K: 9, I: 3, oneHot: true, linear: true},
		{inN: 16, C: 33, K: 16, I: 5, bias: true, xIsInput: true},
		{inN: 7, C: 17, K: 8, I: 2, linear: true, rows: []int{6, 1, 3}},
		{inN: 10, C: 5, K: 7, I: 3, oneHot: true, bias: true, rows: []int{1, 3, 5, 7, 9}},
		{inN: 10, C: 5, K: 9, bias: true, rows: []int{9, 6, 3, 0}},
		{inN: 11, C: 4, K: 16, I: 2, rows: []int{4}},
		{inN: 40, C: 20, K: 8, I: 6, oneHot: true, bias: true, rows: []int{4, 5, 6, 7, 20, 21, 22, 23, 36, 37, 38, 39}},
		{inN: 33, C: 64, K: 8, bias: true},
		{inN: 70, C: 256, K: 8},
		{inN: 67, C: 300, K: 7, I: 3, bias: true},
		{inN: 300, C: 300, K: 16, I: 2, oneHot: true, bias: true},
		{inN: 301, C: 256, K: 9, rows: evenRows(100, 301, 2)},
		{inN: 260, C: 130, K: 8, bias: true, rows: scattered(260, 200)},
	}
	for _, K := range []int{1, 7, 8, 9, 16} {
		for _, C := range []int{1, 2, 5, 31, 128} {
			cases = append(cases, denseCase{inN: 3 + K%2, C: C, K: K, I: C % 3, bias: C%2 == 1, linear: K == 9})
		}
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	defer par.SetMinWork(par.SetMinWork(1 << 15)) // these shapes on several goroutines too
	for i, tc := range cases {
		for _, f32 := range []bool{false, true} {
			for _, procs := range []int{1, 2, 3} {
				if procs > 1 && tc.inN*tc.C*tc.K < 2<<15 {
					continue // one goroutine whatever GOMAXPROCS
				}
				runtime.GOMAXPROCS(procs)
				name := fmt.Sprintf("%+v/float32=%v/procs=%d", tc, f32, procs)
				var err error
				if f32 {
					err = compareDense[float32](tc, int64(i), sigmoid32)
				} else {
					err = compareDense[float64](tc, int64(i), sigmoid64)
				}
				if err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
		}
	}
}

// TestDenseOpErrors: calls the op cannot compute get an error naming the problem, not a panic
// or a wrong result.
func TestDenseOpErrors(t *testing.T) {
	mat := func(r, c int) G.Value {
		return tensor.New(tensor.WithShape(r, c), tensor.WithBacking(make([]float64, r*c)))
	}
	newOp := func() *denseOp {
		op := &denseOp{Base: fusedop.NewBase("test.denseOp", tensor.Float64), N: 3, inN: 3, K: 2}
		op.setRows(nil)
		return op
	}
	ok := []G.Value{mat(3, 4), mat(4, 2)}
	for _, tc := range []struct {
		name, want string
		run        func(op *denseOp) error
	}{
		{"gradient first", "before the forward op ran", func(op *denseOp) error {
			return op.Grad64(append(ok[:2:2], mat(3, 2)), nil, make([]float64, 12+8))
		}},
		{"short output", "output of 5 values, want 6", func(op *denseOp) error {
			return op.Forward64(ok, make([]float64, 5))
		}},
		{"h of 5 rows", "h has 20 values and W 8", func(op *denseOp) error {
			return op.Forward64([]G.Value{mat(5, 4), mat(4, 2)}, make([]float64, 6))
		}},
		{"scalar gradient", "gradient is *gorgonia.F64", func(op *denseOp) error {
			if err := op.Forward64(ok, make([]float64, 6)); err != nil {
				return err
			}
			return op.Grad64(append(ok[:2:2], G.NewF64(1)), nil, make([]float64, 12+8))
		}},
		{"short gradient", "gradient of 19 values, want 20", func(op *denseOp) error {
			if err := op.Forward64(ok, make([]float64, 6)); err != nil {
				return err
			}
			return op.Grad64(append(ok[:2:2], mat(3, 2)), nil, make([]float64, 19))
		}},
	} {
		err := tc.run(newOp())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// evenRows lists rows first, first+step, ... below n.
func evenRows(first, n, step int) []int {
	var rows []int
	for r := first; r < n; r += step {
		rows = append(rows, r)
	}
	return rows
}

// scattered lists m distinct rows of [0, n) in a shuffled order (seeded).
func scattered(n, m int) []int {
	return rand.New(rand.NewSource(int64(n))).Perm(n)[:m]
}

// compareDense runs the op and the reference loops on the same random values and reports the
// first value whose bits differ.
func compareDense[F float32 | float64](tc denseCase, seed int64, sigmoid func([]F)) error {
	rng := rand.New(rand.NewSource(seed))
	dt := tensor.Float64
	if _, ok := any(F(0)).(float32); ok {
		dt = tensor.Float32
	}
	op := &denseOp{Base: fusedop.NewBase("test.denseOp", dt), N: tc.inN, inN: tc.inN, K: tc.K,
		hasX: tc.I > 0, xIsInput: tc.xIsInput, hasB: tc.bias, linear: tc.linear}
	op.setRows(tc.rows)
	rnd := func(n int, scale float64) []F {
		v := make([]F, n)
		for i := range v {
			switch rng.Intn(10) {
			case 0:
				v[i] = 0
			case 1:
				v[i] = F(math.Copysign(0, -1))
			default:
				v[i] = F(scale * (2*rng.Float64() - 1))
			}
		}
		return v
	}
	mat := func(r, c int, v []F) G.Value {
		return tensor.New(tensor.WithShape(r, c), tensor.WithBacking(v))
	}
	vals := []G.Value{mat(tc.inN, tc.C, rnd(tc.inN*tc.C, 1.5)), mat(tc.C, tc.K, rnd(tc.C*tc.K, 0.9))}
	if tc.I > 0 {
		x := rnd(tc.inN*tc.I, 1)
		if tc.oneHot {
			x = make([]F, tc.inN*tc.I)
			for r := 0; r < tc.inN; r++ {
				x[r*tc.I+rng.Intn(tc.I)] = 1
			}
		}
		vals = append(vals, mat(tc.inN, tc.I, x), mat(tc.I, tc.K, rnd(tc.I*tc.K, 0.9)))
	}
	if tc.bias {
		vals = append(vals, mat(1, tc.K, rnd(tc.K, 0.5)))
	}
	N := op.N
	// Twice, to run on buffers kept from the first run.
	for run := 0; run < 2; run++ {
		got, want := make([]F, N*tc.K), make([]F, N*tc.K)
		if err := op.runForward(vals, got); err != nil {
			return err
		}
		d, err := refForward(op, vals, want, nil, sigmoid)
		if err != nil {
			return err
		}
		if err := sameBits("y", got, want); err != nil {
			return err
		}
		dy := mat(N, tc.K, rnd(N*tc.K, 1))
		n := 0
		for _, v := range vals {
			n += v.Shape().TotalSize()
		}
		got, want = make([]F, n), make([]F, n)
		if err := op.runGrad(append(vals[:len(vals):len(vals)], dy), got); err != nil {
			return err
		}
		if _, err := refBackward(op, append(vals[:len(vals):len(vals)], dy), d, want, nil); err != nil {
			return err
		}
		if err := sameBits("gradient", got, want); err != nil {
			return err
		}
	}
	return nil
}

// runForward and runGrad run the op's pass of the dtype of y and out.
func (op *denseOp) runForward(vals []G.Value, y any) error {
	switch y := y.(type) {
	case []float64:
		return op.Forward64(vals, y)
	case []float32:
		return op.Forward32(vals, y)
	}
	return errors.Errorf("%T", y)
}
func (op *denseOp) runGrad(vals []G.Value, out any) error {
	switch out := out.(type) {
	case []float64:
		return op.Grad64(vals, nil, out)
	case []float32:
		return op.Grad32(vals, nil, out)
	}
	return errors.Errorf("%T", out)
}

// sameBits reports the first index where got and want differ in bits (the sign of zero too).
func sameBits[F float32 | float64](what string, got, want []F) error {
	if len(got) != len(want) {
		return errors.Errorf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if math.Float64bits(g) != math.Float64bits(w) {
			return errors.Errorf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
	return nil
}

// The scalar loops the op computed with before it used package gemm, unchanged but for their
// names: the definition of its results.

func refForward[F float32 | float64](op *denseOp, vals []G.Value, y, d []F, sigmoid func([]F)) ([]F, error) {
	h, w, x, wx, b, err := denseArgs[F](op, vals)
	if err != nil {
		return d, err
	}
	K := op.K
	C, I := len(w)/K, 0
	if op.hasX {
		I = len(wx) / K
	}
	if cap(d) < op.N*K {
		d = make([]F, op.N*K)
	}
	d = d[:op.N*K]
	w = w[:C*K]
	wx = wx[:I*K]
	// Each net input is summed in a register: the bias (or 0), then h·W in the order of the
	// cells, then x·Wx in the order of the inputs, skipping zero inputs (one-hot rows add
	// nothing), each product rounded before it is added (no fused multiply-add, whatever
	// GOAMD64). Rows go two at a time, sharing the loads of W. The squashing runs afterwards
	// over all of them.
	n := 0
	for ; n+2 <= op.N; n += 2 {
		r0, r1 := op.in(n), op.in(n+1)
		h0, h1 := h[r0*C:(r0+1)*C:(r0+1)*C], h[r1*C:(r1+1)*C:(r1+1)*C]
		h1 = h1[:len(h0)]
		var x0, x1 []F
		if op.hasX {
			x0, x1 = x[r0*I:(r0+1)*I:(r0+1)*I], x[r1*I:(r1+1)*I:(r1+1)*I]
		}
		y0, y1 := y[n*K:(n+1)*K:(n+1)*K], y[(n+1)*K:(n+2)*K:(n+2)*K]
		y1 = y1[:len(y0)]
		for k := range y0 {
			a0, a1 := F(0), F(0)
			if b != nil {
				a0, a1 = b[k], b[k]
			}
			for c, hv := range h0 {
				wv := w[c*K+k]
				a0 += F(hv * wv)
				a1 += F(h1[c] * wv)
			}
			y0[k], y1[k] = refNetX(a0, x0, wx, k, K), refNetX(a1, x1, wx, k, K)
		}
	}
	for ; n < op.N; n++ {
		r := op.in(n)
		hr := h[r*C : (r+1)*C : (r+1)*C]
		var xr []F
		if op.hasX {
			xr = x[r*I : (r+1)*I : (r+1)*I]
		}
		for k, yr := 0, y[n*K:(n+1)*K:(n+1)*K]; k < len(yr); k++ {
			net := F(0)
			if b != nil {
				net = b[k]
			}
			for c, hv := range hr {
				net += F(hv * w[c*K+k])
			}
			yr[k] = refNetX(net, xr, wx, k, K)
		}
	}
	y = y[:len(d)]
	if op.linear {
		for i := range d {
			d[i] = 1
		}
		return d, nil
	}
	sigmoid(y)
	for i, p := range y {
		d[i] = p * (1 - p)
	}
	return d, nil
}

// refNetX adds x·Wx for unit k to net, skipping zero inputs.
func refNetX[F float32 | float64](net F, x, wx []F, k, K int) F {
	for i, xv := range x {
		if xv != 0 {
			net += F(xv * wx[i*K+k])
		}
	}
	return net
}

// refBackward writes dh, dW, (dx, dWx), (db) into out, in input order. dnet is a buffer
// for one row's ∂E/∂net (made if it is short), returned for the next call.
func refBackward[F float32 | float64](op *denseOp, vals []G.Value, d, out, dnet []F) ([]F, error) {
	h, w, x, wx, b, err := denseArgs[F](op, vals[:len(vals)-1])
	if err != nil {
		return dnet, err
	}
	dy, ok := fusedop.Floats[F](vals[len(vals)-1])
	if !ok || len(d) != len(dy) {
		return dnet, errors.Errorf("%v: gradient before the forward op ran", op)
	}
	K := op.K
	C, I := len(w)/K, len(wx)/K
	dh, rest := out[:len(h)], out[len(h):]
	dw, rest := rest[:len(w)], rest[len(w):]
	var dx, dwx []F
	if op.hasX {
		dx, rest = rest[:len(x)], rest[len(x):]
		dwx, rest = rest[:len(wx)], rest[len(wx):]
	}
	db := rest[:len(b)]
	if cap(dnet) < 2*K {
		dnet = make([]F, 2*K)
	}
	dnet = dnet[:2*K]
	g0, g1 := dnet[:K:K], dnet[K:2*K:2*K]
	// Rows go two at a time, sharing the loads of W and the updates of dW; every sum keeps
	// the order of one row after the other, each product rounded before it is added (no fused
	// multiply-add, whatever GOAMD64). out arrives zeroed, so the rows of h and x that rows
	// leaves out keep a zero gradient.
	n := 0
	for ; n+2 <= op.N; n += 2 {
		r0, r1 := op.in(n), op.in(n+1)
		refRowNet(g0, dy, d, n)
		refRowNet(g1, dy, d, n+1)
		if b != nil {
			db = db[:K]
			for k := range db {
				db[k] = db[k] + g0[k] + g1[k]
			}
		}
		h0, h1 := h[r0*C:(r0+1)*C:(r0+1)*C], h[r1*C:(r1+1)*C:(r1+1)*C]
		h1 = h1[:len(h0)]
		for c, hv0 := range h0 {
			hv1 := h1[c]
			dwc, wc, a0, a1 := dw[c*K:(c+1)*K:(c+1)*K], w[c*K:(c+1)*K:(c+1)*K], F(0), F(0)
			for k, v0 := range g0 {
				v1, wv := g1[k], wc[k]
				dwc[k] = dwc[k] + F(hv0*v0) + F(hv1*v1)
				a0 += F(wv * v0)
				a1 += F(wv * v1)
			}
			dh[r0*C+c], dh[r1*C+c] = a0, a1
		}
		if op.hasX {
			refInputGrad(op, x, wx, dx, dwx, r0, I, g0)
			refInputGrad(op, x, wx, dx, dwx, r1, I, g1)
		}
	}
	for ; n < op.N; n++ {
		r := op.in(n)
		refRowNet(g0, dy, d, n)
		if b != nil {
			db = db[:K]
			for k, g := range g0 {
				db[k] += g
			}
		}
		for c, hv := range h[r*C : (r+1)*C : (r+1)*C] {
			dwc, wc, acc := dw[c*K:(c+1)*K:(c+1)*K], w[c*K:(c+1)*K:(c+1)*K], F(0)
			for k, g := range g0 {
				dwc[k] += F(hv * g)
				acc += F(wc[k] * g)
			}
			dh[r*C+c] = acc
		}
		if op.hasX {
			refInputGrad(op, x, wx, dx, dwx, r, I, g0)
		}
	}
	return dnet, nil
}

// refRowNet sets g to ∂E/∂net of output row n: dy·f'(net), from dy and d = f'(net) [N, K].
func refRowNet[F float32 | float64](g, dy, d []F, n int) {
	K := len(g)
	dyr, dr := dy[n*K:(n+1)*K:(n+1)*K], d[n*K:(n+1)*K:(n+1)*K]
	for k := range g {
		g[k] = dyr[k] * dr[k]
	}
}

// refInputGrad adds input row r's part of the gradient, given g = ∂E/∂net of its output row: to
// dWx for its nonzero inputs, and (unless x is a graph input) sets dx of the row.
func refInputGrad[F float32 | float64](op *denseOp, x, wx, dx, dwx []F, r, I int, g []F) {
	K := len(g)
	for i := 0; i < I; i++ {
		xv := x[r*I+i]
		dwxi, wxi := dwx[i*K:(i+1)*K:(i+1)*K], wx[i*K:(i+1)*K:(i+1)*K]
		if xv != 0 {
			for k, v := range g {
				dwxi[k] += F(xv * v)
			}
		}
		if op.xIsInput { // dx stays 0: nothing reads the gradient of an input
			continue
		}
		acc := F(0)
		for k, v := range g {
			acc += F(wxi[k] * v)
		}
		dx[r*I+i] = acc
	}
}
