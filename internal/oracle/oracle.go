// Package oracle is the paper's own learning algorithm (Hochreiter & Schmidhuber 1997,
// Appendix A.1), written in plain float64 loops that share no code with the graph packages. It
// is the independent reference the graph's truncated gradient is tested against.
//
// It runs the forward pass with the experiments' 3-step timing (hidden units see x(t) and
// y(t-1); output units see y^c(t)), carries the forward-propagated partials ∂s_c/∂w of eqs. (25)
// and (27) from step to step, and sums the weight changes of eqs. (19)-(28) over all steps. The
// result is Δw/α = -∂E/∂w of the truncated gradient, with E = Σ_t Σ_k ½ (t_k - y_k)² (the factor
// ½ corresponds to the paper dropping the 2 in eq. 19).
//
// Two later variants extend the algorithm the way their authors did. A forget gate φ_j per
// block (Gers, Schmidhuber & Cummins 2000) makes the state s_c(t) = y^φ_j(t) s_c(t-1) +
// y^in_j(t) g(net_c(t)); every partial carried forward is then scaled by y^φ_j(t), and the
// forget gate's own weights get ∂s_c(t)/∂w_φm = y^φ(t) ∂s_c(t-1)/∂w_φm + s_c(t-1) f'(net_φ(t))
// y^m(t-1). Peephole weights (Gers, Schraudolph & Schmidhuber 2002) from the states of a
// block's cells into its gates, s(t-1) into the input and forget gates and s(t) into the output
// gate, are weights whose sources are those states, truncated like every other source: no
// error flows back through them into s.
package oracle

import "math"

// Squash names a squashing function.
type Squash int

// The squashing functions of the paper: logistic f, h in [-1,1], g in [-2,2], and identity.
const (
	Logistic Squash = iota // 1/(1+e^-x)
	Sym1                   // 2/(1+e^-x) - 1  (eq. 4, h)
	Sym2                   // 4/(1+e^-x) - 2  (eq. 5, g)
	Identity
)

