package paper

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train"
)

// Options configures a trial beyond its spec.
type Options struct {
	Seed        int64
	Max         int           // overrides Spec.Max when > 0
	Optimizer   string        // "" or "sgd": the paper's plain gradient descent
	Measure     train.Measure // what ST3's average training error means (PAPER.md §6.5)
	Progress    time.Duration // progress lines on Log (0: none)
	Log         io.Writer     // progress; nil: none
	Name        string        // how Log's lines name the run ("": the experiment ID)
	Metrics     io.Writer     // JSON Lines of the learning curve; nil: none
	Every       int           // overrides Spec.Every when > 0
	Test        int           // test sequences after success: 0 means Spec.Test, < 0 none
	Drift       int           // > 0: measure the trained net's state drift on this many sequences
	Checkpoints train.Checkpoints
}

// Result is one trial's outcome, printed as the final JSON line of the examples.
type Result struct {
	Experiment string  `json:"experiment"`
	Title      string  `json:"title"`
	Seed       int64   `json:"seed"`
	Success    bool    `json:"success"`
	Sequences  int     `json:"sequences"`
	Weights    int     `json:"weights"`
	TestSeqs   int     `json:"test_sequences"`
	TestWrong  int     `json:"test_wrong"`
	TestMSE    float64 `json:"test_mse"`
	TestMAE    float64 `json:"test_mae"`
	// TestWrongSide (Exp. 3 only) counts the test sequences whose output is on the wrong side
	// of 0.5, i.e. points to the wrong class: another reading of Tables 4-6's "fraction
	// misclassified" than TestWrong's (Correct: absolute error below 0.2, or 0.1 in 3c), which
	// counts a 3b net that outputs the class probability as wrong also where it is merely
	// unsure (see the README).
	TestWrongSide *int `json:"test_wrong_side,omitempty"`
	// Seconds is the trial's wall time; for a trial resumed from a checkpoint, the sum over
	// its runs (each counted up to its last checkpoint).
	Seconds float64 `json:"seconds"`
	Drift   *Drift  `json:"drift,omitempty"` // the trained net's, with Options.Drift
	// CellAdded is the number of sequences after which the memory cell was added (Spec.Construct).
	CellAdded int `json:"cell_added,omitempty"`
}

// metric is one line of the learning curve.
type metric struct {
	Sequences   int     `json:"sequences"`
	TrainMSE    float64 `json:"train_mse"`
	TrainWrong  int     `json:"wrong_in_window"`
	Window      int     `json:"window"`
	Criterion   string  `json:"criterion"`
	CriterionOK bool    `json:"criterion_met"`
	// The L2 norms of the updates' gradients since the previous line (before any clipping):
	// their mean, the largest, and the sequence whose update it was. Absent if there was none.
	GradNormMean  *float64 `json:"grad_norm_mean,omitempty"`
	GradNormMax   *float64 `json:"grad_norm_max,omitempty"`
	GradNormMaxAt *int     `json:"grad_norm_max_at,omitempty"`
}

// state is what a checkpoint keeps besides weights, optimizer and random source.
type state struct {
	Window    *train.ST3      `json:"window"`
	Evals     int             `json:"evals"`
	Construct *constructState `json:"construct,omitempty"`
	// Seconds is the trial's wall time up to the checkpoint, over all its runs, so that a
	// resumed trial reports its whole time (Result.Seconds).
	Seconds float64 `json:"seconds,omitempty"`
}

// MaxPrograms is the number of compiled programs (one per sequence length) a trial's trainer
// keeps. The paper's tasks draw their lengths from T..T+T/10, 101 lengths at T = 1000, and 2c's
// from q+3 on with a geometric tail; with graph's default of 64 a T = 1000 trial recompiled for
// about a third of its sequences (64 of 101 lengths kept), which cost it about a sixth of its
// time. A program for T = 1000 keeps about 2 MB.
const MaxPrograms = 128

