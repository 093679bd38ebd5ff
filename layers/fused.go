package layers

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/fusedop"
	"github.com/lstm97/lstm97/layers/internal/kernel"
)

// Sequence computes the layer over a whole sequence as ONE graph node: x is [T·B, Inputs] with
// row t·B+b holding step t of sequence b, and the result is the cell outputs y^c [T·B,
// NumCells] in the same row order. It computes exactly what Unroll computes (the same
// equations, truncation and reset state), but its forward and backward passes are tight loops
// over preallocated buffers instead of ~100 gorgonia nodes per step, so it is orders of
// magnitude faster. Gate activations and cell states are not exposed as nodes; use Unroll to
// inspect them. Zero inputs cost nothing, so one-hot coded symbols are cheap; the gradient with
// respect to x is left at 0 when x is a graph input (Builder.Input), which Programs never
// differentiate. Errors are recorded in the builder. Every sequence has length T and starts
// from the reset state; SequenceWith takes lengths and an initial state and gives the final one.
func (c *Cell) Sequence(x *G.Node, T int) *G.Node {
	return c.SequenceWith(x, T, SeqOptions{}).Cells
}

// SequenceOneHot is Sequence for one-hot coded inputs given as symbol indices: idx is [T·B, 1],
// row t·B+b holding the index in [0, Inputs) of the input unit that is 1 at step t of sequence
// b (all others 0). It computes exactly what Sequence computes on the one-hot rows, but reads
// and writes one weight row per step instead of scanning Inputs values, and the input is T·B
// numbers instead of T·B·Inputs: for Exp. 2c at q = p = 1000, 8 KB instead of 8 MB per
// sequence. idx must be a graph input (Builder.Input); an index that is not an integer in
// range fails the run with an error naming its row.
func (c *Cell) SequenceOneHot(idx *G.Node, T int) *G.Node {
	return c.SequenceWith(idx, T, SeqOptions{OneHot: true}).Cells
}

// SeqOptions are the optional inputs of Cell.SequenceWith. The zero value is Sequence: every
// sequence has length T, starts from the reset state, and no final state is given. Every node
// must be a graph input (Builder.Input) with the graph's dtype; B is the batch size.
type SeqOptions struct {
	// OneHot says that x holds symbol indices [T·B, 1], as for SequenceOneHot.
	OneHot bool
	// Lengths, if not nil, is [B, 1]: the length of each sequence, an integer in [1, T] (a
	// run fails with an error naming the sequence otherwise). Steps t >= Lengths[b] of
	// sequence b are padding: their inputs are not read, their cell outputs are 0, and they
	// cost nothing in the forward and backward passes, so the outputs and gradients are those
	// of the sequences without padding.
	Lengths *G.Node
	// InitS, if not nil, is [B, NumCells]: the cell states s(t-1) before step 0 (the reset
	// state 0 if nil).
	InitS *G.Node
	// InitY, if not nil, is [B, NumSources()]: the activations y(t-1) that step 0's
	// recurrent connections see, all hidden units ordered as State.Y, or the cell outputs only
	// with CellsOnlyRecurrence (the reset state 0 if nil). Must be nil with NoRecurrence.
	InitY *G.Node
	// Final asks for the final-state nodes SeqResult.FinalS and FinalY.
	Final bool
}

// SeqResult is what Cell.SequenceWith builds. All nodes are nil after an error.
type SeqResult struct {
	// Cells is the cell outputs y^c [T·B, NumCells], row t·B+b for step t of sequence b; 0 at
	// padding rows.
	Cells *G.Node
	// FinalS [B, NumCells] and FinalY [B, NumSources()] are the cell states and recurrent
	// activations after each sequence's last step, in the layout of InitS and InitY, so a
	// stream processed in chunks carries FinalS and FinalY of one chunk into InitS and InitY
	// of the next. nil unless SeqOptions.Final; FinalY is nil with NoRecurrence.
	FinalS, FinalY *G.Node
}

