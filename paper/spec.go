package paper

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strings"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
)

// Variant holds the knobs that select a row of the paper's tables. Zero values take the
// experiment's default row.
type Variant struct {
	T      int     // sequence length parameter (Exps. 3, 4, 5)
	N      int     // information elements (Exp. 3)
	P, Q   int     // alphabet size and lag (Exp. 2)
	Blocks int     // Exp. 1: 4 (blocks of 1 cell) or 3 (blocks of 2 cells)
	LR     float64 // learning rate
	NSeq   int     // Exp. 5: 140 or 13
	// LinearOutput makes the output units linear instead of logistic. Not the paper's
	// specification: with it the adding problem (Exp. 4) needs as many sequences as the paper
	// reports, with the logistic units 8 times more (docs/reproducing.md).
	LinearOutput bool
	// NoConstruct starts Exps. 2a/2b with the memory cell in place instead of adding it once
	// the error stops decreasing (the paper's procedure; see Construction).
	NoConstruct bool
	// CellsOnlyRecurrence feeds back the cells' outputs only, not the gates' activations
	// (layers.Config.CellsOnlyRecurrence). Not the paper's net; with it Exp. 2c at q = p = 100
	// learns, without it not (docs/notes.md).
	CellsOnlyRecurrence bool
	// FullGradient trains with the full gradient instead of the paper's truncated one
	// (layers.Config.FullGradient; the paper's Sec. 6 reports "no significant difference").
	FullGradient bool
	// ReberSteps trains and judges Exp. 1 on part of its steps only (datasets.ReberSteps): the
	// recall of the second symbol, or the grammar's local predictions. A diagnostic, not a task
	// of the paper.
	ReberSteps datasets.ReberSteps
	// FreshTestSets draws a new ST1/ST2 test set of 256 sequences at every evaluation of Exp. 3
	// instead of one set per trial. The paper's "a random test set" (Sec. 5.3) allows both
	// readings; one set per trial is the default. They differ in 3b: with one set, a trial
	// whose set holds k sequences whose noisy information element has the wrong sign (no net
	// can get them right) must get all but 5 - k of the others right, and can never meet ST1
	// if k > 5 (for N = 1, 11 % of the sets; docs/notes.md).
	FreshTestSets bool
	// ClipNorm > 0 rescales each sequence's gradient to an L2 norm of at most ClipNorm before
	// the update (optim.Clip.Norm). Not the paper's algorithm: a diagnostic. The partials of
	// eq. (27) add a term at every step, and a single sequence can move a weight by several
	// units at once and undo what a net has learned (3a, 6b; docs/notes.md).
	ClipNorm float64
	// HPrimeOffset > 0 adds a constant to h'(s) where the error enters the cell states
	// (layers.Config.HPrimeOffset: flat spot elimination). Not the paper's algorithm: a
	// diagnostic. With it the unbiased nets of Exp. 2c, whose cells drift into h's flat ends
	// before the error arrives, learn at q = p = 100 and 200 (docs/notes.md).
	HPrimeOffset float64
	// PerStep trains with the paper's own learner (package online, App. A.1) changing the
	// weights at every time step with a target, the partials carried on with the changed
	// weights: the paper's "on-line learning" read per step. The default changes them once per
	// sequence, by the summed truncated gradient, which is the same algorithm read per
	// sequence (docs/paper.md). It matters for the tasks with a target at every step
	// (Exps. 1, 2a, 2b); a row of the paper either way, not a diagnostic.
	PerStep bool
}

// Diagnostic reports whether v sets a knob that is not the paper's (a full gradient, a linear
// output unit, gradient clipping, ...): such a variant is not a row of the paper's tables but a
// probe of one.
func (v Variant) Diagnostic() bool {
	return v.LinearOutput || v.NoConstruct || v.CellsOnlyRecurrence || v.FullGradient ||
		v.ReberSteps != datasets.ReberAll || v.FreshTestSets || v.ClipNorm != 0 || v.HPrimeOffset != 0
}

