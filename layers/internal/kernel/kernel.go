// Package kernel is the numeric core of the fused LSTM (layers.Cell.Sequence): the forward and
// backward passes of one LSTM layer over a whole batch of sequences, in plain loops over
// preallocated buffers. It knows nothing of graphs; package layers wraps it in a gorgonia op.
package kernel

import (
	"math"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/graph/fusedop"
)

// Squash is a squashing function as plain numbers: Scale·σ(x) + Shift if Sigmoid, else the
// identity (the paper's g and h, eqs. 4-5, and the variants of Table 10).
type Squash struct {
	Scale, Shift float64
	Sigmoid      bool
}

// Kernel is the fused LSTM of one layer over a whole sequence, in plain loops over
// preallocated buffers. Forward computes the cell outputs for every step and keeps what the
// backward pass needs; Backward computes the gradient of every weight and of the inputs in one
// reverse pass. With truncation (the default) the only error carried from step t to t-1 is the
// CEC's ∂E/∂s (eqs. 19-28 of the paper), scaled by the forget gate's y^φ(t) when there is one;
// with Full, errors also flow through y(t-1) and through the peepholes into s.
//
// One step of block j with cells c (the forget gate and peepholes optional; without a forget
// gate y^φ = 1, without peepholes their weights p are 0):
//
//	net_in  = x·wx + y(t-1)·wh + b + Σ_c p_in,c s_c(t-1)      y^in = f(net_in)
//	net_φ   = x·wx + y(t-1)·wh + b + Σ_c p_φ,c s_c(t-1)       y^φ  = f(net_φ)
//	s_c(t)  = y^φ s_c(t-1) + y^in g(net_c)
//	net_out = x·wx + y(t-1)·wh + b + Σ_c p_out,c s_c(t)       y^out = f(net_out)
//	y^c     = y^out h(s_c(t))
//
// Set the configuration fields, then per run: Alloc, SetLengths, Index (with Hot), SetInit,
// Forward, and Backward with the same x and weights; Final reads the final state. Buffers are
// reused across runs: a run allocates nothing once T and B are fixed.
//
// Layout: x is [T·B, I] with row t·B+b (with Hot: [T·B] one-hot symbol indices, see Index);
// the output is [T·B, CS]. Hidden units are ordered cells, input gates, output gates, forget
// gates (as layers.State.Y). Weights follow layers.Cell's parameter layout.
//
// Sequence b has lens[b] steps: rows t·B+b with t >= lens[b] are padding, never read, their
// outputs 0, and skipped by both passes. Step 0 starts from s0 and y0 (the initial cell states
// [B][CS] and recurrent activations [B][R]; the reset state 0 when SetInit was given nil), and
// no error is propagated into them.
type Kernel[F float32 | float64] struct {
	// I inputs, C blocks of S cells each, T steps, B sequences.
	I, C, S, T, B int
	// OutGate: the blocks have output gates. Rec: y(t-1) feeds the net inputs. CellsOnly: the
	// recurrent inputs are the cells' outputs only. Full: the full gradient, no truncation.
	OutGate, Rec, CellsOnly, Full bool
	// Forget: the blocks have forget gates (Gers et al. 2000). Peep: peephole weights from
	// the cells' states into their block's gates (Gers et al. 2002).
	Forget, Peep bool
	// Hot: x holds one-hot symbol indices, one per row.
	Hot bool
	// G squashes the cells' net inputs, H the cell states.
	G, H Squash
	// HOffset is added to h'(s) (layers.Config.HPrimeOffset).
	HOffset float64

	// stored forward values, [T·B][...]
	net  []F // [T·B][U] net inputs of all units
	act  []F // [T·B][U] activations y: y^c, y^in, y^out, y^φ
	s    []F // [T·B][CS] cell states
	gnet []F // [T·B][CS] g(net_c)
	gd   []F // [T·B][CS] g'(net_c)
	hs   []F // [T·B][CS] h(s)
	hd   []F // [T·B][CS] h'(s) (plus hOffset)

	// the groups' weights packed side by side: wx [I][U], wh [R][U], b [U] (0 where a group
	// has no bias), and their gradients
	wx, wh, b    []F
	dwx, dwh, db []F

	idx []int // [T·B] the symbol indices of the last forward call (Hot)

	lens         []int // [B] the sequences' lengths in the last forward call
	s0, y0       []F   // [B][CS], [B][R] the initial state of the last forward call
	hasS0, hasY0 bool  // false: s0 (y0) is the reset state 0

	// backward scratch
	dnet []F // [B][U]
	ds   []F // [B][CS] carried ∂E/∂s
	drec []F // [B][U] full gradient: ∂E/∂y(t-1) from step t
}

