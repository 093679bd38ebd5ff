package train

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/fusedop"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/internal/par"
)

// ErrStop, returned by a Hook, ends Trainer.Run without an error.
var ErrStop = errors.New("train: stop")

// appendKey appends the shape's cache key to dst: every field, so that two shapes share a
// key only if they are equal (the target steps in runs: " a-b" for a, a+1, ..., b). It runs
// once per training step, hence no fmt.
func appendKey(dst []byte, s graph.Shape) []byte {
	for _, v := range [...]int{s.T, s.B, s.In, s.Out} {
		dst = strconv.AppendInt(dst, int64(v), 10)
		dst = append(dst, '/')
	}
	dst = strconv.AppendBool(dst, s.OneHot)
	dst = strconv.AppendBool(dst, s.Labels)
	steps := s.TargetSteps
	for len(steps) > 0 {
		n := 1 // the run's length
		for n < len(steps) && steps[n] == steps[n-1]+1 {
			n++
		}
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, int64(steps[0]), 10)
		if n > 1 {
			dst = append(dst, '-')
			dst = strconv.AppendInt(dst, int64(steps[n-1]), 10)
		}
		steps = steps[n:]
	}
	return dst
}

// Optimizer updates parameter values in place from their gradients. It must not keep the
// tensors between calls: the same parameter comes from a different program when the batch
// shape changes, with the same Name and the same Value tensor. Nor may it keep the slice: the
// trainer refills the same one at every step of a batch shape.
type Optimizer interface {
	Step(params []vm.Param) error
}

// FiniteChecker is an Optimizer that refuses, changing nothing and returning an error, a step
// with a parameter value or gradient that is NaN or infinite, or whose update would make a value
// so (package optim's optimizers and wrappers are). ChecksFinite reports whether it does. The
// trainer then leaves those checks to it instead of reading every gradient before and every
// value after the update itself; its errors stay the same. A type that embeds one of optim's
// optimizers and has a Step of its own must define ChecksFinite too (false unless its Step
// checks as they do): the embedded method would otherwise claim checks its Step does not make.
type FiniteChecker interface {
	Optimizer
	ChecksFinite() bool
}

// Source produces training batches.
type Source interface {
	Next() (Batch, error)
}

// SourceFunc is a Source from a function: SourceFunc(f).Next() calls f.
type SourceFunc func() (Batch, error)

// Next returns f().
func (f SourceFunc) Next() (Batch, error) { return f() }

// Result is what one training or evaluation step computed.
type Result struct {
	// Loss is the model's loss on the batch.
	Loss float64
	// Outputs holds the output values [B][Out] at each target step, aligned with TargetSteps
	// (with Batch.Labels, the scores of the classes). Outputs[k][b] is nil where sequence b has
	// no target at step TargetSteps[k], padded steps included: those values are not given,
	// so that none is read by mistake. Outputs, its rows and their values are the trainer's
	// buffers (of a packed model), reused by the next step or evaluation of the same batch
	// shape so that a step allocates nothing: copy what is kept past it.
	Outputs [][][]float64
	// TargetSteps lists the steps that have targets.
	TargetSteps []int
}

// Hook is called after every training step with the number of sequences trained so far
// (including this batch), the batch and its result. Returning ErrStop ends Run cleanly; any
// other error ends it with that error.
type Hook func(seen int, batch Batch, r Result) error

