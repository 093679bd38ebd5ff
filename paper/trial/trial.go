package trial

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/online"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/paper"
	"github.com/lstm97/lstm97/train"
	"github.com/lstm97/lstm97/train/checkpoint"
	"github.com/lstm97/lstm97/train/criteria"
)

// Options configures a trial beyond its spec.
type Options struct {
	Seed        int64
	Max         int              // overrides paper.Spec.Max when > 0
	Optimizer   string           // "" or "sgd": the paper's plain gradient descent
	Measure     criteria.Measure // what ST3's average training error means (docs/paper.md, "Readings")
	Progress    time.Duration    // progress lines on Log (0: none)
	Log         io.Writer        // progress; nil: none
	Name        string           // how Log's lines name the run ("": the experiment ID)
	Metrics     io.Writer        // JSON Lines of the learning curve; nil: none
	Every       int              // overrides paper.Spec.Every when > 0
	Test        int              // test sequences after success: 0 means paper.Spec.Test, < 0 none
	Drift       int              // > 0: measure the trained net's state drift on this many sequences
	Checkpoints checkpoint.Policy
}

// state is what a checkpoint keeps besides weights, optimizer and random sources.
type state struct {
	Window    *criteria.Window `json:"window"`
	Evals     int              `json:"evals"`
	Construct *constructState  `json:"construct,omitempty"`
	// Seconds is the trial's wall time up to the checkpoint, over all its runs, so that a
	// resumed trial reports its whole time (paper.Result.Seconds).
	Seconds float64 `json:"seconds,omitempty"`
}

// MaxPrograms is the number of compiled programs (one per sequence length) a trial's trainer
// keeps. The paper's tasks draw their lengths from T..T+T/10, 101 lengths at T = 1000, and 2c's
// from q+3 on with a geometric tail; with the trainer's default of 64 a T = 1000 trial
// recompiled for about a third of its sequences (64 of 101 lengths kept), which cost it about a
// sixth of its time. A program for T = 1000 keeps about 2 MB.
const MaxPrograms = 128

// Saved reads how far the trial checkpointed in dir has come: the sequences it has seen and its
// wall time up to that checkpoint, over all its runs. A directory without a checkpoint gives an
// error that errors.Is checkpoint.ErrNotFound; a damaged checkpoint, an error saying what is wrong.
func Saved(dir string) (sequences int, seconds float64, err error) {
	ck, err := checkpoint.ReadData(dir)
	if err != nil {
		return 0, 0, err
	}
	var st state
	if len(ck.Extra) > 0 {
		if err := json.Unmarshal(ck.Extra, &st); err != nil {
			return 0, 0, errors.Wrapf(err, "checkpoint in %s: trial state", dir)
		}
	}
	return ck.Sequences, st.Seconds, nil
}

// examples is a trial's training stream: the spec's on-line generator, or for Exp. 1 picks
// from the training set (stacked: its batches, made once). It keeps the last example, whose
// correctness the trial judges.
type examples struct {
	spec    *paper.Spec
	rng     *rand.Rand
	set     []datasets.Example
	stacked []stacked // set's examples with their batches
	last    *datasets.Example
	drawn   datasets.Example // the last one the generator drew
}

// Next draws the next training sequence as a batch of one.
func (e *examples) Next() (train.Batch, error) {
	if e.set != nil {
		i := e.rng.Intn(len(e.set))
		e.last = &e.set[i]
		return e.stacked[i].bt, nil
	}
	var err error
	if e.drawn, err = e.spec.Sample(e.rng); err != nil {
		return train.Batch{}, err
	}
	e.last = &e.drawn
	return train.Stack(e.drawn.Sequence)
}

// runner is one running trial: its spec, options, trainer, data and the state a checkpoint keeps.
type runner struct {
	s       *paper.Spec
	o       Options
	name    string // how log lines name it
	every   int
	tr      *train.Trainer
	data    *examples
	testRng *rand.Rand
	testSet []datasets.Example // Exp. 1's test strings, or Exp. 3's ST1/ST2 test set
	// evalChunks holds Exp. 1's training and test strings in batches, for its evaluations.
	evalChunks []chunk
	// outs is a buffer for a sequence's outputs, the judge's and the evaluation's.
	outs  [][]float64
	st    state
	ck    checkpoint.State
	meter *optim.Meter
	held  *optim.Hold
	// success is set when the criterion is met.
	success bool
	// lastLine is the sequence count of the learning curve's last line.
	lastLine int
	// start and before time the trial: before is the earlier runs' time, restored with the
	// checkpoint.
	start  time.Time
	before float64
}

