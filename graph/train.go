package graph

import (
	"math"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ErrStop, returned by a Hook, ends Trainer.Run without an error.
var ErrStop = errors.New("graph: stop")

// Batch is B sequences of equal length T, as plain Go values.
type Batch struct {
	// Inputs is [T][B][features].
	Inputs [][][]float64
	// Symbols, instead of Inputs, gives one-hot coded inputs as symbol indices: [T][B], each
	// in [0, Alphabet). Step t of sequence b is then the input row that is 1 at Symbols[t][b]
	// and 0 elsewhere. A model can take such a batch as indices (Shape.OneHot), which costs
	// T·B numbers instead of T·B·Alphabet; Inputs must be nil.
	Symbols  [][]int
	Alphabet int
	// Targets is [T][B][outputs]; Targets[t] is nil at steps without a target. It may be
	// shorter than Inputs when the last steps have no target.
	Targets [][][]float64
}

// Shape describes a batch for graph building: T steps, B sequences, inputs of width In,
// targets of width Out at the steps listed in TargetSteps (ascending). OneHot says that the
// inputs come as symbol indices (Batch.Symbols): a packed model then takes them as one [T·B, 1]
// input node of indices in [0, In) (see Model), a per-step model as usual, one-hot rows.
type Shape struct {
	T, B, In, Out int
	TargetSteps   []int
	OneHot        bool
}

// appendKey appends the shape's cache key to dst: every field, so that two shapes share a
// key only if they are equal. It runs once per training step, hence no fmt.
func (s Shape) appendKey(dst []byte) []byte {
	for _, v := range [...]int{s.T, s.B, s.In, s.Out} {
		dst = strconv.AppendInt(dst, int64(v), 10)
		dst = append(dst, '/')
	}
	dst = strconv.AppendBool(dst, s.OneHot)
	for _, t := range s.TargetSteps {
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, int64(t), 10)
	}
	return dst
}

// Shape checks that the batch is rectangular and finite (its symbols in range) and returns its
// shape.
func (bt Batch) Shape() (Shape, error) {
	var s Shape
	if bt.Symbols != nil {
		if bt.Inputs != nil {
			return s, errors.New("graph: batch: both Inputs and Symbols are set")
		}
		if err := bt.symbolShape(&s); err != nil {
			return s, err
		}
		return s, bt.targetShape(&s)
	}
	s.T = len(bt.Inputs)
	if s.T == 0 {
		return s, errors.New("graph: batch: sequence of length 0")
	}
	if len(bt.Targets) > s.T {
		return s, errors.Errorf("graph: batch: %d target steps for %d input steps", len(bt.Targets), s.T)
	}
	s.B = len(bt.Inputs[0])
	if s.B == 0 {
		return s, errors.New("graph: batch: no sequences (batch size 0)")
	}
	s.In = len(bt.Inputs[0][0])
	if s.In == 0 {
		return s, errors.New("graph: batch: input width 0")
	}
	for t, step := range bt.Inputs {
		if len(step) != s.B {
			return s, errors.Errorf("graph: batch: step %d has %d sequences, step 0 has %d", t, len(step), s.B)
		}
		for i, x := range step {
			if len(x) != s.In {
				return s, errors.Errorf("graph: batch: step %d sequence %d has %d inputs, want %d", t, i, len(x), s.In)
			}
			if k := nonFiniteAt(x); k >= 0 {
				return s, errors.Errorf("graph: batch: step %d sequence %d input %d is %v", t, i, k, x[k])
			}
		}
	}
	return s, bt.targetShape(&s)
}

// symbolShape sets T, B, In and OneHot of s from the batch's Symbols and checks them.
func (bt Batch) symbolShape(s *Shape) error {
	s.OneHot = true
	s.T = len(bt.Symbols)
	if s.T == 0 {
		return errors.New("graph: batch: sequence of length 0")
	}
	if len(bt.Targets) > s.T {
		return errors.Errorf("graph: batch: %d target steps for %d input steps", len(bt.Targets), s.T)
	}
	s.B = len(bt.Symbols[0])
	if s.B == 0 {
		return errors.New("graph: batch: no sequences (batch size 0)")
	}
	s.In = bt.Alphabet
	if s.In <= 0 {
		return errors.Errorf("graph: batch: symbols over an alphabet of %d", s.In)
	}
	for t, step := range bt.Symbols {
		if len(step) != s.B {
			return errors.Errorf("graph: batch: step %d has %d sequences, step 0 has %d", t, len(step), s.B)
		}
		for i, k := range step {
			if k < 0 || k >= s.In {
				return errors.Errorf("graph: batch: step %d sequence %d has symbol %d, want one in [0, %d)", t, i, k, s.In)
			}
		}
	}
	return nil
}

