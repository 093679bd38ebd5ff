package online

import (
	"math"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/graph"
)

// forward computes the step's activations, states and partials into the next buffers.
//
// With a forget gate φ_j (Gers et al. 2000) the CEC is s_c(t) = y^φ_j(t) s_c(t-1) + y^in_j(t)
// g(net_c(t)), every carried partial is scaled by y^φ_j(t), and the forget gate's weights
// have their own partials ∂s_c(t)/∂w_φm = y^φ(t) ∂s_c(t-1)/∂w_φm + s_c(t-1) f'(net_φ(t)) y^m.
// Peephole weights (Gers et al. 2002) are weights of a block's gates whose sources are the
// states of the block's cells, s(t-1) for the input and forget gates, s(t) for the output
// gate: truncated like every other source, they add S columns to the gates' partials.
func (l *Learner) forward(x []float64, outputs bool) {
	M, S := l.M, l.S
	// The sources: the cells' [x(t) | y(t-1) | bias], the gates' [x(t) | y(t-1) | bias |
	// s_block(t-1)] per block (one slice for all blocks without peepholes). The bias source is
	// 0 for a group without biases (whose bias weights are 0 and stay 0).
	cs := l.csrc
	copy(cs, x)
	copy(cs[l.I:l.I+l.R], l.y.cur)
	cs[M-1] = l.bC
	bound := absMax(cs[:M-1], 1)
	s := l.s.cur
	if &l.gsrc[0][0] != &cs[0] { // else the gates' sources are the cells' (no peepholes, same biases)
		for j, gs := range l.gsrc {
			copy(gs, cs[:M-1])
			gs[M-1] = l.bG
			if l.peep {
				copy(gs[M:], s[j*S:(j+1)*S])
			}
		}
	}
	if l.peep {
		bound = absMax(s, bound)
	}
	w := l.w.cur
	for c := 0; c < l.CS; c++ { // eqs. (6)-(9): net inputs from x(t), y(t-1) and the bias
		l.net[c] = dot(w[c*M:(c+1)*M], cs)
	}
	for u := l.CS; u < l.U; u++ {
		l.net[u] = dot(w[u*M:(u+1)*M], l.gateSrc((u - l.CS) % l.C)[:M])
	}
	yN := l.y.next
	for j := 0; j < l.C; j++ { // input and forget gates, whose peepholes see s(t-1)
		peep := l.gateSrc(j)[M:]
		if l.peep {
			l.net[l.inU+j] += dot(w[l.pIn+j*S:l.pIn+(j+1)*S], peep)
		}
		yi := sigmoid(l.net[l.inU+j])
		l.yin[j], l.fin[j] = yi, yi*(1-yi)
		yN[l.inU+j] = yi
		l.yf[j], l.ff[j] = 1, 0
		if l.forget {
			if l.peep {
				l.net[l.fU+j] += dot(w[l.pF+j*S:l.pF+(j+1)*S], peep)
			}
			yf := sigmoid(l.net[l.fU+j])
			l.yf[j], l.ff[j] = yf, yf*(1-yf)
			yN[l.fU+j] = yf
		}
	}
	sN, g, h := l.s.next, l.g, l.h
	for c := range sN { // the states first: their exps do not wait on each other
		j, v := c/S, l.net[c]
		gc, gd := v, 1.0
		if g.sig {
			p := sigmoid(v)
			gc, gd = g.a*p+g.c, g.a*p*(1-p)
		}
		l.gc[c], l.gd[c] = gc, gd
		sc := l.yf[j]*s[c] + l.yin[j]*gc // eq. (9), the CEC (y^φ = 1 without forget gate)
		sN[c] = sc
		hc, hd := sc, 1.0
		if h.sig {
			p := sigmoid(sc)
			hc, hd = h.a*p+h.c, h.a*p*(1-p)
		}
		l.hs[c], l.hd[c] = hc, hd+l.hOff
	}
	coef, body := 0.0, cs[:M-1]
	for c := range sN {
		j, keep := c/S, l.yf[c/S]
		// eqs. (25) and (27): the partials of the input gate's weights, over its sources
		// [x | y(t-1) | bias | s_block(t-1)], and of the cell's own, over [x | y(t-1) | bias]
		a, b := l.gc[c]*l.fin[j], l.gd[c]*l.yin[j]
		in, inCur := l.dsIn.next[c*l.Mg:(c+1)*l.Mg], l.dsIn.cur[c*l.Mg:(c+1)*l.Mg]
		ce, ceCur := l.dsC.next[c*M:(c+1)*M], l.dsC.cur[c*M:(c+1)*M]
		carry2(in[:M-1], inCur, ce[:M-1], ceCur, body, keep, a, b)
		in[M-1] = keep*inCur[M-1] + a*l.bG
		ce[M-1] = keep*ceCur[M-1] + b*l.bC
		if v := math.Abs(a) + math.Abs(b); v > coef {
			coef = v
		}
		if !l.forget && !l.peep {
			continue
		}
		gs := l.gateSrc(j)
		carry(in[M:], inCur[M:], gs[M:], keep, a)
		if l.forget { // the forget gate's partials, as the input gate's
			f := s[c] * l.ff[j]
			carry(l.dsF.next[c*l.Mg:(c+1)*l.Mg], l.dsF.cur[c*l.Mg:], gs, keep, f)
			if v := math.Abs(f); v > coef {
				coef = v
			}
		}
	}
	// |∂s/∂w| ≤ bound after this step, as y^φ ≤ 1 (see checkFinite).
	l.boundNext = l.bound + coef*bound
	for j := 0; j < l.C; j++ { // output gates, whose peepholes see s(t)
		l.yout[j], l.fo[j] = 1, 0
		if !l.outGate {
			continue
		}
		if l.peep {
			l.net[l.outU+j] += dot(w[l.pOut+j*S:l.pOut+(j+1)*S], sN[j*S:(j+1)*S])
		}
		yo := sigmoid(l.net[l.outU+j])
		l.yout[j], l.fo[j] = yo, yo*(1-yo)
		yN[l.outU+j] = yo
	}
	for c, hc := range l.hs {
		yN[c] = l.yout[c/S] * hc
	}
	if !outputs {
		return
	}
	// Output units, 3-step timing: y^c(t) of this step.
	o := l.osrc
	copy(o, yN[:l.CS])
	if l.fromInputs {
		copy(o[l.CS:], x)
	}
	o[l.Mo-1] = 1
	for k := range l.outs {
		a := dot(w[l.oBase+k*l.Mo:l.oBase+(k+1)*l.Mo], o)
		if l.linear {
			l.outs[k], l.odf[k] = a, 1
		} else {
			y := sigmoid(a)
			l.outs[k], l.odf[k] = y, y*(1-y)
		}
	}
}

