package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Program is a compiled graph: compiled once, run many times. Between runs the caller sets
// inputs with Set; after a run it reads watched nodes with Value and the loss with Loss.
// Gradients of the parameters accumulate over runs until ZeroGrads. A Program is not safe for
// concurrent use, and two Programs must not share one graph.
type Program struct {
	exec    *executor // the default engine
	vm      G.VM      // gorgonia's TapeMachine, with UseTapeMachine
	loss    *G.Node
	lossVal *G.Value
	params  []*G.Node
	names   []string
	inputs  map[*G.Node]*tensor.Dense
	reads   map[*G.Node]*G.Value // TapeMachine only
	grads   []*G.Node            // executor only: ∂loss/∂param nodes
	acc     []*tensor.Dense      // executor only: accumulated gradients
	grad    bool
	ran     bool
	closed  bool
}

type compileOpts struct {
	watch  []*G.Node
	noGrad bool
	tape   bool
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

// UseTapeMachine runs the program on gorgonia's TapeMachine instead of this package's
// executor. It is much slower (and compiles in time quadratic in the graph size); it exists as
// an independent reference to test the executor against.
func UseTapeMachine() CompileOption { return func(o *compileOpts) { o.tape = true } }

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
	}
	if p.grad && len(p.params) == 0 {
		return nil, errors.New("graph: compile: no parameters to differentiate")
	}
	if o.tape {
		return p.compileTape(g, watch)
	}
	roots := watch
	if p.grad {
		grads, err := G.Grad(loss, p.params...)
		if err != nil {
			return nil, errors.Wrap(err, "graph: compile: differentiating the loss")
		}
		p.grads = grads
		for i, gn := range grads {
			if gn == nil || !gn.Shape().Eq(p.params[i].Shape()) {
				return nil, errors.Errorf("graph: compile: gradient of %q has shape %v, want %v", p.names[i], gn.Shape(), p.params[i].Shape())
			}
			p.acc = append(p.acc, tensor.New(tensor.Of(p.params[i].Dtype()), tensor.WithShape(p.params[i].Shape().Clone()...)))
		}
		roots = append(roots, grads...)
	}
	if p.exec, err = newExecutor(g, roots); err != nil {
		return nil, errors.Wrap(err, "graph: compile")
	}
	return p, nil
}

func (p *Program) compileTape(g *G.ExprGraph, watch []*G.Node) (*Program, error) {
	p.reads = map[*G.Node]*G.Value{}
	for _, n := range watch {
		if _, ok := p.reads[n]; ok {
			continue
		}
		v := new(G.Value)
		G.Read(n, v)
		p.reads[n] = v
	}
	if p.loss != nil {
		p.lossVal = p.reads[p.loss]
	}
	var vmOpts []G.VMOpt
	if p.grad {
		if _, err := G.Grad(p.loss, p.params...); err != nil {
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
	if i := FirstNonFinite(vals); i >= 0 {
		return errors.Errorf("graph: set: input %q value %d is %v", n.Name(), i, vals[i])
	}
	return fillDense(t, vals, "set input", n.Name())
}

// Run executes the program once: forward pass and, unless compiled ForwardOnly, the backward
// pass, adding this run's gradients to the accumulated ones.
func (p *Program) Run() (err error) {
	if p.closed {
		return errors.New("graph: run: program is closed")
	}
	if p.vm != nil {
		return p.runTape()
	}
	if err := p.exec.run(); err != nil {
		return err
	}
	for i, gn := range p.grads {
		if err := addInto(p.acc[i], p.exec.value(gn)); err != nil {
			return errors.Wrapf(err, "graph: run: gradient of %q", p.names[i])
		}
	}
	p.ran = true
	return nil
}

// addInto adds the values of v (a tensor or a scalar of the same size) to acc.
func addInto(acc *tensor.Dense, v G.Value) error {
	if d, ok := v.(*tensor.Dense); ok && d.Dtype() == tensor.Float64 && acc.Dtype() == tensor.Float64 && !d.IsScalar() {
		a, x := acc.Float64s(), d.Float64s()
		if len(a) != len(x) {
			return errors.Errorf("gradient has %d values, want %d", len(x), len(a))
		}
		for i, g := range x {
			a[i] += g
		}
		return nil
	}
	switch a := acc.Data().(type) {
	case []float64:
		switch d := v.Data().(type) {
		case []float64:
			if len(d) != len(a) {
				return errors.Errorf("gradient has %d values, want %d", len(d), len(a))
			}
			for i, x := range d {
				a[i] += x
			}
			return nil
		case float64:
			if len(a) == 1 {
				a[0] += d
				return nil
			}
		}
	case []float32:
		switch d := v.Data().(type) {
		case []float32:
			if len(d) != len(a) {
				return errors.Errorf("gradient has %d values, want %d", len(d), len(a))
			}
			for i, x := range d {
				a[i] += x
			}
			return nil
		case float32:
			if len(a) == 1 {
				a[0] += d
				return nil
			}
		}
	}
	return errors.Errorf("gradient value %T does not fit %v %v", v.Data(), acc.Dtype(), acc.Shape())
}

func (p *Program) runTape() (err error) {
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
	if p.loss == nil {
		return 0, errors.New("graph: loss: program has no loss")
	}
	if !p.ran {
		return 0, errors.New("graph: loss: program has not run")
	}
	if p.vm != nil {
		return scalarOf(*p.lossVal)
	}
	return scalarOf(p.exec.value(p.loss))
}

// Value returns the value of a node after the last run, as float64 (row-major). Any node the
// program computes can be read; Watch makes sure a node is computed.
func (p *Program) Value(n *G.Node) ([]float64, error) {
	name := "<nil>"
	if n != nil {
		name = n.Name()
	}
	var v G.Value
	if p.vm != nil {
		if r, ok := p.reads[n]; ok {
			v = *r
		} else {
			return nil, errors.Errorf("graph: value: node %q is not watched (pass it to Watch at compile time)", name)
		}
	} else {
		if _, ok := p.exec.slot[n]; !ok {
			return nil, errors.Errorf("graph: value: node %q is not computed by this program (pass it to Watch at compile time)", name)
		}
		v = p.exec.value(n)
	}
	if !p.ran || v == nil {
		return nil, errors.Errorf("graph: value: node %q: program has not run", name)
	}
	switch x := v.(type) {
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
		if p.vm == nil {
			out[i] = Param{Name: p.names[i], Value: val, Grad: p.acc[i]}
			continue
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

// Close releases the program. It cannot run afterwards.
func (p *Program) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	if p.vm != nil {
		return p.vm.Close()
	}
	return nil
}