// targetShape sets Out and TargetSteps of s from the batch's Targets and checks them.
func (bt Batch) targetShape(s *Shape) error {
	for t, step := range bt.Targets {
		if step == nil {
			continue
		}
		if len(step) != s.B {
			return errors.Errorf("graph: batch: targets at step %d have %d sequences, want %d", t, len(step), s.B)
		}
		for i, y := range step {
			if s.Out == 0 {
				s.Out = len(y)
			}
			if len(y) != s.Out || s.Out == 0 {
				return errors.Errorf("graph: batch: step %d sequence %d has %d targets, want %d", t, i, len(y), s.Out)
			}
			if k := nonFiniteAt(y); k >= 0 {
				return errors.Errorf("graph: batch: step %d sequence %d target %d is %v", t, i, k, y[k])
			}
		}
		s.TargetSteps = append(s.TargetSteps, t)
	}
	if len(s.TargetSteps) == 0 {
		return errors.New("graph: batch: no step has a target")
	}
	return nil
}

// Model is what a ModelFunc builds for one batch shape. It has one of two layouts.
//
// Per step (Packed false): Inputs has one node [B, In] per time step; Targets and Outputs have
// one node [B, Out] per entry of Shape.TargetSteps.
//
// Packed: Inputs, Targets and Outputs each hold ONE node, [T·B, In], [T·B, Out] and [T·B, Out],
// whose row t·B+b is step t of sequence b (with Shape.OneHot the input is [T·B, 1] and holds
// the symbol indices); Mask [T·B, Out] is set to 1 in the rows of target
// steps and 0 elsewhere (targets of other rows are 0). The loss should weight by the mask.
// Targets, Outputs and Mask may instead all have K·B rows, K = len(Shape.TargetSteps), row
// i·B+b holding target step i of sequence b (the mask is then all 1): a model whose outputs
// matter at the target steps only need not compute the others.
type Model struct {
	Inputs  []*G.Node
	Targets []*G.Node
	Outputs []*G.Node
	Packed  bool
	Mask    *G.Node
	// Loss is the scalar to minimise.
	Loss *G.Node
}

// ModelFunc builds the model for a batch shape in b. The Trainer calls it once per distinct
// shape; all calls share the Trainer's ParamSet, so parameter names must not depend on the
// shape.
type ModelFunc func(b *Builder, s Shape) (*Model, error)

// Optimizer updates parameter values in place from their gradients. It must not keep the
// tensors between calls: the same parameter comes from a different program when the batch
// shape changes, with the same Name and the same Value tensor.
type Optimizer interface {
	Step(params []Param) error
}

// Source produces training batches.
type Source interface {
	Next() (Batch, error)
}

// Result is what one training or evaluation step computed.
type Result struct {
	// Loss is the model's loss on the batch.
	Loss float64
	// Outputs holds the output values [B][Out] at each target step, aligned with TargetSteps.
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
	// Model builds the graph for a batch shape. Required.
	Model ModelFunc
	// Optimizer updates the parameters after every batch. Required for Step and Run.
	Optimizer Optimizer
	// Params holds the parameters; nil means a new set, initialised from Seed on first use.
	Params *ParamSet
	// Dtype is float64 (default) or float32.
	Dtype tensor.Dtype
	// Seed seeds the initialisers of parameters created by the first model built.
	Seed int64
	// MaxPrograms bounds the number of compiled programs kept (per mode). Default 64. There is
	// one program per batch shape (sequence length, batch size, target steps); when a stream
	// draws its shapes from more than MaxPrograms, the ones not kept are compiled again when
	// they come back: with N lengths drawn uniformly, for about 1 - MaxPrograms/N of the
	// batches. Compiles counts the compilations.
	MaxPrograms int
}

