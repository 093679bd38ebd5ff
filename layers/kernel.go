package layers

import (
	"math"

	"github.com/pkg/errors"
)

// kernel is the fused LSTM of one layer over a whole sequence, in plain loops over
// preallocated buffers. Forward computes the cell outputs for every step and keeps what the
// backward pass needs; backward computes the gradient of every weight and of the inputs in one
// reverse pass. With truncation (the default) the only error carried from step t to t-1 is the
// CEC's ∂E/∂s; with full gradient, errors also flow through y(t-1) into the previous step.
//
// Layout: x is [T·B, I] with row t·B+b (with hot: [T·B] one-hot symbol indices, see index); the
// output is [T·B, CS]. Hidden units are ordered cells, input gates, output gates (as State.Y).
// Weights follow Cell's parameter layout.
//
// Sequence b has lens[b] steps: rows t·B+b with t >= lens[b] are padding, never read, their
// outputs 0, and skipped by both passes. Step 0 starts from s0 and y0 (the initial cell states
// [B][CS] and recurrent activations [B][R]; the reset state 0 when hasS0 or hasY0 is false), and
// no error is propagated into them.
type kernel[F float32 | float64] struct {
	I, C, S, T, B int
	outGate, rec  bool
	cellsOnly     bool // the recurrent inputs are the cells' outputs only
	full          bool
	hot           bool // x holds one-hot symbol indices, one per row; idx holds them as ints
	g, h          Squash
	hOffset       float64 // added to h'(s) (Config.HPrimeOffset)

	// stored forward values, [T·B][...]
	net  []F // [T·B][U] net inputs of all units
	act  []F // [T·B][U] activations y: y^c, y^in, y^out
	s    []F // [T·B][CS] cell states
	gnet []F // [T·B][CS] g(net_c)
	gd   []F // [T·B][CS] g'(net_c)
	hs   []F // [T·B][CS] h(s)
	hd   []F // [T·B][CS] h'(s) (plus hOffset)

	// the three groups' weights packed side by side: wx [I][U], wh [R][U], b [U] (0 where a
	// group has no bias), and their gradients
	wx, wh, b    []F
	dwx, dwh, db []F

	idx []int // [T·B] the symbol indices of the last forward call (hot)

	lens         []int // [B] the sequences' lengths in the last forward call
	s0, y0       []F   // [B][CS], [B][R] the initial state of the last forward call
	hasS0, hasY0 bool  // false: s0 (y0) is the reset state 0

	// backward scratch
	dnet []F // [B][U]
	ds   []F // [B][CS] carried ∂E/∂s
	drec []F // [B][U] full gradient: ∂E/∂y(t-1) from step t
}

func (k *kernel[F]) CS() int { return k.C * k.S }
func (k *kernel[F]) U() int {
	if k.outGate {
		return k.CS() + 2*k.C
	}
	return k.CS() + k.C
}

// R is the number of recurrent inputs: the cells, or all hidden units.
func (k *kernel[F]) R() int {
	if k.cellsOnly {
		return k.CS()
	}
	return k.U()
}

// group returns the first unit and the width of group gi (0 cells, 1 in gates, 2 out gates).
func (k *kernel[F]) group(gi int) (first, n int) {
	switch gi {
	case 0:
		return 0, k.CS()
	case 1:
		return k.CS(), k.C
	}
	return k.CS() + k.C, k.C
}

func (k *kernel[F]) groups() int {
	if k.outGate {
		return 3
	}
	return 2
}

