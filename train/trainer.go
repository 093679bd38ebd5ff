package train

import (
	"math"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
)

// ErrStop, returned by a Hook, ends Trainer.Run without an error.
var ErrStop = errors.New("train: stop")

// appendKey appends the shape's cache key to dst: every field, so that two shapes share a
// key only if they are equal. It runs once per training step, hence no fmt.
func appendKey(dst []byte, s graph.Shape) []byte {
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

// Optimizer updates parameter values in place from their gradients. It must not keep the
// tensors between calls: the same parameter comes from a different program when the batch
// shape changes, with the same Name and the same Value tensor.
type Optimizer interface {
	Step(params []graph.Param) error
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
	// batches. Compiles counts the compilations.
	MaxPrograms int
}

type compiled struct {
	prog    *graph.Program
	model   *graph.Model
	shape   graph.Shape
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
		return nil, errors.New("train: trainer: Model is required")
	}
	if cfg.Params == nil {
		cfg.Params = graph.NewParamSet()
	}
	if cfg.MaxPrograms <= 0 {
		cfg.MaxPrograms = 64
	}
	return &Trainer{cfg: cfg, train: map[string]*compiled{}, eval: map[string]*compiled{}}, nil
}

// Params returns the trained parameters.
func (tr *Trainer) Params() *graph.ParamSet { return tr.cfg.Params }

// Seen returns the number of sequences trained on so far.
func (tr *Trainer) Seen() int { return tr.seen }

// SetSeen sets the number of sequences trained on so far (when resuming from a checkpoint).
func (tr *Trainer) SetSeen(n int) { tr.seen = n }