// Stop kinds: how an experiment decides that training has succeeded (Table 11).
const (
	StopST3  = "st3"  // ST3(β): training window of Window sequences all correct, average error < β
	StopNSeq = "nseq" // Exp. 5: fewer than NSeq of the Window most recent sequences incorrect
	StopEval = "eval" // an evaluation every Every sequences decides (ST1/ST2, ABS, Reber)
)

// Spec is one experiment row, ready to run: Lookup makes it from the experiment table, and a
// script may change any field before running it with trial.Run (package paper/trial: another
// learning rate, a shorter limit, its own Correct).
type Spec struct {
	ID    string // "1", "2a", "2b", "2c", "3a", "3b", "3c", "4", "5", "6a", "6b"
	Title string
	Net   layers.NetConfig
	LR    float64
	Max   int // give up after this many training sequences
	// Paper is what the paper reports for this row (zero Sequences for rows it has no figure
	// for).
	Paper Reported

	// Sample draws an on-line training sequence; nil for Exp. 1 (picked from a training set).
	Sample func(*rand.Rand) (datasets.Example, error)
	// Reber, for Exp. 1 only, is the grammar of the training and test sets of 256 strings each
	// that every trial draws; nil for the other experiments.
	Reber *datasets.Reber
	// Correct judges one sequence from the outputs at its target steps.
	Correct func(ex datasets.Example, outs [][]float64) bool

	Stop   string
	Beta   float64 // ST3's bound on the average training error; ST2's on the mean absolute test error
	Window int     // ST3 / n_seq window
	NSeq   int
	Every  int // StopEval: sequences between evaluations
	EvalN  int // StopEval: sequences per evaluation (ST1 test set, or ABS over EvalN successive sequences)
	// ST1Wrong is how many of the EvalN test sequences ST1 lets be misclassified (Exp. 3): 0
	// for 3a and 3c ("none"), 5 for 3b ("fewer than 6", Sec. 5.3: its noisy information
	// elements make a few sequences unclassifiable).
	ST1Wrong int
	// FreshTestSets: Exp. 3 draws its ST1/ST2 test set anew at every evaluation (Variant).
	FreshTestSets bool
	// ClipNorm > 0 bounds the L2 norm of each update's gradient (Variant).
	ClipNorm float64
	// Test is the number of fresh test sequences after success (0: none).
	Test int

	// Construct, if not nil, adds the memory cell during training (Exps. 2a/2b).
	Construct *Construction
	// PerStep trains with package online's learner, changing the weights at every step with a
	// target (Variant.PerStep).
	PerStep bool
}

// experiment is one experiment of the paper's Sec. 5 as data: its knobs and default row, Table
// 10's architecture and learning rate, Table 11's stopping criterion and test, and its
// generator and per-sequence correctness. The functions of the Variant see a variant whose
// unset knobs already hold the defaults.
type experiment struct {
	id       string
	knobs    []string // the Variant knobs, by flag name, that only some experiments have
	defaults Variant
	title    func(v Variant) string
	net      func(v Variant) layers.NetConfig
	lr       float64
	sample   func(v Variant) func(*rand.Rand) (datasets.Example, error) // nil: Exp. 1's string sets
	correct  func(datasets.Example, [][]float64) bool
	stop     string
	beta     float64
	window   int
	every    int
	evalN    int
	st1Wrong int
	test     int
	max      int
	check    func(v Variant) error // knob values the experiment refuses
}

// The knobs every experiment with a recurrent, squashed cell has.
var recurrentKnobs = []string{"cells-only-recurrence", "h-prime-offset"}

