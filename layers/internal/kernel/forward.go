package kernel

import (
	"math"

	"github.com/lstm97/lstm97/internal/vmath"

	"github.com/lstm97/lstm97/internal/gemm"
)

// call holds the arguments of the running Forward or Backward for the parts that parallel runs.
type call[F float32 | float64] struct {
	x, out, dy, dx []F
	w, dw          [NumGroups]Weights[F]
}

// Forward computes the cell outputs out [T·B][CS] from x [T·B][I] (with Hot, from the indices
// stored by Index), the lengths and the initial state (Alloc, SetLengths, Index with Hot, and
// SetInit first). w is indexed by group (Cells, InGates, OutGates, ForgetGates).
//
// The net inputs are summed in one order whatever the sizes and the number of goroutines: the
// bias, then the inputs' terms in input order, then the recurrent terms in unit order (eqs. 1-2
// of the paper's net inputs). The inputs' part of every step is one matrix product over all
// T·B rows on one goroutine, one per step over each goroutine's sequences on several (project),
// or, for one-hot and other mostly-zero rows, only the rows' nonzero inputs; the recurrent part
// is one product per step over the batch (or each goroutine's sequences).
func (k *Kernel[F]) Forward(x []F, w [NumGroups]Weights[F], out []F) {
	k.pack(w)
	k.cur = call[F]{x: x, out: out, w: w}
	k.setProcs()
	defer func() { k.cur = call[F]{} }()
	I, U, n := k.I, k.u(), k.T*k.B
	steps := k.procsFor(k.B)
	dense := !k.Hot && k.dense(x)
	// On several goroutines, each computes the inputs' part of its own rows in the steps pass:
	// rows written on one CPU are read again on the same one.
	k.projectInSteps = dense && steps > 1
	if !k.projectInSteps {
		for r := 0; r < n; r++ {
			copy(k.net[r*U:(r+1)*U], k.b)
		}
	}
	k.xClean = true
	switch {
	case k.projectInSteps: // see project
	case k.Hot:
		for r := 0; r < n; r++ {
			if k.padding(r) {
				continue
			}
			i := k.idx[r]
			net := k.net[r*U : (r+1)*U]
			for u, w := range k.wx[i*U : (i+1)*U : (i+1)*U] {
				net[u] += w
			}
		}
	case dense:
		k.parallel(partProject, n)
	default: // one-hot rows: only the nonzero inputs add anything
		for r := 0; r < n; r++ {
			if k.padding(r) {
				continue
			}
			net := k.net[r*U : (r+1)*U]
			for i, xi := range x[r*I : (r+1)*I] {
				if xi == 0 {
					continue
				}
				row := k.wx[i*U : (i+1)*U : (i+1)*U]
				for u := range net {
					net[u] += xi * row[u]
				}
			}
		}
	}
	if !k.Hot {
		k.xClean = k.finitePadding(x)
	}
	// Sequences are independent: each goroutine runs every step of its sequences.
	k.loop.For(k, partSteps, k.B, 4, steps)
}

// project writes the net inputs of rows lo..hi-1 of step t but for their recurrent part: the
// bias, then the inputs' terms, as the product over all rows computes them.
func (k *Kernel[F]) project(t, lo, hi int) {
	U, r0, r1 := k.u(), t*k.B+lo, t*k.B+hi
	for r := r0; r < r1; r++ {
		copy(k.net[r*U:(r+1)*U], k.b)
	}
	gemm.Acc(k.opProject(), k.net, k.cur.x, k.wx, r0, r1)
}

// dense reports whether at least a quarter of x is nonzero, so that the matrix product over all
// of x beats visiting the nonzero inputs one by one. Both give the same sums: the products with
// zero inputs add ±0 to a sum that starts from the bias.
func (k *Kernel[F]) dense(x []F) bool {
	nz := 0
	for _, v := range x {
		if v != 0 {
			nz++
		}
	}
	return 4*nz >= len(x)
}

// finitePadding reports whether every value of x in a padding row is finite.
func (k *Kernel[F]) finitePadding(x []F) bool {
	for b, n := range k.lens {
		for t := n; t < k.T; t++ {
			r := t*k.B + b
			for _, v := range x[r*k.I : (r+1)*k.I] {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					return false
				}
			}
		}
	}
	return true
}

// opProject is the inputs' part of the net inputs of all rows: net[r] += x[r]·wx.
func (k *Kernel[F]) opProject() gemm.Op {
	U := k.u()
	return gemm.Op{M: k.T * k.B, N: U, Inner: k.I, Outer: 1, LDC: U, ARow: k.I, AInner: 1, DInner: U}
}

// recurrent adds the recurrent part y(t-1)·wh to the net inputs of rows lo..hi-1 of step t.
func (k *Kernel[F]) recurrent(t, lo, hi int) {
	if !k.Rec {
		return
	}
	U, R, B := k.u(), k.r(), k.B
	op := gemm.Op{M: B, N: U, Inner: R, Outer: 1, C0: t * B * U, LDC: U, AInner: 1, DInner: U}
	switch {
	case t > 0:
		op.A0, op.ARow = (t-1)*B*U, U
		gemm.Acc(op, k.net, k.act, k.wh, lo, hi)
	case k.hasY0:
		op.ARow = R
		gemm.Acc(op, k.net, k.y0, k.wh, lo, hi)
	}
}