// Build builds and compiles the training program for shape s, creating the parameters if they
// do not exist yet (to load a checkpoint into them before training).
func (tr *Trainer) Build(s graph.Shape) error {
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

func (tr *Trainer) program(s graph.Shape, eval bool) (*compiled, error) {
	cache := tr.train
	if eval {
		cache = tr.eval
	}
	var buf [256]byte
	kb := appendKey(buf[:0], s)
	if c, ok := cache[string(kb)]; ok { // no allocation for the lookup
		return c, nil
	}
	k := string(kb)
	b := graph.NewBuilder(graph.Config{Dtype: tr.cfg.Dtype, Seed: tr.cfg.Seed, Params: tr.cfg.Params})
	m, err := tr.cfg.Model(b, s)
	if err != nil {
		return nil, errors.Wrapf(err, "train: building the model for T=%d B=%d", s.T, s.B)
	}
	if err := checkModel(m, s); err != nil {
		return nil, err
	}
	watch := graph.Watch(m.Outputs...)
	var p *graph.Program
	if eval {
		p, err = graph.Compile(b, m.Loss, watch, graph.ForwardOnly())
	} else {
		p, err = graph.Compile(b, m.Loss, watch)
	}
	if err != nil {
		return nil, errors.Wrapf(err, "train: compiling the model for T=%d B=%d", s.T, s.B)
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

func checkModel(m *graph.Model, s graph.Shape) error {
	if m != nil && m.Packed {
		switch {
		case len(m.Inputs) != 1 || len(m.Targets) != 1 || len(m.Outputs) != 1 || m.Mask == nil:
			return errors.New("train: a packed model needs one input, one target, one output node and a mask")
		case m.Loss == nil:
			return errors.New("train: model has no loss")
		}
		in := s.In
		if s.OneHot {
			in = 1
		}
		if n := m.Inputs[0]; n == nil || !n.Shape().Eq(tensor.Shape{s.T * s.B, in}) {
			return errors.Errorf("train: packed model input is %v, want shape (%d, %d)", n, s.T*s.B, in)
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
				return errors.Errorf("train: packed model has no %s node", c.what)
			}
			if !c.n.Shape().Eq(tensor.Shape{rows, s.Out}) {
				return errors.Errorf("train: packed model %s has shape %v, want (%d, %d) (a row per step) or, for the target, output and mask alike, (%d, %d) (a row per target step)",
					c.what, c.n.Shape(), s.T*s.B, s.Out, len(s.TargetSteps)*s.B, s.Out)
			}
		}
		return nil
	}
	switch {
	case m == nil:
		return errors.New("train: model func returned nil")
	case len(m.Inputs) != s.T:
		return errors.Errorf("train: model has %d input nodes for %d steps", len(m.Inputs), s.T)
	case len(m.Targets) != len(s.TargetSteps) || len(m.Outputs) != len(s.TargetSteps):
		return errors.Errorf("train: model has %d target and %d output nodes for %d target steps", len(m.Targets), len(m.Outputs), len(s.TargetSteps))
	case m.Loss == nil:
		return errors.New("train: model has no loss")
	}
	for t, n := range m.Inputs {
		if n == nil || !n.Shape().Eq(tensor.Shape{s.B, s.In}) {
			return errors.Errorf("train: model input %d is %v, want shape (%d, %d)", t, n, s.B, s.In)
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
		return Result{}, errors.New("train: trainer: no Optimizer")
	}
	s, err := bt.Shape()
	if err != nil {
		return Result{}, errors.Wrapf(err, "train: train step after %d sequences", tr.seen)
	}
	c, err := tr.program(s, false)
	if err != nil {
		return Result{}, err
	}
	r, err := c.run(bt)
	if err != nil {
		c.prog.ZeroGrads()
		return Result{}, errors.Wrapf(err, "train: train step after %d sequences", tr.seen)
	}
	ps, err := c.prog.Params()
	if err != nil {
		return Result{}, err
	}
	if bad := nonFinite(r.Loss, ps); bad != "" {
		c.prog.ZeroGrads()
		return Result{}, errors.Errorf("train: train step after %d sequences: %s is not finite; parameters left unchanged", tr.seen, bad)
	}
	if err := tr.cfg.Optimizer.Step(ps); err != nil {
		c.prog.ZeroGrads()
		return Result{}, errors.Wrapf(err, "train: optimizer step after %d sequences", tr.seen)
	}
	if err := c.prog.ZeroGrads(); err != nil {
		return Result{}, err
	}
	tr.seen += s.B
	for _, p := range ps {
		if err := finiteValues(p.Value); err != nil {
			return r, errors.Errorf("train: train step ending at %d sequences: parameter %q %v after the optimizer step", tr.seen, p.Name, err)
		}
	}
	return r, nil
}

func finiteValues(t *tensor.Dense) error {
	vs := graph.Float64View(t)
	if i := graph.FirstNonFinite(vs); i >= 0 {
		return errors.Errorf("value %d is %v", i, vs[i])
	}
	return nil
}

func nonFinite(loss float64, ps []graph.Param) string {
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return "the loss"
	}
	for _, p := range ps {
		if graph.FirstNonFinite(graph.Float64View(p.Grad)) >= 0 {
			return "the gradient of " + p.Name
		}
	}
	return ""
}

// Evaluate runs the model forward on a batch without changing any parameter.
func (tr *Trainer) Evaluate(bt Batch) (Result, error) {
	s, err := bt.Shape()
	if err != nil {
		return Result{}, errors.Wrap(err, "train: evaluate")
	}
	c, err := tr.program(s, true)
	if err != nil {
		return Result{}, err
	}
	r, err := c.run(bt)
	return r, errors.Wrap(err, "train: evaluate")
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
	for _, cache := range []map[string]*compiled{tr.train, tr.eval} {
		for k, c := range cache {
			if err := c.prog.Close(); err != nil {
				msgs = append(msgs, err.Error())
			}
			delete(cache, k)
		}
	}
	if len(msgs) > 0 {
		return errors.New("train: close: " + strings.Join(msgs, "; "))
	}
	return nil
}