// Run trains one network of spec s to its stopping criterion (or s.Max sequences) and tests
// it. It is train.Trainer.Run with hooks: the construction of Exps. 2a/2b, the spec's stopping
// criterion (criteria.Until), the learning curve, progress lines and checkpoints. When
// interrupted (checkpoint.ErrInterrupted) it saves a checkpoint if o.Checkpoints has a
// directory and returns the sequences trained so far in paper.Result.Sequences.
func Run(s *paper.Spec, o Options) (paper.Result, error) {
	res := paper.Result{Experiment: s.ID, Title: s.Title, Seed: o.Seed}
	max := s.Max
	if o.Max > 0 {
		max = o.Max
	}
	if max <= 0 {
		return res, errors.Errorf("trial: experiment %s: a limit of %d sequences (Spec.Max), want > 0", s.ID, max)
	}
	t, err := newRunner(s, o)
	if err != nil {
		return res, err
	}
	defer t.tr.Close()
	crit, err := t.criterion()
	if err != nil {
		return res, err
	}
	saveHook, stopSignals := o.Checkpoints.Hook(t.ck)
	defer stopSignals()
	hooks := []train.Hook{t.construct, criteria.Until(t.observing(crit)), t.curve, t.progress(), func(seen int, bt train.Batch, r train.Result) error {
		if o.Checkpoints.Dir != "" { // the time a checkpoint saves (none without a directory)
			t.st.Seconds = t.elapsed()
		}
		return saveHook(seen, bt, r)
	}}
	if _, err = t.tr.Run(t.data, max, hooks...); errors.Is(err, checkpoint.ErrInterrupted) {
		t.st.Seconds = t.elapsed()
		if serr := o.Checkpoints.Save(t.ck); serr != nil {
			return res, serr
		}
		res.Sequences = t.tr.Seen()
		return res, checkpoint.ErrInterrupted
	}
	if err != nil {
		return res, err
	}
	if t.success && o.Metrics != nil { // the last line of the curve, at the sequence of success
		if err := t.writeMetric(t.tr.Seen()); err != nil {
			return res, err
		}
	}
	t.st.Seconds = t.elapsed()
	if err := o.Checkpoints.Save(t.ck); err != nil {
		return res, err
	}
	res.Success, res.Sequences, res.Weights = t.success, t.tr.Seen(), t.tr.Params().NumWeights()
	if t.st.Construct != nil {
		res.CellAdded = t.st.Construct.Added
	}
	if t.success {
		if err := test(s, t.tr, t.testN(), t.testRng, &res); err != nil {
			return res, err
		}
	}
	if o.Drift > 0 {
		d, err := MeasureDrift(s, o.Seed, o.Drift, t.tr.Params())
		if err != nil {
			return res, err
		}
		res.Drift = &d
	}
	res.Seconds = t.elapsed()
	return res, nil
}

// newRunner checks the options, makes the trainer, the data and test sources, and restores a
// checkpoint if the options ask for one.
func newRunner(s *paper.Spec, o Options) (*runner, error) {
	t := &runner{s: s, o: o, name: o.Name, every: s.Every, start: time.Now()}
	switch {
	case o.Every < 0 || o.Max < 0:
		return nil, errors.Errorf("trial: experiment %s: Every %d, Max %d: want numbers of sequences (0: the experiment's)", s.ID, o.Every, o.Max)
	case o.Every > 0 && s.Stop != paper.StopEval:
		return nil, errors.Errorf("trial: experiment %s checks its criterion after every sequence; Every %d applies only to evaluated criteria (experiments %s)",
			s.ID, o.Every, strings.Join(paper.AppliesTo["every"], ", "))
	case o.Every > 0:
		t.every = o.Every
	}
	if t.name == "" {
		t.name = s.ID
	}
	name := o.Optimizer
	if name == "" {
		name = "sgd"
	}
	opt, err := newOptimizer(s, name)
	if err != nil {
		return nil, err
	}
	if o.Metrics != nil { // the learning curve's gradient norms
		t.meter = optim.NewMeter(opt)
		opt = t.meter
	}
	if s.Construct != nil {
		t.held = optim.NewHold(opt, s.Construct.Hold...)
		opt = t.held
		t.st.Construct = &constructState{}
	}
	cfg := train.TrainerConfig{Model: layers.Net(s.Net), Optimizer: opt, Seed: o.Seed, MaxPrograms: MaxPrograms}
	if s.PerStep {
		if name != "sgd" {
			return nil, errors.Errorf("trial: experiment %s: the per-step learner changes the weights by the paper's rule (plain gradient descent), not by %s", s.ID, name)
		}
		bl := &online.BatchLearner{Config: online.Config{Net: s.Net, LR: s.LR, Mode: online.PerStep}}
		if t.held != nil {
			bl.Frozen = t.held.Held
		}
		cfg.Learner = bl
	}
	if t.tr, err = train.NewTrainer(cfg); err != nil {
		return nil, err
	}
	if err := t.setUp(name); err != nil {
		t.tr.Close()
		return nil, err
	}
	return t, nil
}