// experiments is the paper's Sec. 5 and Tables 10 and 11, one entry per experiment, in the
// paper's order.
var experiments = []experiment{
	{
		id: "1", knobs: []string{"blocks", "reber-steps", "cells-only-recurrence", "h-prime-offset", "every", "per-step"},
		defaults: Variant{Blocks: 3, LR: 0.5},
		title: func(v Variant) string {
			return fmt.Sprintf("embedded Reber grammar, %d blocks of %d", v.Blocks, reberCells(v.Blocks)) + reberStepsTitle[v.ReberSteps]
		},
		net: func(v Variant) layers.NetConfig {
			ogb := []float64{-1, -2, -3, -4}[:v.Blocks]
			return layers.NetConfig{
				LSTM: layers.Config{Inputs: 7, NumBlocks: v.Blocks, CellsPerBlock: reberCells(v.Blocks), Biases: layers.BiasGates,
					OutputGateBias: ogb, InitRange: 0.2},
				Output: output.Config{Units: 7, InitRange: 0.2},
			}
		},
		correct: reberCorrect, stop: StopEval, every: 100, max: 200_000,
		check: func(v Variant) error {
			if v.Blocks != 3 && v.Blocks != 4 {
				return errors.Errorf("paper: experiment 1 has 3 blocks of 2 cells or 4 blocks of 1 cell, not %d blocks", v.Blocks)
			}
			if _, ok := reberStepsTitle[v.ReberSteps]; !ok {
				return errors.Errorf("paper: experiment 1: unknown step selection %v", v.ReberSteps)
			}
			return nil
		},
	},
	longLag("2a", absBelow(0.25)),
	longLag("2b", lastBelow(0.25)),
	{
		id: "2c", knobs: append([]string{"p", "q", "every"}, recurrentKnobs...),
		defaults: Variant{P: 100},
		title:    func(v Variant) string { return fmt.Sprintf("very long lags, q=%d, p=%d", v.Q, v.P) },
		net: func(v Variant) layers.NetConfig {
			return layers.NetConfig{
				LSTM:   layers.Config{Inputs: v.P + 4, NumBlocks: 2, CellsPerBlock: 1, Biases: layers.BiasNone, InitRange: 0.2},
				Output: output.Config{Units: 2, InitRange: 0.2},
			}
		},
		lr: 0.01,
		sample: func(v Variant) func(*rand.Rand) (datasets.Example, error) {
			return datasets.VeryLongLag{P: v.P, Q: v.Q, Symbols: true}.Sample // 1000 times less memory at q = p = 1000
		},
		correct: absBelow(0.2), stop: StopEval, every: 1000, evalN: 10000, max: 5_000_000,
	},
	twoSequence("3a", 1.0, 0.01, 0, absBelow(0.2)),
	twoSequence("3b", 1.0, 0.04, 5, absBelow(0.2)),
	twoSequence("3c", 0.1, 0.015, 0, func(ex datasets.Example, outs [][]float64) bool {
		return math.Abs(outs[0][0]-ex.Clean[0]) <= 0.1
	}),
	{
		id: "4", knobs: append([]string{"T", "measure"}, recurrentKnobs...),
		defaults: Variant{T: 100},
		title:    func(v Variant) string { return fmt.Sprintf("adding problem, T=%d", v.T) },
		net: func(v Variant) layers.NetConfig {
			n := addingNet()
			n.LSTM.InputGateBias = []float64{-3, -6}
			return n
		},
		lr: 0.5,
		sample: func(v Variant) func(*rand.Rand) (datasets.Example, error) {
			return func(rng *rand.Rand) (datasets.Example, error) {
				q, err := datasets.Adding{T: v.T}.Sample(rng)
				return datasets.Example{Sequence: q, Class: -1}, err
			}
		},
		correct: absBelow(0.04), stop: StopST3, beta: 0.01, window: 2000, test: 2560, max: 5_000_000,
	},
	{
		id: "5", knobs: append([]string{"T", "nseq"}, recurrentKnobs...),
		defaults: Variant{T: 100, NSeq: 140},
		title:    func(v Variant) string { return fmt.Sprintf("multiplication problem, T=%d, n_seq=%d", v.T, v.NSeq) },
		net:      func(Variant) layers.NetConfig { return addingNet() },
		lr:       0.1,
		sample: func(v Variant) func(*rand.Rand) (datasets.Example, error) {
			return datasets.Multiplication{T: v.T}.Sample
		},
		correct: absBelow(0.04), stop: StopNSeq, window: 2000, test: 2560, max: 5_000_000,
	},
	temporalOrder("6a", 2, 4, 0.5, "temporal order, 2 relevant symbols"),
	temporalOrder("6b", 3, 8, 0.1, "temporal order, 3 relevant symbols"),
}