type compiled struct {
	prog    *Program
	model   *Model
	shape   Shape
	buf     []float64 // packed layout: staging for inputs and targets
	maskSet bool
	// atTargets: the packed model's targets, outputs and mask have a row group per target
	// step, not per step (see Model).
	atTargets bool
}

// Trainer trains a model on batches, compiling one program per batch shape and caching it.
type Trainer struct {
	cfg   TrainerConfig
	train map[string]*compiled
	eval  map[string]*compiled
	seen  int
	// compiles counts the programs compiled since the trainer was made (Compiles).
	compiles int
}

// NewTrainer returns a Trainer. It builds nothing until the first batch.
func NewTrainer(cfg TrainerConfig) (*Trainer, error) {
	if cfg.Model == nil {
		return nil, errors.New("graph: trainer: Model is required")
	}
	if cfg.Params == nil {
		cfg.Params = NewParamSet()
	}
	if cfg.MaxPrograms <= 0 {
		cfg.MaxPrograms = 64
	}
	return &Trainer{cfg: cfg, train: map[string]*compiled{}, eval: map[string]*compiled{}}, nil
}

// Params returns the trained parameters.
func (tr *Trainer) Params() *ParamSet { return tr.cfg.Params }

// Seen returns the number of sequences trained on so far.
func (tr *Trainer) Seen() int { return tr.seen }

// SetSeen sets the number of sequences trained on so far (when resuming from a checkpoint).
func (tr *Trainer) SetSeen(n int) { tr.seen = n }

// Build builds and compiles the training program for shape s, creating the parameters if they
// do not exist yet (to load a checkpoint into them before training).
func (tr *Trainer) Build(s Shape) error {
	_, err := tr.program(s, false)
	return err
}

// Optimizer returns the optimizer.
func (tr *Trainer) Optimizer() Optimizer { return tr.cfg.Optimizer }

// Programs returns the number of compiled programs currently cached (training and evaluation).
func (tr *Trainer) Programs() int { return len(tr.train) + len(tr.eval) }

// Compiles returns the number of programs compiled since the trainer was made (training and
// evaluation), evicted ones included: more than Programs means shapes came back after their
// programs were evicted (see TrainerConfig.MaxPrograms).
func (tr *Trainer) Compiles() int { return tr.compiles }

func (tr *Trainer) program(s Shape, eval bool) (*compiled, error) {
	cache := tr.train
	if eval {
		cache = tr.eval
	}
	var buf [256]byte
	kb := s.appendKey(buf[:0])
	if c, ok := cache[string(kb)]; ok { // no allocation for the lookup
		return c, nil
	}
	k := string(kb)
	b := NewBuilder(Config{Dtype: tr.cfg.Dtype, Seed: tr.cfg.Seed, Params: tr.cfg.Params})
	m, err := tr.cfg.Model(b, s)
	if err != nil {
		return nil, errors.Wrapf(err, "graph: building the model for T=%d B=%d", s.T, s.B)
	}
	if err := checkModel(m, s); err != nil {
		return nil, err
	}
	watch := Watch(m.Outputs...)
	var p *Program
	if eval {
		p, err = Compile(b, m.Loss, watch, ForwardOnly())
	} else {
		p, err = Compile(b, m.Loss, watch)
	}
	if err != nil {
		return nil, errors.Wrapf(err, "graph: compiling the model for T=%d B=%d", s.T, s.B)
	}
	if len(cache) >= tr.cfg.MaxPrograms {
		for old := range cache { // evict any one; shapes repeat at random anyway
			cache[old].prog.Close()
			delete(cache, old)
			break
		}
	}
	c := &compiled{prog: p, model: m, shape: s}
	c.atTargets = m.Packed && len(s.TargetSteps) != s.T && m.Targets[0].Shape()[0] == len(s.TargetSteps)*s.B
	cache[k] = c
	tr.compiles++
	return c, nil
}