// newOptimizer returns the named optimizer at the spec's learning rate, with its gradient
// clipping (none for the paper's rows).
func newOptimizer(s *paper.Spec, name string) (train.Optimizer, error) {
	return optim.New(name, s.LR, optim.Clip{Norm: s.ClipNorm})
}

// setUp draws the trial's sets, makes its window and restores its checkpoint.
func (t *runner) setUp(optimizer string) error {
	s, o := t.s, t.o
	dataSrc, testSrc := datasets.NewSource(o.Seed+1_000_003), datasets.NewSource(o.Seed+2_000_003)
	t.data = &examples{spec: s, rng: rand.New(dataSrc)}
	t.testRng = rand.New(testSrc)
	var err error
	if s.Reber != nil { // Exp. 1: 256 training and 256 distinct test strings per trial
		if t.data.set, t.testSet, err = s.Reber.Sets(t.testRng, 256, 256); err != nil {
			return err
		}
		if t.data.stacked, err = stackAll(t.data.set); err != nil {
			return err
		}
		if t.evalChunks, err = chunkAll(t.data.set, t.testSet); err != nil {
			return err
		}
	}
	if s.ST1() && !s.FreshTestSets { // Exp. 3: the ST1/ST2 test set, one per trial
		if t.testSet, err = drawST1(s, t.testRng); err != nil {
			return err
		}
	}
	window := s.Window
	if window == 0 {
		window = 2000
	}
	if t.st.Window, err = criteria.NewWindow(window, o.Measure); err != nil {
		return err
	}
	t.ck = checkpoint.State{Trainer: t.tr, RNGs: map[string]*datasets.Source{"train": dataSrc, "test": testSrc}, Extra: &t.st,
		Config: map[string]any{"experiment": s.ID, "title": s.Title, "lr": s.LR, "seed": o.Seed, "optimizer": optimizer}}
	// A probe sequence, drawn from a source of its own, gives a batch shape to build the model
	// with before a checkpoint is loaded into it.
	var probe datasets.Example
	if t.data.set != nil {
		probe = t.data.set[0]
	} else if probe, err = s.Sample(rand.New(datasets.NewSource(o.Seed + 3_000_017))); err != nil {
		return err
	}
	probeBt, err := train.Stack(probe.Sequence)
	if err != nil {
		return err
	}
	shape, err := probeBt.Shape()
	if err != nil {
		return err
	}
	if ok, err := o.Checkpoints.Restore(t.ck, shape); err != nil {
		return err
	} else if ok && o.Log != nil {
		fmt.Fprintf(o.Log, "%s: resumed after %d sequences\n", t.name, t.tr.Seen())
	}
	t.before = t.st.Seconds
	if s.Construct != nil {
		if err := t.tr.Build(shape); err != nil { // creates the parameters of a fresh run
			return err
		}
		if err := startConstruction(s.Construct, t.tr.Params(), t.st.Construct, t.held); err != nil {
			return err
		}
	}
	return nil
}

// elapsed is the trial's wall time over all its runs.
func (t *runner) elapsed() float64 { return t.before + time.Since(t.start).Seconds() }

// testN is the number of test sequences after success.
func (t *runner) testN() int {
	switch {
	case t.o.Test > 0:
		return t.o.Test
	case t.o.Test < 0:
		return 0
	}
	return t.s.Test
}

// judge is the spec's per-sequence correctness as a criteria.Judge, for the trial's batches of
// one: it judges the example just drawn.
func (t *runner) judge(_ train.Batch, r train.Result, i int, _ criteria.SeqError) bool {
	t.outs = outputsOf(t.outs[:0], r, i)
	return t.s.Correct(*t.data.last, t.outs)
}