// Saved reads how far the trial checkpointed in dir has come: the sequences it has seen and its
// wall time up to that checkpoint, over all its runs. A directory without a checkpoint gives an
// error that errors.Is train.ErrNoCheckpoint; a damaged checkpoint, an error saying what is wrong.
func Saved(dir string) (sequences int, seconds float64, err error) {
	ck, err := train.LoadCheckpoint(dir)
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

// RunTrial trains one network of spec s to its stopping criterion (or s.Max sequences) and
// tests it. When interrupted (train.ErrInterrupted) it saves a checkpoint if o.Checkpoints
// has a directory and returns the sequences trained so far in Result.Sequences.
func RunTrial(s *Spec, o Options) (Result, error) {
	start := time.Now()
	res := Result{Experiment: s.ID, Title: s.Title, Seed: o.Seed}
	max := s.Max
	if o.Max > 0 {
		max = o.Max
	}
	every := s.Every
	switch {
	case o.Every < 0 || o.Max < 0:
		return res, errors.Errorf("paper: experiment %s: Every %d, Max %d: want numbers of sequences (0: the experiment's)", s.ID, o.Every, o.Max)
	case o.Every > 0 && s.Stop != StopEval:
		return res, errors.Errorf("paper: experiment %s checks its criterion after every sequence; Every %d applies only to evaluated criteria (experiments %s)",
			s.ID, o.Every, strings.Join(AppliesTo["every"], ", "))
	case o.Every > 0:
		every = o.Every
	}
	logName := o.Name
	if logName == "" {
		logName = s.ID
	}
	testN := s.Test
	switch {
	case o.Test > 0:
		testN = o.Test
	case o.Test < 0:
		testN = 0
	}
	name := o.Optimizer
	if name == "" {
		name = "sgd"
	}
	opt, err := s.optimizer(name)
	if err != nil {
		return res, err
	}
	var meter *normMeter // the learning curve's gradient norms
	if o.Metrics != nil {
		meter, opt = metering(opt)
	}
	var held *hold
	if s.Construct != nil {
		held, opt = holding(opt, s.Construct.Hold)
	}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(s.Net), Optimizer: opt, Seed: o.Seed, MaxPrograms: MaxPrograms})
	if err != nil {
		return res, err
	}
	defer tr.Close()

	dataSrc := datasets.NewSource(o.Seed + 1_000_003)
	data := rand.New(dataSrc)
	testSrc := datasets.NewSource(o.Seed + 2_000_003)
	testRng := rand.New(testSrc)
	var trainSet, testSet []datasets.Example
	if s.reber != nil { // Exp. 1: 256 training and 256 distinct test strings per trial
		if trainSet, testSet, err = s.reber.Sets(testRng, 256, 256); err != nil {
			return res, err
		}
	}
	if s.st1() && !s.FreshTestSets { // Exp. 3: the ST1/ST2 test set, one per trial
		if testSet, err = s.drawST1(testRng); err != nil {
			return res, err
		}
	}
	next := func() (datasets.Example, error) {
		if trainSet != nil {
			return trainSet[data.Intn(len(trainSet))], nil
		}
		return s.Sample(data)
	}
	window := s.Window
	if window == 0 {
		window = 2000
	}
	beta := s.Beta
	if s.Stop != StopST3 {
		beta = math.MaxFloat64 // the window only counts errors
	}
	st := state{}
	if s.Construct != nil {
		st.Construct = &constructState{}
	}
	if st.Window, err = train.NewST3(beta, 1e-300, window, o.Measure); err != nil {
		return res, err
	}
	ckRun := train.Run{Trainer: tr, RNGs: map[string]*datasets.Source{"train": dataSrc, "test": testSrc}, Extra: &st,
		Config: map[string]any{"experiment": s.ID, "title": s.Title, "lr": s.LR, "seed": o.Seed, "optimizer": name}}
	// A probe sequence, drawn from a source of its own, gives a batch shape to build the model
	// with before a checkpoint is loaded into it.
	var probe datasets.Example
	if trainSet != nil {
		probe = trainSet[0]
	} else if probe, err = s.Sample(rand.New(datasets.NewSource(o.Seed + 3_000_017))); err != nil {
		return res, err
	}
	probeBt, err := train.Stack(datasets.Sequence(probe.Sequence))
	if err != nil {
		return res, err
	}
	shape, err := probeBt.Shape()
	if err != nil {
		return res, err
	}
	if ok, err := o.Checkpoints.Restore(ckRun, shape); err != nil {
		return res, err
	} else if ok && o.Log != nil {
		fmt.Fprintf(o.Log, "%s: resumed after %d sequences\n", logName, tr.Seen())
	}
	runStart, runFrom := time.Now(), tr.Seen() // the progress lines' rate counts this run's sequences only
	before := st.Seconds                       // the earlier runs' time, restored with the checkpoint
	elapsed := func() float64 { return before + time.Since(start).Seconds() }
	if s.Construct != nil {
		if err := tr.Build(shape); err != nil { // creates the parameters of a fresh run
			return res, err
		}
		if err := s.Construct.start(tr.Params(), st.Construct, held); err != nil {
			return res, err
		}
	}
	saveHook, stopSignals := o.Checkpoints.Hook(ckRun)
	defer stopSignals()

	evaluate := func() (bool, error) { return s.evalStop(tr, trainSet, testSet, testRng) }
	met := func() bool {
		w := st.Window
		switch s.Stop {
		case StopST3:
			return w.Count() == w.Window && w.Wrong() == 0 && w.Average() < s.Beta
		case StopNSeq:
			return w.Count() == w.Window && w.Wrong() < s.NSeq
		}
		return false
	}
	lastLog, lastMetric := time.Now(), 0
	success := false
	for tr.Seen() < max {
		// Drawn here, not at the end of the previous iteration, so that a checkpoint saved after
		// the loop holds the sources as they are before the next draw.
		ex, err := next()
		if err != nil {
			return res, err
		}
		bt, err := train.Stack(datasets.Sequence(ex.Sequence))
		if err != nil {
			return res, err
		}
		r, err := tr.Step(bt)
		if err != nil {
			return res, err
		}
		outs := make([][]float64, len(r.Outputs))
		for i := range outs {
			outs[i] = r.Outputs[i][0]
		}
		e := train.SeqErrors(bt, r)[0]
		if s.Construct != nil {
			added, err := s.Construct.observe(e.SqErr, tr.Seen(), o.Seed, tr.Params(), st.Construct, held)
			if err != nil {
				return res, err
			}
			if added && o.Log != nil {
				fmt.Fprintf(o.Log, "  %s: the error stopped decreasing; memory cell added after %d sequences\n", logName, tr.Seen())
			}
		}
		if !s.Correct(ex, outs) {
			e.MaxAbs = 1 // counted as wrong by the window (its tolerance is tiny)
		} else {
			e.MaxAbs = 0
		}
		st.Window.Add(e)
		seen := tr.Seen()
		if s.Stop == StopEval && seen%every == 0 {
			st.Evals++
			if success, err = evaluate(); err != nil {
				return res, err
			}
		} else if s.Stop != StopEval {
			success = met()
		}
		if o.Metrics != nil && (seen-lastMetric >= 1000 || success) {
			lastMetric = seen
			m := metric{Sequences: seen, TrainMSE: st.Window.Mean(train.MeanSquared), TrainWrong: st.Window.Wrong(), Window: st.Window.Count(),
				Criterion: s.Stop, CriterionOK: success}
			if mean, max, at, ok := meter.take(seen); ok {
				m.GradNormMean, m.GradNormMax, m.GradNormMaxAt = &mean, &max, &at
			}
			if err := json.NewEncoder(o.Metrics).Encode(m); err != nil {
				return res, err
			}
		}
		if o.Log != nil && o.Progress > 0 && time.Since(lastLog) >= o.Progress {
			lastLog = time.Now()
			fmt.Fprintf(o.Log, "  %s: %9d sequences  %6.0f seq/s  window MSE %.5f  wrong in window %4d/%d\n", logName, seen,
				float64(seen-runFrom)/time.Since(runStart).Seconds(), st.Window.Mean(train.MeanSquared), st.Window.Wrong(), st.Window.Count())
		}
		if success {
			break
		}
		st.Seconds = elapsed()
		if err := saveHook(seen, bt, r); err != nil {
			if errors.Is(err, train.ErrInterrupted) {
				st.Seconds = elapsed()
				if serr := o.Checkpoints.Save(ckRun); serr != nil {
					return res, serr
				}
				res.Sequences = seen
			}
			return res, err
		}
	}
	st.Seconds = elapsed()
	if err := o.Checkpoints.Save(ckRun); err != nil {
		return res, err
	}
	res.Success, res.Sequences, res.Weights = success, tr.Seen(), tr.Params().NumWeights()
	if st.Construct != nil {
		res.CellAdded = st.Construct.Added
	}
	if success {
		if err := s.test(tr, testN, testRng, &res); err != nil {
			return res, err
		}
	}
	if o.Drift > 0 {
		d, err := MeasureDrift(s, o.Seed, o.Drift, tr.Params())
		if err != nil {
			return res, err
		}
		res.Drift = &d
	}
	res.Seconds = elapsed()
	return res, nil
}