// longLag is Exp. 2a or 2b (Sec. 5.2): one memory cell with an input gate and no output gate,
// g logistic and h the identity, outputs fed by the inputs and the cell, no biases.
func longLag(id string, correct func(datasets.Example, [][]float64) bool) experiment {
	return experiment{
		id: id, knobs: []string{"p", "no-construct", "every", "per-step"},
		defaults: Variant{P: 100},
		title: func(v Variant) string {
			t := fmt.Sprintf("noise-free long lags, p=%d", v.P)
			if id == "2b" {
				t = fmt.Sprintf("long lags without local regularities, p=%d", v.P)
			}
			if v.NoConstruct { // in the title, so that a checkpoint of the other kind is refused
				t += ", cell from the start"
			}
			return t
		},
		net: func(v Variant) layers.NetConfig {
			return layers.NetConfig{
				LSTM: layers.Config{Inputs: v.P + 1, NumBlocks: 1, CellsPerBlock: 1, Biases: layers.BiasNone, NoOutputGate: true,
					NoRecurrence: true, G: layers.SquashLogistic, H: layers.SquashIdentity, InitRange: 0.2},
				Output:           output.Config{Units: v.P + 1, InitRange: 0.2},
				OutputFromInputs: true,
			}
		},
		lr: 1.0,
		sample: func(v Variant) func(*rand.Rand) (datasets.Example, error) {
			return datasets.LongLag{P: v.P, Random: id == "2b"}.Sample
		},
		correct: correct, stop: StopEval, every: 500, evalN: 10000, max: 5_000_000,
	}
}

// twoSequence is Exp. 3a, 3b or 3c (Sec. 5.3): Bengio et al.'s 2-sequence problem, 3 blocks of
// 1 cell, ST1 and ST2 on a test set of 256 sequences, then 2560 fresh test sequences.
func twoSequence(id string, lr, beta float64, st1Wrong int, correct func(datasets.Example, [][]float64) bool) experiment {
	return experiment{
		id: id, knobs: append([]string{"T", "N", "fresh-test-sets", "every"}, recurrentKnobs...),
		defaults: Variant{T: 100, N: 3},
		title:    func(v Variant) string { return fmt.Sprintf("2-sequence problem, T=%d, N=%d", v.T, v.N) },
		net: func(Variant) layers.NetConfig {
			return layers.NetConfig{
				LSTM: layers.Config{Inputs: 1, NumBlocks: 3, CellsPerBlock: 1, Biases: layers.BiasAll,
					InputGateBias: []float64{-1, -3, -5}, OutputGateBias: []float64{-2, -4, -6}, InitRange: 0.1},
				Output: output.Config{Units: 1, InitRange: 0.1},
			}
		},
		lr: lr,
		sample: func(v Variant) func(*rand.Rand) (datasets.Example, error) {
			return datasets.TwoSequence{T: v.T, N: v.N, NoisyInfo: id == "3b", NoisyTargets: id == "3c"}.Sample
		},
		correct: correct, stop: StopEval, beta: beta, st1Wrong: st1Wrong, every: 1000, evalN: 256, test: 2560, max: 5_000_000,
	}
}

