package layers

import (
	"fmt"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/layers/internal/kernel"
	"github.com/lstm97/lstm97/truncate"
)

// unitGroup is the weights of one kind of hidden unit (the cells, the input gates, the output
// gates or the forget gates): the net input of the group is x(t)·Wx + y(t-1)·Wh + B, plus for
// a gate with peepholes Σ_v Peep_jv s_jv over the cells v of its block j.
type unitGroup struct {
	Wx   *G.Node // [inputs, n]
	Wh   *G.Node // [sources, n] (Config.NumSources); nil with NoRecurrence
	B    *G.Node // [1, n]; nil without bias
	Peep *G.Node // [1, NumCells]: weight c from cell c into its block's gate; gates with Peepholes only
}

func (g unitGroup) params() []*G.Node { return []*G.Node{g.Wx, g.Wh, g.B, g.Peep} }

// Cell is one LSTM layer of memory cell blocks. Its parameters are created by NewCell and
// named "<Name>/<group>/<wx|wh|b|peep>" with group cell, in_gate, out_gate and forget_gate, in
// this order (Params):
//
//	cell/wx [Inputs, NumCells], cell/wh [NumUnits, NumCells], cell/b [1, NumCells],
//	in_gate/wx [Inputs, NumBlocks], in_gate/wh [NumUnits, NumBlocks], in_gate/b [1, NumBlocks],
//	in_gate/peep [1, NumCells],
//	out_gate/wx, out_gate/wh, out_gate/b, out_gate/peep (as in_gate),
//	forget_gate/wx, forget_gate/wh, forget_gate/b, forget_gate/peep (as in_gate).
//
// wh is absent with NoRecurrence, b of a group without bias is absent, out_gate is absent with
// NoOutputGate, forget_gate without ForgetGate, and peep without Peepholes (element c of a
// gate's peep is the weight from cell c into its block's gate). Cells are numbered block by
// block (block 0's cells first). Row u of wh is the weight from hidden unit u of the previous
// step, ordered cells, input gates, output gates, forget gates, the same order as State.Y;
// with CellsOnlyRecurrence wh has the cells' rows only [NumCells, n]. The 1997 cell's
// parameters are the first ones, with the same names and shapes, whether or not a later
// variant is configured, except that wh has a row per forget gate too with ForgetGate.
type Cell struct {
	cfg        Config
	b          *graph.Builder // scoped to cfg.Name
	Cells      unitGroup
	InGate     unitGroup
	OutGate    unitGroup // zero with NoOutputGate
	ForgetGate unitGroup // zero without Config.ForgetGate
	// expand [NumBlocks, NumCells] spreads a block's gate to its cells, collect [NumCells,
	// NumBlocks] sums its cells' peephole terms into the gate; 0/1 matrices made by the first
	// unrolled step that needs them, if S > 1.
	expand, collect *G.Node
}

// State is the layer's state after a time step. The zero State is the paper's reset state
// (all activations and cell states 0) and is what the first step starts from.
type State struct {
	S          *G.Node // cell states s_c(t) [batch, NumCells]
	Cells      *G.Node // cell outputs y^c(t) [batch, NumCells]
	InGate     *G.Node // y^in(t) [batch, NumBlocks]
	OutGate    *G.Node // y^out(t) [batch, NumBlocks]; nil with NoOutputGate
	ForgetGate *G.Node // y^φ(t) [batch, NumBlocks]; nil without Config.ForgetGate
	Y          *G.Node // all hidden activations [batch, NumUnits]: cells, in, out and forget gates
}

