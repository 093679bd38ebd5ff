package vm

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/fusedop"
)

// Program is a compiled graph: compiled once, run many times. Between runs the caller sets
// inputs with Set; after a run it reads watched nodes with Value and the loss with Loss.
// Gradients of the parameters accumulate over runs until ZeroGrads. A Program is not safe for
// concurrent use.
//
// A Program owns its graph until Close (it freezes the graph's Builder: graph.Builder.Freeze).
// Compiling a second Program from the same Builder while the first is open is an error, and so
// is adding nodes with the Builder: the input nodes are bound to one tensor each, and fused ops
// keep the values of their forward pass inside the op for their backward pass, so two Programs
// on one graph would overwrite each other's inputs and state and report wrong numbers without
// any error. For a second Program (another batch shape, evaluation next to training, other
// watched nodes), build a second graph from the same model code with
// graph.NewBuilder(graph.Config{Params: ps}) for the first graph's ParamSet ps: the two graphs
// then share the parameter tensors and nothing else, as train.Trainer does for every batch
// shape.
//
// Run fails if an input that the program reads (with UseTapeMachine: any input of the graph) was
// never Set. A value once set stays until it is set again, so inputs that do not change between
// runs (a mask) need to be set only once.
type Program struct {
	exec    *executor      // the default engine
	vm      G.VM           // gorgonia's TapeMachine, with UseTapeMachine
	b       *graph.Builder // for the scopes of nodes in messages
	release func()         // unfreezes b (graph.Builder.Freeze)
	loss    *G.Node
	lossVal *G.Value
	params  []*G.Node
	names   []string
	inputs  map[*G.Node]*input
	order   []*input              // inputs in creation order
	unset   int                   // inputs the program reads that were never set
	reads   map[*G.Node]*G.Value  // TapeMachine only
	grads   []*G.Node             // executor only: ∂loss/∂param nodes
	acc     *grads                // executor only: accumulated gradients
	views   map[*G.Node][]float64 // View's buffers for the values of a float32 graph
	grad    bool
	check   bool // CheckFinite
	ran     bool
	closed  bool
}

// input is one input node's tensor and whether it has been set.
type input struct {
	node   *G.Node
	name   string
	quoted string // name in quotes, for messages without allocating
	t      *tensor.Dense
	read   bool // the program reads it
	set    bool
}

