package kernel

import "github.com/lstm97/lstm97/internal/gemm"

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
//
// A reverse sweep over the steps computes the errors at the net inputs of every row; then each
// weight gradient is one matrix product over all rows, summed in the sweep's order (steps from
// the last down, sequences up), so the sums are those of a row-by-row loop bit for bit.
func (k *Kernel[F]) Backward(x []F, w [NumGroups]Weights[F], dy []F, dx []F, dw [NumGroups]Weights[F]) {
	k.cur = call[F]{x: x, dy: dy, dx: dx, w: w, dw: dw}
	k.setProcs()
	defer func() { k.cur = call[F]{} }()
	U, B, R, n := k.u(), k.B, k.r(), k.T*k.B
	clear(k.ds)
	clear(k.drec)
	clear(dx)
	clear(k.dwx)
	clear(k.dwh)
	clear(k.db)
	if k.Full && k.Rec {
		transpose(k.whT, k.wh, R, U)
	}
	// The sweep: sequences are independent (each carries its own ∂E/∂s and ∂E/∂y), so each
	// goroutine sweeps all steps of its sequences. The peepholes' gradients are sums over the
	// batch: one goroutine then.
	if k.Peep {
		k.Run(partSweep, 0, B)
	} else {
		k.parallel(partSweep, B)
	}
	for r := n - 1; r >= 0; r-- { // the bias: rows in the sweep's order
		rr := r/B*B + (B - 1 - r%B) // step r/B, sequences up
		if k.padding(rr) {
			continue
		}
		for u, d := range k.dnet[rr*U : (rr+1)*U] {
			k.db[u] += d
		}
		if k.Hot {
			i := k.idx[rr]
			row := k.dwx[i*U : (i+1)*U : (i+1)*U]
			for u, d := range k.dnet[rr*U : (rr+1)*U] {
				row[u] += d
			}
		}
	}
	if !k.Hot {
		k.parallel(partGradX, k.I)
	}
	if k.Rec {
		k.parallel(partGradH, R)
	}
	if dx != nil && !k.Hot {
		transpose(k.wxT, k.wx, k.I, U)
		k.parallel(partDX, n)
	}
	k.unpackGrads(dw)
}

// transpose writes the [rows][cols] matrix m into t as [cols][rows].
func transpose[F float32 | float64](t, m []F, rows, cols int) {
	for i := 0; i < rows; i++ {
		for j, v := range m[i*cols : (i+1)*cols] {
			t[j*rows+i] = v
		}
	}
}

// opDX is ∂E/∂x = dnet·wxᵀ over all rows.
func (k *Kernel[F]) opDX() gemm.Op {
	U := k.u()
	return gemm.Op{M: k.T * k.B, N: k.I, Inner: U, Outer: 1, LDC: k.I, ARow: U, AInner: 1, DInner: k.I}
}

// sweepOp is a weight gradient's product over the rows of steps hi-1 down to lo, sequences up
// within a step: C[i][u] += Σ a(i, row)·dnet[row][u], where a(i, row) is src[base(row) + i],
// base(row) = first + (t-lo)·tstride + b·bstride for row (t, b).
func (k *Kernel[F]) sweepOp(m, lo, hi, first, tstride, bstride int) gemm.Op {
	U, B := k.u(), k.B
	return gemm.Op{M: m, N: U, Inner: B, Outer: hi - lo, LDC: U,
		A0: first + (hi-1-lo)*tstride, ARow: 1, AInner: bstride, AOuter: -tstride,
		D0: (hi - 1) * B * U, DInner: U, DOuter: -B * U}
}

// gradX adds the input weights' gradient rows lo..hi-1: Σ over rows of x[row][i]·dnet[row].
func (k *Kernel[F]) gradX(lo, hi int) {
	I, B := k.I, k.B
	if !k.xClean { // non-finite padding rows: visit the rows one by one, skipping them
		k.gradXRows(lo, hi)
		return
	}
	gemm.Acc(k.sweepOp(I, 0, k.T, 0, B*I, I), k.dwx, k.cur.x, k.dnet, lo, hi)
}

// gradXRows is gradX over the valid rows only, in the sweep's order.
func (k *Kernel[F]) gradXRows(lo, hi int) {
	I, U, B := k.I, k.u(), k.B
	for t := k.T - 1; t >= 0; t-- {
		for b := 0; b < B; b++ {
			r := t*B + b
			if t >= k.lens[b] {
				continue
			}
			d := k.dnet[r*U : (r+1)*U]
			for i := lo; i < hi; i++ {
				xi := k.cur.x[r*I+i]
				row := k.dwx[i*U : (i+1)*U : (i+1)*U]
				for u, dv := range d {
					row[u] += xi * dv
				}
			}
		}
	}
}

// gradH adds the recurrent weights' gradient rows lo..hi-1: Σ over rows of y(t-1)[v]·dnet[row],
// y(-1) being the initial state (none from the reset state).
func (k *Kernel[F]) gradH(lo, hi int) {
	U, R, B := k.u(), k.r(), k.B
	if k.T > 1 { // steps T-1 down to 1: y(t-1) is the activations of the row above
		op := k.sweepOp(R, 1, k.T, 0, B*U, U)
		gemm.Acc(op, k.dwh, k.act, k.dnet, lo, hi)
	}
	if k.hasY0 {
		gemm.Acc(k.sweepOp(R, 0, 1, 0, B*R, R), k.dwh, k.y0, k.dnet, lo, hi)
	}
}