// TrainerConfig configures a Trainer.
type TrainerConfig struct {
	// Model builds the graph for a batch shape. Required. Evaluate's programs are built with
	// graph.Config.Eval set (Builder.Eval), Step's without.
	Model graph.ModelFunc
	// Optimizer updates the parameters after every batch. Required for Step and Run.
	Optimizer Optimizer
	// Params holds the parameters; nil means a new set, initialised from Seed on first use.
	Params *graph.ParamSet
	// Dtype is float64 (default) or float32.
	Dtype tensor.Dtype
	// Seed seeds the initialisers of parameters created by the first model built.
	Seed int64
	// MaxPrograms bounds the number of compiled programs kept (per mode). Default 64. There is
	// one program per batch shape (sequence length, batch size, target steps); when a stream
	// draws its shapes from more than MaxPrograms, the ones not kept are compiled again when
	// they come back: with N lengths drawn uniformly, for about 1 - MaxPrograms/N of the
	// batches. Compiles counts the compilations. With Replicas, each part of a batch keeps
	// programs of its own, as many.
	MaxPrograms int
	// Learner, if not nil, trains in place of the model's program and the Optimizer: Step
	// hands it the parameters and the batch, and it updates them by an algorithm of its own
	// (package online: the paper's forward-propagated partials, App. A.1, with the weights
	// changed at every time step). Evaluate still runs the model's program on the same
	// parameters. The model is built once without compiling, to create the parameters.
	Learner Learner
	// CheckFinite compiles the programs with vm.CheckFinite: a step or evaluation that computes
	// a NaN or an infinity fails naming the first such node (parameters unchanged). It reads
	// every value of every run: for finding where a NaN comes from, not for long runs.
	CheckFinite bool
	// Replicas, above 1, splits every training batch of B sequences into n = min(Replicas, B)
	// parts of consecutive sequences (part i holds sequences i·B/n to (i+1)·B/n - 1) whose
	// forward and backward passes run at once, on up to GOMAXPROCS goroutines, each part in
	// compiled programs of its own that share the parameters. Step then adds up the parts'
	// losses and gradients, part after part, each weighted by its share of the batch, and makes
	// one optimizer step. Each part's fused ops split their passes among at most GOMAXPROCS/n
	// goroutines, at least 1 (graph.Config.Threads, read when the part's program is compiled).
	//
	// The model must be Separable (graph.Model.Separable, as layers.Net's models are): its loss
	// 1/B times a sum over the batch's sequences, each computed on its own, so that a part of
	// B_i sequences counts for B_i/B of the step; Step and Build fail otherwise. Results are
	// deterministic for a given Replicas and batch size, whatever GOMAXPROCS, but not
	// bit-identical to Replicas 1's: the gradient is summed in another order (within 1e-12 of
	// it, relatively, in the tests). A batch of one sequence runs whole; Evaluate runs the
	// whole batch in one program. NewTrainer refuses it with a Learner, and below 0.
	//
	// Parts that keep their own rows scale better than passes split among goroutines, whose
	// products over the batch read rows that another CPU wrote: on this project's 2-vCPU
	// machine, where a cache line takes about 450 ns to go to the other vCPU and back, 2 parts
	// trained a 64-block layer (batch 32) 1.5-1.9 times as fast as 1 thread, split passes
	// 1.0-1.2 times (docs/design.md, Threads). Each part's programs hold buffers of their own.
	Replicas int
}

type compiled struct {
	prog  *vm.Program
	model *graph.Model
	shape graph.Shape
	// key is the shape of the batches it serves: shape, or the whole batch's of a part.
	key graph.Shape
	buf []float64 // packed layout: staging for inputs and targets
	// mask is the packed layout's mask last set (nil: none yet); maskFull says that it is the
	// shape's own mask, every sequence having a target at every target step.
	mask     []float64
	maskFull bool
	// lens is the staging for Model.Lengths, [B]; lensFull says that T is set for every
	// sequence.
	lens     []float64
	lensFull bool
	// zeroInit says that every Carry Init holds zeros; zeros is their staging. carrySize[i]
	// is the size of Carry i (gorgonia's Node.Shape allocates a copy at each call).
	zeroInit  bool
	zeros     []float64
	carrySize []int
	// atTargets: the packed model's targets, outputs and mask have a row group per target
	// step, not per step (see Model).
	atTargets bool
	// params are the program's parameters with their gradients (Program.Params), once it has
	// run: the same tensors at every step. step is the slice handed to the optimizer, refilled
	// from params at every step, so that an optimizer that reorders or filters its slice in
	// place cannot change the next step's parameters.
	params, step []vm.Param
	// outs and rows are Result.Outputs and its rows, reused from step to step.
	outs [][][]float64
	rows [][]float64
}

// carried is the state that one path (training or evaluation) carries from batch to batch
// (graph.Model.Carry), owned by the trainer.
type carried struct {
	// vals[i] is the Final value [B·n] of Carry i after the last batch that succeeded, if ok.
	vals [][]float64
	ok   bool
	B    int
	// next[i] receives the Final values of the batch being run; it becomes vals when the
	// batch succeeds (commit), so that a failed step leaves the state as it was.
	next [][]float64
	nB   int
}

// commit makes the state read by the last run the carried state.
func (st *carried) commit() {
	st.vals, st.next = st.next, st.vals
	st.B, st.ok = st.nB, true
}

// programs is a cache of compiled programs by batch shape (at most TrainerConfig.MaxPrograms).
type programs struct {
	m map[string]*compiled
	// last is the program last returned: a batch of the same shape needs no lookup.
	last *compiled
}

// Trainer trains a model on batches, compiling one program per batch shape and caching it.
type Trainer struct {
	cfg         TrainerConfig
	train, eval programs
	// parts are the parts of a training batch split by TrainerConfig.Replicas, as many as the
	// largest split so far.
	parts  []*part
	loop   par.Loop   // runs the parts
	runner partRunner // what loop runs
	// merged holds the Result.Outputs of the steps run in parts, per batch shape, and
	// lastMerged the last one used.
	merged     map[string]*merged
	lastMerged *merged
	// steps is the buffer of the target steps of the batch being run (Batch.shape).
	steps []int
	seen  int
	// compiles counts the programs compiled since the trainer was made (Compiles).
	compiles int
	// trainState and evalState are the states carried by Step and by Evaluate.
	trainState, evalState carried
}