type compileOpts struct {
	watch  []*G.Node
	noGrad bool
	tape   bool
	check  bool
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

// CheckFinite makes every Run check that no value became NaN or infinite, and fail with an
// error naming the first culprit: a parameter whose value is not finite; else the first node,
// in execution order (forward pass, then backward pass), whose value is not finite, with its
// operation, shape, scope and the index (row and column) of the value; else a parameter whose
// accumulated gradient overflowed. The gradients of a run that fails the node check are not
// added to the accumulated ones, and the values of the run stay readable with Value, to look
// into the failure. The check reads every value the program computes, once per run, allocating
// nothing; it is meant for finding where a NaN comes from, not for every run of a long
// training. It cannot be combined with UseTapeMachine, whose registers are overwritten during
// the run.
func CheckFinite() CompileOption { return func(o *compileOpts) { o.check = true } }

// Compile differentiates loss with respect to every parameter of b (unless ForwardOnly) and
// compiles the graph. loss may be nil with ForwardOnly if some node is watched. The Program owns
// the graph until it is Closed: until then, b adds no nodes and the graph cannot be compiled
// again (see Program).
func Compile(b *graph.Builder, loss *G.Node, opts ...CompileOption) (p *Program, err error) {
	if b.Graph() == nil { // a nil or zero Builder: its Err says so
		return nil, errors.Wrap(b.Err(), "vm: compile")
	}
	if err := b.Err(); err != nil {
		return nil, errors.Wrap(err, "vm: compile: the builder has an error")
	}
	release, ok := b.Freeze()
	if !ok {
		return nil, errors.Errorf("vm: compile: the builder's graph (%s) is already compiled into a Program that is open; "+
			"two Programs on one graph share its input tensors and the state fused ops keep between forward and backward pass, and silently overwrite each other's values. "+
			"Build a second graph from the same model code with NewBuilder(Config{Params: b.ParamSet()}), as train.Trainer does per batch shape, or Close the first Program", describe(b))
	}
	defer func() { // runs after the recover below has turned a panic into err
		if err != nil {
			release()
		}
	}()
	var o compileOpts
	for i, opt := range opts {
		if opt == nil {
			return nil, errors.Errorf("vm: compile: option %d is nil", i)
		}
		opt(&o)
	}
	if loss == nil && !o.noGrad {
		return nil, errors.New("vm: compile: nil loss (use ForwardOnly for a graph without a loss)")
	}
	if loss == nil && len(o.watch) == 0 {
		return nil, errors.New("vm: compile: nothing to compute: no loss and no watched node")
	}
	if loss != nil && !loss.IsScalar() {
		return nil, errors.Errorf("vm: compile: loss %q must be a scalar, has shape %v", loss.Name(), loss.Shape())
	}
	if o.check && o.tape {
		return nil, errors.New("vm: compile: CheckFinite needs this package's executor: it cannot be combined with UseTapeMachine")
	}
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, errors.Errorf("vm: compile: gorgonia panicked: %v", r)
		}
	}()
	g := b.Graph()
	p = &Program{
		b:       b,
		release: release,
		loss:    loss,
		params:  b.Params(),
		inputs:  map[*G.Node]*input{},
		reads:   map[*G.Node]*G.Value{},
		grad:    !o.noGrad,
		check:   o.check,
	}
	for _, n := range p.params {
		p.names = append(p.names, n.Name())
	}
	for _, in := range b.Inputs() {
		t, ok := in.Value().(*tensor.Dense)
		if !ok {
			return nil, errors.Errorf("vm: compile: input %q has no tensor value", in.Name())
		}
		rec := &input{node: in, name: in.Name(), quoted: strconv.Quote(in.Name()), t: t}
		p.inputs[in] = rec
		p.order = append(p.order, rec)
	}
	watch := o.watch
	if loss != nil {
		watch = append([]*G.Node{loss}, watch...)
	}
	for i, n := range watch {
		if n == nil {
			return nil, errors.Errorf("vm: compile: watched node %d is nil", i)
		}
		if n.Graph() != g {
			return nil, errors.Errorf("vm: compile: watched node %q belongs to another graph", n.Name())
		}
	}
	if p.grad && len(p.params) == 0 {
		return nil, errors.New("vm: compile: no parameters to differentiate")
	}
	if o.tape {
		if err := p.compileTape(g, watch); err != nil {
			return nil, err
		}
		return p.own(), nil
	}
	roots := watch
	if p.grad {
		grads, err := G.Grad(loss, p.params...)
		if err != nil {
			return nil, errors.Wrap(err, "vm: compile: differentiating the loss")
		}
		if len(grads) != len(p.params) {
			return nil, errors.Errorf("vm: compile: %d gradients for %d parameters", len(grads), len(p.params))
		}
		p.grads = grads
		for i, gn := range grads {
			if gn == nil {
				return nil, errors.Errorf("vm: compile: no gradient for %q", p.names[i])
			}
			if !gn.Shape().Eq(p.params[i].Shape()) {
				return nil, errors.Errorf("vm: compile: gradient of %q has shape %v, want %v", p.names[i], gn.Shape(), p.params[i].Shape())
			}
		}
		roots = append(roots, grads...)
	}
	if p.exec, err = newExecutor(g, roots); err != nil {
		return nil, errors.Wrap(err, "vm: compile")
	}
	keep := map[*G.Node]bool{}
	for _, n := range watch {
		keep[n] = true
	}
	if p.grad {
		parts := p.exec.cutParts(g, p.grads, keep)
		vals := make([]*G.Value, len(p.grads))
		for i, gn := range p.grads {
			if parts[i].flat == nil {
				vals[i] = p.exec.slot[gn]
			}
		}
		p.acc = newGrads(p.params, p.names, vals, parts)
	}
	p.exec.bind()
	if loss != nil {
		p.lossVal = p.exec.slot[loss]
	}
	return p.own(), nil
}