func sig(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func (s Squash) f(x float64) float64 {
	switch s {
	case Sym1:
		return 2/(1+math.Exp(-x)) - 1
	case Sym2:
		return 4/(1+math.Exp(-x)) - 2
	case Identity:
		return x
	}
	return sig(x)
}

func (s Squash) df(x float64) float64 {
	p := sig(x)
	switch s {
	case Sym1:
		return 2 * p * (1 - p)
	case Sym2:
		return 4 * p * (1 - p)
	case Identity:
		return 1
	}
	return p * (1 - p)
}

// Net is a network of C memory cell blocks of S cells, I inputs and K logistic (or linear)
// output units. Hidden units are numbered cells first (block by block), then the C input
// gates, then the C output gates (if OutGate), then the C forget gates (if ForgetGate). Every
// hidden unit u has weights Wx[u][i] from input i, Wh[u][v] from hidden unit v of the previous
// step (if Recurrent; only from the cells, v < C·S, if CellsOnly), and a bias B[u] (used only
// where HasBias[u]). With Peepholes, gate u of block j also has P[u][v] from the state of cell
// v of its block (cell j·S+v).
type Net struct {
	I, C, S, K int
	OutGate    bool
	Recurrent  bool
	CellsOnly  bool // the gates' activations are not recurrent sources
	ForgetGate bool // a forget gate per block (Gers et al. 2000)
	Peepholes  bool // peephole weights P (Gers et al. 2002)
	G, H       Squash
	HasBias    []bool      // [U]
	Wx         [][]float64 // [U][I]
	Wh         [][]float64 // [U][U]
	B          []float64   // [U]
	P          [][]float64 // [U][S]; read for the gates only, with Peepholes
	// Output layer: Wo[k][c] from cell c, Wox[k][i] from input i (connectivity B, if
	// OutFromInputs), Bo[k] (if OutBias). Output units are logistic unless OutLinear.
	Wo            [][]float64
	Wox           [][]float64
	Bo            []float64
	OutFromInputs bool
	OutBias       bool
	OutLinear     bool
	// HPrimeOffset is added to h'(s) in eq. (23) (flat spot elimination; not the paper's).
	HPrimeOffset float64
}

// Units returns the number of hidden units.
func (n *Net) Units() int {
	u := n.C*n.S + n.C
	if n.OutGate {
		u += n.C
	}
	if n.ForgetGate {
		u += n.C
	}
	return u
}

// Grads holds -∂E/∂w for every weight of a Net, in the Net's layout.
type Grads struct {
	Wx, Wh, Wo, Wox, P [][]float64
	B, Bo              []float64
}

func zeros(r, c int) [][]float64 {
	m := make([][]float64, r)
	for i := range m {
		m[i] = make([]float64, c)
	}
	return m
}

// Run processes one sequence xs[t][i] with targets ts[t][k] (ts[t] nil where step t has no
// target; ts may be shorter than xs) from the reset state. It returns the summed -∂E/∂w, the
// error E and the outputs at the target steps.
func (n *Net) Run(xs, ts [][]float64) (Grads, float64, [][]float64) {
	CS, U := n.C*n.S, n.Units()
	inGate := func(j int) int { return CS + j }
	outGate := func(j int) int { return CS + n.C + j }
	forget := func(j int) int {
		if n.OutGate {
			return CS + 2*n.C + j
		}
		return CS + n.C + j
	}
	// Sources of a hidden unit's net input, in this order: x(t) [I], y(t-1) [U], bias [1]; a
	// gate of block j has S more: the states of the block's cells (its peepholes).
	M := n.I + U + 1
	MG := M + n.S
	d := Grads{Wx: zeros(U, n.I), Wh: zeros(U, U), B: make([]float64, U), P: zeros(U, n.S),
		Wo: zeros(n.K, CS), Wox: zeros(n.K, n.I), Bo: make([]float64, n.K)}
	s := make([]float64, CS)
	sPrev := make([]float64, CS)
	yprev := make([]float64, U)
	dsIn := zeros(CS, MG) // ∂s_c/∂w_{in_j m}, eq. (25)
	dsC := zeros(CS, M)   // ∂s_c/∂w_{c m}, eq. (27)
	dsF := zeros(CS, MG)  // ∂s_c/∂w_{φ_j m} (Gers et al. 2000)
	src := make([]float64, M)
	gsrc := zeros(n.C, MG) // the sources of block j's input and forget gates
	osrc := zeros(n.C, MG) // the sources of block j's output gate: s(t), not s(t-1)
	net := make([]float64, U)
	y := make([]float64, U)
	var loss float64
	var outs [][]float64
	for t, x := range xs {
		copy(src, x)
		for v := 0; v < U; v++ {
			src[n.I+v] = 0
			if n.source(v) {
				src[n.I+v] = yprev[v]
			}
		}
		src[M-1] = 1
		for u := 0; u < U; u++ {
			a := 0.0
			for i := 0; i < n.I; i++ {
				a += n.Wx[u][i] * x[i]
			}
			for v := 0; v < U; v++ {
				if n.source(v) {
					a += n.Wh[u][v] * yprev[v]
				}
			}
			if n.HasBias[u] {
				a += n.B[u]
			}
			net[u] = a
		}
		copy(sPrev, s)
		for j := 0; j < n.C; j++ {
			copy(gsrc[j], src)
			for v := 0; v < n.S; v++ {
				gsrc[j][M+v] = 0
				if n.Peepholes {
					gsrc[j][M+v] = sPrev[j*n.S+v]
					net[inGate(j)] += n.P[inGate(j)][v] * sPrev[j*n.S+v]
					if n.ForgetGate {
						net[forget(j)] += n.P[forget(j)][v] * sPrev[j*n.S+v]
					}
				}
			}
		}
		yin := make([]float64, n.C)
		yf := make([]float64, n.C)
		yout := make([]float64, n.C)
		for j := 0; j < n.C; j++ {
			yin[j] = sig(net[inGate(j)])
			y[inGate(j)] = yin[j]
			yf[j] = 1 // the 1997 CEC: s(t-1) is kept whole
			if n.ForgetGate {
				yf[j] = sig(net[forget(j)])
				y[forget(j)] = yf[j]
			}
		}
		for c := 0; c < CS; c++ {
			j := c / n.S
			gc := n.G.f(net[c])
			s[c] = yf[j]*sPrev[c] + yin[j]*gc // eq. (9), with the forget gate
			fin := yin[j] * (1 - yin[j])
			ff := yf[j] * (1 - yf[j])
			dg := n.G.df(net[c])
			for m := 0; m < MG; m++ {
				dsIn[c][m] = yf[j]*dsIn[c][m] + gc*fin*gsrc[j][m] // eq. (25)
				if n.ForgetGate {
					dsF[c][m] = yf[j]*dsF[c][m] + sPrev[c]*ff*gsrc[j][m]
				}
			}
			for m := 0; m < M; m++ {
				dsC[c][m] = yf[j]*dsC[c][m] + dg*yin[j]*src[m] // eq. (27)
			}
		}
		for j := 0; j < n.C; j++ {
			copy(osrc[j], src)
			for v := 0; v < n.S; v++ {
				osrc[j][M+v] = 0
				if n.Peepholes && n.OutGate {
					osrc[j][M+v] = s[j*n.S+v]
					net[outGate(j)] += n.P[outGate(j)][v] * s[j*n.S+v]
				}
			}
			yout[j] = 1
			if n.OutGate {
				yout[j] = sig(net[outGate(j)])
				y[outGate(j)] = yout[j]
			}
		}
		for c := 0; c < CS; c++ {
			y[c] = yout[c/n.S] * n.H.f(s[c])
		}
		if t < len(ts) && ts[t] != nil {
			// Output units (3-step timing: they see y^c(t)), eq. (19).
			ek := make([]float64, n.K)
			out := make([]float64, n.K)
			for k := 0; k < n.K; k++ {
				a := 0.0
				for c := 0; c < CS; c++ {
					a += n.Wo[k][c] * y[c]
				}
				if n.OutFromInputs {
					for i := 0; i < n.I; i++ {
						a += n.Wox[k][i] * x[i]
					}
				}
				if n.OutBias {
					a += n.Bo[k]
				}
				yk, dk := sig(a), 0.0
				if n.OutLinear {
					yk, dk = a, 1
				} else {
					dk = yk * (1 - yk)
				}
				out[k] = yk
				diff := ts[t][k] - yk
				loss += 0.5 * diff * diff
				ek[k] = dk * diff
				for c := 0; c < CS; c++ { // eq. (22), l = k
					d.Wo[k][c] += ek[k] * y[c]
				}
				if n.OutFromInputs {
					for i := 0; i < n.I; i++ {
						d.Wox[k][i] += ek[k] * x[i]
					}
				}
				if n.OutBias {
					d.Bo[k] += ek[k]
				}
			}
			outs = append(outs, out)
			back := func(c int) float64 { // Σ_k w_kc e_k
				a := 0.0
				for k := 0; k < n.K; k++ {
					a += n.Wo[k][c] * ek[k]
				}
				return a
			}
			for j := 0; j < n.C; j++ {
				if n.OutGate { // eq. (21), then (22) with l = out_j
					fo := yout[j] * (1 - yout[j])
					a := 0.0
					for v := 0; v < n.S; v++ {
						c := j*n.S + v
						a += n.H.f(s[c]) * back(c)
					}
					n.addUpdate(&d, outGate(j), fo*a, osrc[j])
				}
				for v := 0; v < n.S; v++ {
					c := j*n.S + v
					es := yout[j] * (n.H.df(s[c]) + n.HPrimeOffset) * back(c) // eq. (23)
					for m := 0; m < MG; m++ {
						n.addUpdateAt(&d, inGate(j), m, es*dsIn[c][m]) // eq. (26)
						if n.ForgetGate {
							n.addUpdateAt(&d, forget(j), m, es*dsF[c][m])
						}
					}
					for m := 0; m < M; m++ {
						n.addUpdateAt(&d, c, m, es*dsC[c][m]) // eq. (28)
					}
				}
			}
		}
		copy(yprev, y)
	}
	return d, loss, outs
}

// source reports whether hidden unit v's previous activation feeds the hidden units.
func (n *Net) source(v int) bool { return n.Recurrent && (!n.CellsOnly || v < n.C*n.S) }

// addUpdate adds e·src[m] to every incoming weight of unit u (eq. 22).
func (n *Net) addUpdate(d *Grads, u int, e float64, src []float64) {
	for m := range src {
		n.addUpdateAt(d, u, m, e*src[m])
	}
}

// addUpdateAt adds v to the weight of unit u from source m (x, y(t-1), bias, then the states
// of a gate's peepholes).
func (n *Net) addUpdateAt(d *Grads, u, m int, v float64) {
	U := n.Units()
	switch {
	case m < n.I:
		d.Wx[u][m] += v
	case m < n.I+U:
		if n.source(m - n.I) {
			d.Wh[u][m-n.I] += v
		}
	case m == n.I+U:
		if n.HasBias[u] {
			d.B[u] += v
		}
	default:
		if n.Peepholes {
			d.P[u][m-n.I-U-1] += v
		}
	}
}