// gateSrc returns the sources of block j's gates.
func (l *Learner) gateSrc(j int) []float64 {
	if !l.peep {
		j = 0
	}
	return l.gsrc[j]
}

// absMax returns the largest of m and the |v| of vs.
func absMax(vs []float64, m float64) float64 {
	for _, v := range vs {
		if a := math.Abs(v); a > m {
			m = a
		}
	}
	return m
}

// carry sets next = keep·cur + a·src elementwise: one step of a carried partial (eqs. 25, 27),
// keep being y^φ, 1 without a forget gate.
func carry(next, cur, src []float64, keep, a float64) {
	next, cur = next[:len(src)], cur[:len(src)]
	if keep == 1 {
		for m, v := range src {
			next[m] = cur[m] + a*v
		}
		return
	}
	for m, v := range src {
		next[m] = keep*cur[m] + a*v
	}
}

// carry2 is carry for two partials of the same sources: next1 = keep·cur1 + a·src and
// next2 = keep·cur2 + b·src.
func carry2(next1, cur1, next2, cur2, src []float64, keep, a, b float64) {
	next1, cur1, next2, cur2 = next1[:len(src)], cur1[:len(src)], next2[:len(src)], cur2[:len(src)]
	if keep == 1 {
		for m, v := range src {
			next1[m] = cur1[m] + a*v
			next2[m] = cur2[m] + b*v
		}
		return
	}
	for m, v := range src {
		next1[m] = keep*cur1[m] + a*v
		next2[m] = keep*cur2[m] + b*v
	}
}

// backward computes the errors of the step's target and writes the summed gradient (and, in
// PerStep mode, the weights) into the next buffers. It returns E(t).
func (l *Learner) backward(target []float64) float64 {
	E := 0.0
	for k, y := range l.outs {
		diff := target[k] - y
		E += 0.5 * diff * diff
		l.ek[k] = l.odf[k] * diff // eq. (19)
	}
	wo := l.w.cur[l.oBase:]
	for c := range l.back {
		a := 0.0
		for k, e := range l.ek {
			a += wo[k*l.Mo+c] * e
		}
		l.back[c] = a
	}
	M, S := l.M, l.S
	for j := 0; j < l.C; j++ {
		acc := 0.0
		for c := j * S; c < (j+1)*S; c++ {
			acc += l.hs[c] * l.back[c]
			l.es[c] = l.yout[j] * l.hd[c] * l.back[c] // eq. (23)
		}
		if l.outGate { // eqs. (21), (22): sources [x | y(t-1) | bias | s_block(t)]
			eo, d := l.fo[j]*acc, l.d[:l.Mg]
			for m, v := range l.gateSrc(j)[:M] {
				d[m] = eo * v
			}
			for v, sv := range l.s.next[j*S : j*S+l.P] {
				d[M+v] = eo * sv
			}
			l.putGate(l.outU+j, l.pOut+j*S, d)
		}
		l.putGate(l.inU+j, l.pIn+j*S, l.gateDelta(j, l.dsIn.next)) // eq. (26)
		if l.forget {
			l.putGate(l.fU+j, l.pF+j*S, l.gateDelta(j, l.dsF.next))
		}
		d := l.d[:M]
		for c := j * S; c < (j+1)*S; c++ { // eq. (28)
			e, p := l.es[c], l.dsC.next[c*M:(c+1)*M]
			p = p[:len(d)]
			for m := range d {
				d[m] = e * p[m]
			}
			l.put(c*M, d)
		}
	}
	d := l.d[:l.Mo]
	for k, e := range l.ek { // eq. (22), l = k
		for m, v := range l.osrc[:l.Mo-1] {
			d[m] = e * v
		}
		d[l.Mo-1] = e * l.bO
		l.put(l.oBase+k*l.Mo, d)
	}
	return E
}