// own marks the inputs the program reads as needing a value.
func (p *Program) own() *Program {
	for n, in := range p.inputs {
		if p.vm != nil { // the TapeMachine runs every node of the graph
			in.read = true
		} else {
			_, in.read = p.exec.slot[n]
		}
		if in.read {
			p.unset++
		}
	}
	return p
}

// describe names b's graph by its first parameters and inputs, for messages.
func describe(b *graph.Builder) string {
	list := func(what string, nodes []*G.Node) string {
		var names []string
		for i, n := range nodes {
			if i == 3 {
				names = append(names, fmt.Sprintf("and %d more", len(nodes)-3))
				break
			}
			names = append(names, strconv.Quote(n.Name()))
		}
		if len(names) == 0 {
			return "no " + what
		}
		return what + " " + strings.Join(names, ", ")
	}
	return list("parameters", b.Params()) + " and " + list("inputs", b.Inputs())
}

func (p *Program) compileTape(g *G.ExprGraph, watch []*G.Node) error {
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
			return errors.Wrap(err, "vm: compile: differentiating the loss")
		}
		vmOpts = append(vmOpts, G.BindDualValues(p.params...))
	}
	p.vm = G.NewTapeMachine(g, vmOpts...)
	return nil
}

// usable returns an error unless p is a compiled Program that is not closed. what names the
// method for the message.
func (p *Program) usable(what string) error {
	switch {
	case p == nil:
		return errors.Errorf("vm: %s: nil Program (did Compile fail?)", what)
	case p.exec == nil && p.vm == nil:
		return errors.Errorf("vm: %s: Program not made by Compile", what)
	case p.closed:
		return errors.Errorf("vm: %s: program is closed", what)
	}
	return nil
}

// Set copies vals into the input node n (row-major, converted to the graph's dtype). It fails
// if n is not an input of the program, if the number of values does not match n's shape, or if
// a value is NaN or infinite. The value stays for every later run until n is set again.
func (p *Program) Set(n *G.Node, vals []float64) error {
	if err := p.usable("set"); err != nil {
		return err
	}
	in := p.input(n)
	if in == nil {
		if n == nil {
			return errors.New("vm: set: nil node is not an input of this program (a builder error left it nil?)")
		}
		return errors.Errorf("vm: set: %q is not an input of this program", n.Name())
	}
	if i := graph.FirstNonFinite(vals); i >= 0 {
		return errors.Errorf("vm: set: input %q value %d is %v", in.name, i, vals[i])
	}
	if err := graph.Fill(in.t, vals); err != nil {
		return errors.Wrapf(err, "vm: set input %s", in.quoted)
	}
	if !in.set {
		in.set = true
		if in.read {
			p.unset--
		}
	}
	return nil
}

// Run executes the program once: forward pass and, unless compiled ForwardOnly, the backward
// pass, adding this run's gradients to the accumulated ones. It fails, running nothing, if an
// input the program reads was never Set; with CheckFinite, it fails if a value is not finite.
func (p *Program) Run() (err error) {
	if err := p.usable("run"); err != nil {
		return err
	}
	if p.unset > 0 {
		return p.unsetError()
	}
	if p.vm != nil {
		return p.runTape()
	}
	if err := p.exec.run(); err != nil {
		return err
	}
	if p.check {
		p.ran = true // the values stay readable, to look into a failure
		if err := p.checkRun(); err != nil {
			return err
		}
	}
	if p.grad {
		if err := p.acc.add(); err != nil {
			return err
		}
	}
	p.ran = true
	if p.check && p.grad {
		for i, a := range p.acc.acc {
			if j, v := nonFiniteIn(a); j >= 0 {
				return errors.Errorf("vm: run: the accumulated gradient of parameter %q is %v at index %d%s after this run (it overflowed)", p.names[i], v, j, rowCol(a.Shape(), j))
			}
		}
	}
	return nil
}

