package layers

import (
	"fmt"
	"hash"
	"hash/fnv"
	"sync/atomic"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph/fusedop"
)

// Sequence computes the layer over a whole sequence as ONE graph node: x is [T·B, Inputs] with
// row t·B+b holding step t of sequence b, and the result is the cell outputs y^c [T·B,
// NumCells] in the same row order. It computes exactly what Unroll computes (the same
// equations, truncation and reset state), but its forward and backward passes are tight loops
// over preallocated buffers instead of ~100 gorgonia nodes per step, so it is orders of
// magnitude faster. Gate activations and cell states are not exposed as nodes; use Unroll to
// inspect them. Zero inputs cost nothing, so one-hot coded symbols are cheap; the gradient with
// respect to x is left at 0 when x is a graph input (Builder.Input), which Programs never
// differentiate. Errors are recorded in the builder.
func (c *Cell) Sequence(x *G.Node, T int) *G.Node {
	return c.sequence(x, T, false)
}

// SequenceOneHot is Sequence for one-hot coded inputs given as symbol indices: idx is [T·B, 1],
// row t·B+b holding the index in [0, Inputs) of the input unit that is 1 at step t of sequence
// b (all others 0). It computes exactly what Sequence computes on the one-hot rows, but reads
// and writes one weight row per step instead of scanning Inputs values, and the input is T·B
// numbers instead of T·B·Inputs: for Exp. 2c at q = p = 1000, 8 KB instead of 8 MB per
// sequence. idx must be a graph input (Builder.Input); an index that is not an integer in
// range fails the run with an error naming its row.
func (c *Cell) SequenceOneHot(idx *G.Node, T int) *G.Node {
	return c.sequence(idx, T, true)
}

func (c *Cell) sequence(x *G.Node, T int, hot bool) *G.Node {
	b := c.b
	if b.Err() != nil {
		return nil
	}
	if x == nil {
		b.Fail(errors.Errorf("layers: LSTM %q: nil sequence input", c.cfg.Name))
		return nil
	}
	sh := x.Shape()
	width := c.cfg.Inputs
	if hot {
		width = 1
		if !b.IsInput(x) {
			b.Fail(errors.Errorf("layers: LSTM %q: one-hot index input %q must be a graph input (Builder.Input)", c.cfg.Name, x.Name()))
			return nil
		}
	}
	if T <= 0 || len(sh) != 2 || sh[1] != width || sh[0]%T != 0 {
		b.Fail(errors.Errorf("layers: LSTM %q: sequence input %q has shape %v, want [T·batch, %d] with T=%d", c.cfg.Name, x.Name(), sh, width, T))
		return nil
	}
	op := &seqOp{id: atomic.AddUint64(&seqOpIDs, 1), cell: c, T: T, B: sh[0] / T, dtype: x.Dtype(), xIsInput: b.IsInput(x), hot: hot}
	for gi, g := range []unitGroup{c.Cells, c.InGate, c.OutGate} {
		for kind, n := range []*G.Node{g.Wx, g.Wh, g.B} {
			if n != nil {
				op.slots = append(op.slots, slot{gi, kind})
			}
		}
	}
	inputs := append([]*G.Node{x}, c.Params()...)
	return b.Op("lstm_sequence", func(n ...*G.Node) (*G.Node, error) { return G.ApplyOp(op, n...) }, inputs...)
}

var seqOpIDs uint64

// slot says which weight an input of the op is: group (0 cells, 1 in gates, 2 out gates) and
// kind (0 wx, 1 wh, 2 b).
type slot struct{ group, kind int }

// seqOp is the fused forward op. Each op belongs to one node (its id is part of its hash) and
// keeps the forward values its gradient op needs between the two.
type seqOp struct {
	id    uint64
	cell  *Cell
	T, B  int
	dtype tensor.Dtype
	// xIsInput: x is a graph input (Builder.Input), for which no gradient is ever asked; the
	// backward pass leaves its gradient at 0 instead of computing it.
	xIsInput bool
	// hot: x holds one-hot symbol indices [T·B, 1] (SequenceOneHot), not input values.
	hot   bool
	slots []slot
	k64   *kernel[float64]
	k32   *kernel[float32]
}

func (op *seqOp) Arity() int { return 1 + len(op.slots) }

// matrices is the type of an op taking n matrices and returning a tensor of outDims dims.

func (op *seqOp) Type() hm.Type { return fusedop.Matrices(op.dtype, op.Arity(), 2) }

func (op *seqOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.T * op.B, op.cell.cfg.NumCells()}, nil
}

