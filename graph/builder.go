package graph

import (
	"fmt"
	"math"
	"math/rand"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ErrMerged is returned (wrapped) when gorgonia hands back, for the expression a builder asked
// for, a node that was built as a different expression. Two causes are known. Gorgonia's node
// hashes are 32 bits and it returns an existing node with the same hash without comparing
// children, so two different expressions whose hashes collide share one node. And gorgonia's
// own operations (applied with Op) rewrite some expressions as they build them
// ("stabilization"): G.Neg(G.Neg(x)) returns x itself, and G.Log(G.SoftMax(x)) returns the
// softmax node, switched in place to compute log-softmax (every other user of that node then
// gets log-softmax too). Their other rewrites make new nodes that compute the same values and
// are not reported: log(1+x) becomes log1p(x), log(sigmoid(x)) becomes -softplus(-x),
// 1-sigmoid(x) becomes sigmoid(-x) and exp(x)-1 becomes expm1(x). The Builder's own Neg, Log,
// Softmax and LogSoftmax are never rewritten.
var ErrMerged = errors.New("graph: gorgonia returned an existing node for a different expression (a node hash collision or one of gorgonia's rewrites such as log(softmax) or -(-x))")

// ErrDuplicateName is returned (wrapped) when a parameter or input name is used twice.
var ErrDuplicateName = errors.New("graph: duplicate name")

// Config configures a Builder. The zero value is usable: float64, seed 0, a new ParamSet.
type Config struct {
	// Dtype is tensor.Float64 (the default, when nil) or tensor.Float32.
	Dtype tensor.Dtype
	// Seed seeds the initialisers of parameters that Params does not hold yet.
	Seed int64
	// Params holds the values of parameters. A parameter whose name it already holds is bound
	// to that tensor (and must have the same shape); a new one is initialised and added. Nil
	// means a new, empty set.
	Params *ParamSet
	// Eval says that the graph is built for evaluation, not training: layers that behave
	// differently in training (Dropout) build their evaluation form. Builder.Eval reports it.
	Eval bool
	// Threads bounds the goroutines that a fused op (an LSTM layer's, an output layer's)
	// splits one pass among; 0 means GOMAXPROCS, read at every pass. It changes no result:
	// every number is computed by one goroutine, in the same order whatever the split.
	// train.TrainerConfig.Replicas sets it to GOMAXPROCS/n (at least 1), so that the n parts
	// of a batch that run at once use no more than GOMAXPROCS goroutines together.
	Threads int
}

// Builder creates the nodes of one graph. Its methods record the first error and then do
// nothing (returning nil nodes); check Err after building. A Builder from Scope shares the
// graph, the names and the error of its parent and prefixes names with its path.
//
// vm.Compile (package graph/vm) hands the graph to a Program and freezes the builder (Freeze).
// While that Program is open (not Closed), the builder adds no nodes: a method that would is
// recorded as an error (Err) and returns nil. A nil or zero Builder (not made by NewBuilder)
// makes no nodes either; its Err says so.
type Builder struct {
	s      *buildState
	prefix string // "" or "a/b/"
}

type buildState struct {
	g      *G.ExprGraph
	dtype  tensor.Dtype
	rng    *rand.Rand
	ps     *ParamSet
	err    error
	names  map[string]bool
	params []*G.Node
	inputs []*G.Node
	isIn   map[int64]bool // the IDs of inputs
	// made records, for every node handed out, what it was built as (op and child IDs). A node
	// handed out again for a different expression means gorgonia merged two nodes.
	made map[int64]string
	// scope records the builder path each node was made in, for DOT clusters and messages.
	scope map[int64]string
	// notes holds what layers say about nodes (a label such as "s(t)" and a role), for DOT.
	notes map[int64]Note
	// inner marks nodes gorgonia created inside a builder operation.
	inner map[int64]bool
	eval  bool
	// threads is Config.Threads.
	threads int
	// frozen says that an open Program (package graph/vm) owns the graph (Freeze): no other
	// Program may be compiled from it and the builder adds no nodes.
	frozen bool
}

// Role says what part a node plays, for drawing.
type Role int

const (
	// RoleNone is an ordinary node.
	RoleNone Role = iota
	// RoleStopGradient marks a node through which no gradient flows (the paper's truncation).
	RoleStopGradient
	// RoleCellState marks a cell state s(t), the constant error carousel: the only path that
	// carries error from one time step to the previous one under truncation.
	RoleCellState
)

// Note is what a layer says about a node: a short label in the paper's notation and a role.
type Note struct {
	Label string
	Role  Role
}

// Annotate records a label and a role for n (ignored for nil n). The DOT writer shows them.
func (b *Builder) Annotate(n *G.Node, label string, role Role) {
	if n == nil || b.broken() {
		return
	}
	b.s.notes[n.ID()] = Note{Label: label, Role: role}
}

// NewBuilder returns a Builder for a new graph.
func NewBuilder(cfg Config) *Builder {
	s := &buildState{
		g:       G.NewGraph(),
		dtype:   cfg.Dtype,
		rng:     rand.New(rand.NewSource(cfg.Seed)),
		ps:      cfg.Params,
		names:   map[string]bool{},
		made:    map[int64]string{},
		scope:   map[int64]string{},
		notes:   map[int64]Note{},
		inner:   map[int64]bool{},
		isIn:    map[int64]bool{},
		eval:    cfg.Eval,
		threads: cfg.Threads,
	}
	if s.dtype == (tensor.Dtype{}) {
		s.dtype = tensor.Float64
	}
	if s.dtype != tensor.Float64 && s.dtype != tensor.Float32 {
		s.err = errors.Errorf("graph: dtype must be float64 or float32, got %v", s.dtype)
	}
	if cfg.Threads < 0 && s.err == nil {
		s.err = errors.Errorf("graph: Threads is %d, want 0 (GOMAXPROCS) or more", cfg.Threads)
	}
	if s.ps == nil {
		s.ps = NewParamSet()
	}
	return &Builder{s: s}
}

// errNoBuilder is the error of a nil or zero Builder.
var errNoBuilder = errors.New("graph: nil or zero Builder (make one with NewBuilder)")

// broken reports whether b was not made by NewBuilder (nil or zero): it has nowhere to record
// an error and makes no nodes.
func (b *Builder) broken() bool { return b == nil || b.s == nil }

// Eval reports whether the graph is built for evaluation (Config.Eval).
func (b *Builder) Eval() bool { return !b.broken() && b.s.eval }

// Threads returns the bound on a fused op's goroutines (Config.Threads; 0: GOMAXPROCS).
func (b *Builder) Threads() int {
	if b.broken() {
		return 0
	}
	return b.s.threads
}

// Err returns the first error recorded by any Builder sharing this graph.
func (b *Builder) Err() error {
	if b.broken() {
		return errNoBuilder
	}
	return b.s.err
}

// Fail records err (wrapped with the builder's path) unless an error is already recorded.
// Layers use it to report invalid configurations through the sticky error.
func (b *Builder) Fail(err error) {
	if b.broken() {
		return
	}
	if b.s.err == nil && err != nil {
		if b.prefix != "" {
			err = errors.Wrapf(err, "graph: in %q", strings.TrimSuffix(b.prefix, "/"))
		}
		b.s.err = err
	}
}

// Graph returns the underlying gorgonia graph (nil for a nil or zero Builder).
func (b *Builder) Graph() *G.ExprGraph {
	if b.broken() {
		return nil
	}
	return b.s.g
}

// Dtype returns the graph's float type.
func (b *Builder) Dtype() tensor.Dtype {
	if b.broken() {
		return tensor.Float64
	}
	return b.s.dtype
}

// ParamSet returns the parameter values the graph's parameters are bound to (nil for a nil or
// zero Builder).
func (b *Builder) ParamSet() *ParamSet {
	if b.broken() {
		return nil
	}
	return b.s.ps
}

// Params returns the graph's parameter nodes in creation order.
func (b *Builder) Params() []*G.Node {
	if b.broken() {
		return nil
	}
	return append([]*G.Node(nil), b.s.params...)
}

// Inputs returns the graph's input nodes in creation order.
func (b *Builder) Inputs() []*G.Node {
	if b.broken() {
		return nil
	}
	return append([]*G.Node(nil), b.s.inputs...)
}

// Path returns the builder's scope path ("" at the root, else e.g. "lstm0/block1").
func (b *Builder) Path() string {
	if b == nil {
		return ""
	}
	return strings.TrimSuffix(b.prefix, "/")
}

// Scope returns a builder whose names are prefixed with name and a slash.
func (b *Builder) Scope(name string) *Builder {
	if b == nil {
		return nil
	}
	if err := checkName(name); err != nil {
		b.Fail(errors.Wrap(err, "graph: scope"))
	}
	return &Builder{s: b.s, prefix: b.prefix + name + "/"}
}

// FullName returns the hierarchical name of local in this scope.
func (b *Builder) FullName(local string) string {
	if b == nil {
		return local
	}
	return b.prefix + local
}

func checkName(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	for _, r := range name {
		if r == '/' || r <= ' ' || r > '~' || r == '"' {
			return errors.Errorf("name %q: use printable ASCII without '/', '\"' or spaces", name)
		}
	}
	return nil
}

// adding reports whether b may add a node to its graph: it was made by NewBuilder, has no
// error, and no open Program owns the graph (else the error is recorded).
// what and name describe the node for the error ("add" and its name, or an operation).
func (b *Builder) adding(what, name string) bool {
	if b.broken() || b.s.err != nil {
		return false
	}
	if b.s.frozen {
		if name != "" {
			what += " " + strconv.Quote(b.FullName(name))
		}
		b.Fail(errors.Errorf("graph: %s: the graph is compiled and its Program is open, so it cannot change (build another graph with the same Config.Params, or Close the Program first)", what))
		return false
	}
	return true
}

// Freeze marks the graph as owned by one compiled program, for package graph/vm: until release
// is called, the builder (and every Builder sharing its graph) adds no nodes, and Freeze
// reports false. It reports false, with a nil release, if the graph is already frozen or b was
// not made by NewBuilder. release may be called more than once; only its first call unfreezes.
func (b *Builder) Freeze() (release func(), ok bool) {
	if b.broken() || b.s.frozen {
		return nil, false
	}
	s, done := b.s, false
	s.frozen = true
	return func() {
		if !done {
			done = true
			s.frozen = false
		}
	}, true
}

// claim reserves the full name of local, a name or a slash-separated path of names.
func (b *Builder) claim(local string) (string, bool) {
	if !b.adding("add", local) {
		return "", false
	}
	for _, part := range strings.Split(local, "/") {
		if err := checkName(part); err != nil {
			b.Fail(errors.Wrapf(err, "graph: name %q", local))
			return "", false
		}
	}
	full := b.prefix + local
	if b.s.names[full] {
		b.Fail(errors.Wrapf(ErrDuplicateName, "name %q", full))
		return "", false
	}
	b.s.names[full] = true
	return full, true
}

func checkShape(shape []int) error {
	if len(shape) == 0 || len(shape) > 2 {
		return errors.Errorf("shape %v: want 1 or 2 dimensions", shape)
	}
	for _, d := range shape {
		if d <= 0 {
			return errors.Errorf("shape %v: sizes must be > 0", shape)
		}
	}
	return nil
}

// Param creates a trainable parameter named local (in this scope; local may itself be a path
// such as "head/w") with the given shape (a
// vector [n] or a matrix [rows, cols]). If the ParamSet holds the name, the node is bound to
// that tensor; otherwise init fills a new tensor from the builder's random source, which is
// added to the ParamSet.
func (b *Builder) Param(local string, shape []int, init Init) *G.Node {
	full, ok := b.claim(local)
	if !ok {
		return nil
	}
	if err := checkShape(shape); err != nil {
		b.Fail(errors.Wrapf(err, "graph: param %q", full))
		return nil
	}
	val := b.s.ps.Get(full)
	switch {
	case val != nil && !val.Shape().Eq(tensor.Shape(shape)):
		b.Fail(errors.Errorf("graph: param %q has shape %v in the ParamSet, the graph wants %v", full, val.Shape(), shape))
		return nil
	case val != nil && val.Dtype() != b.s.dtype:
		b.Fail(errors.Errorf("graph: param %q is %v in the ParamSet, the graph is %v", full, val.Dtype(), b.s.dtype))
		return nil
	case val == nil:
		if init == nil {
			b.Fail(errors.Errorf("graph: param %q: nil initialiser", full))
			return nil
		}
		n := 1
		for _, d := range shape {
			n *= d
		}
		vals, err := init(b.s.rng, n)
		if err != nil {
			b.Fail(errors.Wrapf(err, "graph: param %q", full))
			return nil
		}
		if len(vals) != n {
			b.Fail(errors.Errorf("graph: param %q: initialiser gave %d values, want %d", full, len(vals), n))
			return nil
		}
		val = newDense(b.s.dtype, shape, vals)
		if err := b.s.ps.Add(full, val); err != nil {
			b.Fail(err)
			return nil
		}
	}
	n := b.leaf(full, shape, "param", G.WithValue(val))
	if n != nil {
		b.s.params = append(b.s.params, n)
	}
	return n
}

// Input creates an input node named local (in this scope) with the given shape, bound to a
// zero tensor. Programs set its value before each run.
func (b *Builder) Input(local string, shape ...int) *G.Node {
	full, ok := b.claim(local)
	if !ok {
		return nil
	}
	if err := checkShape(shape); err != nil {
		b.Fail(errors.Wrapf(err, "graph: input %q", full))
		return nil
	}
	n := b.leaf(full, shape, "input", G.WithValue(newDense(b.s.dtype, shape, nil)))
	if n != nil {
		b.s.inputs = append(b.s.inputs, n)
		b.s.isIn[n.ID()] = true
	}
	return n
}

// IsInput reports whether n is an input made by Input. Programs never differentiate with respect
// to inputs, so ops may skip computing gradients for them.
func (b *Builder) IsInput(n *G.Node) bool { return n != nil && !b.broken() && b.s.isIn[n.ID()] }

func (b *Builder) leaf(full string, shape []int, kind string, opt G.NodeConsOpt) (n *G.Node) {
	defer b.recoverInto(kind + " " + full)
	before := len(b.s.g.AllNodes())
	opts := []G.NodeConsOpt{G.WithName(full), G.WithShape(shape...), opt}
	if len(shape) == 1 {
		n = G.NewVector(b.s.g, b.s.dtype, opts...)
	} else {
		n = G.NewMatrix(b.s.g, b.s.dtype, opts...)
	}
	if len(b.s.g.AllNodes()) != before+1 || n.Name() != full {
		b.Fail(errors.Wrapf(ErrMerged, "%s %q was merged with existing node %q", kind, full, n.Name()))
		return nil
	}
	return b.record(n, kind+":"+full)
}

// record checks that n, if handed out before, was built as the same expression.
func (b *Builder) record(n *G.Node, desc string) *G.Node {
	if prev, ok := b.s.made[n.ID()]; ok && prev != desc {
		b.Fail(errors.Wrapf(ErrMerged, "graph: asked for %s, got the node built as %s", desc, prev))
		return nil
	}
	if _, ok := b.s.made[n.ID()]; !ok {
		b.s.scope[n.ID()] = b.Path()
	}
	b.s.made[n.ID()] = desc
	return n
}

// adopt records the builder's scope for nodes that gorgonia created inside an operation (for
// example the broadcast of a bias), so that they are drawn with the operation.
func (b *Builder) adopt(from int) {
	all := b.s.g.AllNodes()
	for _, n := range all[min(from, len(all)):] {
		if _, ok := b.s.scope[n.ID()]; !ok {
			b.s.scope[n.ID()] = b.Path()
			b.s.inner[n.ID()] = true
		}
	}
}

// ScopeOf returns the path of the scope in which the node with the given ID was first built
// ("" for the root scope or a node not built by this builder).
func (b *Builder) ScopeOf(id int64) string {
	if b.broken() {
		return ""
	}
	return b.s.scope[id]
}

// Fixed creates a non-trainable leaf named local with fixed values (for example an expansion
// matrix). Unlike a gorgonia constant it has a unique name, so it is never merged with another.
func (b *Builder) Fixed(local string, shape []int, vals []float64) *G.Node {
	full, ok := b.claim(local)
	if !ok {
		return nil
	}
	if err := checkShape(shape); err != nil {
		b.Fail(errors.Wrapf(err, "graph: fixed %q", full))
		return nil
	}
	n := 1
	for _, d := range shape {
		n *= d
	}
	if len(vals) != n {
		b.Fail(errors.Errorf("graph: fixed %q: got %d values for shape %v", full, len(vals), shape))
		return nil
	}
	if i := FirstNonFinite(vals); i >= 0 {
		b.Fail(errors.Errorf("graph: fixed %q: value %d is %v", full, i, vals[i]))
		return nil
	}
	return b.leaf(full, shape, "fixed", G.WithValue(newDense(b.s.dtype, shape, vals)))
}

func (b *Builder) recoverInto(what string) {
	if r := recover(); r != nil {
		b.Fail(errors.Errorf("graph: %s: gorgonia panicked: %v", what, r))
	}
}

// Op applies f to the given operands and records its error. name describes the operation in
// error messages and in the merge guard; two calls with the same name and the same operands
// may share a node, any other reuse of a node is reported as ErrMerged. A nil operand (left by
// an earlier error) makes Op return nil without calling f. Gorgonia panics become errors.
func (b *Builder) Op(name string, f func(...*G.Node) (*G.Node, error), operands ...*G.Node) (n *G.Node) {
	if !b.adding(name, "") {
		return nil
	}
	if f == nil {
		b.Fail(errors.Errorf("graph: %s: nil function", name))
		return nil
	}
	ids := make([]string, len(operands))
	for i, o := range operands {
		if o == nil {
			b.Fail(errors.Errorf("graph: %s: operand %d is nil", name, i))
			return nil
		}
		if g := o.Graph(); g != nil && g != b.s.g {
			b.Fail(errors.Errorf("graph: %s: operand %d (%q) belongs to another graph", name, i, o.Name()))
			return nil
		}
		ids[i] = fmt.Sprint(o.ID())
	}
	defer b.recoverInto(name)
	before := len(b.s.g.AllNodes())
	n, err := f(operands...)
	b.adopt(before)
	if err != nil {
		b.Fail(errors.Wrapf(err, "graph: %s of %s", name, describe(operands)))
		return nil
	}
	if n == nil {
		b.Fail(errors.Errorf("graph: %s returned no node", name))
		return nil
	}
	return b.record(n, name+"("+strings.Join(ids, ",")+")")
}

func describe(nodes []*G.Node) string {
	parts := make([]string, len(nodes))
	for i, n := range nodes {
		parts[i] = fmt.Sprintf("%q%v", n.Name(), n.Shape())
	}
	return strings.Join(parts, ", ")
}

// Init produces n initial values for a parameter from rng.
type Init func(rng *rand.Rand, n int) ([]float64, error)

// Uniform draws every value uniformly from [-a, a].
func Uniform(a float64) Init {
	return func(rng *rand.Rand, n int) ([]float64, error) {
		if !(a >= 0) || math.IsInf(a, 0) {
			return nil, errors.Errorf("uniform init: range must be finite and >= 0, got %v", a)
		}
		v := make([]float64, n)
		for i := range v {
			v[i] = (2*rng.Float64() - 1) * a
		}
		return v, nil
	}
}

// Values uses the given values (copied). Their number must equal the parameter's size.
func Values(vals ...float64) Init {
	return func(_ *rand.Rand, n int) ([]float64, error) {
		if len(vals) != n {
			return nil, errors.Errorf("values init: got %d values for %d weights", len(vals), n)
		}
		for i, v := range vals {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, errors.Errorf("values init: value %d is %v", i, v)
			}
		}
		return append([]float64(nil), vals...), nil
	}
}

// Override draws all values with base and then replaces value i by fixed[i] for every i in
// fixed. The paper uses it for gate biases: random weights, fixed initial biases per block.
func Override(base Init, fixed map[int]float64) Init {
	return func(rng *rand.Rand, n int) ([]float64, error) {
		v, err := base(rng, n)
		if err != nil {
			return nil, err
		}
		for i, x := range fixed {
			if i < 0 || i >= n {
				return nil, errors.Errorf("override init: index %d out of range [0,%d)", i, n)
			}
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, errors.Errorf("override init: value %d is %v", i, x)
			}
			v[i] = x
		}
		return v, nil
	}
}

func newDense(dt tensor.Dtype, shape []int, vals []float64) *tensor.Dense {
	n := 1
	for _, d := range shape {
		n *= d
	}
	if dt == tensor.Float32 {
		back := make([]float32, n)
		for i, v := range vals {
			back[i] = float32(v)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(back))
	}
	back := make([]float64, n)
	copy(back, vals)
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(back))
}