// SequenceWith is Sequence with per-sequence lengths, an initial state and the final state
// (SeqOptions). No gradient flows into the initial state nor from the final state: across the
// boundary between two chunks of a stream the error is cut entirely, the paper's truncation
// (Sec. 4, which cuts all paths but the CEC's at every step) extended to the CEC at chunk
// boundaries (truncated backpropagation through time). The forward pass is exact: chunks with
// the state carried compute bit for bit the outputs of the whole stream. Errors are recorded
// in the builder, naming the layer and the node; a nil Cell returns the zero SeqResult.
func (c *Cell) SequenceWith(x *G.Node, T int, opt SeqOptions) SeqResult {
	if c == nil {
		return SeqResult{}
	}
	b := c.b
	if b.Err() != nil {
		return SeqResult{}
	}
	if x == nil {
		b.Fail(errors.Errorf("layers: LSTM %q: nil sequence input", c.cfg.Name))
		return SeqResult{}
	}
	sh := x.Shape()
	width := c.cfg.Inputs
	if opt.OneHot {
		width = 1
		if !b.IsInput(x) {
			b.Fail(errors.Errorf("layers: LSTM %q: one-hot index input %q must be a graph input (Builder.Input)", c.cfg.Name, x.Name()))
			return SeqResult{}
		}
	}
	if T <= 0 || len(sh) != 2 || sh[1] != width || sh[0]%T != 0 {
		b.Fail(errors.Errorf("layers: LSTM %q: sequence input %q has shape %v, want [T·batch, %d] with T=%d", c.cfg.Name, x.Name(), sh, width, T))
		return SeqResult{}
	}
	op := &seqOp{Base: fusedop.NewBase("github.com/lstm97/lstm97/layers.seqOp", x.Dtype()), cell: c, T: T, B: sh[0] / T, xIsInput: b.IsInput(x), hot: opt.OneHot, eval: b.Eval(), threads: b.Threads()}
	for gi, g := range c.groups() {
		for kind, n := range g.params() {
			if n != nil {
				op.slots = append(op.slots, slot{gi, kind})
			}
		}
	}
	inputs := append([]*G.Node{x}, c.Params()...)
	if opt.InitY != nil && c.cfg.NoRecurrence {
		b.Fail(errors.Errorf("layers: LSTM %q: InitY %q set but the layer has NoRecurrence", c.cfg.Name, opt.InitY.Name()))
		return SeqResult{}
	}
	for _, in := range []struct {
		name string
		n    *G.Node
		cols int
		at   *int
	}{{"Lengths", opt.Lengths, 1, &op.lenAt}, {"InitS", opt.InitS, c.cfg.NumCells(), &op.s0At}, {"InitY", opt.InitY, c.cfg.NumSources(), &op.y0At}} {
		if in.n == nil {
			continue
		}
		if !b.IsInput(in.n) {
			b.Fail(errors.Errorf("layers: LSTM %q: %s %q must be a graph input (Builder.Input)", c.cfg.Name, in.name, in.n.Name()))
			return SeqResult{}
		}
		if !in.n.Shape().Eq(tensor.Shape{op.B, in.cols}) || in.n.Dtype() != op.Dtype() {
			b.Fail(errors.Errorf("layers: LSTM %q: %s %q is %v %v, want %v [%d, %d] (batch %d of input %q)",
				c.cfg.Name, in.name, in.n.Name(), in.n.Dtype(), in.n.Shape(), op.Dtype(), op.B, in.cols, op.B, x.Name()))
			return SeqResult{}
		}
		*in.at = len(inputs)
		inputs = append(inputs, in.n)
	}
	op.arity = len(inputs)
	var r SeqResult
	r.Cells = b.Op("lstm_sequence", func(n ...*G.Node) (*G.Node, error) { return G.ApplyOp(op, n...) }, inputs...)
	if opt.Final && r.Cells != nil {
		r.FinalS = b.Op("final_s", func(n ...*G.Node) (*G.Node, error) { return G.ApplyOp(newStateOp(op, true), n...) }, r.Cells)
		b.Annotate(r.FinalS, "s at each sequence's last step", graph.RoleCellState)
		if !c.cfg.NoRecurrence {
			r.FinalY = b.Op("final_y", func(n ...*G.Node) (*G.Node, error) { return G.ApplyOp(newStateOp(op, false), n...) }, r.Cells)
			b.Annotate(r.FinalY, "y at each sequence's last step", graph.RoleNone)
		}
	}
	if b.Err() != nil {
		return SeqResult{}
	}
	return r
}

// slot says which weight an input of the op is: group (kernel.Cells, kernel.InGates,
// kernel.OutGates, kernel.ForgetGates) and kind (0 wx, 1 wh, 2 b, 3 peep, as unitGroup.params).
type slot struct{ group, kind int }

