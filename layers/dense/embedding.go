package dense

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/fusedop"
)

// EmbeddingConfig describes a lookup table of Vocab rows of width Dim. The zero value of every
// field but Vocab and Dim is a documented default.
type EmbeddingConfig struct {
	// Name is the scope of the parameter. Default "embedding".
	Name string
	// Vocab is the number of symbols, the indices being 0..Vocab-1. Must be > 0.
	Vocab int
	// Dim is the width of an embedded symbol. Must be > 0.
	Dim int
	// InitRange is the half-width of the uniform initialisation of the table. Default 0.1.
	InitRange float64
}

// Embedding maps symbol indices to rows of a trainable table: row r of the output is row
// idx[r] of Table. It is the one-hot input path of layers.Cell.SequenceOneHot on its own: the
// same as a linear layer without bias applied to one-hot rows (x·Table for x one-hot), at the
// cost of one row copy per index. Its parameter is "<Name>/table" [Vocab, Dim].
type Embedding struct {
	cfg   EmbeddingConfig
	b     *graph.Builder
	Table *G.Node // [Vocab, Dim]
}

// NewEmbedding creates the table in b, drawn from b's seeded source unless b's ParamSet already
// holds it.
func NewEmbedding(b *graph.Builder, cfg EmbeddingConfig) (*Embedding, error) {
	if b == nil {
		return nil, errors.New("dense: NewEmbedding: nil builder")
	}
	if cfg.Name == "" {
		cfg.Name = "embedding"
	}
	if cfg.InitRange == 0 {
		cfg.InitRange = 0.1
	}
	switch {
	case cfg.Vocab <= 0:
		return nil, errors.Errorf("dense: embedding %q: Vocab must be > 0, got %d", cfg.Name, cfg.Vocab)
	case cfg.Dim <= 0:
		return nil, errors.Errorf("dense: embedding %q: Dim must be > 0, got %d", cfg.Name, cfg.Dim)
	case !(cfg.InitRange > 0) || math.IsInf(cfg.InitRange, 0):
		return nil, errors.Errorf("dense: embedding %q: InitRange must be finite and > 0, got %v", cfg.Name, cfg.InitRange)
	}
	e := &Embedding{cfg: cfg, b: b.Scope(cfg.Name)}
	e.Table = e.b.Param("table", []int{cfg.Vocab, cfg.Dim}, graph.Uniform(cfg.InitRange))
	if err := b.Err(); err != nil {
		return nil, errors.Wrapf(err, "dense: embedding %q", cfg.Name)
	}
	return e, nil
}

// Config returns the embedding's configuration with defaults filled in.
func (e *Embedding) Config() EmbeddingConfig { return e.cfg }

// Params returns the embedding's parameter node, the table.
func (e *Embedding) Params() []*G.Node {
	if e == nil {
		return nil
	}
	return []*G.Node{e.Table}
}

// Apply returns the embedded symbols [rows, Dim] of idx [rows, 1], a graph input
// (Builder.Input) whose values are symbol indices, integers in [0, Vocab). The backward pass
// adds each output row's gradient into the table row it was read from. An index that is not
// an integer in range fails the run with an error naming its row; batch, if > 0, is B of the
// packed layout (row t·B+b is step t of sequence b, see graph.Model), and the error then also
// names the step and the sequence. Errors are recorded in the builder (and nil returned).
func (e *Embedding) Apply(idx *G.Node, batch int) *G.Node {
	if e == nil { // NewEmbedding failed: its error is the caller's
		return nil
	}
	b := e.b
	if b.Err() != nil {
		return nil
	}
	if idx == nil {
		b.Fail(errors.Errorf("dense: embedding %q: nil index input", e.cfg.Name))
		return nil
	}
	if !b.IsInput(idx) {
		b.Fail(errors.Errorf("dense: embedding %q: index input %q must be a graph input (Builder.Input)", e.cfg.Name, idx.Name()))
		return nil
	}
	sh := idx.Shape()
	if len(sh) != 2 || sh[1] != 1 {
		b.Fail(errors.Errorf("dense: embedding %q: index input %q has shape %v, want [rows, 1]", e.cfg.Name, idx.Name(), sh))
		return nil
	}
	if batch < 0 || (batch > 0 && sh[0]%batch != 0) {
		b.Fail(errors.Errorf("dense: embedding %q: batch %d does not divide the %d rows of %q", e.cfg.Name, batch, sh[0], idx.Name()))
		return nil
	}
	op := &embedOp{Base: fusedop.NewBase("github.com/lstm97/lstm97/layers/dense.embedOp", idx.Dtype()), name: e.cfg.Name, N: sh[0], B: batch,
		vocab: e.cfg.Vocab, dim: e.cfg.Dim}
	return b.Op("embedding", func(n ...*G.Node) (*G.Node, error) { return G.ApplyOp(op, n...) }, idx, e.Table)
}