// recErr computes the full gradient's ∂E/∂y(t-1) for rows lo..hi-1 of step t: drec[b] =
// dnet[t, b]·whᵀ.
func (k *Kernel[F]) recErr(t, lo, hi int) {
	U, R, B := k.u(), k.r(), k.B
	clear(k.drec[lo*U : hi*U])
	op := gemm.Op{M: B, N: R, Inner: U, Outer: 1, LDC: U, A0: t * B * U, ARow: U, AInner: 1, DInner: R}
	gemm.Acc(op, k.drec, k.dnet, k.whT, lo, hi)
}

// sweep computes the errors at the net inputs of row (t, b) into dnet (0 at a padding row),
// carries ∂E/∂s to step t-1 in ds, and adds the peepholes' gradients.
func (k *Kernel[F]) sweep(t, b int) {
	U, CS, B, C, S := k.u(), k.cs(), k.B, k.C, k.S
	oOff, _ := k.group(OutGates)
	fOff, _ := k.group(ForgetGates)
	w, dw, dy := &k.cur.w, &k.cur.dw, k.cur.dy
	pin, pout, pf := w[InGates].Peep, w[OutGates].Peep, w[ForgetGates].Peep
	dpin, dpout, dpf := dw[InGates].Peep, dw[OutGates].Peep, dw[ForgetGates].Peep
	outGate, forget, peep, full := k.OutGate, k.Forget, k.Peep, k.Full
	r := t*B + b
	dnet := k.dnet[r*U : (r+1)*U]
	if t >= k.lens[b] {
		clear(dnet) // padding
		return
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
	ds := k.ds[b*CS : (b+1)*CS]   // ∂E/∂s(t) carried from step t+1
	drec := k.drec[b*U : (b+1)*U] // ∂E/∂y(t) through step t+1's net inputs (full only)
	// The cells' errors, accumulated into their gates' (dnet, made net errors below). Where
	// the output gate's error reaches s(t) (its peepholes, with the full gradient), ∂E/∂s(t)
	// is complete only after the output gates: a second pass.
	clear(dnet)
	onePass := !(outGate && peep && full)
	for j := 0; j < C; j++ {
		yout, yin := F(1), act[CS+j]
		if outGate {
			yout = act[oOff+j]
		}
		for c := j * S; c < (j+1)*S; c++ {
			dyc := dy[r*CS+c] + drec[c]
			if outGate {
				dnet[oOff+j] += dyc * hs[c] // ∂E/∂y^out
			}
			ds[c] += dyc * yout * hd[c]
			if onePass {
				dnet[CS+j] += ds[c] * gnet[c] // ∂E/∂y^in
				dnet[c] = ds[c] * yin * gd[c]
				if forget && sPrev != nil {
					dnet[fOff+j] += ds[c] * sPrev[c] // ∂E/∂y^φ
				}
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
	// ds becomes ∂E/∂s(t-1) as far as step t knows it: ∂s(t)/∂s(t-1) = y^φ(t), 1 without a
	// forget gate (the CEC carries it unchanged), plus with the full gradient the peepholes'
	// paths from s(t-1) into the input and forget gates.
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
}

// sweep1997 is sweep for rows lo..hi-1 of step t of the paper's cell with output gates and the
// truncated gradient (no forget gate, no peepholes): the same arithmetic in the same order,
// without the variants' branches, each row's cells in one flat loop (block[c] names cell c's
// block), the gate errors summed in registers and stored at the block's last cell.
// (∂E/∂y(t) from step t+1 is 0 when truncated; adding it could only turn a -0 into +0, which no
// sum starting at +0 shows.)
func (k *Kernel[F]) sweep1997(t, lo, hi int) {
	U, CS, B, C := k.u(), k.cs(), k.B, k.C
	oOff := CS + C
	dy := k.cur.dy
	block := k.block[:CS:CS]
	for b := lo; b < hi; b++ {
		r := t*B + b
		ru, rc := r*U, r*CS
		dnet := k.dnet[ru : ru+U : ru+U]
		if t >= k.lens[b] {
			clear(dnet) // padding
			continue
		}
		act := k.act[ru : ru+U : ru+U]
		yin, yout := act[CS:CS+C:CS+C], act[oOff:oOff+C:oOff+C]
		din, dout := dnet[CS:CS+C:CS+C], dnet[oOff:oOff+C:oOff+C]
		dyr := dy[rc : rc+len(block) : rc+len(block)]
		hs, hd := k.hs[rc:rc+len(dyr):rc+len(dyr)], k.hd[rc:rc+len(dyr):rc+len(dyr)]
		gnet, gd := k.gnet[rc:rc+len(dyr):rc+len(dyr)], k.gd[rc:rc+len(dyr):rc+len(dyr)]
		ds, dc := k.ds[b*CS:b*CS+len(dyr):b*CS+len(dyr)], dnet[:len(dyr):len(dyr)]
		var eout, ein F // ∂E/∂y^out, ∂E/∂y^in of the block so far
		for c, dyc := range dyr {
			j := block[c]
			yo, yi := yout[j], yin[j]
			eout += dyc * hs[c]
			ds[c] += dyc * yo * hd[c] // eq. 23, plus the CEC's carry
			ein += ds[c] * gnet[c]
			dc[c] = ds[c] * yi * gd[c]
			if c+1 == len(dyr) || block[c+1] != j { // the block's last cell
				dout[j] = eout * yo * (1 - yo)
				din[j] = ein * yi * (1 - yi)
				eout, ein = 0, 0
			}
		}
	}
}