// NewTrainer returns a Trainer. It builds nothing until the first batch.
func NewTrainer(cfg TrainerConfig) (*Trainer, error) {
	if cfg.Model == nil {
		return nil, errors.New("train: trainer: Model is required")
	}
	if cfg.Params == nil {
		cfg.Params = graph.NewParamSet()
	}
	if cfg.MaxPrograms <= 0 {
		cfg.MaxPrograms = 64
	}
	if cfg.Replicas < 0 {
		return nil, errors.Errorf("train: trainer: Replicas is %d, want 0 or 1 (whole batches) or more (parts)", cfg.Replicas)
	}
	if cfg.Replicas > 1 && cfg.Learner != nil {
		return nil, errors.New("train: trainer: Replicas with a Learner (a Learner trains on the whole batch)")
	}
	tr := &Trainer{cfg: cfg, train: programs{m: map[string]*compiled{}}, eval: programs{m: map[string]*compiled{}}}
	tr.loop.Spin = partsSpin
	return tr, nil
}

// Params returns the trained parameters.
func (tr *Trainer) Params() *graph.ParamSet { return tr.cfg.Params }

// Seen returns the number of sequences trained on so far.
func (tr *Trainer) Seen() int { return tr.seen }

// SetSeen sets the number of sequences trained on so far (when resuming from a checkpoint).
func (tr *Trainer) SetSeen(n int) { tr.seen = n }

// Build builds and compiles the training program for shape s (with Replicas, those of its
// parts), creating the parameters if they do not exist yet (to load a checkpoint into them
// before training).
func (tr *Trainer) Build(s graph.Shape) error {
	if n := tr.split(s.B); n > 1 {
		return tr.buildParts(s, n)
	}
	_, err := tr.program(&tr.train, s, s.B, false, 0)
	return err
}

// Optimizer returns the optimizer.
func (tr *Trainer) Optimizer() Optimizer { return tr.cfg.Optimizer }

// Model returns the function that builds the trainer's model (TrainerConfig.Model), so that a
// loader can build the same model in a graph of its own (see package train/checkpoint).
func (tr *Trainer) Model() graph.ModelFunc { return tr.cfg.Model }

// Dtype returns the dtype the trainer builds its models in (TrainerConfig.Dtype; the zero
// value means float64, as in graph.Config).
func (tr *Trainer) Dtype() tensor.Dtype { return tr.cfg.Dtype }

// Seed returns the seed of the parameters' initialisers (TrainerConfig.Seed).
func (tr *Trainer) Seed() int64 { return tr.cfg.Seed }

// Shapes returns the batch shapes the trainer has a compiled program for, training and
// evaluation (a shape may appear twice; with Replicas, the shapes of the parts), in no
// particular order.
func (tr *Trainer) Shapes() []graph.Shape {
	var out []graph.Shape
	for _, cache := range tr.caches() {
		for _, c := range cache.m {
			out = append(out, c.shape)
		}
	}
	return out
}

// caches returns the trainer's caches of programs: training, evaluation, then the parts'.
func (tr *Trainer) caches() []*programs {
	out := []*programs{&tr.train, &tr.eval}
	for _, p := range tr.parts {
		out = append(out, &p.progs)
	}
	return out
}

// Programs returns the number of compiled programs currently cached (training and evaluation,
// the parts' with Replicas).
func (tr *Trainer) Programs() int {
	n := 0
	for _, cache := range tr.caches() {
		n += len(cache.m)
	}
	return n
}

// Compiles returns the number of programs compiled since the trainer was made (training and
// evaluation), evicted ones included: more than Programs means shapes came back after their
// programs were evicted (see TrainerConfig.MaxPrograms).
func (tr *Trainer) Compiles() int { return tr.compiles }

