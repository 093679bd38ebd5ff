package online

import (
	"math"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
)

// Mode says when a Learner changes its weights.
type Mode int

const (
	// PerSequence sums the weight changes of all steps of a sequence ("each weight's total
	// update is the sum of the contributions of all time steps", App. A.1) and applies them at
	// EndSequence: the library's reading of the paper's on-line learning (docs/paper.md §6.6),
	// the update train.Trainer makes with plain SGD on one sequence.
	PerSequence Mode = iota
	// PerStep applies each step's change Δw(t) = -α ∂E(t)/∂w (eq. 17) at once, as RTRL does:
	// the next step runs with the new weights, and the partials ∂s/∂w of eqs. (25) and (27)
	// are carried on as they are, not recomputed for the new weights.
	PerStep
)

func (m Mode) String() string {
	switch m {
	case PerSequence:
		return "per-sequence"
	case PerStep:
		return "per-step"
	}
	return "unknown"
}

// Config configures a Learner.
type Config struct {
	// Net is the network, as for the graph path (layers.Net): the same architectures and the
	// same parameter names. NetConfig.Unrolled and NetConfig.Carry choose among the graph's
	// forms and are ignored (the learner is a stream: its state carries over until
	// EndSequence or Reset). LSTM.FullGradient is refused: App. A.1 is the truncated gradient.
	// The initialisation fields (InitRange, gate biases) play no part: the weights come from a
	// ParamSet.
	Net layers.NetConfig
	// LR is the learning rate α of eq. (17). Must be finite and > 0.
	LR float64
	// Mode says when the weights change. Default PerSequence.
	Mode Mode
}

// pair is a double buffer: a step computes into next and a successful step swaps, so that a
// failed step leaves cur as it was.
type pair struct{ cur, next []float64 }

func newPair(n int) pair     { return pair{make([]float64, n), make([]float64, n)} }
func (p *pair) swap()        { p.cur, p.next = p.next, p.cur }
func (p *pair) zero()        { clear(p.cur) }
func (p *pair) bytes() int64 { return 16 * int64(len(p.cur)) }

// Learner is a 1997 LSTM network trained on-line by the paper's own algorithm (App. A.1): the
// forward pass of one time step at a time, the partials ∂s_c/∂w carried forward (eqs. 25 and
// 27), and the truncated gradient at the steps with a target (eqs. 19-24, 26, 28). Its storage
// is O(W) whatever the sequence length: no step of the past is kept. It is not safe for
// concurrent use.
//
// Weights are kept in one vector: a row per hidden unit (cells block by block, then the input
// gates, the output gates and the forget gates, as layers.State.Y) over its sources [x(t) |
// y(t-1) | bias], then a row per output unit over [y^c(t) | x(t) | bias], then the peephole
// weights of the input, output and forget gates, [NumCells] each. A bias column of a unit
// without bias holds 0 and its source is 0 in the gradient, so it never changes.
type Learner struct {
	cfg  Config
	lstm layers.Config // with defaults
	out  output.Config // with defaults
	maps []tensorMap   // the parameters, in the graph's order

	I, C, S, CS, U, R, K int
	// M and Mo are the row widths of the hidden units [x | y(t-1) | bias] and of the output
	// units [y^c | x | bias]; P is the number of peephole sources of a gate (S with
	// Peepholes, else 0), and Mg = M + P the width of a gate's partials.
	M, Mo, P, Mg int
	// inU, outU, fU are the first units of the input, output and forget gates; oBase is the
	// offset of the output rows and pIn, pOut, pF those of the gates' peephole weights.
	inU, outU, fU         int
	oBase, pIn, pOut, pF  int
	outGate, forget, peep bool
	fromInputs, linear    bool
	g, h                  squash
	hOff                  float64
	// bC, bG, bO are the bias sources of the cells, the gates and the output units in the
	// gradient: 1 if the group has biases, 0 if not.
	bC, bG, bO float64

	w      pair   // weights
	frozen []bool // [len(w)] weights that do not change (Freeze); nil: none
	gsum   pair   // ∂E/∂w summed over the sequence's steps so far
	s      pair   // cell states s_c(t) [CS]
	y      pair   // activations y(t) [U], ordered as the rows
	dsIn   pair   // ∂s_c(t)/∂w_{in_j m} [CS][Mg], eq. (25)
	dsC    pair   // ∂s_c(t)/∂w_{c m} [CS][M], eq. (27)
	dsF    pair   // ∂s_c(t)/∂w_{φ_j m} [CS][Mg] with ForgetGate

	// scratch of one step
	csrc      []float64   // [M] the cells' sources: x(t), y(t-1) of the recurrent sources, bias
	gsrc      [][]float64 // [C or 1][Mg] the gates' sources: x(t), y(t-1), bias, s_block(t-1)
	osrc      []float64   // [Mo] y^c(t), x(t) (connectivity B), 1
	net       []float64   // [U]
	yin, fin  []float64   // [C] y^in, f'(net_in)
	yout, fo  []float64   // [C] y^out (1 without output gates), f'(net_out)
	yf, ff    []float64   // [C] y^φ (1 without forget gates), f'(net_φ)
	gc, gd    []float64   // [CS] g(net_c), g'(net_c)
	hs, hd    []float64   // [CS] h(s), h'(s) + HPrimeOffset
	outs, odf []float64   // [K] y^k, f'_k(net_k)
	ek        []float64   // [K] eq. (19)
	back      []float64   // [CS] Σ_k w_kc e_k
	es        []float64   // [CS] eq. (23)
	d         []float64   // [max(Mg, Mo)] one row of -∂E(t)/∂w

	seq, step   int     // sequences ended, steps of the current one
	targets     int     // steps with a target in the current sequence
	stepE, seqE float64 // E(t) of the last step, Σ_t E(t) of the sequence
	failed      error   // the error of a failed step or update, until Reset
	// bound ≥ |∂s/∂w| for every partial, boundNext after the step being computed.
	bound, boundNext float64
}