// cells computes the gates, cell states and outputs of rows lo..hi-1 of step t from their net
// inputs (the peepholes' terms added here); padding rows get outputs and activations 0. The
// logistic functions of a block's net inputs, then of its states, are each one call of
// sigmoids over contiguous values.
func (k *Kernel[F]) cells(t, lo, hi int) {
	U, CS, B, C, S := k.u(), k.cs(), k.B, k.C, k.S
	oOff, _ := k.group(OutGates)
	fOff, _ := k.group(ForgetGates)
	w, out := &k.cur.w, k.cur.out
	pin, pout, pf := w[InGates].Peep, w[OutGates].Peep, w[ForgetGates].Peep
	outGate, forget, peep := k.OutGate, k.Forget, k.Peep
	late := outGate && peep // the output gate sees s(t): computed after it
	r0, r1 := t*B+lo, t*B+hi
	for b := lo; b < hi; b++ {
		r := t*B + b
		if t >= k.lens[b] { // padding: the next step's products read these activations
			clear(out[r*CS : (r+1)*CS])
			clear(k.act[r*U : (r+1)*U])
			continue
		}
		if sPrev := k.sPrev(t, b); peep && sPrev != nil { // peepholes from s(t-1) into the input and forget gates
			net := k.net[r*U : (r+1)*U]
			for c, sv := range sPrev {
				net[CS+c/S] += pin[c] * sv
				if forget {
					net[fOff+c/S] += pf[c] * sv
				}
			}
		}
	}
	sig := k.sig[lo*U : hi*U] // σ(net) of the block's rows
	sigmoids(sig, k.net[r0*U:r1*U])
	ga, gc := k.G.Scale, k.G.Shift
	for b := lo; b < hi; b++ {
		if t >= k.lens[b] {
			continue
		}
		r := t*B + b
		act, net, sg := k.act[r*U:(r+1)*U], k.net[r*U:(r+1)*U], sig[(b-lo)*U:(b-lo+1)*U]
		for j := 0; j < C; j++ {
			act[CS+j] = F(sg[CS+j])
			if outGate && !late {
				act[oOff+j] = F(sg[oOff+j])
			}
			if forget {
				act[fOff+j] = F(sg[fOff+j])
			}
		}
		s, sPrev := k.s[r*CS:(r+1)*CS], k.sPrev(t, b)
		gnet, gd := k.gnet[r*CS:(r+1)*CS], k.gd[r*CS:(r+1)*CS]
		for j := 0; j < C; j++ {
			yin, yf := act[CS+j], F(1)
			if forget {
				yf = act[fOff+j]
			}
			for c := j * S; c < (j+1)*S; c++ {
				gv, gdv := float64(net[c]), 1.0 // g, g' (eq. 4)
				if k.G.Sigmoid {
					p := sg[c]
					gv, gdv = ga*p+gc, ga*p*(1-p)
				}
				gnet[c], gd[c] = F(gv), F(gdv)
				inc := yin * F(gv)
				switch {
				case sPrev == nil:
					s[c] = inc
				case forget:
					s[c] = yf*sPrev[c] + inc // the CEC, gated (Gers et al. 2000)
				default:
					s[c] = sPrev[c] + inc // the CEC
				}
			}
		}
	}
	hsig := k.hsig[lo*CS : hi*CS] // σ(s) of the block's rows
	if k.H.Sigmoid {
		sigmoids(hsig, k.s[r0*CS:r1*CS])
	}
	ha, hc := k.H.Scale, k.H.Shift
	for b := lo; b < hi; b++ {
		if t >= k.lens[b] {
			continue
		}
		r := t*B + b
		act, net, s := k.act[r*U:(r+1)*U], k.net[r*U:(r+1)*U], k.s[r*CS:(r+1)*CS]
		hs, hd, hg := k.hs[r*CS:(r+1)*CS], k.hd[r*CS:(r+1)*CS], hsig[(b-lo)*CS:(b-lo+1)*CS]
		for j := 0; j < C; j++ {
			for c := j * S; c < (j+1)*S; c++ {
				hv, hdv := float64(s[c]), 1.0 // h, h' (eq. 5)
				if k.H.Sigmoid {
					p := hg[c]
					hv, hdv = ha*p+hc, ha*p*(1-p)
				}
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
		}
		if late { // the output gates with peepholes from s(t), then the cell outputs
			for c, sv := range s {
				net[oOff+c/S] += pout[c] * sv
			}
			for j := 0; j < C; j++ {
				act[oOff+j] = F(vmath.Sigmoid(float64(net[oOff+j])))
			}
			for c := 0; c < CS; c++ {
				y := act[oOff+c/S] * hs[c]
				act[c] = y
				out[r*CS+c] = y
			}
		}
	}
}

// sPrev returns s(t-1) of sequence b: nil at t = 0 from the reset state.
func (k *Kernel[F]) sPrev(t, b int) []F {
	CS := k.cs()
	if t > 0 {
		r := (t-1)*k.B + b
		return k.s[r*CS : (r+1)*CS]
	}
	if k.hasS0 {
		return k.s0[b*CS : (b+1)*CS]
	}
	return nil
}

// sigmoids writes σ(x) = 1/(1+e^-x) of every value of x into dst as float64s: bit for bit
// 1/(1+math.Exp(-x)), vectorised (package vmath).
func sigmoids[F float32 | float64](dst []float64, x []F) {
	switch x := any(x).(type) {
	case []float64:
		vmath.Sigmoid64(dst, x)
	case []float32:
		for i, v := range x {
			dst[i] = float64(v)
		}
		vmath.Sigmoid64(dst, dst)
	}
}

// cells1997 is cells for the paper's cell with output gates and logistic g and h (no forget
// gate, no peepholes): the same arithmetic in the same order, without the variants' branches,
// each row's cells in one flat loop (block[c] names cell c's block; at the adding net's sizes
// a loop per block costs more than its arithmetic).
func (k *Kernel[F]) cells1997(t, lo, hi int) {
	U, CS, B, C := k.u(), k.cs(), k.B, k.C
	oOff := CS + C
	out := k.cur.out
	r0, r1 := t*B+lo, t*B+hi
	sig, hsig := k.sig[lo*U:hi*U], k.hsig[lo*CS:hi*CS]
	sigmoids(sig, k.net[r0*U:r1*U])
	ga, gc, ha, hc, hoff := k.G.Scale, k.G.Shift, k.H.Scale, k.H.Shift, k.HOffset
	noGrad := k.NoGrad
	block := k.block[:CS:CS]
	for b := lo; b < hi; b++ {
		r := t*B + b
		ru, rc := r*U, r*CS
		act := k.act[ru : ru+U : ru+U]
		if t >= k.lens[b] { // padding: the next step's products read these activations
			clear(out[rc : rc+CS])
			clear(act)
			continue
		}
		sg := sig[(b-lo)*U : (b-lo+1)*U : (b-lo+1)*U]
		yin, yout := act[CS:CS+C:CS+C], act[oOff:oOff+C:oOff+C]
		for j, p := range sg[CS : CS+C : CS+C] {
			yin[j] = F(p)
		}
		for j, p := range sg[oOff : oOff+C : oOff+C] {
			yout[j] = F(p)
		}
		cg := sg[:len(block):len(block)] // σ of the cells' net inputs
		s := k.s[rc : rc+len(cg) : rc+len(cg)]
		if noGrad {
			sPrev := k.sPrev(t, b)
			for c, p := range cg {
				inc := yin[block[c]] * F(ga*p+gc) // y^in g (eq. 4)
				if sPrev == nil {
					s[c] = inc
				} else {
					s[c] = sPrev[c] + inc // the CEC
				}
			}
			continue
		}
		gnet, gd := k.gnet[rc:rc+len(cg):rc+len(cg)], k.gd[rc:rc+len(cg):rc+len(cg)]
		if sPrev := k.sPrev(t, b); sPrev == nil {
			for c, p := range cg {
				gv := ga*p + gc // g (eq. 4)
				gnet[c], gd[c] = F(gv), F(ga*p*(1-p))
				s[c] = yin[block[c]] * F(gv)
			}
		} else {
			sPrev = sPrev[:len(cg)]
			for c, p := range cg {
				gv := ga*p + gc
				gnet[c], gd[c] = F(gv), F(ga*p*(1-p))
				s[c] = sPrev[c] + yin[block[c]]*F(gv) // the CEC
			}
		}
	}
	sigmoids(hsig, k.s[r0*CS:r1*CS])
	for b := lo; b < hi; b++ {
		if t >= k.lens[b] {
			continue
		}
		r := t*B + b
		ru, rc := r*U, r*CS
		act := k.act[ru : ru+U : ru+U]
		yout := act[oOff : oOff+C : oOff+C]
		hg := hsig[(b-lo)*CS : (b-lo+1)*CS : (b-lo+1)*CS] // σ of the states
		hg = hg[:len(block)]
		y, o := act[:len(hg):len(hg)], out[rc:rc+len(hg):rc+len(hg)]
		if noGrad {
			for c, p := range hg {
				v := yout[block[c]] * F(ha*p+hc) // y^out h (eq. 5)
				y[c], o[c] = v, v
			}
			continue
		}
		hs, hd := k.hs[rc:rc+len(hg):rc+len(hg)], k.hd[rc:rc+len(hg):rc+len(hg)]
		for c, p := range hg {
			hv := ha*p + hc // h (eq. 5)
			hs[c], hd[c] = F(hv), F(ha*p*(1-p)+hoff)
			v := yout[block[c]] * F(hv)
			y[c], o[c] = v, v
		}
	}
}
