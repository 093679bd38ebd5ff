// Package output is the output layer of the 1997 LSTM network and the paper's error
// (Hochreiter & Schmidhuber 1997, Sec. 4 and eqs. 16-19): units y^k = f(Σ w_kc y^c + Σ w_kx x)
// fed by the cells' outputs of the same step (and, with connectivity "B" of Table 10, by the
// inputs), logistic by default, and the loss ½ Σ (target − y)² averaged over the batch, so that
// plain SGD at the paper's learning rate gives the paper's update at batch 1.
//
// Layer.Apply and Layer.ApplyRows (the output units at some rows only, e.g. the target steps)
// and MaskedLoss are fused graph nodes whose forward and gradient are plain loops; Loss is the
// same error written with builder ops, for the unrolled form.
package output

import (
	"math"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/fusedop"
)

// Config describes a layer of output units y^k = f(net_k). The zero value of every field
// but Units and Cells is a documented default.
type Config struct {
	// Name is the scope of the parameters. Default "out".
	Name string
	// Units is the number of output units. Must be > 0.
	Units int
	// Cells is the width of the cell outputs feeding the layer. Must be > 0.
	Cells int
	// Inputs, if > 0, also connects the network's inputs x(t) to the output units
	// (connectivity "B" of Table 10, Exp. 2a); 0 is connectivity "F" (cells only).
	Inputs int
	// Bias gives the output units bias weights ("all" in Table 10). Default false.
	Bias bool
	// Linear makes the units linear instead of logistic.
	Linear bool
	// InitRange is the half-width of the uniform initialisation. Default 0.1.
	InitRange float64
}

// Layer is a layer of output units. Its parameters are "<Name>/w" [Cells, Units], then
// "<Name>/wx" [Inputs, Units] if Inputs > 0, then "<Name>/b" [1, Units] if Bias.
type Layer struct {
	cfg Config
	b   *graph.Builder
	W   *G.Node // [Cells, Units]
	Wx  *G.Node // [Inputs, Units] or nil
	B   *G.Node // [1, Units] or nil
}

// New creates the output layer's parameters in b.
func New(b *graph.Builder, cfg Config) (*Layer, error) {
	if b == nil {
		return nil, errors.New("output: New: nil builder")
	}
	if cfg.Name == "" {
		cfg.Name = "out"
	}
	if cfg.InitRange == 0 {
		cfg.InitRange = 0.1
	}
	switch {
	case cfg.Units <= 0:
		return nil, errors.Errorf("output: layer %q: Units must be > 0, got %d", cfg.Name, cfg.Units)
	case cfg.Cells <= 0:
		return nil, errors.Errorf("output: layer %q: Cells must be > 0, got %d", cfg.Name, cfg.Cells)
	case cfg.Inputs < 0:
		return nil, errors.Errorf("output: layer %q: Inputs must be >= 0, got %d", cfg.Name, cfg.Inputs)
	case !(cfg.InitRange > 0) || math.IsInf(cfg.InitRange, 0):
		return nil, errors.Errorf("output: layer %q: InitRange must be finite and > 0, got %v", cfg.Name, cfg.InitRange)
	}
	o := &Layer{cfg: cfg, b: b.Scope(cfg.Name)}
	init := graph.Uniform(cfg.InitRange)
	o.W = o.b.Param("w", []int{cfg.Cells, cfg.Units}, init)
	if cfg.Inputs > 0 {
		o.Wx = o.b.Param("wx", []int{cfg.Inputs, cfg.Units}, init)
	}
	if cfg.Bias {
		o.B = o.b.Param("b", []int{1, cfg.Units}, init)
	}
	if err := b.Err(); err != nil {
		return nil, errors.Wrapf(err, "output: output %q", cfg.Name)
	}
	return o, nil
}

// Config returns the layer's configuration with defaults filled in.
func (o *Layer) Config() Config { return o.cfg }

// Params returns the layer's parameter nodes in the documented order.
func (o *Layer) Params() []*G.Node {
	var out []*G.Node
	for _, n := range []*G.Node{o.W, o.Wx, o.B} {
		if n != nil {
			out = append(out, n)
		}
	}
	return out
}

// Apply returns the output units' activations [rows, Units] from the cell outputs cells
// [rows, Cells] and, with connectivity B, the inputs x [rows, Inputs] of the same steps (x may
// be nil otherwise). rows is the batch for one step, or T·batch for a whole packed sequence.
// The layer is one fused graph node (forward and gradient in plain loops). Errors are recorded
// in the builder.
func (o *Layer) Apply(cells, x *G.Node) *G.Node {
	if !o.check(cells, x) {
		return nil
	}
	return newDenseNode(o.b, o, cells, x, nil)
}