// seqOp is the fused forward op. Each op belongs to one node (its id is part of its hash) and
// keeps the forward values its gradient op needs between the two.
type seqOp struct {
	fusedop.Base
	cell *Cell
	T, B int
	// xIsInput: x is a graph input (Builder.Input), for which no gradient is ever asked; the
	// backward pass leaves its gradient at 0 instead of computing it.
	xIsInput bool
	// hot: x holds one-hot symbol indices [T·B, 1] (SequenceOneHot), not input values.
	hot bool
	// eval: the graph is built for evaluation (graph.Config.Eval): the forward pass keeps
	// nothing for a backward pass, and a gradient is refused.
	eval bool
	// threads bounds the kernel's goroutines (graph.Config.Threads).
	threads int
	slots   []slot
	// arity is the number of inputs: x, the weights (slots), then the optional inputs, whose
	// positions are lenAt, s0At, y0At (0 when absent). No gradient flows into those.
	arity             int
	lenAt, s0At, y0At int
	k64               *kernel.Kernel[float64]
	k32               *kernel.Kernel[float32]
}

func (op *seqOp) Arity() int { return op.arity }

func (op *seqOp) Type() hm.Type { return fusedop.Matrices(op.Dtype(), op.Arity(), 2) }

func (op *seqOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.T * op.B, op.cell.cfg.NumCells()}, nil
}

func (op *seqOp) String() string {
	if op.hot {
		return fmt.Sprintf("LSTM[%s T=%d B=%d one-hot]", op.cell.cfg.Name, op.T, op.B)
	}
	return fmt.Sprintf("LSTM[%s T=%d B=%d]", op.cell.cfg.Name, op.T, op.B)
}

func (op *seqOp) Do(vals ...G.Value) (G.Value, error) { return fusedop.Do(op, vals) }
func (op *seqOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	return fusedop.UsePreallocDo(op, prealloc, vals)
}
func (op *seqOp) Forward64(vals []G.Value, out []float64) error {
	return runForward(op, &op.k64, vals, out)
}
func (op *seqOp) Forward32(vals []G.Value, out []float32) error {
	return runForward(op, &op.k32, vals, out)
}

// runForward runs the kernel (made on first use) on the op's inputs.
func runForward[F float32 | float64](op *seqOp, k **kernel.Kernel[F], vals []G.Value, out []F) error {
	if *k == nil {
		*k = newKernel[F](op)
	}
	x, w, err := unpack[F](op, vals)
	if err != nil {
		return err
	}
	var opt [3][]F // lengths, s0, y0
	for i, at := range []int{op.lenAt, op.s0At, op.y0At} {
		if at == 0 {
			continue
		}
		if opt[i], err = fusedop.Input[F](op, vals, at, -1); err != nil {
			return err
		}
	}
	(*k).Alloc()
	if err := (*k).SetLengths(opt[0]); err != nil {
		return errors.Wrapf(err, "%v", op)
	}
	if op.hot {
		if err := (*k).Index(x); err != nil {
			return errors.Wrapf(err, "%v", op)
		}
	}
	(*k).SetInit(opt[1], opt[2])
	(*k).Forward(x, w, out)
	return nil
}

func newKernel[F float32 | float64](op *seqOp) *kernel.Kernel[F] {
	c := op.cell.cfg
	return &kernel.Kernel[F]{I: c.Inputs, C: c.NumBlocks, S: c.CellsPerBlock, T: op.T, B: op.B, Hot: op.hot,
		OutGate: !c.NoOutputGate, Rec: !c.NoRecurrence, CellsOnly: c.CellsOnlyRecurrence, Full: c.FullGradient,
		Forget: c.ForgetGate, Peep: c.Peepholes, G: c.G.kernel(), H: c.H.kernel(), HOffset: c.HPrimeOffset, NoGrad: op.eval, Threads: op.threads}
}

// unpack returns the data of x and of the weights in the kernel's layout.
func unpack[F float32 | float64](op *seqOp, vals []G.Value) ([]F, [kernel.NumGroups]kernel.Weights[F], error) {
	var w [kernel.NumGroups]kernel.Weights[F]
	x, err := fusedop.Input[F](op, vals, 0, -1)
	if err != nil {
		return nil, w, err
	}
	for i, s := range op.slots {
		d, err := fusedop.Input[F](op, vals, 1+i, -1)
		if err != nil {
			return nil, w, err
		}
		*w[s.group].At(s.kind) = d
	}
	return x, w, nil
}