// checkNet refuses what the learner does not implement.
func checkNet(net layers.NetConfig) error {
	if net.LSTM.FullGradient {
		return errors.New("online: LSTM.FullGradient is set, but App. A.1's forward-propagated partials compute the truncated gradient only")
	}
	return nil
}

// build builds the graph path's network for net with a builder seeded with seed, to take the
// defaults, the parameter names and shapes (and, for NewParams, the initial values) from
// package layers itself.
func build(net layers.NetConfig, seed int64) (*layers.NetModel, *graph.ParamSet, error) {
	if err := checkNet(net); err != nil {
		return nil, nil, err
	}
	net.Unrolled, net.Carry = false, false
	b := graph.NewBuilder(graph.Config{Seed: seed})
	m, err := layers.BuildNet(b, net, graph.Shape{T: 1, B: 1, In: net.LSTM.Inputs, Out: net.Output.Units, TargetSteps: []int{0}})
	if err != nil {
		return nil, nil, errors.Wrap(err, "online: net")
	}
	return m, b.ParamSet(), nil
}

// NewParams returns the parameters of net initialised from seed: the values train.Trainer
// (TrainerConfig.Seed) and a graph.Builder (graph.Config.Seed) give it, under the same names.
func NewParams(net layers.NetConfig, seed int64) (*graph.ParamSet, error) {
	_, ps, err := build(net, seed)
	return ps, err
}

// New returns a learner for cfg.Net starting from the weights in params: a ParamSet of the
// graph path for the same NetConfig (NewParams, train.Trainer.Params, checkpoint.LoadParams),
// with exactly the parameters package layers gives that net, under the same names and
// shapes. The values are copied; params is not kept (WriteParams writes them back).
func New(cfg Config, params *graph.ParamSet) (*Learner, error) {
	if !(cfg.LR > 0) || math.IsInf(cfg.LR, 0) {
		return nil, errors.Errorf("online: LR must be finite and > 0, got %v", cfg.LR)
	}
	if cfg.Mode != PerSequence && cfg.Mode != PerStep {
		return nil, errors.Errorf("online: unknown Mode %d", cfg.Mode)
	}
	if params == nil {
		return nil, errors.New("online: nil ParamSet (make one with NewParams)")
	}
	m, want, err := build(cfg.Net, 0)
	if err != nil {
		return nil, err
	}
	l := &Learner{cfg: cfg, lstm: m.Cell.Config(), out: m.Out.Config()}
	l.shape()
	l.maps = l.layout()
	if err := l.checkLayout(want); err != nil {
		return nil, err
	}
	l.alloc()
	if err := l.read(params); err != nil {
		return nil, err
	}
	return l, nil
}

