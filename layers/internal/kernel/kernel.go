// Package kernel is the numeric core of the fused LSTM (layers.Cell.Sequence): the forward and
// backward passes of one LSTM layer over a whole batch of sequences, in plain loops over
// preallocated buffers. It knows nothing of graphs; package layers wraps it in a gorgonia op.
package kernel

import (
	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/graph/fusedop"
	"github.com/lstm97/lstm97/internal/par"
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
	// NoGrad: no Backward follows (evaluation); the paper's cell then keeps no derivatives
	// (g(net), g', h(s), h') and Backward must not be called.
	NoGrad bool
	// G squashes the cells' net inputs, H the cell states.
	G, H Squash
	// HOffset is added to h'(s) (layers.Config.HPrimeOffset).
	HOffset float64
	// Threads bounds the goroutines of a pass (graph.Config.Threads); 0: GOMAXPROCS.
	Threads int

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

	cur   call[F]  // the arguments of the running pass
	procs int      // the goroutines of the running passes (setProcs)
	loop  par.Loop // the goroutines of the passes
	// projectInSteps: the steps pass computes the inputs' part of the net inputs (project).
	projectInSteps bool

	idx []int // [T·B] the symbol indices of the last forward call (Hot)

	lens         []int // [B] the sequences' lengths in the last forward call
	s0, y0       []F   // [B][CS], [B][R] the initial state of the last forward call
	hasS0, hasY0 bool  // false: s0 (y0) is the reset state 0

	// σ of the net inputs [B][U] and of the states [B][CS] of the step being computed
	sig, hsig []float64
	// block[c] is cell c's block, c/S
	block []int

	// the transposed weights for the products with errors: wxT [U][I] (∂E/∂x), whT [U][R]
	// (the full gradient's ∂E/∂y(t-1))
	wxT, whT []F

	// xClean: the padding rows of the last forward call's x are finite (or there are none), so
	// the weight gradients can take whole steps of rows as one matrix product (their errors
	// are 0); otherwise padding rows are skipped one by one.
	xClean bool

	// backward scratch
	dnet []F // [T·B][U] the errors at the net inputs of every row (0 at padding rows)
	ds   []F // [B][CS] carried ∂E/∂s
	drec []F // [B][U] full gradient: ∂E/∂y(t-1) from step t
}

func (k *Kernel[F]) cs() int { return k.C * k.S }

// u is the number of hidden units: the cells and the gates (group's layout, without its
// switch: this runs several times a step).
func (k *Kernel[F]) u() int {
	n := k.C * (k.S + 1) // cells and input gates
	if k.OutGate {
		n += k.C
	}
	if k.Forget {
		n += k.C
	}
	return n
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
	k.dnet = grow(k.dnet, n*U)
	k.sig, k.hsig = grow(k.sig, k.B*U), grow(k.hsig, k.B*CS)
	k.wxT, k.whT = grow(k.wxT, U*k.I), grow(k.whT, U*k.r())
	k.ds = grow(k.ds, k.B*CS)
	k.drec = grow(k.drec, k.B*U)
	k.s0, k.y0 = grow(k.s0, k.B*CS), grow(k.y0, k.B*k.r())
	k.block = grow(k.block, CS)
	for c := range k.block {
		k.block[c] = c / k.S
	}
	if len(k.lens) != k.B {
		k.lens = make([]int, k.B)
	}
}

// grow returns b with length size, reusing its storage when it is large enough.
func grow[T any](b []T, size int) []T {
	if cap(b) < size {
		return make([]T, size)
	}
	return b[:size]
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