// DiffWRT: the op is differentiable with respect to x and every weight, not the lengths and
// the initial state.
func (op *seqOp) DiffWRT(n int) []bool { return fusedop.Differentiable(n, 0, 1+len(op.slots)) }

// SymDiff returns one gradient node per input (see flatGrad).
func (op *seqOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return fusedop.FlatGrad(op, inputs, grad)
}

func (op *seqOp) Grad64(vals []G.Value, shapes []tensor.Shape, out []float64) error {
	return gradInto(op, op.k64, vals, shapes, out)
}
func (op *seqOp) Grad32(vals []G.Value, shapes []tensor.Shape, out []float32) error {
	return gradInto(op, op.k32, vals, shapes, out)
}

func gradInto[F float32 | float64](op *seqOp, k *kernel.Kernel[F], vals []G.Value, shapes []tensor.Shape, out []F) error {
	if k == nil {
		return errors.Errorf("%v: gradient before the forward op ran", op)
	}
	if op.eval {
		return errors.Errorf("%v: no gradient in a graph built for evaluation (graph.Config.Eval): its forward pass keeps no derivatives", op)
	}
	x, w, err := unpack[F](op, vals[:len(vals)-1])
	if err != nil {
		return err
	}
	dy, err := fusedop.Input[F](op, vals, len(vals)-1, -1)
	if err != nil {
		return err
	}
	clear(out)
	dx := out[:len(x)]
	if op.xIsInput {
		dx = nil // stays 0: nothing reads the gradient of an input
	}
	var dw [kernel.NumGroups]kernel.Weights[F]
	off := len(x)
	for i, s := range op.slots {
		n := shapes[1+i].TotalSize()
		part := out[off : off+n]
		off += n
		*dw[s.group].At(s.kind) = part
	}
	k.Backward(x, w, dy, dx, dw)
	return nil
}

// stateOp is a final-state node of a seqOp: it reads the cell states (cells) or the recurrent
// activations after each sequence's last step from the kernel of the seqOp's last forward run.
// Its operand is the seqOp's node, which orders it after that run. No gradient flows through
// it (DiffWRT all false, the recipe of truncate.Apply).
type stateOp struct {
	fusedop.Base
	seq   *seqOp
	cells bool
}

func newStateOp(seq *seqOp, cells bool) *stateOp {
	key := fmt.Sprintf("github.com/lstm97/lstm97/layers.stateOp#%d/%v", seq.ID(), cells)
	return &stateOp{Base: fusedop.KeyedBase(key, seq.Dtype()), seq: seq, cells: cells}
}

func (op *stateOp) width() int {
	if op.cells {
		return op.seq.cell.cfg.NumCells()
	}
	return op.seq.cell.cfg.NumSources()
}

func (op *stateOp) Arity() int    { return 1 }
func (op *stateOp) Type() hm.Type { return fusedop.Matrices(op.Dtype(), 1, 2) }
func (op *stateOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.seq.B, op.width()}, nil
}
func (op *stateOp) String() string {
	if op.cells {
		return fmt.Sprintf("final s of %v", op.seq)
	}
	return fmt.Sprintf("final y of %v", op.seq)
}

func (op *stateOp) Do(vals ...G.Value) (G.Value, error) { return fusedop.Do(op, vals) }
func (op *stateOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	return fusedop.UsePreallocDo(op, prealloc, vals)
}
func (op *stateOp) Forward64(_ []G.Value, out []float64) error { return final(op, op.seq.k64, out) }
func (op *stateOp) Forward32(_ []G.Value, out []float32) error { return final(op, op.seq.k32, out) }

// final reads the state after each sequence's last step from k, the kernel of the last run.
func final[F float32 | float64](op *stateOp, k *kernel.Kernel[F], out []F) error {
	if k == nil {
		return errors.Errorf("%v: read before the sequence ran", op)
	}
	k.Final(op.cells, out)
	return nil
}

// DiffWRT: no gradient flows from the final state (a non-empty all-false slice, as for
// truncate.Apply: gorgonia panics on an empty one).
func (op *stateOp) DiffWRT(n int) []bool { return make([]bool, n) }
func (op *stateOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.Errorf("%v: no gradient flows from a final state", op)
}