// addingNet is the net of Exps. 4 and 5 (Sec. 5.4-5.5): 2 blocks of 2 cells, biases on all
// non-input units, a logistic output unit with a bias.
func addingNet() layers.NetConfig {
	return layers.NetConfig{
		LSTM:   layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 2, Biases: layers.BiasAll, InitRange: 0.1},
		Output: output.Config{Units: 1, Bias: true, InitRange: 0.1},
	}
}

// temporalOrder is Exp. 6a (2 relevant symbols) or 6b (3) of Sec. 5.6.
func temporalOrder(id string, blocks, outputs int, lr float64, title string) experiment {
	return experiment{
		id: id, knobs: append([]string{"measure"}, recurrentKnobs...),
		title: func(Variant) string { return title },
		net: func(Variant) layers.NetConfig {
			return layers.NetConfig{
				LSTM: layers.Config{Inputs: 8, NumBlocks: blocks, CellsPerBlock: 2, Biases: layers.BiasAll,
					InputGateBias: []float64{-2, -4, -6}[:blocks], InitRange: 0.1},
				Output: output.Config{Units: outputs, Bias: true, InitRange: 0.1},
			}
		},
		lr: lr,
		sample: func(Variant) func(*rand.Rand) (datasets.Example, error) {
			return datasets.TemporalOrder{Three: blocks == 3}.Sample
		},
		correct: absBelow(0.3), stop: StopST3, beta: 0.1, window: 2000, test: 2560, max: 5_000_000,
	}
}

// reberCells is the block size of Exp. 1's nets: 3 blocks of 2 cells or 4 blocks of 1.
func reberCells(blocks int) int {
	if blocks == 4 {
		return 1
	}
	return 2
}

// reberStepsTitle names Exp. 1's step selections in a title.
var reberStepsTitle = map[datasets.ReberSteps]string{
	datasets.ReberAll:    "",
	datasets.ReberRecall: ", target at the recall step only",
	datasets.ReberLocal:  ", targets at the local steps only",
}

// IDs lists the experiments in the paper's order.
var IDs = func() []string {
	ids := make([]string, len(experiments))
	for i, e := range experiments {
		ids[i] = e.id
	}
	return ids
}()

// AppliesTo lists, by the example programs' flag names, the knobs that only some experiments
// have (a Variant field, or a trial.Options field that only some stopping criteria read) and
// the experiments that have them, from the experiment table. Lookup refuses a Variant field set
// for an experiment outside its list (trial.Run an Options.Every), and the example programs
// define only the flags of their experiments, so that a knob given to the wrong experiment is
// an error instead of being silently ignored.
var AppliesTo = func() map[string][]string {
	m := map[string][]string{}
	for _, e := range experiments {
		for _, k := range e.knobs {
			m[k] = append(m[k], e.id)
		}
	}
	return m
}()

// Applies reports whether the knob named flag (AppliesTo) applies to any of the experiments
// ids. Knobs not in AppliesTo apply to every experiment.
func Applies(flag string, ids ...string) bool {
	exps, ok := AppliesTo[flag]
	if !ok {
		return true
	}
	for _, id := range ids {
		if slices.Contains(exps, id) {
			return true
		}
	}
	return false
}

