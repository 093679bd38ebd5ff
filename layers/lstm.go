package layers

import (
	"fmt"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/truncate"
)

// unitGroup is the weights of one kind of hidden unit (the cells, the input gates or the
// output gates): the net input of the group is x(t)·Wx + y(t-1)·Wh + B. A later variant adds a
// group (a forget gate) or a term (peepholes) here rather than forking the cell.
type unitGroup struct {
	Wx *G.Node // [inputs, n]
	Wh *G.Node // [sources, n] (Config.NumSources); nil with NoRecurrence
	B  *G.Node // [1, n]; nil without bias
}

// Cell is one LSTM layer of memory cell blocks. Its parameters are created by NewCell and
// named "<Name>/<group>/<wx|wh|b>" with group cell, in_gate and out_gate, in this order:
//
//	cell/wx [Inputs, NumCells], cell/wh [NumUnits, NumCells], cell/b [1, NumCells],
//	in_gate/wx [Inputs, NumBlocks], in_gate/wh [NumUnits, NumBlocks], in_gate/b [1, NumBlocks],
//	out_gate/wx, out_gate/wh, out_gate/b (as in_gate).
//
// wh is absent with NoRecurrence, b of a group without bias is absent, and out_gate is absent
// with NoOutputGate. Cells are numbered block by block (block 0's cells first). Row u of wh is
// the weight from hidden unit u of the previous step, ordered cells, input gates, output gates,
// the same order as State.Y; with CellsOnlyRecurrence wh has the cells' rows only
// [NumCells, n].
type Cell struct {
	cfg     Config
	b       *graph.Builder // scoped to cfg.Name
	Cells   unitGroup
	InGate  unitGroup
	OutGate unitGroup // zero with NoOutputGate
	expand  *G.Node   // [NumBlocks, NumCells] 0/1 matrix spreading a block's gate to its cells; made by the first unrolled step if S > 1
}

// State is the layer's state after a time step. The zero State is the paper's reset state
// (all activations and cell states 0) and is what the first step starts from.
type State struct {
	S       *G.Node // cell states s_c(t) [batch, NumCells]
	Cells   *G.Node // cell outputs y^c(t) [batch, NumCells]
	InGate  *G.Node // y^in(t) [batch, NumBlocks]
	OutGate *G.Node // y^out(t) [batch, NumBlocks]; nil with NoOutputGate
	Y       *G.Node // all hidden activations [batch, NumUnits]: cells, in gates, out gates
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
	group := func(name string, n int, bias bool, fixedBias []float64) unitGroup {
		s := c.b.Scope(name)
		var g unitGroup
		g.Wx = s.Param("wx", []int{cfg.Inputs, n}, init)
		if !cfg.NoRecurrence {
			g.Wh = s.Param("wh", []int{cfg.NumSources(), n}, init)
		}
		if bias {
			g.B = s.Param("b", []int{1, n}, biasInit(fixedBias))
		}
		return g
	}
	gateBias := cfg.Biases != BiasNone
	c.Cells = group("cell", cfg.NumCells(), cfg.Biases == BiasAll, nil)
	c.InGate = group("in_gate", cfg.NumBlocks, gateBias, cfg.InputGateBias)
	if !cfg.NoOutputGate {
		c.OutGate = group("out_gate", cfg.NumBlocks, gateBias, cfg.OutputGateBias)
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
	for _, g := range []unitGroup{c.Cells, c.InGate, c.OutGate} {
		for _, n := range []*G.Node{g.Wx, g.Wh, g.B} {
			if n != nil {
				out = append(out, n)
			}
		}
	}
	return out
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
	// net returns x(t)·Wx + y(t-1)·Wh + b for a group, built in the group's own scope.
	net := func(gb *graph.Builder, g unitGroup, label string) *G.Node {
		n := gb.MatMul(x, g.Wx)
		if rec != nil {
			n = gb.Add(n, gb.MatMul(rec, g.Wh))
		}
		if g.B != nil {
			n = gb.AddBias(n, g.B)
		}
		gb.Annotate(n, label, graph.RoleNone)
		return n
	}
	var st State
	ib := b.Scope("in_gate")
	st.InGate = ib.Sigmoid(net(ib, c.InGate, "net_in"))
	ib.Annotate(st.InGate, "y_in = f(net_in)", graph.RoleNone)
	if !c.cfg.NoOutputGate {
		ob := b.Scope("out_gate")
		st.OutGate = ob.Sigmoid(net(ob, c.OutGate, "net_out"))
		ob.Annotate(st.OutGate, "y_out = f(net_out)", graph.RoleNone)
	}
	cb := b.Scope("cell")
	gc := squash(cb, c.cfg.G, net(cb, c.Cells, "net_c"))
	cb.Annotate(gc, "g(net_c)", graph.RoleNone)
	st.S = cb.Mul(c.spread(cb, st.InGate), gc)
	cb.Annotate(st.S, "y_in · g(net_c)", graph.RoleNone)
	if prev.S != nil {
		st.S = cb.Add(prev.S, st.S) // the CEC: self-connection fixed at 1.0
		cb.Annotate(st.S, "s(t) = s(t-1) + y_in·g", graph.RoleCellState)
	} else {
		cb.Annotate(st.S, "s(t) = y_in·g  (s(t-1) = 0)", graph.RoleCellState)
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
		still := cb.Op("truncate", func(n ...*G.Node) (*G.Node, error) { return truncate.Apply(n[0]) }, st.S)
		cb.Annotate(still, "truncate s", graph.RoleStopGradient)
		zero := cb.Scale(cb.Sub(st.S, still), off)
		cb.Annotate(zero, fmt.Sprintf("%g·(s - s): adds %g to h'(s)", off, off), graph.RoleNone)
		st.Cells = cb.Add(st.Cells, zero)
		cb.Annotate(st.Cells, "h(s), h' offset", graph.RoleNone)
	}
	parts, label := []*G.Node{st.Cells, st.InGate}, "y(t) = [y_c, y_in]"
	if st.OutGate != nil {
		st.Cells = cb.Mul(c.spread(cb, st.OutGate), st.Cells)
		cb.Annotate(st.Cells, "y_c = y_out · h(s)", graph.RoleNone)
		parts, label = []*G.Node{st.Cells, st.InGate, st.OutGate}, "y(t) = [y_c, y_in, y_out]"
	}
	st.Y = b.Concat(1, parts...)
	b.Annotate(st.Y, label, graph.RoleNone)
	if b.Err() != nil {
		return State{}
	}
	return st
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