// program returns the compiled program for batches of shape key from cache, compiling it if
// it is not there: the model of key's shape with B sequences (key.B, or a part's, Replicas),
// its fused ops on at most threads goroutines a pass (graph.Config.Threads). key may hold the
// trainer's buffer of target steps (Batch.shape): a new program keeps a copy.
func (tr *Trainer) program(ps *programs, key graph.Shape, B int, eval bool, threads int) (*compiled, error) {
	cache, last := ps.m, &ps.last
	if c := *last; c != nil && sameShape(c.key, key) {
		return c, nil
	}
	var buf [256]byte
	kb := appendKey(buf[:0], key)
	if c, ok := cache[string(kb)]; ok { // no allocation for the lookup
		*last = c
		return c, nil
	}
	k := string(kb)
	key.TargetSteps = append([]int(nil), key.TargetSteps...)
	s := key
	s.B = B
	b := graph.NewBuilder(graph.Config{Dtype: tr.cfg.Dtype, Seed: tr.cfg.Seed, Params: tr.cfg.Params, Eval: eval, Threads: threads})
	m, err := tr.cfg.Model(b, s)
	if err != nil {
		return nil, errors.Wrapf(err, "train: building the model for T=%d B=%d", s.T, s.B)
	}
	if err := m.Check(b, s); err != nil {
		return nil, err
	}
	nodes := append([]*G.Node(nil), m.Outputs...)
	for _, c := range m.Carry {
		nodes = append(nodes, c.Final)
	}
	opts := []vm.CompileOption{vm.Watch(nodes...)}
	if eval {
		opts = append(opts, vm.ForwardOnly())
	}
	if tr.cfg.CheckFinite {
		opts = append(opts, vm.CheckFinite())
	}
	p, err := vm.Compile(b, m.Loss, opts...)
	if err != nil {
		return nil, errors.Wrapf(err, "train: compiling the model for T=%d B=%d", s.T, s.B)
	}
	if len(cache) >= tr.cfg.MaxPrograms {
		for old := range cache { // evict any one; shapes repeat at random anyway
			if cache[old] == *last {
				*last = nil
			}
			cache[old].prog.Close()
			delete(cache, old)
			break
		}
	}
	c := &compiled{prog: p, model: m, shape: s, key: key}
	for _, cr := range m.Carry {
		c.carrySize = append(c.carrySize, cr.Init.Shape().TotalSize())
	}
	c.atTargets = m.Packed && len(s.TargetSteps) != s.T && m.Targets[0].Shape()[0] == len(s.TargetSteps)*s.B
	cache[k] = c
	*last = c
	tr.compiles++
	return c, nil
}

// sameShape reports whether a and b are equal shapes.
func sameShape(a, b graph.Shape) bool {
	return a.T == b.T && a.B == b.B && a.In == b.In && a.Out == b.Out && a.OneHot == b.OneHot &&
		a.Labels == b.Labels && slices.Equal(a.TargetSteps, b.TargetSteps)
}

// run sets the batch into c's program and runs it, reading the state the model carries into
// st.next (Step or Evaluate commits it when the batch succeeds).
func (c *compiled) run(bt *Batch, st *carried) (Result, error) {
	if err := c.setState(bt, st); err != nil {
		return Result{}, err
	}
	if c.model.Packed {
		return c.runPacked(bt, st)
	}
	for _, t := range c.shape.TargetSteps {
		for b, y := range bt.Targets[t] {
			if y == nil {
				return Result{}, errors.Errorf("step %d sequence %d has no target, and a per-step model has no mask: each target step needs a target for every sequence (build a packed model)", t, b)
			}
		}
	}
	buf := make([]float64, 0, c.shape.B*max(c.shape.In, c.shape.Out))
	for t, n := range c.model.Inputs {
		buf = buf[:0]
		if c.shape.OneHot { // a per-step model takes the one-hot rows
			for _, k := range bt.Symbols[t] {
				row := len(buf)
				buf = append(buf, make([]float64, c.shape.In)...)
				buf[row+k] = 1
			}
		} else {
			for _, x := range bt.Inputs[t] {
				buf = append(buf, x...)
			}
		}
		if err := c.prog.Set(n, buf); err != nil {
			return Result{}, errors.Wrapf(err, "step %d", t)
		}
	}
	for i, n := range c.model.Targets {
		buf = buf[:0]
		for _, y := range bt.Targets[c.shape.TargetSteps[i]] {
			buf = append(buf, y...)
		}
		if err := c.prog.Set(n, buf); err != nil {
			return Result{}, errors.Wrapf(err, "targets at step %d", c.shape.TargetSteps[i])
		}
	}
	if err := c.prog.Run(); err != nil {
		return Result{}, err
	}
	r := Result{TargetSteps: c.shape.TargetSteps, Outputs: make([][][]float64, len(c.model.Outputs))}
	var err error
	if r.Loss, err = c.prog.Loss(); err != nil {
		return Result{}, err
	}
	for i, n := range c.model.Outputs {
		v, err := c.prog.Value(n)
		if err != nil {
			return Result{}, err
		}
		rows := make([][]float64, c.shape.B)
		for j := range rows {
			rows[j] = v[j*c.shape.Out : (j+1)*c.shape.Out]
		}
		r.Outputs[i] = rows
	}
	return r, c.readCarry(st)
}