func (k *kernel[F]) alloc() {
	n, U, CS := k.T*k.B, k.U(), k.CS()
	grow := func(b []F, size int) []F {
		if cap(b) < size {
			return make([]F, size)
		}
		return b[:size]
	}
	k.net = grow(k.net, n*U)
	k.act = grow(k.act, n*U)
	k.s = grow(k.s, n*CS)
	k.gnet = grow(k.gnet, n*CS)
	k.gd = grow(k.gd, n*CS)
	k.hs = grow(k.hs, n*CS)
	k.hd = grow(k.hd, n*CS)
	k.wx, k.dwx = grow(k.wx, k.I*U), grow(k.dwx, k.I*U)
	k.wh, k.dwh = grow(k.wh, k.R()*U), grow(k.dwh, k.R()*U)
	k.b, k.db = grow(k.b, U), grow(k.db, U)
	k.dnet = grow(k.dnet, k.B*U)
	k.ds = grow(k.ds, k.B*CS)
	k.drec = grow(k.drec, k.B*U)
	k.s0, k.y0 = grow(k.s0, k.B*CS), grow(k.y0, k.B*k.R())
	if len(k.lens) != k.B {
		k.lens = make([]int, k.B)
	}
}

// setLengths stores the sequences' lengths, T for all when v is nil. Each must be an integer in
// [1, T].
func (k *kernel[F]) setLengths(v []F) error {
	if v == nil {
		for b := range k.lens {
			k.lens[b] = k.T
		}
		return nil
	}
	for b, x := range v {
		n := int(x)
		if F(n) != x || n < 1 || n > k.T {
			return errors.Errorf("lengths: sequence %d has length %v, want an integer in [1, %d]", b, x, k.T)
		}
		k.lens[b] = n
	}
	return nil
}

// setInit stores the initial state: a copy of s0 [B][CS] and y0 [B][R], each nil for 0.
func (k *kernel[F]) setInit(s0, y0 []F) {
	k.hasS0, k.hasY0 = s0 != nil, y0 != nil
	copy(k.s0, s0)
	copy(k.y0, y0)
}

// final writes the state after each sequence's last step into out: the cell states [B][CS]
// (cells) or the recurrent activations [B][R].
func (k *kernel[F]) final(cells bool, out []F) {
	for b, n := range k.lens {
		r := (n-1)*k.B + b
		if cells {
			copy(out[b*k.CS():(b+1)*k.CS()], k.s[r*k.CS():(r+1)*k.CS()])
		} else {
			copy(out[b*k.R():(b+1)*k.R()], k.act[r*k.U():r*k.U()+k.R()])
		}
	}
}

// weights holds the weight slices of one group; nil where absent.
type weights[F float32 | float64] struct{ wx, wh, b []F }

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// squashD returns the squash of x and its derivative.
func squashD(s Squash, x float64) (float64, float64) {
	if s == SquashIdentity {
		return x, 1
	}
	a, c, _ := s.scaleShift()
	p := sigmoid(x)
	return a*p + c, a * p * (1 - p)
}

// pack copies the groups' weights into the packed matrices.
func (k *kernel[F]) pack(w [3]weights[F]) {
	U := k.U()
	clear(k.wh)
	clear(k.b)
	for gi := 0; gi < k.groups(); gi++ {
		first, n := k.group(gi)
		ws := w[gi]
		for i := 0; i < k.I; i++ {
			copy(k.wx[i*U+first:i*U+first+n], ws.wx[i*n:(i+1)*n])
		}
		if ws.wh != nil {
			for v := 0; v < k.R(); v++ {
				copy(k.wh[v*U+first:v*U+first+n], ws.wh[v*n:(v+1)*n])
			}
		}
		if ws.b != nil {
			copy(k.b[first:first+n], ws.b)
		}
	}
}

// unpackGrads adds the packed weight gradients to the groups' gradients.
func (k *kernel[F]) unpackGrads(dw [3]weights[F]) {
	U := k.U()
	for gi := 0; gi < k.groups(); gi++ {
		first, n := k.group(gi)
		ws := dw[gi]
		for i := 0; i < k.I; i++ {
			for u := 0; u < n; u++ {
				ws.wx[i*n+u] += k.dwx[i*U+first+u]
			}
		}
		if ws.wh != nil {
			for v := 0; v < k.R(); v++ {
				for u := 0; u < n; u++ {
					ws.wh[v*n+u] += k.dwh[v*U+first+u]
				}
			}
		}
		if ws.b != nil {
			for u := 0; u < n; u++ {
				ws.b[u] += k.db[first+u]
			}
		}
	}
}