func (op *seqOp) ReturnsPtr() bool     { return false }
func (op *seqOp) CallsExtern() bool    { return false }
func (op *seqOp) OverwritesInput() int { return -1 }
func (op *seqOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "github.com/lstm97/lstm97/layers.seqOp#%d", op.id)
}
func (op *seqOp) Hashcode() uint32 { h := fnv.New32a(); op.WriteHash(h); return h.Sum32() }
func (op *seqOp) String() string {
	if op.hot {
		return fmt.Sprintf("LSTM[%s T=%d B=%d one-hot]", op.cell.cfg.Name, op.T, op.B)
	}
	return fmt.Sprintf("LSTM[%s T=%d B=%d]", op.cell.cfg.Name, op.T, op.B)
}

func (op *seqOp) Do(vals ...G.Value) (G.Value, error) {
	out := tensor.New(tensor.Of(op.dtype), tensor.WithShape(op.T*op.B, op.cell.cfg.NumCells()))
	return op.UsePreallocDo(out, vals...)
}

func (op *seqOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	out, err := fusedop.OutputTensor(op, op.Arity(), prealloc, vals)
	if err != nil {
		return nil, err
	}
	switch op.dtype {
	case tensor.Float64:
		err = runForward(op, &op.k64, vals, out.Float64s())
	case tensor.Float32:
		err = runForward(op, &op.k32, vals, out.Float32s())
	default:
		err = errors.Errorf("%v: unsupported dtype %v", op, op.dtype)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// runForward runs the kernel (made on first use) on the op's inputs.
func runForward[F float32 | float64](op *seqOp, k **kernel[F], vals []G.Value, out []F) error {
	if *k == nil {
		*k = newKernel[F](op)
	}
	x, w, err := unpack[F](op, vals)
	if err != nil {
		return err
	}
	if op.hot {
		if err := (*k).index(x); err != nil {
			return errors.Wrapf(err, "%v", op)
		}
	}
	(*k).forward(x, w, out)
	return nil
}

func newKernel[F float32 | float64](op *seqOp) *kernel[F] {
	c := op.cell.cfg
	k := &kernel[F]{I: c.Inputs, C: c.NumBlocks, S: c.CellsPerBlock, T: op.T, B: op.B, hot: op.hot,
		outGate: !c.NoOutputGate, rec: !c.NoRecurrence, cellsOnly: c.CellsOnlyRecurrence, full: c.FullGradient, g: c.G, h: c.H, hOffset: c.HPrimeOffset}
	return k
}

// floats returns the backing slice of a dense tensor of element type F without the reflection
// that tensor.Dense.Data uses.

// unpack returns the data of x and of the weights in the kernel's layout.
func unpack[F float32 | float64](op *seqOp, vals []G.Value) ([]F, [3]weights[F], error) {
	var w [3]weights[F]
	x, ok := fusedop.Floats[F](vals[0])
	if !ok {
		return nil, w, errors.Errorf("%v: input is %T", op, vals[0])
	}
	for i, s := range op.slots {
		d, ok := fusedop.Floats[F](vals[1+i])
		if !ok {
			return nil, w, errors.Errorf("%v: weight %d is %T", op, i, vals[1+i])
		}
		switch s.kind {
		case 0:
			w[s.group].wx = d
		case 1:
			w[s.group].wh = d
		case 2:
			w[s.group].b = d
		}
	}
	return x, w, nil
}

// DiffWRT: the op is differentiable with respect to x and every weight.
func (op *seqOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = true
	}
	return d
}

// SymDiff returns one gradient node per input (see flatGrad).
func (op *seqOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return fusedop.FlatGrad(op, inputs, grad)
}

func (op *seqOp) ID() uint64          { return op.id }
func (op *seqOp) Dtype() tensor.Dtype { return op.dtype }
func (op *seqOp) Grad64(vals []G.Value, shapes []tensor.Shape, out []float64) error {
	return gradInto(op, op.k64, vals, shapes, out)
}
func (op *seqOp) Grad32(vals []G.Value, shapes []tensor.Shape, out []float32) error {
	return gradInto(op, op.k32, vals, shapes, out)
}

func gradInto[F float32 | float64](op *seqOp, k *kernel[F], vals []G.Value, shapes []tensor.Shape, out []F) error {
	if k == nil {
		return errors.Errorf("%v: gradient before the forward op ran", op)
	}
	x, w, err := unpack[F](op, vals[:len(vals)-1])
	if err != nil {
		return err
	}
	dy, ok := fusedop.Floats[F](vals[len(vals)-1])
	if !ok {
		return errors.Errorf("%v: output gradient is %T", op, vals[len(vals)-1])
	}
	clear(out)
	dx := out[:len(x)]
	if op.xIsInput {
		dx = nil // stays 0: nothing reads the gradient of an input
	}
	var dw [3]weights[F]
	off := len(x)
	for i, s := range op.slots {
		n := shapes[1+i].TotalSize()
		part := out[off : off+n]
		off += n
		switch s.kind {
		case 0:
			dw[s.group].wx = part
		case 1:
			dw[s.group].wh = part
		case 2:
			dw[s.group].b = part
		}
	}
	k.backward(x, w, dy, dx, dw)
	return nil
}