// NewCell creates the layer's parameters in b (in scope cfg.Name). It returns an error for an
// invalid configuration or if the builder has an error.
func NewCell(b *graph.Builder, cfg Config) (*Cell, error) {
	if b == nil {
		return nil, errors.New("layers: NewCell: nil builder")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Cell{cfg: cfg, b: b.Scope(cfg.Name)}
	init := graph.Uniform(cfg.InitRange)
	biasInit := func(fixed []float64) graph.Init {
		if fixed == nil {
			return init
		}
		return graph.Values(fixed...)
	}
	group := func(name string, n int, bias bool, fixedBias []float64, peep bool) unitGroup {
		s := c.b.Scope(name)
		var g unitGroup
		g.Wx = s.Param("wx", []int{cfg.Inputs, n}, init)
		if !cfg.NoRecurrence {
			g.Wh = s.Param("wh", []int{cfg.NumSources(), n}, init)
		}
		if bias {
			g.B = s.Param("b", []int{1, n}, biasInit(fixedBias))
		}
		if peep {
			g.Peep = s.Param("peep", []int{1, cfg.NumCells()}, init)
		}
		return g
	}
	gateBias := cfg.Biases != BiasNone
	c.Cells = group("cell", cfg.NumCells(), cfg.Biases == BiasAll, nil, false)
	c.InGate = group("in_gate", cfg.NumBlocks, gateBias, cfg.InputGateBias, cfg.Peepholes)
	if !cfg.NoOutputGate {
		c.OutGate = group("out_gate", cfg.NumBlocks, gateBias, cfg.OutputGateBias, cfg.Peepholes)
	}
	if cfg.ForgetGate {
		c.ForgetGate = group("forget_gate", cfg.NumBlocks, gateBias, cfg.ForgetGateBias, cfg.Peepholes)
	}
	if err := b.Err(); err != nil {
		return nil, errors.Wrapf(err, "layers: LSTM %q", cfg.Name)
	}
	return c, nil
}

// Config returns the layer's configuration with defaults filled in (the zero Config for a nil
// Cell).
func (c *Cell) Config() Config {
	if c == nil {
		return Config{}
	}
	return c.cfg
}

// Params returns the layer's parameter nodes in the documented order (nil for a nil Cell).
func (c *Cell) Params() []*G.Node {
	if c == nil {
		return nil
	}
	var out []*G.Node
	for _, g := range c.groups() {
		for _, n := range g.params() {
			if n != nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// groups returns the unit groups in the order of Params, which is that of the fused kernel's
// groups (kernel.Cells, kernel.InGates, kernel.OutGates, kernel.ForgetGates).
func (c *Cell) groups() [kernel.NumGroups]unitGroup {
	return [kernel.NumGroups]unitGroup{c.Cells, c.InGate, c.OutGate, c.ForgetGate}
}

// NumWeights returns the number of weights of the layer (the paper's count, without the output
// layer).
func (c *Cell) NumWeights() int {
	n := 0
	for _, p := range c.Params() {
		n += p.Shape().TotalSize()
	}
	return n
}

// Step computes one time step from x(t) [batch, Inputs] and the previous state (the zero
// State at the first step). Errors are recorded in the builder (check its Err); the returned
// State then has nil nodes, as it has for a nil Cell (which has no builder to record in).
// Nodes are built in scope "<Name>/t<step>"; step is used only for names and messages.
//
// prev may also be an initial state of one's own, such as graph inputs holding the state
// carried over from a previous chunk of a stream (the unrolled counterpart of SequenceWith's
// InitS and InitY): S [batch, NumCells] and Y [batch, NumUnits]; with CellsOnlyRecurrence the
// recurrent connections read Cells [batch, NumCells] instead of Y (Y must still be set), with
// NoRecurrence only S is read. Gradients flow into prev's nodes like into any operand: through
// S, and through Y (Cells) with FullGradient; for graph inputs none is computed.
//
// With ForgetGate the forget gates are nodes of scope "forget_gate" ("net_φ", "y_φ =
// f(net_φ)") and the state is s(t) = y_φ·s(t-1) + y_in·g(net_c); with Peepholes each gate's
// net input has a term Σ_v p_v·s_v, a node of the gate's scope, reading s(t-1) (input and
// forget gates) or s(t) (output gate, then built after the state) through truncate unless
// FullGradient.
func (c *Cell) Step(x *G.Node, prev State, step int) State {
	if c == nil {
		return State{}
	}
	b := c.b.Scope(fmt.Sprintf("t%d", step))
	if b.Err() != nil {
		return State{}
	}
	if x == nil {
		b.Fail(errors.Errorf("layers: LSTM %q step %d: nil input", c.cfg.Name, step))
		return State{}
	}
	if sh := x.Shape(); len(sh) != 2 || sh[1] != c.cfg.Inputs {
		b.Fail(errors.Errorf("layers: LSTM %q step %d: input %q has shape %v, want [batch, %d]", c.cfg.Name, step, x.Name(), sh, c.cfg.Inputs))
		return State{}
	}
	if prev.Y != nil && (prev.S == nil || prev.Y.Shape()[0] != x.Shape()[0]) {
		b.Fail(errors.Errorf("layers: LSTM %q step %d: previous state has batch %v, input has %d", c.cfg.Name, step, prev.Y.Shape(), x.Shape()[0]))
		return State{}
	}
	var rec *G.Node // y(t-1) as seen by the net inputs
	if prev.Y != nil && !c.cfg.NoRecurrence {
		rec = prev.Y
		if c.cfg.CellsOnlyRecurrence {
			rec = prev.Cells
		}
		if !c.cfg.FullGradient {
			rec = b.Op("truncate", func(n ...*G.Node) (*G.Node, error) { return truncate.Apply(n[0]) }, rec)
			b.Annotate(rec, "truncate y(t-1)", graph.RoleStopGradient)
		}
	}
	// net returns x(t)·Wx + y(t-1)·Wh [+ Σ_v Peep_v·s_v] + b for a group, built in the group's
	// own scope; s is the state its peepholes read (nil: none), at time when ("t" or "t-1").
	net := func(gb *graph.Builder, g unitGroup, label string, s *G.Node, when string) *G.Node {
		n := gb.MatMul(x, g.Wx)
		if rec != nil {
			n = gb.Add(n, gb.MatMul(rec, g.Wh))
		}
		if g.Peep != nil && s != nil {
			n = gb.Add(n, c.peephole(gb, s, g.Peep, when))
		}
		if g.B != nil {
			n = gb.AddBias(n, g.B)
		}
		gb.Annotate(n, label, graph.RoleNone)
		return n
	}
	var sPrev *G.Node // s(t-1) as the peepholes of the input and forget gates see it
	if c.cfg.Peepholes && prev.S != nil {
		sPrev = c.stateSource(b, prev.S, "t-1")
	}
	var st State
	ib := b.Scope("in_gate")
	st.InGate = ib.Sigmoid(net(ib, c.InGate, "net_in", sPrev, "t-1"))
	ib.Annotate(st.InGate, "y_in = f(net_in)", graph.RoleNone)
	if c.cfg.ForgetGate {
		fb := b.Scope("forget_gate")
		st.ForgetGate = fb.Sigmoid(net(fb, c.ForgetGate, "net_φ", sPrev, "t-1"))
		fb.Annotate(st.ForgetGate, "y_φ = f(net_φ)", graph.RoleNone)
	}
	outGate := func(s *G.Node) {
		ob := b.Scope("out_gate")
		st.OutGate = ob.Sigmoid(net(ob, c.OutGate, "net_out", s, "t"))
		ob.Annotate(st.OutGate, "y_out = f(net_out)", graph.RoleNone)
	}
	if !c.cfg.NoOutputGate && !c.cfg.Peepholes {
		outGate(nil)
	}
	cb := b.Scope("cell")
	gc := squash(cb, c.cfg.G, net(cb, c.Cells, "net_c", nil, ""))
	cb.Annotate(gc, "g(net_c)", graph.RoleNone)
	st.S = cb.Mul(c.spread(cb, st.InGate), gc)
	cb.Annotate(st.S, "y_in · g(net_c)", graph.RoleNone)
	switch {
	case prev.S == nil:
		cb.Annotate(st.S, "s(t) = y_in·g  (s(t-1) = 0)", graph.RoleCellState)
	case c.cfg.ForgetGate: // the CEC gated by the forget gate (Gers et al. 2000)
		kept := cb.Mul(c.spread(cb, st.ForgetGate), prev.S)
		cb.Annotate(kept, "y_φ · s(t-1)", graph.RoleNone)
		st.S = cb.Add(kept, st.S)
		cb.Annotate(st.S, "s(t) = y_φ·s(t-1) + y_in·g", graph.RoleCellState)
	default:
		st.S = cb.Add(prev.S, st.S) // the CEC: self-connection fixed at 1.0
		cb.Annotate(st.S, "s(t) = s(t-1) + y_in·g", graph.RoleCellState)
	}
	// With H the identity, h(s) is the state node itself: its note (the CEC's) stays, and only
	// nodes built here are annotated.
	st.Cells = squash(cb, c.cfg.H, st.S)
	if st.Cells != st.S {
		cb.Annotate(st.Cells, "h(s)", graph.RoleNone)
	}
	if off := c.cfg.HPrimeOffset; off > 0 {
		// h(s) + off·(s - stop(s)): the same value (s - s = 0 exactly), and the derivative
		// h'(s) + off (Config.HPrimeOffset).
		still := c.stop(cb, st.S, "truncate s")
		zero := cb.Scale(cb.Sub(st.S, still), off)
		cb.Annotate(zero, fmt.Sprintf("%g·(s - s): adds %g to h'(s)", off, off), graph.RoleNone)
		st.Cells = cb.Add(st.Cells, zero)
		cb.Annotate(st.Cells, "h(s), h' offset", graph.RoleNone)
	}
	if !c.cfg.NoOutputGate && c.cfg.Peepholes {
		outGate(c.stateSource(cb, st.S, "t"))
	}
	parts, label := []*G.Node{st.Cells, st.InGate}, "y(t) = [y_c, y_in"
	if st.OutGate != nil {
		st.Cells = cb.Mul(c.spread(cb, st.OutGate), st.Cells)
		cb.Annotate(st.Cells, "y_c = y_out · h(s)", graph.RoleNone)
		parts, label = []*G.Node{st.Cells, st.InGate, st.OutGate}, label+", y_out"
	}
	if st.ForgetGate != nil {
		parts, label = append(parts, st.ForgetGate), label+", y_φ"
	}
	st.Y = b.Concat(1, parts...)
	b.Annotate(st.Y, label+"]", graph.RoleNone)
	if b.Err() != nil {
		return State{}
	}
	return st
}

// stop returns truncate(s) with the given label. Gorgonia hands back the same node for the
// same expression, so the state s(t) that the output gate's peepholes and the h' offset see at
// step t and the input and forget gates' peepholes at step t+1 is one node, labelled in its own
// step only (package dot names it relative to the next one: s(t-1)).
func (c *Cell) stop(b *graph.Builder, s *G.Node, label string) *G.Node {
	n := b.Op("truncate", func(n ...*G.Node) (*G.Node, error) { return truncate.Apply(n[0]) }, s)
	if n != nil && b.ScopeOf(n.ID()) == b.Path() {
		b.Annotate(n, label, graph.RoleStopGradient)
	}
	return n
}

// stateSource returns the state s(when) as the peepholes read it: through truncate, so that no
// error flows back through a peephole into s (Gers et al. 2002), unless FullGradient.
func (c *Cell) stateSource(b *graph.Builder, s *G.Node, when string) *G.Node {
	if c.cfg.FullGradient {
		return s
	}
	return c.stop(b, s, "truncate s("+when+")")
}

// peephole returns the peephole term of a gate [batch, NumBlocks]: Σ_v p_jv s_jv over the
// cells v of block j, for s(when) [batch, NumCells] and the gate's weights p [1, NumCells].
func (c *Cell) peephole(b *graph.Builder, s, p *G.Node, when string) *G.Node {
	n := b.Op("peephole", func(n ...*G.Node) (*G.Node, error) {
		return G.BroadcastHadamardProd(n[0], n[1], nil, []byte{0})
	}, s, p)
	cfg := c.cfg
	if cfg.CellsPerBlock > 1 && n != nil {
		if c.collect == nil {
			e := make([]float64, cfg.NumCells()*cfg.NumBlocks)
			for i := range cfg.NumCells() {
				e[i*cfg.NumBlocks+i/cfg.CellsPerBlock] = 1
			}
			c.collect = c.b.Fixed("collect", []int{cfg.NumCells(), cfg.NumBlocks}, e)
		}
		n = b.MatMul(n, c.collect)
	}
	b.Annotate(n, "Σ_v p_v·s_v("+when+")", graph.RoleNone)
	return n
}

// spread maps a per-block gate activation [batch, NumBlocks] to its cells [batch, NumCells].
func (c *Cell) spread(b *graph.Builder, gate *G.Node) *G.Node {
	cfg := c.cfg
	if cfg.CellsPerBlock == 1 {
		return gate
	}
	if c.expand == nil {
		e := make([]float64, cfg.NumBlocks*cfg.NumCells())
		for j := 0; j < cfg.NumBlocks; j++ {
			for v := 0; v < cfg.CellsPerBlock; v++ {
				e[j*cfg.NumCells()+j*cfg.CellsPerBlock+v] = 1
			}
		}
		c.expand = c.b.Fixed("expand", []int{cfg.NumBlocks, cfg.NumCells()}, e)
	}
	return b.MatMul(gate, c.expand)
}

func squash(b *graph.Builder, s Squash, x *G.Node) *G.Node {
	a, shift, sig := s.scaleShift()
	if !sig {
		return x
	}
	y := b.Sigmoid(x)
	if a != 1 {
		y = b.Scale(y, a)
	}
	if shift != 0 {
		y = b.Shift(y, shift)
	}
	return y
}

// Unroll runs Step over xs (one node per time step, each [batch, Inputs]) from the zero state
// and returns the state after every step. Errors are recorded in the builder; nil is returned
// after an error and for a nil Cell.
func (c *Cell) Unroll(xs []*G.Node) []State {
	if c == nil {
		return nil
	}
	if len(xs) == 0 {
		c.b.Fail(errors.Errorf("layers: LSTM %q: sequence of length 0", c.cfg.Name))
		return nil
	}
	out := make([]State, len(xs))
	var st State
	for t, x := range xs {
		st = c.Step(x, st, t)
		if c.b.Err() != nil {
			return nil
		}
		out[t] = st
	}
	return out
}