// checkVariant refuses a knob that experiment id does not have (AppliesTo) and a negative or
// non-finite number.
func checkVariant(id string, v Variant) error {
	for _, f := range []struct {
		flag, what string
		set        bool
		n          int
	}{
		{"T", "sequence length parameter", v.T != 0, v.T},
		{"N", "number of information-carrying elements", v.N != 0, v.N},
		{"p", "number of distractor symbols", v.P != 0, v.P},
		{"q", "minimal time lag", v.Q != 0, v.Q},
		{"blocks", "number of blocks", v.Blocks != 0, v.Blocks},
		{"nseq", "n_seq stopping rule", v.NSeq != 0, v.NSeq},
		{"no-construct", "the memory cell from the start", v.NoConstruct, 0},
		{"per-step", "weights changed at every step", v.PerStep, 0},
	} {
		if f.set && !Applies(f.flag, id) {
			return errors.Errorf("paper: %s (%s) does not apply to experiment %s, only to %s", f.flag, f.what, id,
				strings.Join(AppliesTo[f.flag], ", "))
		}
		if f.n < 0 {
			return errors.Errorf("paper: experiment %s: %s %d, want a positive number", id, f.flag, f.n)
		}
	}
	if v.LR < 0 || math.IsNaN(v.LR) || math.IsInf(v.LR, 0) {
		return errors.Errorf("paper: experiment %s: learning rate %v, want a finite number > 0 (0: the paper's)", id, v.LR)
	}
	if v.ReberSteps != datasets.ReberAll && id != "1" {
		return errors.Errorf("paper: experiment %s: only experiment 1 has Reber steps to select (%v)", id, v.ReberSteps)
	}
	return nil
}