// input returns the record of input node n, or nil. A program has few inputs (a packed model:
// inputs, targets, mask and perhaps lengths and carried states): a look through them is faster
// than the map, which serves per-step models of many inputs.
func (p *Program) input(n *G.Node) *input {
	if len(p.order) > 8 {
		return p.inputs[n]
	}
	for _, in := range p.order {
		if in.node == n {
			return in
		}
	}
	return nil
}

// unsetError names the inputs the program reads that were never set.
func (p *Program) unsetError() error {
	var names []string
	for _, in := range p.order {
		if in.read && !in.set {
			names = append(names, strconv.Quote(in.name))
		}
	}
	return errors.Errorf("vm: run: input %s never set (Set every input the program reads before the first Run; a value stays set for later runs)", strings.Join(names, ", "))
}

// checkRun finds the first parameter value, then the first node value in execution order,
// that is not finite.
func (p *Program) checkRun() error {
	for i, n := range p.params {
		if j, v := nonFiniteIn(n.Value()); j >= 0 {
			return errors.Errorf("vm: run: parameter %q value %d%s is %v", p.names[i], j, rowCol(n.Shape(), j), v)
		}
	}
	k, j, v := p.exec.firstNonFinite()
	if k < 0 {
		return nil
	}
	s := &p.exec.steps[k]
	where := ""
	if sc := p.b.ScopeOf(s.n.ID()); sc != "" {
		where = fmt.Sprintf(", scope %q", sc)
	}
	return errors.Errorf("vm: run: node %q (op %v, shape %v%s), step %d of %d in execution order, is the first with a value that is not finite: value %d%s is %v",
		s.n.Name(), s.op, s.n.Shape(), where, k+1, len(p.exec.steps), j, rowCol(s.n.Shape(), j), v)
}

// rowCol describes the position of flat index i in a matrix of shape sh (" (row r, column c)"),
// or nothing for other shapes.
func rowCol(sh tensor.Shape, i int) string {
	if len(sh) != 2 || sh[1] == 0 {
		return ""
	}
	return fmt.Sprintf(" (row %d, column %d)", i/sh[1], i%sh[1])
}

func (p *Program) runTape() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("vm: run: gorgonia panicked: %v", r)
		}
		p.vm.Reset()
	}()
	for _, v := range p.reads {
		*v = nil
	}
	if err := p.vm.RunAll(); err != nil {
		return errors.Wrap(err, "vm: run")
	}
	p.ran = true
	return nil
}

// Loss returns the loss of the last run.
func (p *Program) Loss() (float64, error) {
	if err := p.usable("loss"); err != nil {
		return 0, err
	}
	if p.loss == nil {
		return 0, errors.New("vm: loss: program has no loss")
	}
	if !p.ran {
		return 0, errors.New("vm: loss: program has not run")
	}
	return scalarOf(*p.lossVal)
}

// Value returns the value of a node after the last run, as float64 (row-major): a copy, the
// caller's to keep. Any node the program computes can be read; Watch makes sure a node is
// computed. View reads without copying.
func (p *Program) Value(n *G.Node) ([]float64, error) {
	v, err := p.View(n)
	if err != nil {
		return nil, err
	}
	return append([]float64(nil), v...), nil
}

// View is Value without the copy, for reading a node's value after every run without
// allocating: for a float64 graph the slice is the program's own buffer, which the next Run
// overwrites (read it, do not modify it, copy what is kept); for a float32 graph it is a
// conversion into a buffer the program keeps for the node, likewise overwritten by the next
// Run and by the next View or Value of the node (Value copies out of that buffer).
func (p *Program) View(n *G.Node) ([]float64, error) {
	if err := p.usable("value"); err != nil {
		return nil, err
	}
	if n == nil {
		return nil, errors.New("vm: value: nil node (a builder error left it nil?)")
	}
	var v G.Value
	if p.vm != nil {
		r, ok := p.reads[n]
		if !ok {
			return nil, errors.Errorf("vm: value: node %q is not watched (pass it to Watch at compile time)", n.Name())
		}
		v = *r
	} else {
		r, ok := p.exec.slot[n]
		if !ok {
			return nil, errors.Errorf("vm: value: node %q is not computed by this program (pass it to Watch at compile time)", n.Name())
		}
		v = *r
	}
	if !p.ran || v == nil {
		return nil, errors.Errorf("vm: value: node %q: program has not run", n.Name())
	}
	switch x := v.(type) {
	case *tensor.Dense:
		if v, ok := fusedop.Floats[float64](x); ok && !x.IsScalar() {
			return v, nil
		}
		if p.views == nil {
			p.views = map[*G.Node][]float64{}
		}
		buf, err := appendFloat64s(p.views[n][:0], x)
		if err != nil {
			return nil, errors.Wrapf(err, "vm: value: node %q", n.Name())
		}
		p.views[n] = buf
		return buf, nil
	default:
		f, err := scalarOf(x)
		if err != nil {
			return nil, err
		}
		return []float64{f}, nil
	}
}