// gateDelta returns -∂E(t)/∂w of block j's gate whose partials are ds [CS][Mg]:
// Σ_v e_s(c_j^v) ∂s_c_j^v/∂w (eqs. 24, 26).
func (l *Learner) gateDelta(j int, ds []float64) []float64 {
	d := l.d[:l.Mg]
	clear(d)
	for c := j * l.S; c < (j+1)*l.S; c++ {
		e, p := l.es[c], ds[c*l.Mg:(c+1)*l.Mg]
		p = p[:len(d)]
		for m := range d {
			d[m] += e * p[m]
		}
	}
	return d
}

// putGate records the change d [Mg] of gate unit u's row and, with peepholes, of its
// peephole weights at peep.
func (l *Learner) putGate(u, peep int, d []float64) {
	l.put(u*l.M, d[:l.M])
	if l.peep {
		l.put(peep, d[l.M:])
	}
}

// put records d = -∂E(t)/∂w of the weights at off: the next summed gradient is the current
// one minus d, and in PerStep mode the next weights are the current ones plus α·d (eq. 17).
func (l *Learner) put(off int, d []float64) {
	g, gN := l.gsum.cur[off:off+len(d)], l.gsum.next[off:off+len(d)]
	for m, v := range d {
		gN[m] = g[m] - v
	}
	if l.cfg.Mode == PerStep {
		a := l.cfg.LR
		w, wN := l.w.cur[off:off+len(d)], l.w.next[off:off+len(d)]
		for m, v := range d {
			wN[m] = w[m] + a*v
		}
		l.keepFrozen(w, wN, off)
	}
}

// checkFinite returns an error naming the first non-finite value the step computed. The
// common all-finite case allocates nothing, and does not scan the partials: |∂s/∂w| grows by
// at most max|coefficient|·max|source| per step (y^φ ≤ 1), so while that bound (boundNext)
// is far below the largest float64, no partial can have overflowed. The sources are finite
// (checked inputs, activations committed by earlier steps), and so are the coefficients
// g f'_in, g' y^in and s(t-1) f'_φ while the net inputs are (checked here): no partial can be
// NaN either.
func (l *Learner) checkFinite(outputs, target bool, E float64) error {
	ok := E-E == 0 && l.boundNext < 1e300
	ok = ok && graph.FirstNonFinite(l.net) < 0 && graph.FirstNonFinite(l.s.next) < 0 && (!outputs || graph.FirstNonFinite(l.outs) < 0)
	if target {
		ok = ok && graph.FirstNonFinite(l.gsum.next) < 0 && (l.cfg.Mode != PerStep || graph.FirstNonFinite(l.w.next) < 0)
	}
	if ok {
		return nil
	}
	outs := l.outs
	if !outputs {
		outs = nil
	}
	type part struct {
		what string
		v    []float64
		name func(i int) string
	}
	parts := []part{
		{"net input", l.net, l.unitName},
		{"cell state", l.s.next, l.cellName},
		{"activation", l.y.next, l.unitName},
		{"output", outs, func(i int) string { return "output unit " + itoa(i) }},
		{"partial ∂s/∂w (eq. 25)", l.dsIn.next, l.partialName("input gate")},
		{"partial ∂s/∂w (eq. 27)", l.dsC.next, l.partialName("")},
		{"partial ∂s/∂w", l.dsF.next, l.partialName("forget gate")},
	}
	if target {
		parts = append(parts, part{"summed gradient", l.gsum.next, l.weightName})
		if l.cfg.Mode == PerStep {
			parts = append(parts, part{"updated weight", l.w.next, l.weightName})
		}
	}
	for _, p := range parts {
		if i := graph.FirstNonFinite(p.v); i >= 0 {
			return errors.Errorf("online: sequence %d step %d: %s of %s is %v; nothing changed", l.seq, l.step, p.what, p.name(i), p.v[i])
		}
	}
	if math.IsNaN(E) || math.IsInf(E, 0) {
		return errors.Errorf("online: sequence %d step %d: the error E(t) is %v; nothing changed", l.seq, l.step, E)
	}
	return nil // all finite: only the bound was too large to be sure without looking
}
