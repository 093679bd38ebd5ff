package graph

import (
	"math"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Program is a compiled graph: compiled once, run many times. Between runs the caller sets
// inputs with Set; after a run it reads watched nodes with Value and the loss with Loss.
// Gradients of the parameters accumulate over runs until ZeroGrads. A Program is not safe for
// concurrent use, and two Programs must not share one graph.
type Program struct {
	vm      G.VM
	loss    *G.Node
	lossVal *G.Value
	params  []*G.Node
	names   []string
	inputs  map[*G.Node]*tensor.Dense
	reads   map[*G.Node]*G.Value
	grad    bool
	ran     bool
}

type compileOpts struct {
	watch   []*G.Node
	noGrad  bool
	runOnce bool
}

// CompileOption configures Compile.
type CompileOption func(*compileOpts)

// Watch makes the values of nodes readable with Program.Value after each run. Gorgonia reuses
// the registers of intermediate nodes during the backward pass, so a node's own Value() after a
// run is not reliable; only watched nodes are.
func Watch(nodes ...*G.Node) CompileOption {
	return func(o *compileOpts) { o.watch = append(o.watch, nodes...) }
}

// ForwardOnly compiles without gradients (for evaluation).
func ForwardOnly() CompileOption { return func(o *compileOpts) { o.noGrad = true } }

// Compile differentiates loss with respect to every parameter of b (unless ForwardOnly) and
// compiles the graph. loss may be nil with ForwardOnly. The builder must not be used after
// Compile.
func Compile(b *Builder, loss *G.Node, opts ...CompileOption) (p *Program, err error) {
	if b == nil {
		return nil, errors.New("graph: compile: nil builder")
	}
	if err := b.Err(); err != nil {
		return nil, errors.Wrap(err, "graph: compile: the builder has an error")
	}
	var o compileOpts
	for _, opt := range opts {
		opt(&o)
	}
	if loss == nil && !o.noGrad {
		return nil, errors.New("graph: compile: nil loss (use ForwardOnly for a graph without a loss)")
	}
	if loss != nil && !loss.IsScalar() {
		return nil, errors.Errorf("graph: compile: loss %q must be a scalar, has shape %v", loss.Name(), loss.Shape())
	}
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, errors.Errorf("graph: compile: gorgonia panicked: %v", r)
		}
	}()
	g := b.Graph()
	p = &Program{
		loss:   loss,
		params: b.Params(),
		inputs: map[*G.Node]*tensor.Dense{},
		reads:  map[*G.Node]*G.Value{},
		grad:   !o.noGrad,
	}
	for _, n := range p.params {
		p.names = append(p.names, n.Name())
	}
	for _, in := range b.Inputs() {
		t, ok := in.Value().(*tensor.Dense)
		if !ok {
			return nil, errors.Errorf("graph: compile: input %q has no tensor value", in.Name())
		}
		p.inputs[in] = t
	}
	watch := o.watch
	if loss != nil {
		watch = append([]*G.Node{loss}, watch...)
	}
	for i, n := range watch {
		if n == nil {
			return nil, errors.Errorf("graph: compile: watched node %d is nil", i)
		}
		if n.Graph() != g {
			return nil, errors.Errorf("graph: compile: watched node %q belongs to another graph", n.Name())
		}
		if _, ok := p.reads[n]; ok {
			continue
		}
		v := new(G.Value)
		G.Read(n, v)
		p.reads[n] = v
	}
	if loss != nil {
		p.lossVal = p.reads[loss]
	}
	var vmOpts []G.VMOpt
	if p.grad {
		if len(p.params) == 0 {
			return nil, errors.New("graph: compile: no parameters to differentiate")
		}
		if _, err := G.Grad(loss, p.params...); err != nil {
			return nil, errors.Wrap(err, "graph: compile: differentiating the loss")
		}
		vmOpts = append(vmOpts, G.BindDualValues(p.params...))
	}
	p.vm = G.NewTapeMachine(g, vmOpts...)
	return p, nil
}