// ApplyRows is Apply for the listed rows of cells (and x) only: the result is [len(rows),
// Units], its row n computed from row rows[n]. The other rows get no output and a zero
// gradient. A packed model whose outputs matter at a few steps (the paper's tasks with a
// target at the last step only) lists the rows of those steps and spares computing the rest.
// Rows must be distinct and within [0, rows of cells).
func (o *Layer) ApplyRows(cells, x *G.Node, rows []int) *G.Node {
	if !o.check(cells, x) {
		return nil
	}
	if len(rows) == 0 {
		o.b.Fail(errors.Errorf("output: layer %q: no rows to apply the layer to", o.cfg.Name))
		return nil
	}
	n, seen := cells.Shape()[0], make(map[int]bool, len(rows))
	for i, r := range rows {
		if r < 0 || r >= n || seen[r] {
			o.b.Fail(errors.Errorf("output: layer %q: row %d (entry %d) is outside [0, %d) or listed twice", o.cfg.Name, r, i, n))
			return nil
		}
		seen[r] = true
	}
	return newDenseNode(o.b, o, cells, x, rows)
}

// check validates Apply's arguments, recording errors in the builder.
func (o *Layer) check(cells, x *G.Node) bool {
	b := o.b
	if cells == nil {
		b.Fail(errors.Errorf("output: layer %q: nil cell outputs", o.cfg.Name))
		return false
	}
	if o.Wx != nil && x == nil {
		b.Fail(errors.Errorf("output: layer %q: connectivity B needs the inputs x(t)", o.cfg.Name))
		return false
	}
	if sh := cells.Shape(); len(sh) != 2 || sh[1] != o.cfg.Cells {
		b.Fail(errors.Errorf("output: layer %q: cell outputs %q have shape %v, want [rows, %d]", o.cfg.Name, cells.Name(), sh, o.cfg.Cells))
		return false
	}
	if o.Wx != nil {
		if sh := x.Shape(); len(sh) != 2 || sh[0] != cells.Shape()[0] || sh[1] != o.cfg.Inputs {
			b.Fail(errors.Errorf("output: layer %q: inputs %q have shape %v, want [%d, %d]", o.cfg.Name, x.Name(), sh, cells.Shape()[0], o.cfg.Inputs))
			return false
		}
	}
	return true
}

// Loss returns the paper's error, averaged over the batch:
//
//	E = 1/batch · Σ_pairs Σ_k ½ (target_k - y_k)²
//
// over the (output, target) pairs given (one per time step that has a target; eq. 16 summed
// over steps). The factor ½ cancels the 2 of the derivative, so that -∂E/∂w is exactly the
// paper's Δw/α of eqs. (19)-(28) at batch 1 and plain SGD with the paper's learning rate α
// reproduces its updates. For batch > 1 the loss is the MEAN over the batch, so the update size
// does not grow with the batch.
func Loss(b *graph.Builder, outputs, targets []*G.Node) *G.Node {
	if len(outputs) != len(targets) || len(outputs) == 0 {
		b.Fail(errors.Errorf("output: loss: %d outputs and %d targets (want equal, > 0)", len(outputs), len(targets)))
		return nil
	}
	var sum *G.Node
	batch := 0
	for i := range outputs {
		y, t := outputs[i], targets[i]
		if y == nil || t == nil {
			b.Fail(errors.Errorf("output: loss: pair %d has a nil node", i))
			return nil
		}
		if !y.Shape().Eq(t.Shape()) {
			b.Fail(errors.Errorf("output: loss: pair %d: output %q %v and target %q %v differ in shape", i, y.Name(), y.Shape(), t.Name(), t.Shape()))
			return nil
		}
		if batch == 0 {
			batch = y.Shape()[0]
		}
		e := b.Sum(b.Square(b.Sub(t, y)))
		if sum == nil {
			sum = e
		} else {
			sum = b.Add(sum, e)
		}
	}
	return b.Scale(sum, 0.5/float64(batch))
}

// MaskedLoss is Loss for the packed layout: outputs, targets and mask are [T·batch, Units] and
// the mask is 1 where a step has a target, 0 elsewhere:
//
//	E = 1/batch · Σ mask ⊙ ½ (target - y)².
func MaskedLoss(b *graph.Builder, y, target, mask *G.Node, batch int) *G.Node {
	if y == nil || target == nil || mask == nil || batch <= 0 {
		b.Fail(errors.Errorf("output: masked loss: nil node or batch %d", batch))
		return nil
	}
	if !y.Shape().Eq(target.Shape()) || !y.Shape().Eq(mask.Shape()) {
		b.Fail(errors.Errorf("output: masked loss: output %v, target %v and mask %v differ in shape", y.Shape(), target.Shape(), mask.Shape()))
		return nil
	}
	op := &maskedLossOp{Base: fusedop.NewBase("github.com/lstm97/lstm97/layers/output.maskedLossOp", y.Dtype()), c: 0.5 / float64(batch)}
	return b.Op("masked_loss", func(n ...*G.Node) (*G.Node, error) { return G.ApplyOp(op, n...) }, y, target, mask)
}