func checkModel(m *Model, s Shape) error {
	if m != nil && m.Packed {
		switch {
		case len(m.Inputs) != 1 || len(m.Targets) != 1 || len(m.Outputs) != 1 || m.Mask == nil:
			return errors.New("graph: a packed model needs one input, one target, one output node and a mask")
		case m.Loss == nil:
			return errors.New("graph: model has no loss")
		}
		in := s.In
		if s.OneHot {
			in = 1
		}
		if n := m.Inputs[0]; n == nil || !n.Shape().Eq(tensor.Shape{s.T * s.B, in}) {
			return errors.Errorf("graph: packed model input is %v, want shape (%d, %d)", n, s.T*s.B, in)
		}
		// Targets, outputs and mask: a row per step, or all three a row per target step.
		rows := s.T * s.B
		if n := m.Targets[0]; n != nil && n.Shape().Eq(tensor.Shape{len(s.TargetSteps) * s.B, s.Out}) {
			rows = len(s.TargetSteps) * s.B
		}
		for _, c := range []struct {
			what string
			n    *G.Node
		}{{"target", m.Targets[0]}, {"output", m.Outputs[0]}, {"mask", m.Mask}} {
			if c.n == nil {
				return errors.Errorf("graph: packed model has no %s node", c.what)
			}
			if !c.n.Shape().Eq(tensor.Shape{rows, s.Out}) {
				return errors.Errorf("graph: packed model %s has shape %v, want (%d, %d) (a row per step) or, for the target, output and mask alike, (%d, %d) (a row per target step)",
					c.what, c.n.Shape(), s.T*s.B, s.Out, len(s.TargetSteps)*s.B, s.Out)
			}
		}
		return nil
	}
	switch {
	case m == nil:
		return errors.New("graph: model func returned nil")
	case len(m.Inputs) != s.T:
		return errors.Errorf("graph: model has %d input nodes for %d steps", len(m.Inputs), s.T)
	case len(m.Targets) != len(s.TargetSteps) || len(m.Outputs) != len(s.TargetSteps):
		return errors.Errorf("graph: model has %d target and %d output nodes for %d target steps", len(m.Targets), len(m.Outputs), len(s.TargetSteps))
	case m.Loss == nil:
		return errors.New("graph: model has no loss")
	}
	for t, n := range m.Inputs {
		if n == nil || !n.Shape().Eq(tensor.Shape{s.B, s.In}) {
			return errors.Errorf("graph: model input %d is %v, want shape (%d, %d)", t, n, s.B, s.In)
		}
	}
	return nil
}