// setState sets the model's lengths and the initial state it carries (graph.Model.Lengths,
// Carry) for the batch: the state in st if the batch continues the previous one, else zeros.
// It sets an input only when its value changes.
func (c *compiled) setState(bt *Batch, st *carried) error {
	s, m := c.shape, c.model
	if m.Lengths == nil {
		for b, n := range bt.Lengths {
			if n < s.T {
				return errors.Errorf("sequence %d has length %d, below the batch's T=%d, and the model does not take lengths (graph.Model.Lengths)", b, n, s.T)
			}
		}
	} else if bt.Lengths != nil || !c.lensFull {
		if c.lens == nil {
			c.lens = make([]float64, s.B)
		}
		for b := range c.lens {
			c.lens[b] = float64(bt.length(b, s.T))
		}
		if err := c.prog.Set(m.Lengths, c.lens); err != nil {
			return errors.Wrap(err, "lengths")
		}
		c.lensFull = bt.Lengths == nil
	}
	if !bt.Continue {
		if c.zeroInit {
			return nil
		}
		for i, cr := range m.Carry {
			n := c.carrySize[i]
			if len(c.zeros) < n {
				c.zeros = make([]float64, n)
			}
			if err := c.prog.Set(cr.Init, c.zeros[:n]); err != nil {
				return errors.Wrapf(err, "carry %d", i)
			}
		}
		c.zeroInit = true
		return nil
	}
	switch {
	case len(m.Carry) == 0:
		return errors.New("the batch continues the previous one (Continue), but the model carries no state (graph.Model.Carry)")
	case !st.ok:
		return errors.New("the batch continues the previous one (Continue), but there is no state to continue: no batch ran before it on this path (Step or Evaluate), or ResetState dropped it")
	case st.B != s.B:
		return continueMismatch(s.B, st.B)
	case len(st.vals) != len(m.Carry):
		return errors.Errorf("the batch continues the previous one (Continue), but its model carries %d states and the previous batch's %d", len(m.Carry), len(st.vals))
	}
	// From here on the inputs hold carried values, also if a later carry fails: a batch
	// without Continue must zero them again.
	c.zeroInit = false
	for i, cr := range m.Carry {
		if c.carrySize[i] != len(st.vals[i]) {
			return errors.Errorf("the batch continues the previous one (Continue), but carry %d (%q) has shape %v and the carried state %d values per sequence", i, cr.Init.Name(), cr.Init.Shape(), len(st.vals[i])/s.B)
		}
		if err := c.prog.Set(cr.Init, st.vals[i]); err != nil {
			return errors.Wrapf(err, "carry %d", i)
		}
	}
	return nil
}

// continueMismatch is the error of a batch of B sequences that continues one of prevB.
func continueMismatch(B, prevB int) error {
	return errors.Errorf("the batch of %d sequences continues a batch of %d (Continue): sequence b continues sequence b, so B must not change", B, prevB)
}

// readCarry copies the model's Final states after a run into st.next. A NaN or an infinity is
// an error naming the carry: the batch fails, and nothing is carried.
func (c *compiled) readCarry(st *carried) error {
	m := c.model
	if len(st.next) != len(m.Carry) {
		st.next = make([][]float64, len(m.Carry))
	}
	for i, cr := range m.Carry {
		v, err := c.prog.View(cr.Final)
		if err != nil {
			return errors.Wrapf(err, "carry %d", i)
		}
		if k := graph.FirstNonFinite(v); k >= 0 {
			return errors.Errorf("carry %d: final state %q value %d (sequence %d) is %v", i, cr.Final.Name(), k, k/(len(v)/c.shape.B), v[k])
		}
		st.next[i] = append(st.next[i][:0], v...)
	}
	st.nB = c.shape.B
	return nil
}