// index checks that x holds T·B symbol indices, integers in [0, I) (padding rows, after
// setLengths, are not read), and stores them in idx.
func (k *kernel[F]) index(x []F) error {
	if len(x) != k.T*k.B {
		return errors.Errorf("one-hot input has %d indices, want T·B = %d", len(x), k.T*k.B)
	}
	if cap(k.idx) < len(x) {
		k.idx = make([]int, len(x))
	}
	k.idx = k.idx[:len(x)]
	for r, v := range x {
		i := int(v)
		if r/k.B >= k.lens[r%k.B] {
			i = 0
		} else if F(i) != v || i < 0 || i >= k.I {
			return errors.Errorf("one-hot input: row %d (step %d, sequence %d) has index %v, want an integer in [0, %d)", r, r/k.B, r%k.B, v, k.I)
		}
		k.idx[r] = i
	}
	return nil
}

// forward computes the cell outputs out [T·B][CS] from x [T·B][I] (with hot, from the indices
// stored by index), the lengths and the initial state (alloc, setLengths and setInit first).
func (k *kernel[F]) forward(x []F, w [3]weights[F], out []F) {
	k.pack(w)
	I, U, CS, B, R := k.I, k.U(), k.CS(), k.B, k.R()
	for t := 0; t < k.T; t++ {
		for b := 0; b < B; b++ {
			r := t*B + b
			if t >= k.lens[b] { // padding
				clear(out[r*CS : (r+1)*CS])
				continue
			}
			var xr []F // nil with hot
			if !k.hot {
				xr = x[r*I : (r+1)*I]
			}
			net := k.net[r*U : (r+1)*U]
			var prev []F // y(t-1): nil at t = 0 from the reset state, and without recurrence
			if t > 0 && k.rec {
				prev = k.act[(r-B)*U : (r-B)*U+R]
			} else if k.hasY0 && k.rec {
				prev = k.y0[b*R : (b+1)*R]
			}
			copy(net, k.b)
			if k.hot {
				i := k.idx[r]
				for u, w := range k.wx[i*U : (i+1)*U : (i+1)*U] {
					net[u] += w
				}
			}
			for i, xi := range xr {
				if xi == 0 { // one-hot inputs: most rows add nothing
					continue
				}
				row := k.wx[i*U : (i+1)*U : (i+1)*U]
				for u := range net {
					net[u] += xi * row[u]
				}
			}
			for v, yv := range prev {
				if yv == 0 {
					continue
				}
				row := k.wh[v*U : (v+1)*U : (v+1)*U]
				for u := range net {
					net[u] += yv * row[u]
				}
			}
			act := k.act[r*U : (r+1)*U]
			for j := 0; j < k.C; j++ {
				act[CS+j] = F(sigmoid(float64(net[CS+j])))
				if k.outGate {
					act[CS+k.C+j] = F(sigmoid(float64(net[CS+k.C+j])))
				}
			}
			s := k.s[r*CS : (r+1)*CS]
			var sPrev []F // s(t-1), nil at t = 0 from the reset state
			if t > 0 {
				sPrev = k.s[(r-B)*CS : r*CS]
			} else if k.hasS0 {
				sPrev = k.s0[b*CS : (b+1)*CS]
			}
			gnet, gd := k.gnet[r*CS:(r+1)*CS], k.gd[r*CS:(r+1)*CS]
			hs, hd := k.hs[r*CS:(r+1)*CS], k.hd[r*CS:(r+1)*CS]
			for c := 0; c < CS; c++ {
				j := c / k.S
				gv, gdv := squashD(k.g, float64(net[c]))
				gnet[c], gd[c] = F(gv), F(gdv)
				inc := act[CS+j] * F(gv)
				if sPrev != nil {
					s[c] = sPrev[c] + inc // the CEC
				} else {
					s[c] = inc
				}
				hv, hdv := squashD(k.h, float64(s[c]))
				hs[c], hd[c] = F(hv), F(hdv+k.hOffset)
				y := F(hv)
				if k.outGate {
					y = act[CS+k.C+j] * y
				}
				act[c] = y
				out[r*CS+c] = y
			}
		}
	}
}