// optimizer returns the named optimizer at the spec's learning rate, with its gradient
// clipping (none for the paper's rows).
func (s *Spec) optimizer(name string) (train.Optimizer, error) {
	return optim.New(name, s.LR, optim.Clip{Norm: s.ClipNorm})
}

// evalStop runs the periodic evaluation of a StopEval experiment.
func (s *Spec) evalStop(tr *train.Trainer, trainSet, testSet []datasets.Example, rng *rand.Rand) (bool, error) {
	switch {
	case s.reber != nil: // Exp. 1: every string of both sets predicted correctly
		both := append(append([]datasets.Example(nil), trainSet...), testSet...)
		return s.allCorrect(tr, len(both), func(i int) (datasets.Example, error) { return both[i], nil })
	case s.st1(): // Exp. 3: ST1 (misclassifications) and ST2 (mean absolute error)
		if s.FreshTestSets {
			var err error
			if testSet, err = s.drawST1(rng); err != nil {
				return false, err
			}
		}
		wrong, sum := 0, 0.0
		for _, ex := range testSet {
			outs, bt, err := Evaluate(tr, ex)
			if err != nil {
				return false, err
			}
			if !s.Correct(ex, outs) {
				if wrong++; wrong > s.ST1Wrong {
					return false, nil
				}
			}
			tg := bt.Targets[len(bt.Targets)-1][0][0]
			if ex.Clean != nil {
				tg = ex.Clean[0]
			}
			sum += math.Abs(outs[len(outs)-1][0] - tg)
		}
		return sum/float64(len(testSet)) < s.Beta, nil
	default: // Exp. 2: correct on EvalN successive random sequences
		return s.allCorrect(tr, s.EvalN, func(int) (datasets.Example, error) { return s.Sample(rng) })
	}
}