// criterion is the spec's stopping criterion over the trial's window: ST3(β), the n_seq rule,
// or an evaluation every t.every sequences (Reber sets, ST1/ST2, ABS).
func (t *runner) criterion() (criteria.Criterion, error) {
	s := t.s
	switch s.Stop {
	case paper.StopST3:
		return &criteria.ST3{Beta: s.Beta, Judge: t.judge, Window: t.st.Window}, nil
	case paper.StopNSeq:
		return &criteria.NSeq{N: s.NSeq, Judge: t.judge, Window: t.st.Window}, nil
	case paper.StopEval:
		return criteria.Every{N: t.every, Check: func(int) (bool, error) {
			t.st.Evals++
			return evaluate(s, t.tr, t.evalChunks, t.testSet, t.testRng, &t.outs)
		}}, nil
	}
	return nil, errors.Errorf("trial: experiment %s: unknown stopping criterion %q", s.ID, s.Stop)
}

// observing wraps c: the trial's window sees every sequence (ST3 and n_seq feed it themselves;
// for evaluated criteria it only draws the learning curve and the progress lines), and a met
// criterion is recorded.
func (t *runner) observing(c criteria.Criterion) criteria.Criterion {
	evaluated := t.s.Stop == paper.StopEval // ST3 and n_seq feed the window themselves
	return criterionFunc(func(seen int, bt train.Batch, r train.Result) (bool, error) {
		if evaluated {
			t.st.Window.Observe(bt, r, t.judge)
		}
		met, err := c.Observe(seen, bt, r)
		t.success = met
		return met, err
	})
}

// criterionFunc is a criteria.Criterion from a function.
type criterionFunc func(seen int, bt train.Batch, r train.Result) (bool, error)

func (f criterionFunc) Observe(seen int, bt train.Batch, r train.Result) (bool, error) {
	return f(seen, bt, r)
}

// construct is the hook of Exps. 2a/2b's sequential construction.
func (t *runner) construct(seen int, bt train.Batch, r train.Result) error {
	if t.s.Construct == nil {
		return nil
	}
	e := criteria.SeqErrors(bt, r)[0]
	added, err := observeConstruction(t.s.Construct, e.SqErr, seen, t.o.Seed, t.tr.Params(), t.st.Construct, t.held)
	if added && t.o.Log != nil {
		fmt.Fprintf(t.o.Log, "  %s: the error stopped decreasing; memory cell added after %d sequences\n", t.name, seen)
	}
	return err
}

// curve is the hook that writes a line of the learning curve every 1000 sequences.
func (t *runner) curve(seen int, _ train.Batch, _ train.Result) error {
	if t.o.Metrics == nil || seen-t.lastLine < 1000 {
		return nil
	}
	return t.writeMetric(seen)
}

// writeMetric writes the learning curve's line at seen sequences.
func (t *runner) writeMetric(seen int) error {
	w := t.st.Window
	m := paper.CurvePoint{Sequences: seen, TrainMSE: w.Mean(criteria.MeanSquared), TrainWrong: w.Wrong(), Window: w.Count(),
		Criterion: t.s.Stop, CriterionOK: t.success}
	if mean, max, at, ok := t.meter.Take(seen); ok {
		m.GradNormMean, m.GradNormMax, m.GradNormMaxAt = &mean, &max, &at
	}
	t.lastLine = seen
	return json.NewEncoder(t.o.Metrics).Encode(m)
}

// progress returns the hook that prints a progress line every Options.Progress.
func (t *runner) progress() train.Hook {
	lastLog, runStart, runFrom := time.Now(), time.Now(), t.tr.Seen() // the rate counts this run's sequences only
	calls := 0
	return func(seen int, _ train.Batch, _ train.Result) error {
		if t.o.Log == nil || t.o.Progress <= 0 {
			return nil
		}
		if calls++; calls%16 != 0 || time.Since(lastLog) < t.o.Progress { // the clock every 16 steps
			return nil
		}
		lastLog = time.Now()
		w := t.st.Window
		fmt.Fprintf(t.o.Log, "  %s: %9d sequences  %6.0f seq/s  window MSE %.5f  wrong in window %4d/%d\n", t.name, seen,
			float64(seen-runFrom)/time.Since(runStart).Seconds(), w.Mean(criteria.MeanSquared), w.Wrong(), w.Count())
		return nil
	}
}