// shape sets the sizes and flags from the configurations with defaults.
func (l *Learner) shape() {
	c := l.lstm
	l.I, l.C, l.S, l.CS, l.U, l.R = c.Inputs, c.NumBlocks, c.CellsPerBlock, c.NumCells(), c.NumUnits(), c.NumSources()
	l.K = l.out.Units
	l.outGate, l.forget, l.peep = !c.NoOutputGate, c.ForgetGate, c.Peepholes
	l.fromInputs, l.linear = l.out.Inputs > 0, l.out.Linear
	l.M, l.Mo = l.I+l.R+1, l.CS+l.out.Inputs+1
	if l.peep {
		l.P = l.S
	}
	l.Mg = l.M + l.P
	l.inU, l.outU, l.fU = l.CS, l.CS+l.C, l.CS+l.C
	if l.outGate {
		l.fU += l.C
	}
	l.oBase = l.U * l.M
	l.pIn, l.pOut, l.pF = -1, -1, -1
	next := l.oBase + l.K*l.Mo
	for _, p := range []struct {
		at  *int
		has bool
	}{{&l.pIn, l.peep}, {&l.pOut, l.peep && l.outGate}, {&l.pF, l.peep && l.forget}} {
		if p.has {
			*p.at, next = next, next+l.CS
		}
	}
	l.g, l.h, l.hOff = squashOf(c.G), squashOf(c.H), c.HPrimeOffset
	l.bC, l.bG, l.bO = one(c.Biases == layers.BiasAll), one(c.Biases != layers.BiasNone), one(l.out.Bias)
}

// numWeights is the length of the weight vector.
func (l *Learner) numWeights() int {
	n := l.oBase + l.K*l.Mo
	for _, p := range []int{l.pIn, l.pOut, l.pF} {
		if p >= 0 {
			n += l.CS
		}
	}
	return n
}