func (k *Kernel[F]) cs() int { return k.C * k.S }
func (k *Kernel[F]) u() int {
	first, n := k.group(ForgetGates)
	if k.Forget {
		return first + n
	}
	return first
}

// r is the number of recurrent inputs: the cells, or all hidden units.
func (k *Kernel[F]) r() int {
	if k.CellsOnly {
		return k.cs()
	}
	return k.u()
}

// The groups of units, the indices of the weights of Forward and Backward.
const (
	Cells = iota
	InGates
	OutGates
	ForgetGates
	NumGroups
)

// group returns the first unit and the width of group gi (where it would be if absent).
func (k *Kernel[F]) group(gi int) (first, n int) {
	switch gi {
	case Cells:
		return 0, k.cs()
	case InGates:
		return k.cs(), k.C
	case OutGates:
		return k.cs() + k.C, k.C
	}
	if k.OutGate {
		return k.cs() + 2*k.C, k.C
	}
	return k.cs() + k.C, k.C
}

// has reports whether group gi exists.
func (k *Kernel[F]) has(gi int) bool {
	return gi < OutGates || (gi == OutGates && k.OutGate) || (gi == ForgetGates && k.Forget)
}

// Alloc sizes the buffers for the configuration, reusing those of earlier runs.
func (k *Kernel[F]) Alloc() {
	n, U, CS := k.T*k.B, k.u(), k.cs()
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
	k.wh, k.dwh = grow(k.wh, k.r()*U), grow(k.dwh, k.r()*U)
	k.b, k.db = grow(k.b, U), grow(k.db, U)
	k.dnet = grow(k.dnet, k.B*U)
	k.ds = grow(k.ds, k.B*CS)
	k.drec = grow(k.drec, k.B*U)
	k.s0, k.y0 = grow(k.s0, k.B*CS), grow(k.y0, k.B*k.r())
	if len(k.lens) != k.B {
		k.lens = make([]int, k.B)
	}
}

