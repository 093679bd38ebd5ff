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

// Activation is the function a Layer applies to its net input. The zero value is Identity.
type Activation int

const (
	// Identity is act(v) = v (a linear layer, e.g. the logits of a classifier head).
	Identity Activation = iota
	// Sigmoid is the logistic function act(v) = 1/(1+e^-v), the paper's f.
	Sigmoid
	// Tanh is act(v) = tanh(v).
	Tanh
	// ReLU is act(v) = max(0, v); its derivative at 0 is taken as 0.
	ReLU
)

// String returns the activation's name.
func (a Activation) String() string {
	switch a {
	case Identity:
		return "identity"
	case Sigmoid:
		return "sigmoid"
	case Tanh:
		return "tanh"
	case ReLU:
		return "relu"
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

// Config describes a fully connected layer y = act(x·W + b). The zero value of every field but
// In and Out is a documented default.
type Config struct {
	// Name is the scope of the parameters. Default "dense".
	Name string
	// In is the width of the input x [rows, In]. Must be > 0.
	In int
	// Out is the number of units, the width of y [rows, Out]. Must be > 0.
	Out int
	// Activation is act. Default Identity.
	Activation Activation
	// NoBias leaves out the bias b. Default false: the layer has a bias.
	NoBias bool
	// InitRange is the half-width of the uniform initialisation of W and b. Default 1/√In (as
	// PyTorch's nn.Linear).
	InitRange float64
}

// Layer is a fully connected layer y = act(x·W + b). Its parameters are "<Name>/w" [In, Out]
// and, unless NoBias, "<Name>/b" [1, Out], in that order.
type Layer struct {
	cfg Config
	b   *graph.Builder
	W   *G.Node // [In, Out]
	B   *G.Node // [1, Out] or nil
}

// New creates the layer's parameters in b, drawn from b's seeded source unless b's ParamSet
// already holds them.
func New(b *graph.Builder, cfg Config) (*Layer, error) {
	if b == nil {
		return nil, errors.New("dense: New: nil builder")
	}
	if cfg.Name == "" {
		cfg.Name = "dense"
	}
	if cfg.InitRange == 0 && cfg.In > 0 {
		cfg.InitRange = 1 / math.Sqrt(float64(cfg.In))
	}
	switch {
	case cfg.In <= 0:
		return nil, errors.Errorf("dense: layer %q: In must be > 0, got %d", cfg.Name, cfg.In)
	case cfg.Out <= 0:
		return nil, errors.Errorf("dense: layer %q: Out must be > 0, got %d", cfg.Name, cfg.Out)
	case cfg.Activation < Identity || cfg.Activation > ReLU:
		return nil, errors.Errorf("dense: layer %q: unknown activation %v", cfg.Name, cfg.Activation)
	case !(cfg.InitRange > 0) || math.IsInf(cfg.InitRange, 0):
		return nil, errors.Errorf("dense: layer %q: InitRange must be finite and > 0, got %v", cfg.Name, cfg.InitRange)
	}
	d := &Layer{cfg: cfg, b: b.Scope(cfg.Name)}
	init := graph.Uniform(cfg.InitRange)
	d.W = d.b.Param("w", []int{cfg.In, cfg.Out}, init)
	if !cfg.NoBias {
		d.B = d.b.Param("b", []int{1, cfg.Out}, init)
	}
	if err := b.Err(); err != nil {
		return nil, errors.Wrapf(err, "dense: layer %q", cfg.Name)
	}
	return d, nil
}

// Config returns the layer's configuration with defaults filled in.
func (d *Layer) Config() Config { return d.cfg }

// Params returns the layer's parameter nodes: W, then b unless NoBias.
func (d *Layer) Params() []*G.Node {
	if d == nil {
		return nil
	}
	if d.B == nil {
		return []*G.Node{d.W}
	}
	return []*G.Node{d.W, d.B}
}

// Apply returns act(x·W + b) [rows, Out] for x [rows, In], as one fused graph node. Errors are
// recorded in the builder (and nil returned).
func (d *Layer) Apply(x *G.Node) *G.Node {
	if d == nil { // New failed: its error is the caller's
		return nil
	}
	b := d.b
	if b.Err() != nil {
		return nil
	}
	if x == nil {
		b.Fail(errors.Errorf("dense: layer %q: nil input", d.cfg.Name))
		return nil
	}
	if sh := x.Shape(); len(sh) != 2 || sh[1] != d.cfg.In {
		b.Fail(errors.Errorf("dense: layer %q: input %q has shape %v, want [rows, %d]", d.cfg.Name, x.Name(), sh, d.cfg.In))
		return nil
	}
	if x.Dtype() != d.W.Dtype() {
		b.Fail(errors.Errorf("dense: layer %q: input %q is %v, the weights are %v", d.cfg.Name, x.Name(), x.Dtype(), d.W.Dtype()))
		return nil
	}
	op := &denseOp{Base: fusedop.NewBase("github.com/lstm97/lstm97/layers/dense.denseOp", x.Dtype()), name: d.cfg.Name, act: d.cfg.Activation,
		N: x.Shape()[0], In: d.cfg.In, Out: d.cfg.Out, xIsInput: b.IsInput(x), hasB: d.B != nil}
	in := []*G.Node{x, d.W}
	if d.B != nil {
		in = append(in, d.B)
	}
	return b.Op("dense", func(n ...*G.Node) (*G.Node, error) { return G.ApplyOp(op, n...) }, in...)
}

// denseOp is y = act(x·W + b) for x [N, In], W [In, Out], optional b [1, Out]; its inputs are
// x, W and (if hasB) b.
type denseOp struct {
	fusedop.Base
	name    string
	act     Activation
	N       int
	In, Out int
	// xIsInput: x is a graph input, for which no gradient is ever asked; the backward pass
	// leaves its gradient at 0.
	xIsInput bool
	hasB     bool
	d64      []float64 // act'(net) of the last forward run (not kept for Identity)
	d32      []float32
	dn64     []float64 // backward scratch [Out]
	dn32     []float32
}

func (op *denseOp) Arity() int {
	if op.hasB {
		return 3
	}
	return 2
}
func (op *denseOp) Type() hm.Type { return fusedop.Matrices(op.Dtype(), op.Arity(), 2) }
func (op *denseOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.N, op.Out}, nil
}
func (op *denseOp) String() string { return fmt.Sprintf("dense[%s %v]", op.name, op.act) }

func (op *denseOp) Do(vals ...G.Value) (G.Value, error) { return fusedop.Do(op, vals) }
func (op *denseOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	return fusedop.UsePreallocDo(op, prealloc, vals)
}
func (op *denseOp) Forward64(vals []G.Value, y []float64) (err error) {
	op.d64, err = denseForward(op, vals, y, op.d64)
	return err
}
func (op *denseOp) Forward32(vals []G.Value, y []float32) (err error) {
	op.d32, err = denseForward(op, vals, y, op.d32)
	return err
}

// denseArgs unpacks x, W and b (nil without bias) and checks their sizes.
func denseArgs[F float32 | float64](op *denseOp, vals []G.Value) (x, w, b []F, err error) {
	a := fusedop.ReadArgs[F](op, vals)
	x, w = a.Next(op.N*op.In), a.Next(op.In*op.Out)
	if op.hasB {
		b = a.Next(op.Out)
	}
	return x, w, b, a.Err()
}

// denseForward writes y and keeps act'(net) in d (grown as needed, returned).
func denseForward[F float32 | float64](op *denseOp, vals []G.Value, y, d []F) ([]F, error) {
	x, w, b, err := denseArgs[F](op, vals)
	if err != nil {
		return d, err
	}
	K, I := op.Out, op.In
	if op.act != Identity {
		if cap(d) < op.N*K {
			d = make([]F, op.N*K)
		}
		d = d[:op.N*K]
	}
	for n := 0; n < op.N; n++ {
		yr := y[n*K : (n+1)*K]
		if b != nil {
			copy(yr, b)
		} else {
			clear(yr)
		}
		for i, xv := range x[n*I : (n+1)*I] {
			if xv == 0 { // one-hot and ReLU inputs: many entries add nothing
				continue
			}
			wr := w[i*K : (i+1)*K]
			wr = wr[:len(yr)] // one bounds check instead of one per k
			for k, wv := range wr {
				yr[k] += xv * wv
			}
		}
		switch op.act {
		case Sigmoid:
			dr := d[n*K : (n+1)*K]
			for k, v := range yr {
				p := F(1 / (1 + math.Exp(-float64(v))))
				yr[k], dr[k] = p, p*(1-p)
			}
		case Tanh:
			dr := d[n*K : (n+1)*K]
			for k, v := range yr {
				t := F(math.Tanh(float64(v)))
				yr[k], dr[k] = t, 1-t*t
			}
		case ReLU:
			dr := d[n*K : (n+1)*K]
			for k, v := range yr {
				if v > 0 {
					dr[k] = 1
				} else {
					yr[k], dr[k] = 0, 0
				}
			}
		}
	}
	return d, nil
}

// DiffWRT: the layer is differentiable with respect to x, W and b.
func (op *denseOp) DiffWRT(n int) []bool { return fusedop.Differentiable(n, 0, n) }

func (op *denseOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return fusedop.FlatGrad(op, inputs, grad)
}

func (op *denseOp) Grad64(vals []G.Value, _ []tensor.Shape, out []float64) error {
	var err error
	op.dn64, err = denseBackward(op, vals, op.d64, op.dn64, out)
	return err
}
func (op *denseOp) Grad32(vals []G.Value, _ []tensor.Shape, out []float32) error {
	var err error
	op.dn32, err = denseBackward(op, vals, op.d32, op.dn32, out)
	return err
}

// denseBackward writes dx, dW and db into out (zeroed, in input order), using the scratch
// dnet [Out] (grown as needed, returned).
func denseBackward[F float32 | float64](op *denseOp, vals []G.Value, d, dnet, out []F) ([]F, error) {
	x, w, b, err := denseArgs[F](op, vals[:len(vals)-1])
	if err != nil {
		return dnet, err
	}
	K, I := op.Out, op.In
	dy, ok := fusedop.Floats[F](vals[len(vals)-1])
	if !ok || len(dy) != op.N*K || (op.act != Identity && len(d) != len(dy)) {
		return dnet, errors.Errorf("%v: gradient before the forward op ran", op)
	}
	if cap(dnet) < K {
		dnet = make([]F, K)
	}
	dnet = dnet[:K]
	dx, rest := out[:len(x)], out[len(x):]
	dw, db := rest[:len(w)], rest[len(w):len(w)+len(b)]
	for n := 0; n < op.N; n++ {
		if op.act == Identity {
			copy(dnet, dy[n*K:(n+1)*K])
		} else {
			for k := range dnet {
				dnet[k] = dy[n*K+k] * d[n*K+k]
			}
		}
		if b != nil {
			for k, g := range dnet {
				db[k] += g
			}
		}
		for i := 0; i < I; i++ {
			xv, wr := x[n*I+i], w[i*K:(i+1)*K]
			wr = wr[:len(dnet)] // one bounds check instead of one per k
			if xv != 0 {
				dwr := dw[i*K : (i+1)*K]
				dwr = dwr[:len(dnet)]
				for k, g := range dnet {
					dwr[k] += xv * g
				}
			}
			if op.xIsInput {
				continue
			}
			acc := F(0)
			for k, g := range dnet {
				acc += wr[k] * g
			}
			dx[n*I+i] = acc
		}
	}
	return dnet, nil
}