// withDefaults returns v with every unset knob of e set to the experiment's default row.
func (e *experiment) withDefaults(v Variant) Variant {
	d := e.defaults
	for _, f := range []struct{ v, def *int }{{&v.T, &d.T}, {&v.N, &d.N}, {&v.P, &d.P}, {&v.Blocks, &d.Blocks}, {&v.NSeq, &d.NSeq}} {
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	if v.Q == 0 && slices.Contains(e.knobs, "q") {
		v.Q = v.P // 2c: q = p unless given
	}
	if v.LR == 0 {
		v.LR = d.LR
	}
	if v.LR == 0 {
		v.LR = e.lr
	}
	return v
}

// Lookup returns the spec of experiment id with the variant's row: the experiment table's
// entry with the variant's knobs applied, and what the paper reports for that row.
func Lookup(id string, v Variant) (*Spec, error) {
	i := slices.IndexFunc(experiments, func(e experiment) bool { return e.id == id })
	if i < 0 {
		return nil, errors.Errorf("paper: unknown experiment %q (want one of %s)", id, strings.Join(IDs, ", "))
	}
	e := &experiments[i]
	if err := checkVariant(id, v); err != nil {
		return nil, err
	}
	v = e.withDefaults(v)
	if e.check != nil {
		if err := e.check(v); err != nil {
			return nil, err
		}
	}
	s := &Spec{ID: id, Title: e.title(v), Net: e.net(v), LR: v.LR, Max: e.max, Paper: reportedFor(id, v),
		Correct: e.correct, Stop: e.stop, Beta: e.beta, Window: e.window, NSeq: v.NSeq, Every: e.every, EvalN: e.evalN,
		ST1Wrong: e.st1Wrong, Test: e.test}
	if e.sample != nil {
		s.Sample = e.sample(v)
	} else {
		s.Reber = &datasets.Reber{Embedded: true, Steps: v.ReberSteps}
	}
	if (id == "2a" || id == "2b") && !v.NoConstruct {
		s.Construct = &Construction{Hold: []string{"out/w"}, Every: 500, MinGain: 0.1, Init: 0.2}
	}
	return s, s.applyDiagnostics(v)
}

// applyDiagnostics applies the variant's knobs that are not the paper's (Variant's
// diagnostics), each named in the title so that a checkpoint of another kind is refused.
func (s *Spec) applyDiagnostics(v Variant) error {
	if v.FreshTestSets {
		if !s.ST1() {
			return errors.Errorf("paper: experiment %s has no ST1/ST2 test set to draw anew (only experiment 3 has)", s.ID)
		}
		s.FreshTestSets = true
		s.Title += ", a fresh test set at every evaluation"
	}
	if v.ClipNorm != 0 {
		if !(v.ClipNorm > 0) || math.IsInf(v.ClipNorm, 0) {
			return errors.Errorf("paper: experiment %s: gradient clipping norm %v, want a finite number > 0", s.ID, v.ClipNorm)
		}
		s.ClipNorm = v.ClipNorm
		s.Title += fmt.Sprintf(", gradient norm clipped at %g", v.ClipNorm)
	}
	if v.HPrimeOffset != 0 {
		if !(v.HPrimeOffset > 0) || math.IsInf(v.HPrimeOffset, 0) {
			return errors.Errorf("paper: experiment %s: h' offset %v, want a finite number > 0", s.ID, v.HPrimeOffset)
		}
		if s.Net.LSTM.H == layers.SquashIdentity {
			return errors.Errorf("paper: experiment %s: h is the identity (h' = 1), an h' offset changes only the learning rate", s.ID)
		}
		s.Net.LSTM.HPrimeOffset = v.HPrimeOffset
		s.Title += fmt.Sprintf(", h' offset %g", v.HPrimeOffset)
	}
	if v.LinearOutput {
		s.Net.Output.Linear = true
		s.Title += ", linear output units"
	}
	if v.CellsOnlyRecurrence {
		if s.Net.LSTM.NoRecurrence {
			return errors.Errorf("paper: experiment %s has no recurrent connections to restrict to the cells", s.ID)
		}
		s.Net.LSTM.CellsOnlyRecurrence = true
		s.Title += ", recurrence from cells only"
	}
	if v.FullGradient {
		s.Net.LSTM.FullGradient = true
		s.Title += ", full gradient"
	}
	if v.PerStep {
		switch {
		case v.FullGradient:
			return errors.Errorf("paper: experiment %s: the per-step learner (App. A.1) computes the truncated gradient, not the full one", s.ID)
		case v.ClipNorm != 0:
			return errors.Errorf("paper: experiment %s: gradient clipping rescales a sequence's summed gradient; the per-step learner has none", s.ID)
		}
		s.PerStep = true
		s.Title += ", weights changed at every step"
	}
	return nil
}

// ST1 reports whether the spec's stopping criterion is Exp. 3's ST1 and ST2 (Table 11), an
// evaluation on a test set of EvalN sequences, followed by Test fresh test sequences.
func (s *Spec) ST1() bool { return s.Stop == StopEval && s.Reber == nil && s.EvalN > 0 && s.Test > 0 }

// absBelow returns a correctness test: every output at every target step within tol.
func absBelow(tol float64) func(datasets.Example, [][]float64) bool {
	return func(ex datasets.Example, outs [][]float64) bool {
		k := 0
		for _, tg := range ex.Targets {
			if tg == nil {
				continue
			}
			for u, y := range outs[k] {
				if math.Abs(tg[u]-y) >= tol {
					return false
				}
			}
			k++
		}
		return true
	}
}

// lastBelow: every output at the last step within tol (Exp. 2b judges only the sequence end).
func lastBelow(tol float64) func(datasets.Example, [][]float64) bool {
	return func(ex datasets.Example, outs [][]float64) bool {
		tg := ex.Targets[len(ex.Targets)-1]
		for u, y := range outs[len(outs)-1] {
			if math.Abs(tg[u]-y) >= tol {
				return false
			}
		}
		return true
	}
}

// reberCorrect: at every step with a target the outputs of the legal next symbols are the most
// active ones. outs holds the outputs of the steps with a target, in order.
func reberCorrect(ex datasets.Example, outs [][]float64) bool {
	i := 0
	for _, legal := range ex.Legal {
		if legal == nil {
			continue
		}
		if i == len(outs) {
			return false
		}
		out := outs[i]
		i++
		// lo <= hi for lo = math.Min over the legal symbols' outputs and hi = math.Max over
		// the others', without the calls: a NaN makes one of them NaN and the test false.
		lo, hi, nan := math.Inf(1), math.Inf(-1), false
		for k, y := range out {
			switch {
			case y != y:
				nan = true
			case legal[k]:
				lo = min(lo, y)
			default:
				hi = max(hi, y)
			}
		}
		if !nan && lo <= hi {
			return false
		}
	}
	return true
}