// run sets the batch into c's program and runs it.
func (c *compiled) run(bt Batch) (Result, error) {
	if c.model.Packed {
		return c.runPacked(bt)
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
	return r, nil
}

func (c *compiled) runPacked(bt Batch) (Result, error) {
	s, m := c.shape, c.model
	in := s.In
	if s.OneHot {
		in = 1
	}
	if c.buf == nil {
		c.buf = make([]float64, s.T*s.B*max(in, s.Out))
	}
	x := c.buf[:s.T*s.B*in]
	for t, step := range bt.Symbols {
		for b, k := range step {
			x[t*s.B+b] = float64(k)
		}
	}
	for t, step := range bt.Inputs {
		for b, v := range step {
			copy(x[(t*s.B+b)*s.In:], v)
		}
	}
	if err := c.prog.Set(m.Inputs[0], x); err != nil {
		return Result{}, err
	}
	// row is the row group of target step i (step t) in the targets, outputs and mask.
	row, groups := func(i, t int) int { return t }, s.T
	if c.atTargets {
		row, groups = func(i, t int) int { return i }, len(s.TargetSteps)
	}
	y := c.buf[:groups*s.B*s.Out]
	clear(y)
	for i, t := range s.TargetSteps {
		for b, v := range bt.Targets[t] {
			copy(y[(row(i, t)*s.B+b)*s.Out:], v)
		}
	}
	if err := c.prog.Set(m.Targets[0], y); err != nil {
		return Result{}, err
	}
	if !c.maskSet { // the mask depends on the shape only
		mask := make([]float64, groups*s.B*s.Out)
		for i, t := range s.TargetSteps {
			for j := row(i, t) * s.B * s.Out; j < (row(i, t)+1)*s.B*s.Out; j++ {
				mask[j] = 1
			}
		}
		if err := c.prog.Set(m.Mask, mask); err != nil {
			return Result{}, err
		}
		c.maskSet = true
	}
	if err := c.prog.Run(); err != nil {
		return Result{}, err
	}
	r := Result{TargetSteps: s.TargetSteps, Outputs: make([][][]float64, len(s.TargetSteps))}
	var err error
	if r.Loss, err = c.prog.Loss(); err != nil {
		return Result{}, err
	}
	v, err := c.prog.Value(m.Outputs[0])
	if err != nil {
		return Result{}, err
	}
	for i, t := range s.TargetSteps {
		rows := make([][]float64, s.B)
		for b := range rows {
			o := (row(i, t)*s.B + b) * s.Out
			rows[b] = v[o : o+s.Out : o+s.Out]
		}
		r.Outputs[i] = rows
	}
	return r, nil
}

// Step trains on one batch: forward, backward, optimizer step. Gradients are zeroed after the
// step. If the loss or a gradient is not finite, the parameters are left unchanged and the
// error names the parameter and the sequence count.
func (tr *Trainer) Step(bt Batch) (Result, error) {
	if tr.cfg.Optimizer == nil {
		return Result{}, errors.New("graph: trainer: no Optimizer")
	}
	s, err := bt.Shape()
	if err != nil {
		return Result{}, errors.Wrapf(err, "graph: train step after %d sequences", tr.seen)
	}
	c, err := tr.program(s, false)
	if err != nil {
		return Result{}, err
	}
	r, err := c.run(bt)
	if err != nil {
		c.prog.ZeroGrads()
		return Result{}, errors.Wrapf(err, "graph: train step after %d sequences", tr.seen)
	}
	ps, err := c.prog.Params()
	if err != nil {
		return Result{}, err
	}
	if bad := nonFinite(r.Loss, ps); bad != "" {
		c.prog.ZeroGrads()
		return Result{}, errors.Errorf("graph: train step after %d sequences: %s is not finite; parameters left unchanged", tr.seen, bad)
	}
	if err := tr.cfg.Optimizer.Step(ps); err != nil {
		c.prog.ZeroGrads()
		return Result{}, errors.Wrapf(err, "graph: optimizer step after %d sequences", tr.seen)
	}
	if err := c.prog.ZeroGrads(); err != nil {
		return Result{}, err
	}
	tr.seen += s.B
	for _, p := range ps {
		if err := finiteValues(p.Value); err != nil {
			return r, errors.Errorf("graph: train step ending at %d sequences: parameter %q %v after the optimizer step", tr.seen, p.Name, err)
		}
	}
	return r, nil
}

func finiteValues(t *tensor.Dense) error {
	vs := float64View(t)
	if i := nonFiniteAt(vs); i >= 0 {
		return errors.Errorf("value %d is %v", i, vs[i])
	}
	return nil
}

func nonFinite(loss float64, ps []Param) string {
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return "the loss"
	}
	for _, p := range ps {
		if nonFiniteAt(float64View(p.Grad)) >= 0 {
			return "the gradient of " + p.Name
		}
	}
	return ""
}

// Evaluate runs the model forward on a batch without changing any parameter.
func (tr *Trainer) Evaluate(bt Batch) (Result, error) {
	s, err := bt.Shape()
	if err != nil {
		return Result{}, errors.Wrap(err, "graph: evaluate")
	}
	c, err := tr.program(s, true)
	if err != nil {
		return Result{}, err
	}
	r, err := c.run(bt)
	return r, errors.Wrap(err, "graph: evaluate")
}

// Run trains on batches from src until maxSequences sequences have been seen (0: no limit) or
// a hook returns ErrStop. It returns the number of sequences seen in total. Nil hooks are
// skipped (Run(src, n, nil) trains without one).
func (tr *Trainer) Run(src Source, maxSequences int, hooks ...Hook) (int, error) {
	if src == nil {
		return tr.seen, errors.New("graph: run: nil source")
	}
	for maxSequences <= 0 || tr.seen < maxSequences {
		bt, err := src.Next()
		if err != nil {
			return tr.seen, errors.Wrapf(err, "graph: run: source after %d sequences", tr.seen)
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
				return tr.seen, errors.Wrapf(err, "graph: run: hook after %d sequences", tr.seen)
			}
		}
	}
	return tr.seen, nil
}