// st1 reports whether the spec's evaluation is Exp. 3's ST1/ST2 on a test set.
func (s *Spec) st1() bool { return s.Stop == StopEval && s.reber == nil && s.EvalN > 0 && s.Test > 0 }

// drawST1 draws an ST1/ST2 test set of EvalN sequences.
func (s *Spec) drawST1(rng *rand.Rand) ([]datasets.Example, error) {
	set := make([]datasets.Example, s.EvalN)
	for i := range set {
		ex, err := s.Sample(rng)
		if err != nil {
			return nil, errors.Wrapf(err, "%s: ST1 test sequence %d", s.ID, i)
		}
		set[i] = ex
	}
	return set, nil
}

// allCorrect reports whether the n examples next(0), ..., next(n-1) are all judged correct,
// stopping at the first that is not.
func (s *Spec) allCorrect(tr *train.Trainer, n int, next func(int) (datasets.Example, error)) (bool, error) {
	for i := 0; i < n; i++ {
		ex, err := next(i)
		if err != nil {
			return false, err
		}
		outs, _, err := Evaluate(tr, ex)
		if err != nil {
			return false, err
		}
		if !s.Correct(ex, outs) {
			return false, nil
		}
	}
	return true, nil
}

// test evaluates n fresh sequences.
func (s *Spec) test(tr *train.Trainer, n int, rng *rand.Rand, res *Result) error {
	if n <= 0 || s.Sample == nil {
		return nil
	}
	var side *int
	if s.st1() {
		side = new(int)
		res.TestWrongSide = side
	}
	for i := 0; i < n; i++ {
		ex, err := s.Sample(rng)
		if err != nil {
			return err
		}
		outs, bt, err := Evaluate(tr, ex)
		if err != nil {
			return err
		}
		if !s.Correct(ex, outs) {
			res.TestWrong++
		}
		if side != nil && wrongSide(ex, outs) {
			*side++
		}
		e := train.SeqErrors(bt, train.Result{TargetSteps: targetSteps(bt), Outputs: wrap(outs)})[0]
		res.TestMSE += e.SqErr
		res.TestMAE += e.AbsErr
	}
	res.TestSeqs = n
	res.TestMSE /= float64(n)
	res.TestMAE /= float64(n)
	return nil
}

// wrongSide reports whether an Exp. 3 sequence's output at its end is on the other side of 0.5
// than its (noise-free) target.
func wrongSide(ex datasets.Example, outs [][]float64) bool {
	tg := ex.Targets[len(ex.Targets)-1][0]
	if ex.Clean != nil {
		tg = ex.Clean[0]
	}
	return (outs[len(outs)-1][0] > 0.5) != (tg > 0.5)
}

func targetSteps(bt train.Batch) []int {
	var out []int
	for t, tg := range bt.Targets {
		if tg != nil {
			out = append(out, t)
		}
	}
	return out
}

func wrap(outs [][]float64) [][][]float64 {
	w := make([][][]float64, len(outs))
	for i, o := range outs {
		w[i] = [][]float64{o}
	}
	return w
}