func (c *compiled) runPacked(bt *Batch, st *carried) (Result, error) {
	s, m := c.shape, c.model
	in, w := s.In, s.Out // widths of an input row and of a target row
	if s.OneHot {
		in = 1
	}
	if s.Labels {
		w = 1
	}
	if c.buf == nil {
		c.buf = make([]float64, s.T*s.B*max(in, w))
	}
	x := c.buf[:s.T*s.B*in]
	for t, step := range bt.Symbols {
		for b, k := range step {
			x[t*s.B+b] = float64(k)
		}
	}
	stageRows(x, bt.Inputs, s.In)
	if err := c.prog.Set(m.Inputs[0], x); err != nil {
		return Result{}, err
	}
	// row is the row group of target step i (step t) in the targets, outputs and mask.
	row := func(i, t int) int { // one function, not one of two, so that it is inlined
		if c.atTargets {
			return i
		}
		return t
	}
	groups := s.T
	if c.atTargets {
		groups = len(s.TargetSteps)
	}
	// full: every sequence has a target at every target step (the mask is the shape's own).
	y, full := c.buf[:groups*s.B*w], true
	clear(y)
	for i, t := range s.TargetSteps {
		o := row(i, t) * s.B
		if s.Labels {
			for b, k := range bt.Labels[t] {
				if k < 0 {
					full = false
					continue
				}
				y[o+b] = float64(k)
			}
			continue
		}
		for b, v := range bt.Targets[t] {
			if v == nil {
				full = false
				continue
			}
			copy(y[(o+b)*w:], v)
		}
	}
	if err := c.prog.Set(m.Targets[0], y); err != nil {
		return Result{}, err
	}
	if !full || !c.maskFull { // the mask of a full batch depends on the shape only
		if c.mask == nil {
			c.mask = make([]float64, groups*s.B*w) // 0 at the rows of steps without targets
		}
		for i, t := range s.TargetSteps {
			o := row(i, t) * s.B
			for b := 0; b < s.B; b++ {
				v := 0.0
				if full || bt.hasTarget(t, b) {
					v = 1
				}
				seg := c.mask[(o+b)*w : (o+b+1)*w]
				for j := range seg {
					seg[j] = v
				}
			}
		}
		if err := c.prog.Set(m.Mask, c.mask); err != nil {
			return Result{}, err
		}
		c.maskFull = full
	}
	if err := c.prog.Run(); err != nil {
		return Result{}, err
	}
	var err error
	r := Result{TargetSteps: s.TargetSteps}
	if r.Loss, err = c.prog.Loss(); err != nil {
		return Result{}, err
	}
	v, err := c.prog.View(m.Outputs[0])
	if err != nil {
		return Result{}, err
	}
	if c.outs == nil {
		c.outs, c.rows = make([][][]float64, len(s.TargetSteps)), make([][]float64, len(s.TargetSteps)*s.B)
	}
	for i, t := range s.TargetSteps {
		rows := c.rows[i*s.B : (i+1)*s.B : (i+1)*s.B]
		for b := range rows {
			rows[b] = nil
			if !full && !bt.hasTarget(t, b) {
				continue // no target, or padding: no output given
			}
			o := (row(i, t)*s.B + b) * s.Out
			rows[b] = v[o : o+s.Out : o+s.Out]
		}
		c.outs[i] = rows
	}
	r.Outputs = c.outs
	return r, c.readCarry(st)
}

// stageRows copies rows ([T][B][n], every row of n values) one after the other to x, which has
// room for them. Rows of a few values (the paper's nets: 2 to 7 inputs) are copied by a loop,
// which costs less than the call to memmove that copy makes, and which has the function to
// itself: inlined into runPacked, its variables would live on the stack.
//
//go:noinline
func stageRows(x []float64, rows [][][]float64, n int) {
	o := 0
	if n > 16 {
		for _, step := range rows {
			for _, v := range step {
				o += copy(x[o:], v)
			}
		}
		return
	}
	for _, step := range rows {
		for _, v := range step {
			d := x[o:][:len(v)]
			//lint:ignore S1001 for a few values the loop costs less than copy's call to memmove
			for i, u := range v {
				d[i] = u
			}
			o += len(v)
		}
	}
}

// ResetState drops the states that Step and Evaluate carry from batch to batch
// (graph.Model.Carry, Batch.Continue). A batch without Continue starts from zeros in any
// case; after ResetState a batch with Continue is an error until a batch without it has run
// on that path. Each path's state is a copy of the model's Final values of the last batch that
// succeeded there, owned by the trainer; a failed batch leaves it as it was.
func (tr *Trainer) ResetState() {
	tr.trainState.ok, tr.evalState.ok = false, false
}

// Carried is the state that Step carries from one batch to the next (graph.Model.Carry,
// Batch.Continue), for a checkpoint: Values[i] holds the B rows of carry i, row-major.
type Carried struct {
	B      int         `json:"b"`
	Values [][]float64 `json:"values"`
}

// Carried returns a copy of the state Step carries, and false if there is none (no batch has
// run, or ResetState dropped it).
func (tr *Trainer) Carried() (Carried, bool) {
	st := &tr.trainState
	if !st.ok {
		return Carried{}, false
	}
	c := Carried{B: st.B, Values: make([][]float64, len(st.vals))}
	for i, v := range st.vals {
		c.Values[i] = append([]float64(nil), v...)
	}
	return c, true
}

// Check reports whether c can be a carried state: B > 0 and every carry B rows of finite values.
func (c Carried) Check() error {
	if c.B <= 0 {
		return errors.Errorf("train: carried state: batch of %d sequences", c.B)
	}
	for i, v := range c.Values {
		if len(v) == 0 || len(v)%c.B != 0 {
			return errors.Errorf("train: carried state: carry %d has %d values, not a positive multiple of B=%d", i, len(v), c.B)
		}
		if k := graph.FirstNonFinite(v); k >= 0 {
			return errors.Errorf("train: carried state: carry %d value %d is %v", i, k, v[k])
		}
	}
	return nil
}