// Set copies vals into the input node n (row-major, converted to the graph's dtype). It fails
// if n is not an input of the program, if the number of values does not match n's shape, or if
// a value is NaN or infinite.
func (p *Program) Set(n *G.Node, vals []float64) error {
	t, ok := p.inputs[n]
	if !ok {
		name := "<nil>"
		if n != nil {
			name = n.Name()
		}
		return errors.Errorf("graph: set: %q is not an input of this program", name)
	}
	for i, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errors.Errorf("graph: set: input %q value %d is %v", n.Name(), i, v)
		}
	}
	return fillDense(t, vals, "set input "+n.Name())
}

// Run executes the program once: forward pass and, unless compiled ForwardOnly, the backward
// pass, adding this run's gradients to the accumulated ones.
func (p *Program) Run() (err error) {
	if p.vm == nil {
		return errors.New("graph: run: program is closed")
	}
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("graph: run: gorgonia panicked: %v", r)
		}
		p.vm.Reset()
	}()
	for _, v := range p.reads {
		*v = nil
	}
	if err := p.vm.RunAll(); err != nil {
		return errors.Wrap(err, "graph: run")
	}
	p.ran = true
	return nil
}

// Loss returns the loss of the last run.
func (p *Program) Loss() (float64, error) {
	if p.lossVal == nil {
		return 0, errors.New("graph: loss: program has no loss")
	}
	if *p.lossVal == nil {
		return 0, errors.New("graph: loss: program has not run")
	}
	return scalarOf(*p.lossVal)
}

// Value returns the value of a watched node after the last run, as float64 (row-major).
func (p *Program) Value(n *G.Node) ([]float64, error) {
	v, ok := p.reads[n]
	if !ok {
		name := "<nil>"
		if n != nil {
			name = n.Name()
		}
		return nil, errors.Errorf("graph: value: node %q is not watched (pass it to Watch at compile time)", name)
	}
	if *v == nil {
		return nil, errors.Errorf("graph: value: node %q: program has not run", n.Name())
	}
	switch x := (*v).(type) {
	case *tensor.Dense:
		return toFloat64s(x), nil
	default:
		f, err := scalarOf(x)
		if err != nil {
			return nil, err
		}
		return []float64{f}, nil
	}
}

func scalarOf(v G.Value) (float64, error) {
	switch x := v.(type) {
	case *G.F64:
		return float64(*x), nil
	case *G.F32:
		return float64(*x), nil
	case *tensor.Dense:
		if x.Shape().TotalSize() == 1 {
			return toFloat64s(x)[0], nil
		}
	}
	return 0, errors.Errorf("graph: value %v is not a scalar", v)
}

// Param is a parameter's value and its accumulated gradient, as an Optimizer sees them.
type Param struct {
	Name  string
	Value *tensor.Dense
	Grad  *tensor.Dense
}

// Params returns the parameters in creation order with their gradients (the program must have
// been compiled with gradients and have run at least once).
func (p *Program) Params() ([]Param, error) {
	if !p.grad {
		return nil, errors.New("graph: params: program was compiled ForwardOnly")
	}
	if !p.ran {
		return nil, errors.New("graph: params: program has not run")
	}
	out := make([]Param, len(p.params))
	for i, n := range p.params {
		val, ok := n.Value().(*tensor.Dense)
		if !ok {
			return nil, errors.Errorf("graph: params: %q has no tensor value", p.names[i])
		}
		gv, err := n.Grad()
		if err != nil {
			return nil, errors.Wrapf(err, "graph: params: gradient of %q", p.names[i])
		}
		gd, ok := gv.(*tensor.Dense)
		if !ok {
			return nil, errors.Errorf("graph: params: gradient of %q is %T", p.names[i], gv)
		}
		out[i] = Param{Name: p.names[i], Value: val, Grad: gd}
	}
	return out, nil
}

// ZeroGrads sets the accumulated gradients to zero.
func (p *Program) ZeroGrads() error {
	if !p.grad || !p.ran {
		return nil
	}
	ps, err := p.Params()
	if err != nil {
		return err
	}
	for _, q := range ps {
		q.Grad.Zero()
	}
	return nil
}

// Close releases the machine. The program cannot run afterwards.
func (p *Program) Close() error {
	if p.vm == nil {
		return nil
	}
	err := p.vm.Close()
	p.vm = nil
	return err
}