// appendFloat64s appends t's values, converted to float64, to dst.
func appendFloat64s(dst []float64, t *tensor.Dense) ([]float64, error) {
	switch d := t.Data().(type) {
	case []float64:
		return append(dst, d...), nil
	case []float32:
		for _, v := range d {
			dst = append(dst, float64(v))
		}
		return dst, nil
	case float64:
		return append(dst, d), nil
	case float32:
		return append(dst, float64(d)), nil
	}
	return nil, errors.Errorf("value of dtype %v is not a float", t.Dtype())
}

func scalarOf(v G.Value) (float64, error) {
	switch x := v.(type) {
	case *G.F64:
		return float64(*x), nil
	case *G.F32:
		return float64(*x), nil
	case *tensor.Dense:
		if x.Shape().TotalSize() == 1 {
			return graph.Float64View(x)[0], nil
		}
	}
	return 0, errors.Errorf("vm: value %v is not a scalar", v)
}

// Param is a parameter's value and its accumulated gradient, as an optimizer (train.Optimizer,
// package optim) sees them.
type Param struct {
	Name  string
	Value *tensor.Dense
	Grad  *tensor.Dense
}

// Params returns the parameters in creation order with their gradients (the program must have
// been compiled with gradients and have run at least once).
func (p *Program) Params() ([]Param, error) {
	if err := p.usable("params"); err != nil {
		return nil, err
	}
	if !p.grad {
		return nil, errors.New("vm: params: program was compiled ForwardOnly")
	}
	if !p.ran {
		return nil, errors.New("vm: params: program has not run")
	}
	out := make([]Param, len(p.params))
	for i, n := range p.params {
		val, ok := n.Value().(*tensor.Dense)
		if !ok {
			return nil, errors.Errorf("vm: params: %q has no tensor value", p.names[i])
		}
		if p.vm == nil {
			out[i] = Param{Name: p.names[i], Value: val, Grad: p.acc.acc[i]}
			continue
		}
		gv, err := n.Grad()
		if err != nil {
			return nil, errors.Wrapf(err, "vm: params: gradient of %q", p.names[i])
		}
		gd, ok := gv.(*tensor.Dense)
		if !ok {
			return nil, errors.Errorf("vm: params: gradient of %q is %T", p.names[i], gv)
		}
		out[i] = Param{Name: p.names[i], Value: val, Grad: gd}
	}
	return out, nil
}

// ZeroGrads sets the accumulated gradients to zero.
func (p *Program) ZeroGrads() error {
	if err := p.usable("zero gradients"); err != nil {
		return err
	}
	if !p.grad || !p.ran {
		return nil
	}
	if p.vm == nil {
		p.acc.zero()
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

// Close releases the program and its graph: it cannot be used afterwards, and the graph's
// Builder may add nodes and compile a new Program again. Closing twice does nothing.
func (p *Program) Close() error {
	if p == nil {
		return errors.New("vm: close: nil Program (did Compile fail?)")
	}
	if p.closed {
		return nil
	}
	p.closed = true
	if p.release != nil { // nil in a Program not made by Compile
		p.release()
	}
	if p.vm != nil {
		return p.vm.Close()
	}
	return nil
}