// SetCarried sets the state the next Step with Continue starts from (a copy of c), as Carried
// returned it: for resuming a stream from a checkpoint. c must pass Check; whether it fits the
// model is checked by that Step.
func (tr *Trainer) SetCarried(c Carried) error {
	if err := c.Check(); err != nil {
		return err
	}
	vals := make([][]float64, len(c.Values))
	for i, v := range c.Values {
		vals[i] = append([]float64(nil), v...)
	}
	st := &tr.trainState
	st.vals, st.B, st.ok = vals, c.B, true
	return nil
}

// Step trains on one batch: forward, backward, optimizer step. Gradients are zeroed after the
// step. If the loss or a gradient is not finite, the parameters are left unchanged and the
// error names the parameter and the sequence count (with TrainerConfig.CheckFinite, the first
// node whose value is not finite).
//
// The trainer sets the model's lengths (graph.Model.Lengths) from Batch.Lengths, T for every
// sequence when it is nil; a batch with a sequence shorter than T needs a model that takes
// them. It sets the model's initial states (graph.Model.Carry) to the final states of the
// previous training batch if the batch continues it (Batch.Continue), else to zeros, and keeps
// this batch's final states for the next one, only if the step succeeds.
func (tr *Trainer) Step(bt Batch) (Result, error) {
	if tr.cfg.Learner != nil {
		return tr.learn(bt)
	}
	if tr.cfg.Optimizer == nil {
		return Result{}, errors.New("train: trainer: no Optimizer")
	}
	s, err := bt.shape(tr.steps)
	if err != nil {
		return Result{}, errors.Wrapf(err, "train: train step after %d sequences", tr.seen)
	}
	tr.steps = s.TargetSteps
	// c is the program whose gradients the optimizer takes (with Replicas, part 0's, holding
	// the parts' sum).
	var (
		c *compiled
		r Result
	)
	if n := tr.split(s.B); n > 1 {
		c, r, err = tr.runParts(&bt, s, n)
	} else if c, err = tr.program(&tr.train, s, s.B, false, 0); err == nil {
		if r, err = c.run(&bt, &tr.trainState); err == nil && c.params == nil {
			c.params, err = c.prog.Params()
		}
	}
	if err != nil {
		tr.zeroGrads(c)
		return Result{}, errors.Wrapf(err, "train: train step after %d sequences", tr.seen)
	}
	c.step = append(c.step[:0], c.params...)
	ps := c.step
	fc, checks := tr.cfg.Optimizer.(FiniteChecker)
	checks = checks && fc.ChecksFinite()
	notFinite := func(bad string) error {
		return errors.Errorf("train: train step after %d sequences: %s is not finite; parameters left unchanged (set TrainerConfig.CheckFinite to name the node)", tr.seen, bad)
	}
	if bad := nonFinite(r.Loss, ps, !checks); bad != "" {
		tr.zeroGrads(c)
		return Result{}, notFinite(bad)
	}
	if err := tr.cfg.Optimizer.Step(ps); err != nil {
		bad := ""
		if checks { // a gradient the optimizer refused is named as for any optimizer
			bad = nonFinite(r.Loss, ps, true)
		}
		tr.zeroGrads(c)
		if bad != "" {
			return Result{}, notFinite(bad)
		}
		return Result{}, errors.Wrapf(err, "train: optimizer step after %d sequences", tr.seen)
	}
	if err := tr.zeroGrads(c); err != nil {
		return Result{}, err
	}
	tr.seen += s.B
	for _, p := range ps {
		if checks || finite(p.Value) { // a FiniteChecker's values are
			continue
		}
		if err := finiteValues(p.Value); err != nil {
			return r, errors.Errorf("train: train step ending at %d sequences: parameter %q %v after the optimizer step", tr.seen, p.Name, err)
		}
	}
	tr.trainState.commit()
	return r, nil
}

// zeroGrads zeroes the gradients of c (nil: none). With Replicas, c is part 0's program; the
// other parts' programs zero theirs before they run, on their own goroutines (partRunner), so
// that their lines stay on the CPU that writes them.
func (tr *Trainer) zeroGrads(c *compiled) error {
	if c == nil {
		return nil
	}
	return c.prog.ZeroGrads()
}

// Learner trains on a batch by an algorithm of its own (TrainerConfig.Learner). Learn reads
// the parameters from params and updates them in place; on an error it must leave them as they
// were. Its Result is what Step returns: the loss and the outputs at the target steps.
type Learner interface {
	Learn(params *graph.ParamSet, bt Batch) (Result, error)
}