// Close releases every compiled program.
func (tr *Trainer) Close() error {
	var msgs []string
	for _, cache := range []map[string]*compiled{tr.train, tr.eval} {
		for k, c := range cache {
			if err := c.prog.Close(); err != nil {
				msgs = append(msgs, err.Error())
			}
			delete(cache, k)
		}
	}
	if len(msgs) > 0 {
		return errors.New("graph: close: " + strings.Join(msgs, "; "))
	}
	return nil
}

// Sequence is one sequence as plain Go values: Inputs [T][features], or one-hot coded inputs as
// Symbols [T] over Alphabet input units (see Batch), and Targets [T][outputs] with nil at steps
// without a target. datasets.Sequence has the same fields and converts to it.
type Sequence struct {
	Inputs   [][]float64
	Symbols  []int
	Alphabet int
	Targets  [][]float64
}

// Len is the sequence's number of steps.
func (s Sequence) Len() int {
	if s.Symbols != nil {
		return len(s.Symbols)
	}
	return len(s.Inputs)
}

// Stack makes a batch of sequences of equal length.
func Stack(seqs ...Sequence) (Batch, error) {
	if len(seqs) == 0 {
		return Batch{}, errors.New("graph: stack: no sequences")
	}
	T := seqs[0].Len()
	hot := seqs[0].Symbols != nil
	bt := Batch{Targets: make([][][]float64, T)}
	if hot {
		bt.Symbols, bt.Alphabet = make([][]int, T), seqs[0].Alphabet
	} else {
		bt.Inputs = make([][][]float64, T)
	}
	for i, s := range seqs {
		switch {
		case (s.Symbols != nil) != hot || (hot && s.Inputs != nil):
			return Batch{}, errors.Errorf("graph: stack: sequence %d and sequence 0 code their inputs differently (Inputs or Symbols)", i)
		case hot && s.Alphabet != bt.Alphabet:
			return Batch{}, errors.Errorf("graph: stack: sequence %d has an alphabet of %d symbols, sequence 0 of %d", i, s.Alphabet, bt.Alphabet)
		case s.Len() != T:
			return Batch{}, errors.Errorf("graph: stack: sequence %d has length %d, sequence 0 has %d", i, s.Len(), T)
		}
		if len(s.Targets) > T {
			return Batch{}, errors.Errorf("graph: stack: sequence %d has %d target steps for %d steps", i, len(s.Targets), T)
		}
	}
	// One backing array per field, not one per step: a 2c sequence has over a thousand steps.
	B := len(seqs)
	var symbols []int
	var inputs, targets [][]float64
	if hot {
		symbols = make([]int, T*B)
	} else {
		inputs = make([][]float64, T*B)
	}
	// Indexed, not ranged over by value: a Sequence is 80 bytes, copied at every step otherwise.
	tg0 := seqs[0].Targets
	for t := 0; t < T; t++ {
		if hot {
			row := symbols[t*B : (t+1)*B : (t+1)*B]
			for i := range seqs {
				row[i] = seqs[i].Symbols[t]
			}
			bt.Symbols[t] = row
		} else {
			row := inputs[t*B : (t+1)*B : (t+1)*B]
			for i := range seqs {
				row[i] = seqs[i].Inputs[t]
			}
			bt.Inputs[t] = row
		}
		if t >= len(tg0) || tg0[t] == nil {
			for i := 1; i < B; i++ {
				if s := &seqs[i]; t < len(s.Targets) && s.Targets[t] != nil {
					return Batch{}, errors.Errorf("graph: stack: sequence %d has a target at step %d, sequence 0 has none", i, t)
				}
			}
			continue
		}
		if targets == nil {
			targets = make([][]float64, (T-t)*B) // from the first step with a target on
		}
		bt.Targets[t], targets = targets[:B:B], targets[B:]
		for i := range seqs {
			if s := &seqs[i]; t >= len(s.Targets) || s.Targets[t] == nil {
				return Batch{}, errors.Errorf("graph: stack: sequence %d has no target at step %d, sequence 0 has one", i, t)
			}
			bt.Targets[t][i] = seqs[i].Targets[t]
		}
	}
	return bt, nil
}