// embedOp is y[r] = table[idx[r]] for idx [N, 1] and table [vocab, dim]; its inputs are idx
// and table.
type embedOp struct {
	fusedop.Base
	name       string
	N, B       int // rows, and the batch of the packed layout (0: unknown)
	vocab, dim int
	idx        []int // the indices of the last forward run
}

func (op *embedOp) Arity() int    { return 2 }
func (op *embedOp) Type() hm.Type { return fusedop.Matrices(op.Dtype(), 2, 2) }
func (op *embedOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.N, op.dim}, nil
}
func (op *embedOp) String() string {
	return fmt.Sprintf("embedding[%s %d×%d]", op.name, op.vocab, op.dim)
}
func (op *embedOp) Do(vals ...G.Value) (G.Value, error) { return fusedop.Do(op, vals) }
func (op *embedOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	return fusedop.UsePreallocDo(op, prealloc, vals)
}
func (op *embedOp) Forward64(vals []G.Value, y []float64) error { return embedForward(op, vals, y) }
func (op *embedOp) Forward32(vals []G.Value, y []float32) error { return embedForward(op, vals, y) }

func embedForward[F float32 | float64](op *embedOp, vals []G.Value, y []F) error {
	a := fusedop.ReadArgs[F](op, vals)
	x, table := a.Next(op.N), a.Next(op.vocab*op.dim)
	if err := a.Err(); err != nil {
		return err
	}
	var err error
	if op.idx, err = fusedop.Indices(x, op.vocab, op.B, "index", op.idx, nil); err != nil {
		return errors.Wrapf(err, "%v", op)
	}
	D := op.dim
	for r, i := range op.idx {
		copy(y[r*D:(r+1)*D], table[i*D:(i+1)*D])
	}
	return nil
}

// DiffWRT: the lookup is differentiable with respect to the table only.
func (op *embedOp) DiffWRT(n int) []bool { return fusedop.Differentiable(n, 1, 2) }

func (op *embedOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return fusedop.FlatGrad(op, inputs, grad)
}

func (op *embedOp) Grad64(vals []G.Value, _ []tensor.Shape, out []float64) error {
	return embedBackward(op, vals, out)
}
func (op *embedOp) Grad32(vals []G.Value, _ []tensor.Shape, out []float32) error {
	return embedBackward(op, vals, out)
}

// embedBackward scatter-adds the output gradient into the table's (the index part of out
// stays 0).
func embedBackward[F float32 | float64](op *embedOp, vals []G.Value, out []F) error {
	dy, err := fusedop.Input[F](op, vals, len(vals)-1, op.N*op.dim)
	if err != nil {
		return err
	}
	if len(op.idx) != op.N {
		return errors.Errorf("%v: gradient before the forward op ran", op)
	}
	D := op.dim
	dt := out[op.N:]
	for r, i := range op.idx {
		row := dt[i*D : (i+1)*D]
		for k, g := range dy[r*D : (r+1)*D] {
			row[k] += g
		}
	}
	return nil
}