// learn is Step with a Learner.
func (tr *Trainer) learn(bt Batch) (Result, error) {
	s, err := bt.Shape()
	if err != nil {
		return Result{}, errors.Wrapf(err, "train: learner step after %d sequences", tr.seen)
	}
	if bt.Continue {
		return Result{}, errors.Errorf("train: learner step after %d sequences: Batch.Continue: a Learner keeps no state from batch to batch", tr.seen)
	}
	if tr.cfg.Params.Len() == 0 {
		b := graph.NewBuilder(graph.Config{Dtype: tr.cfg.Dtype, Seed: tr.cfg.Seed, Params: tr.cfg.Params})
		if _, err := tr.cfg.Model(b, s); err != nil {
			return Result{}, errors.Wrapf(err, "train: building the model for T=%d B=%d", s.T, s.B)
		}
	}
	r, err := tr.cfg.Learner.Learn(tr.cfg.Params, bt)
	if err != nil {
		return Result{}, errors.Wrapf(err, "train: learner step after %d sequences", tr.seen)
	}
	tr.seen += s.B
	return r, nil
}

func finiteValues(t *tensor.Dense) error {
	vs := graph.Float64View(t)
	if i := graph.FirstNonFinite(vs); i >= 0 {
		return errors.Errorf("value %d is %v", i, vs[i])
	}
	return nil
}

// nonFinite names the loss or, with grads, the first parameter whose gradient is not finite, or
// returns "".
func nonFinite(loss float64, ps []vm.Param, grads bool) string {
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return "the loss"
	}
	if !grads {
		return ""
	}
	for _, p := range ps {
		if !finite(p.Grad) {
			return "the gradient of " + p.Name
		}
	}
	return ""
}

// finite reports whether every value of t is finite, without converting it.
func finite(t *tensor.Dense) bool {
	if v, ok := fusedop.Floats[float64](t); ok && !t.IsScalar() {
		return graph.FirstNonFinite(v) < 0
	}
	switch {
	case t.IsScalar():
	case t.Dtype() == tensor.Float32:
		for _, v := range t.Float32s() {
			if v-v != 0 { // NaN for NaN and ±Inf
				return false
			}
		}
		return true
	}
	return graph.FirstNonFinite(graph.Float64View(t)) < 0
}

// Evaluate runs the model forward on a batch without changing any parameter. It builds its
// programs for evaluation (graph.Config.Eval: no dropout) and sets lengths and carried states
// as Step does, from a state of its own: evaluating never changes the state Step carries.
func (tr *Trainer) Evaluate(bt Batch) (Result, error) {
	s, err := bt.shape(tr.steps)
	if err != nil {
		return Result{}, errors.Wrap(err, "train: evaluate")
	}
	tr.steps = s.TargetSteps
	c, err := tr.program(&tr.eval, s, s.B, true, 0)
	if err != nil {
		return Result{}, err
	}
	r, err := c.run(&bt, &tr.evalState)
	if err != nil {
		return Result{}, errors.Wrap(err, "train: evaluate")
	}
	tr.evalState.commit()
	return r, nil
}

// Run trains on batches from src until maxSequences sequences have been seen (0: no limit) or
// a hook returns ErrStop. It returns the number of sequences seen in total. Nil hooks are
// skipped (Run(src, n, nil) trains without one).
func (tr *Trainer) Run(src Source, maxSequences int, hooks ...Hook) (int, error) {
	if src == nil {
		return tr.seen, errors.New("train: run: nil source")
	}
	for maxSequences <= 0 || tr.seen < maxSequences {
		bt, err := src.Next()
		if err != nil {
			return tr.seen, errors.Wrapf(err, "train: run: source after %d sequences", tr.seen)
		}
		r, err := tr.Step(bt)
		if err != nil {
			return tr.seen, err
		}
		for _, h := range hooks {
			if h == nil {
				continue
			}
			if err := h(tr.seen, bt, r); err != nil {
				if errors.Is(err, ErrStop) {
					return tr.seen, nil
				}
				return tr.seen, errors.Wrapf(err, "train: run: hook after %d sequences", tr.seen)
			}
		}
	}
	return tr.seen, nil
}

// Close releases every compiled program.
func (tr *Trainer) Close() error {
	var msgs []string
	for _, cache := range tr.caches() {
		cache.last = nil
		for k, c := range cache.m {
			if err := c.prog.Close(); err != nil {
				msgs = append(msgs, err.Error())
			}
			delete(cache.m, k)
		}
	}
	if len(msgs) > 0 {
		return errors.New("train: close: " + strings.Join(msgs, "; "))
	}
	return nil
}