// backward adds ∂E/∂w to dw and writes ∂E/∂x to dx (unless dx is nil), given dy = ∂E/∂out
// [T·B][CS] and the stored forward values of the last forward call with the same x and w. dy
// at padding rows is ignored (their outputs are constant), and no error flows into the
// initial state.
func (k *kernel[F]) backward(x []F, w [3]weights[F], dy []F, dx []F, dw [3]weights[F]) {
	I, U, CS, B, R := k.I, k.U(), k.CS(), k.B, k.R()
	clear(k.ds)
	clear(k.drec)
	clear(dx)
	clear(k.dwx)
	clear(k.dwh)
	clear(k.db)
	defer k.unpackGrads(dw)
	for t := k.T - 1; t >= 0; t-- {
		for b := 0; b < B; b++ {
			r := t*B + b
			if t >= k.lens[b] {
				continue // padding
			}
			act := k.act[r*U : (r+1)*U]
			hs, hd := k.hs[r*CS:(r+1)*CS], k.hd[r*CS:(r+1)*CS]
			gnet, gd := k.gnet[r*CS:(r+1)*CS], k.gd[r*CS:(r+1)*CS]
			ds := k.ds[b*CS : (b+1)*CS]
			dnet := k.dnet[b*U : (b+1)*U]
			drec := k.drec[b*U : (b+1)*U] // ∂E/∂y(t) through step t+1's net inputs (full only)
			clear(dnet)
			for c := 0; c < CS; c++ {
				j := c / k.S
				dyc := dy[r*CS+c] + drec[c]
				yout := F(1)
				if k.outGate {
					yout = act[CS+k.C+j]
					dnet[CS+k.C+j] += dyc * hs[c] // ∂E/∂y^out, made a net error below
				}
				ds[c] += dyc * yout * hd[c]
				dnet[CS+j] += ds[c] * gnet[c] // ∂E/∂y^in
				dnet[c] = ds[c] * act[CS+j] * gd[c]
			}
			for j := 0; j < k.C; j++ {
				yin := act[CS+j]
				dnet[CS+j] = (dnet[CS+j] + drec[CS+j]) * yin * (1 - yin)
				if k.outGate {
					yo := act[CS+k.C+j]
					dnet[CS+k.C+j] = (dnet[CS+k.C+j] + drec[CS+k.C+j]) * yo * (1 - yo)
				}
			}
			// ds stays as it is: ∂s(t)/∂s(t-1) = 1, the CEC carries it to step t-1.
			var xr, dxr []F // dxr: nil when the caller wants no ∂E/∂x (always with hot)
			if k.hot {
				row := k.dwx[k.idx[r]*U : (k.idx[r]+1)*U : (k.idx[r]+1)*U]
				for u, d := range dnet {
					row[u] += d
				}
			} else {
				xr = x[r*I : (r+1)*I]
				if dx != nil {
					dxr = dx[r*I : (r+1)*I]
				}
			}
			var prev []F // y(t-1), as in forward
			if t > 0 && k.rec {
				prev = k.act[(r-B)*U : (r-B)*U+R]
			} else if k.hasY0 && k.rec {
				prev = k.y0[b*R : (b+1)*R]
			}
			if k.full {
				clear(drec)
			}
			for u, d := range dnet {
				k.db[u] += d
			}
			for i, xi := range xr {
				if xi != 0 {
					row := k.dwx[i*U : (i+1)*U : (i+1)*U]
					for u, d := range dnet {
						row[u] += xi * d
					}
				}
				if dxr == nil {
					continue
				}
				wrow := k.wx[i*U : (i+1)*U : (i+1)*U]
				acc := F(0)
				for u, d := range dnet {
					acc += wrow[u] * d
				}
				dxr[i] = acc
			}
			for v, yv := range prev {
				row := k.dwh[v*U : (v+1)*U : (v+1)*U]
				wrow := k.wh[v*U : (v+1)*U : (v+1)*U]
				acc := F(0)
				for u, d := range dnet {
					row[u] += yv * d
					acc += wrow[u] * d
				}
				if k.full {
					drec[v] += acc
				}
			}
		}
	}
}