// SetLengths stores the sequences' lengths, T for all when v is nil. Each must be an integer in
// [1, T].
func (k *Kernel[F]) SetLengths(v []F) error {
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

// SetInit stores the initial state: a copy of s0 [B][CS] and y0 [B][R], each nil for 0.
func (k *Kernel[F]) SetInit(s0, y0 []F) {
	k.hasS0, k.hasY0 = s0 != nil, y0 != nil
	copy(k.s0, s0)
	copy(k.y0, y0)
}

// Final writes the state after each sequence's last step into out: the cell states [B][CS]
// (cells) or the recurrent activations [B][R].
func (k *Kernel[F]) Final(cells bool, out []F) {
	for b, n := range k.lens {
		r := (n-1)*k.B + b
		if cells {
			copy(out[b*k.cs():(b+1)*k.cs()], k.s[r*k.cs():(r+1)*k.cs()])
		} else {
			copy(out[b*k.r():(b+1)*k.r()], k.act[r*k.u():r*k.u()+k.r()])
		}
	}
}

// Weights holds the weight slices of one group of units (cells, input gates, output gates,
// forget gates), in layers.Cell's layout: Wx [I][n], Wh [R][n], B [n], and for a gate group
// with Peep the peephole weights Peep [CS] (weight c from cell c into its block's gate); nil
// where absent.
type Weights[F float32 | float64] struct{ Wx, Wh, B, Peep []F }

// At returns the field of kind i: 0 Wx, 1 Wh, 2 B, 3 Peep (layers.Cell's order).
func (w *Weights[F]) At(i int) *[]F {
	return [...]*[]F{&w.Wx, &w.Wh, &w.B, &w.Peep}[i]
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// squashD returns the squash of x and its derivative.
func squashD(s Squash, x float64) (float64, float64) {
	if !s.Sigmoid {
		return x, 1
	}
	a, c := s.Scale, s.Shift
	p := sigmoid(x)
	return a*p + c, a * p * (1 - p)
}

// pack copies the groups' weights into the packed matrices.
func (k *Kernel[F]) pack(w [NumGroups]Weights[F]) {
	U := k.u()
	clear(k.wh)
	clear(k.b)
	for gi := range w {
		if !k.has(gi) {
			continue
		}
		first, n := k.group(gi)
		ws := w[gi]
		for i := 0; i < k.I; i++ {
			copy(k.wx[i*U+first:i*U+first+n], ws.Wx[i*n:(i+1)*n])
		}
		if ws.Wh != nil {
			for v := 0; v < k.r(); v++ {
				copy(k.wh[v*U+first:v*U+first+n], ws.Wh[v*n:(v+1)*n])
			}
		}
		if ws.B != nil {
			copy(k.b[first:first+n], ws.B)
		}
	}
}

// unpackGrads adds the packed weight gradients to the groups' gradients.
func (k *Kernel[F]) unpackGrads(dw [NumGroups]Weights[F]) {
	U := k.u()
	for gi := range dw {
		if !k.has(gi) {
			continue
		}
		first, n := k.group(gi)
		ws := dw[gi]
		for i := 0; i < k.I; i++ {
			for u := 0; u < n; u++ {
				ws.Wx[i*n+u] += k.dwx[i*U+first+u]
			}
		}
		if ws.Wh != nil {
			for v := 0; v < k.r(); v++ {
				for u := 0; u < n; u++ {
					ws.Wh[v*n+u] += k.dwh[v*U+first+u]
				}
			}
		}
		if ws.B != nil {
			for u := 0; u < n; u++ {
				ws.B[u] += k.db[first+u]
			}
		}
	}
}

// Index checks that x holds T·B symbol indices, integers in [0, I) (padding rows, after
// SetLengths, are not read), and stores them for Forward and Backward (Hot).
func (k *Kernel[F]) Index(x []F) error {
	if len(x) != k.T*k.B {
		return errors.Errorf("one-hot input has %d indices, want T·B = %d", len(x), k.T*k.B)
	}
	var err error
	k.idx, err = fusedop.Indices(x, k.I, k.B, "index", k.idx, k.padding)
	return errors.Wrap(err, "one-hot input")
}

// padding reports whether row r of the packed layout is padding (after SetLengths).
func (k *Kernel[F]) padding(r int) bool { return r/k.B >= k.lens[r%k.B] }

// Forward computes the cell outputs out [T·B][CS] from x [T·B][I] (with Hot, from the indices
// stored by Index), the lengths and the initial state (Alloc, SetLengths, Index with Hot, and
// SetInit first). w is indexed by group (Cells, InGates, OutGates, ForgetGates).
func (k *Kernel[F]) Forward(x []F, w [NumGroups]Weights[F], out []F) {
	k.pack(w)
	I, U, CS, B, R, C, S := k.I, k.u(), k.cs(), k.B, k.r(), k.C, k.S
	oOff, _ := k.group(OutGates)
	fOff, _ := k.group(ForgetGates)
	pin, pout, pf := w[InGates].Peep, w[OutGates].Peep, w[ForgetGates].Peep
	outGate, forget, peep := k.OutGate, k.Forget, k.Peep
	late := outGate && peep // the output gate sees s(t): computed after it
	for t := 0; t < k.T; t++ {
		for b := 0; b < B; b++ {
			r := t*B + b
			if t >= k.lens[b] { // padding
				clear(out[r*CS : (r+1)*CS])
				continue
			}
			var xr []F // nil with hot
			if !k.Hot {
				xr = x[r*I : (r+1)*I]
			}
			net := k.net[r*U : (r+1)*U]
			var prev []F // y(t-1): nil at t = 0 from the reset state, and without recurrence
			if t > 0 && k.Rec {
				prev = k.act[(r-B)*U : (r-B)*U+R]
			} else if k.hasY0 && k.Rec {
				prev = k.y0[b*R : (b+1)*R]
			}
			copy(net, k.b)
			if k.Hot {
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
			s := k.s[r*CS : (r+1)*CS]
			var sPrev []F // s(t-1), nil at t = 0 from the reset state
			if t > 0 {
				sPrev = k.s[(r-B)*CS : (r-B+1)*CS]
			} else if k.hasS0 {
				sPrev = k.s0[b*CS : (b+1)*CS]
			}
			if peep && sPrev != nil { // peepholes from s(t-1) into the input and forget gates
				for c, sv := range sPrev {
					net[CS+c/S] += pin[c] * sv
					if forget {
						net[fOff+c/S] += pf[c] * sv
					}
				}
			}
			act := k.act[r*U : (r+1)*U]
			for j := 0; j < C; j++ {
				act[CS+j] = F(sigmoid(float64(net[CS+j])))
				if outGate && !late {
					act[oOff+j] = F(sigmoid(float64(net[oOff+j])))
				}
				if forget {
					act[fOff+j] = F(sigmoid(float64(net[fOff+j])))
				}
			}
			gnet, gd := k.gnet[r*CS:(r+1)*CS], k.gd[r*CS:(r+1)*CS]
			hs, hd := k.hs[r*CS:(r+1)*CS], k.hd[r*CS:(r+1)*CS]
			for c := 0; c < CS; c++ {
				j := c / S
				gv, gdv := squashD(k.G, float64(net[c]))
				gnet[c], gd[c] = F(gv), F(gdv)
				inc := act[CS+j] * F(gv)
				switch {
				case sPrev == nil:
					s[c] = inc
				case forget:
					s[c] = act[fOff+j]*sPrev[c] + inc // the CEC, gated (Gers et al. 2000)
				default:
					s[c] = sPrev[c] + inc // the CEC
				}
				hv, hdv := squashD(k.H, float64(s[c]))
				hs[c], hd[c] = F(hv), F(hdv+k.HOffset)
				if late {
					continue
				}
				y := F(hv)
				if outGate {
					y = act[oOff+j] * y
				}
				act[c] = y
				out[r*CS+c] = y
			}
			if late { // the output gates with peepholes from s(t), then the cell outputs
				for c, sv := range s {
					net[oOff+c/S] += pout[c] * sv
				}
				for j := 0; j < C; j++ {
					act[oOff+j] = F(sigmoid(float64(net[oOff+j])))
				}
				for c := 0; c < CS; c++ {
					y := act[oOff+c/S] * hs[c]
					act[c] = y
					out[r*CS+c] = y
				}
			}
		}
	}
}

// Backward adds ∂E/∂w to dw and writes ∂E/∂x to dx (unless dx is nil), given dy = ∂E/∂out
// [T·B][CS] and the stored forward values of the last forward call with the same x and w. dy
// at padding rows is ignored (their outputs are constant), and no error flows into the
// initial state.
//
// Truncated (not Full), the error of step t reaches the weights of the cells and gates only
// through the state: e_s = y^out h'(s) ∂E/∂y^c (eq. 23), plus the error carried from step t+1,
// y^φ(t+1) ∂E/∂s(t+1). The errors at the net inputs change the weights into them (those of the
// peepholes with the states as sources) and go no further: this is what the forward-propagated
// partials of App. A.1 (eqs. 25, 27, and for the forget gate ∂s(t)/∂w_φm = y^φ(t) ∂s(t-1)/∂w_φm
// + s(t-1) f'(net_φ) y^m) compute, summed over the sequence.
func (k *Kernel[F]) Backward(x []F, w [NumGroups]Weights[F], dy []F, dx []F, dw [NumGroups]Weights[F]) {
	I, U, CS, B, R, C, S := k.I, k.u(), k.cs(), k.B, k.r(), k.C, k.S
	oOff, _ := k.group(OutGates)
	fOff, _ := k.group(ForgetGates)
	pin, pout, pf := w[InGates].Peep, w[OutGates].Peep, w[ForgetGates].Peep
	dpin, dpout, dpf := dw[InGates].Peep, dw[OutGates].Peep, dw[ForgetGates].Peep
	outGate, forget, peep, full := k.OutGate, k.Forget, k.Peep, k.Full
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
			var s, sPrev []F // s(t) and s(t-1), as in forward; read by the variants only
			if forget || peep {
				s = k.s[r*CS : (r+1)*CS]
				if t > 0 {
					sPrev = k.s[(r-B)*CS : (r-B+1)*CS]
				} else if k.hasS0 {
					sPrev = k.s0[b*CS : (b+1)*CS]
				}
			}
			hs, hd := k.hs[r*CS:(r+1)*CS], k.hd[r*CS:(r+1)*CS]
			gnet, gd := k.gnet[r*CS:(r+1)*CS], k.gd[r*CS:(r+1)*CS]
			ds := k.ds[b*CS : (b+1)*CS] // ∂E/∂s(t) carried from step t+1
			dnet := k.dnet[b*U : (b+1)*U]
			drec := k.drec[b*U : (b+1)*U] // ∂E/∂y(t) through step t+1's net inputs (full only)
			// The cells' errors, accumulated into their gates' (dnet, made net errors below).
			// Where the output gate's error reaches s(t) (its peepholes, with the full
			// gradient), ∂E/∂s(t) is complete only after the output gates: a second pass.
			clear(dnet)
			onePass := !(outGate && peep && full)
			for c := 0; c < CS; c++ {
				j := c / S
				dyc := dy[r*CS+c] + drec[c]
				yout := F(1)
				if outGate {
					yout = act[oOff+j]
					dnet[oOff+j] += dyc * hs[c] // ∂E/∂y^out
				}
				ds[c] += dyc * yout * hd[c]
				if onePass {
					dnet[CS+j] += ds[c] * gnet[c] // ∂E/∂y^in
					dnet[c] = ds[c] * act[CS+j] * gd[c]
					if forget && sPrev != nil {
						dnet[fOff+j] += ds[c] * sPrev[c] // ∂E/∂y^φ
					}
				}
			}
			if outGate {
				for j := 0; j < C; j++ {
					yo := act[oOff+j]
					dnet[oOff+j] = (dnet[oOff+j] + drec[oOff+j]) * yo * (1 - yo)
				}
				if peep {
					for c, sv := range s {
						d := dnet[oOff+c/S]
						dpout[c] += d * sv
						if full { // the peephole's path into s(t)
							ds[c] += d * pout[c]
						}
					}
				}
			}
			if !onePass {
				for c := 0; c < CS; c++ {
					j := c / S
					dnet[CS+j] += ds[c] * gnet[c]
					dnet[c] = ds[c] * act[CS+j] * gd[c]
					if forget && sPrev != nil {
						dnet[fOff+j] += ds[c] * sPrev[c]
					}
				}
			}
			for j := 0; j < C; j++ {
				yin := act[CS+j]
				dnet[CS+j] = (dnet[CS+j] + drec[CS+j]) * yin * (1 - yin)
				if forget {
					yf := act[fOff+j]
					dnet[fOff+j] = (dnet[fOff+j] + drec[fOff+j]) * yf * (1 - yf)
				}
			}
			// ds becomes ∂E/∂s(t-1) as far as step t knows it: ∂s(t)/∂s(t-1) = y^φ(t), 1
			// without a forget gate (the CEC carries it unchanged), plus with the full gradient
			// the peepholes' paths from s(t-1) into the input and forget gates.
			if forget || (peep && sPrev != nil) {
				for c := range ds {
					j := c / S
					if forget {
						ds[c] *= act[fOff+j]
					}
					if !peep || sPrev == nil {
						continue
					}
					din := dnet[CS+j]
					dpin[c] += din * sPrev[c]
					if full {
						ds[c] += din * pin[c]
					}
					if forget {
						df := dnet[fOff+j]
						dpf[c] += df * sPrev[c]
						if full {
							ds[c] += df * pf[c]
						}
					}
				}
			}
			var xr, dxr []F // dxr: nil when the caller wants no ∂E/∂x (always with hot)
			if k.Hot {
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
			if t > 0 && k.Rec {
				prev = k.act[(r-B)*U : (r-B)*U+R]
			} else if k.hasY0 && k.Rec {
				prev = k.y0[b*R : (b+1)*R]
			}
			if k.Full {
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
				if k.Full {
					drec[v] += acc
				}
			}
		}
	}
}