func one(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// alloc allocates every buffer; nothing is allocated after New.
func (l *Learner) alloc() {
	nw := l.numWeights()
	l.w, l.gsum = newPair(nw), newPair(nw)
	l.s, l.y = newPair(l.CS), newPair(l.U)
	l.dsIn, l.dsC = newPair(l.CS*l.Mg), newPair(l.CS*l.M)
	if l.forget {
		l.dsF = newPair(l.CS * l.Mg)
	}
	f := func(n int) []float64 { return make([]float64, n) }
	l.csrc, l.osrc, l.net = f(l.M), f(l.Mo), f(l.U)
	switch {
	case l.peep:
		l.gsrc = make([][]float64, l.C)
		for j := range l.gsrc {
			l.gsrc[j] = f(l.Mg)
		}
	case l.bC == l.bG: // the gates' sources are the cells'
		l.gsrc = [][]float64{l.csrc}
	default:
		l.gsrc = [][]float64{f(l.Mg)}
	}
	l.yin, l.fin, l.yout, l.fo, l.yf, l.ff = f(l.C), f(l.C), f(l.C), f(l.C), f(l.C), f(l.C)
	l.hs, l.hd, l.back, l.es, l.gc, l.gd = f(l.CS), f(l.CS), f(l.CS), f(l.CS), f(l.CS), f(l.CS)
	l.outs, l.odf, l.ek = f(l.K), f(l.K), f(l.K)
	l.d = f(max(l.Mg, l.Mo))
}

// Step processes one time step with the experiments' timing (Sec. 5): the hidden units see
// x(t) and y(t-1) (eqs. 6-9), the output units y^c(t) (and x(t) with OutputFromInputs). It
// carries the partials of eqs. (25) and (27) forward and, if target is not nil, computes the
// errors of eqs. (19)-(24) and the weight changes of eqs. (22), (26) and (28) for
// E(t) = ½ Σ_k (target_k - y^k(t))² (the paper's eq. 16 with the 2 of eq. 19 absorbed, as
// in the graph path's loss): in PerStep mode the weights change at once, in PerSequence mode
// the changes are summed until EndSequence. x has Inputs values, target Units values.
//
// It returns the output units' activations y^k(t), in a buffer of the learner's that the next
// step overwrites. A bad input (a wrong width, a NaN or an infinity) or a non-finite result
// is an error naming the step and the value; the learner is then unchanged (weights, states,
// partials, sums), and refuses further steps until Reset.
func (l *Learner) Step(x, target []float64) ([]float64, error) {
	if err := l.step1(x, target, true); err != nil {
		return nil, err
	}
	return l.outs, nil
}

// Advance is Step without a target that does not compute the output units: the step for the
// inputs of a sequence whose outputs are not looked at (most of the paper's tasks have a
// target at the last step only). The graph path skips those outputs too.
func (l *Learner) Advance(x []float64) error { return l.step1(x, nil, false) }

// step1 is one step; outputs says whether to compute the output units (always with a target).
func (l *Learner) step1(x, target []float64, outputs bool) error {
	if l.failed != nil {
		return errors.Errorf("online: sequence %d step %d: refused after an error (%v); Reset first", l.seq, l.step, l.failed)
	}
	if err := l.checkInput(x, target); err != nil {
		return l.fail(err)
	}
	l.forward(x, outputs)
	E := 0.0
	if target != nil {
		E = l.backward(target)
	}
	if err := l.checkFinite(outputs, target != nil, E); err != nil {
		return l.fail(err)
	}
	l.s.swap()
	l.y.swap()
	l.dsIn.swap()
	l.dsC.swap()
	l.dsF.swap()
	if target != nil {
		l.gsum.swap()
		if l.cfg.Mode == PerStep {
			l.w.swap()
		}
		l.targets++
	}
	l.step++
	l.bound = l.boundNext
	l.stepE = E
	l.seqE += E
	return nil
}

// fail records err: the learner refuses to go on until Reset.
func (l *Learner) fail(err error) error {
	l.failed = err
	return err
}

func (l *Learner) checkInput(x, target []float64) error {
	if len(x) != l.I {
		return errors.Errorf("online: sequence %d step %d: input has %d values, the net has %d inputs", l.seq, l.step, len(x), l.I)
	}
	if i := graph.FirstNonFinite(x); i >= 0 {
		return errors.Errorf("online: sequence %d step %d: input %d is %v", l.seq, l.step, i, x[i])
	}
	if target == nil {
		return nil
	}
	if len(target) != l.K {
		return errors.Errorf("online: sequence %d step %d: target has %d values, the net has %d output units", l.seq, l.step, len(target), l.K)
	}
	if i := graph.FirstNonFinite(target); i >= 0 {
		return errors.Errorf("online: sequence %d step %d: target %d is %v", l.seq, l.step, i, target[i])
	}
	return nil
}

// EndSequence ends the current sequence: in PerSequence mode it applies the summed change
// Δw = -α Σ_t ∂E(t)/∂w (eq. 17 summed over the steps); then it resets the activations, cell
// states, partials and sums to 0 (the paper's reset between sequences, Sec. 5). After a failed
// step it refuses (Reset instead); if the update would make a weight non-finite, nothing
// changes and the learner refuses further steps until Reset.
func (l *Learner) EndSequence() error {
	if l.failed != nil {
		return errors.Errorf("online: sequence %d: refused after an error (%v); Reset first", l.seq, l.failed)
	}
	if l.cfg.Mode == PerSequence && l.targets > 0 {
		a, w, wN := l.cfg.LR, l.w.cur, l.w.next
		for i, g := range l.gsum.cur {
			wN[i] = w[i] - a*g
		}
		l.keepFrozen(w, wN, 0)
		if i := graph.FirstNonFinite(wN); i >= 0 {
			return l.fail(errors.Errorf("online: sequence %d: the update makes weight %s %v; nothing changed", l.seq, l.weightName(i), wN[i]))
		}
		l.w.swap()
	}
	l.seq++
	l.Reset()
	return nil
}

// Reset sets the activations, cell states, partials, the summed gradient and the step counter
// to 0 without changing a weight, and clears a failed step.
func (l *Learner) Reset() {
	for _, p := range []*pair{&l.s, &l.y, &l.dsIn, &l.dsC, &l.dsF, &l.gsum} {
		p.zero()
	}
	l.step, l.targets, l.stepE, l.seqE, l.bound = 0, 0, 0, 0, 0
	l.failed = nil
}

// Config returns the learner's configuration.
func (l *Learner) Config() Config { return l.cfg }

// CellStates appends the cell states s_c(t) after the last step (cells block by block) to
// dst[:0] and returns it: with a dst of capacity NumCells, no allocation.
func (l *Learner) CellStates(dst []float64) []float64 { return append(dst[:0], l.s.cur...) }

// StepError returns E(t) = ½ Σ_k (target_k - y^k(t))² of the last step (0 if it had no
// target, or none was taken since EndSequence or Reset).
func (l *Learner) StepError() float64 { return l.stepE }

// SequenceError returns Σ_t E(t) over the steps of the current sequence.
func (l *Learner) SequenceError() float64 { return l.seqE }

// Steps returns the number of steps taken in the current sequence.
func (l *Learner) Steps() int { return l.step }

// Sequences returns the number of sequences ended by EndSequence.
func (l *Learner) Sequences() int { return l.seq }

// StorageBytes returns the bytes the learner keeps from step to step and its scratch: weights,
// summed gradient, states and partials (each double-buffered) and one step's buffers. It
// depends on the network only, not on the sequence length (the paper's locality in time,
// footnote 3).
func (l *Learner) StorageBytes() int64 {
	n := l.w.bytes() + l.gsum.bytes() + l.s.bytes() + l.y.bytes() + l.dsIn.bytes() + l.dsC.bytes() + l.dsF.bytes()
	if &l.gsrc[0][0] != &l.csrc[0] {
		n += 8 * int64(len(l.gsrc)*l.Mg)
	}
	for _, b := range [][]float64{l.csrc, l.osrc, l.net, l.yin, l.fin, l.yout, l.fo, l.yf, l.ff, l.gc, l.gd, l.hs, l.hd, l.outs, l.odf, l.ek, l.back, l.es, l.d} {
		n += 8 * int64(len(b))
	}
	return n
}
