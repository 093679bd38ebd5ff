package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/atomicfile"
	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/paper"
	"github.com/lstm97/lstm97/paper/report"
	"github.com/lstm97/lstm97/paper/trial"
	"github.com/lstm97/lstm97/train/checkpoint"
	"github.com/lstm97/lstm97/train/criteria"
)

// Trial is the body of an example program for the experiments ids (the first is the default):
// it parses the flags, runs one trial, prints progress on stderr and the result on stdout, the
// last line as JSON, and exits 1 if the criterion was not reached, 2 on an error, 130 when
// interrupted.
func Trial(ids ...string) {
	code, err := TrialCommand(os.Args[1:], ids, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// TrialCommand runs Trial's work on the given arguments and returns the exit status.
func TrialCommand(args, ids []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet(ids[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	// Only the flags of this program's experiments are defined (AppliesTo): a knob of another
	// experiment is refused as an undefined flag instead of being ignored.
	has := func(flag string) bool { return paper.Applies(flag, ids...) }
	exp := fs.String("exp", ids[0], "experiment: "+strings.Join(ids, ", "))
	var v paper.Variant
	if has("T") {
		fs.IntVar(&v.T, "T", 0, "sequence length parameter (0: the paper's default row)")
	}
	if has("N") {
		fs.IntVar(&v.N, "N", 0, "information-carrying elements (0: the paper's default row)")
	}
	if has("p") {
		fs.IntVar(&v.P, "p", 0, "number of distractor symbols (0: the paper's default row)")
	}
	if has("q") {
		fs.IntVar(&v.Q, "q", 0, "minimal time lag - 1 (0: p)")
	}
	if has("blocks") {
		fs.IntVar(&v.Blocks, "blocks", 0, "3 (blocks of 2 cells) or 4 (blocks of 1 cell) (0: 3)")
	}
	fs.Float64Var(&v.LR, "lr", 0, "learning rate (0: the paper's)")
	if has("nseq") {
		fs.IntVar(&v.NSeq, "nseq", 0, "stop when fewer than nseq of the last 2000 sequences are wrong: 140 or 13 (0: 140)")
	}
	if has("no-construct") {
		fs.BoolVar(&v.NoConstruct, "no-construct", false, "start with the memory cell instead of adding it when the error stops decreasing")
	}
	fs.BoolVar(&v.LinearOutput, "linear-output", false, "linear output units instead of the paper's logistic ones (see docs/notes.md)")
	fs.BoolVar(&v.FullGradient, "full-gradient", false, "train with the full gradient instead of the paper's truncated one")
	if has("cells-only-recurrence") {
		fs.BoolVar(&v.CellsOnlyRecurrence, "cells-only-recurrence", false, "feed back the cells' outputs only, not the gates' activations (not the paper's net; see docs/notes.md)")
	}
	if has("fresh-test-sets") {
		fs.BoolVar(&v.FreshTestSets, "fresh-test-sets", false, "draw a new ST1/ST2 test set at every evaluation instead of one per trial (see docs/notes.md)")
	}
	if has("h-prime-offset") {
		fs.Float64Var(&v.HPrimeOffset, "h-prime-offset", 0, "add this to h'(s) where the error enters the cell states, eq. 23 (flat spot elimination; not the paper's algorithm; a diagnostic, see docs/notes.md; 0: none)")
	}
	if has("per-step") {
		fs.BoolVar(&v.PerStep, "per-step", false, "change the weights at every step with a target (the paper's on-line learner, App. A.1, package online) instead of once per sequence")
	}
	fs.Float64Var(&v.ClipNorm, "clip-norm", 0, "rescale each sequence's gradient to at most this L2 norm (not the paper's algorithm; a diagnostic, see docs/notes.md; 0: none)")
	steps, measure, every := new("all"), new("mse"), new(0)
	if has("reber-steps") {
		fs.StringVar(steps, "reber-steps", "all", "the steps with a target: all (the paper), recall (only the step before last) or local (all but that one); see docs/notes.md")
	}
	if has("measure") {
		fs.StringVar(measure, "measure", "mse", "ST3's average training error: mse or mae (the paper does not say)")
	}
	if has("every") {
		fs.IntVar(every, "every", 0, "sequences between evaluations of the stopping criterion (0: the experiment's default)")
	}
	seed := fs.Int64("seed", 1, "seed for weights and data")
	max := fs.Int("max", 0, "give up after this many training sequences (0: the paper's limit)")
	opt := fs.String("optimizer", "sgd", "sgd (the paper), momentum or adam")
	progress := fs.Duration("progress", 5*time.Second, "interval of progress lines on stderr (0: none)")
	metrics := fs.String("metrics", "", "write the learning curve as JSON Lines to this file (every 1000 sequences: window error, gradient norms)")
	plot := fs.String("plot", "", "draw the learning curve as a PNG to this file")
	ckDir := fs.String("checkpoint", "", "directory for checkpoints (saved every -ckpt-every sequences, at the end and on SIGINT/SIGTERM)")
	ckEvery := fs.Int("ckpt-every", 50000, "sequences between checkpoints")
	resume := fs.Bool("resume", false, "continue from the checkpoint in -checkpoint")
	test := fs.Int("test", 0, "test sequences after success (0: the experiment's, 2560 for Exps. 3-6; -1: none)")
	drift := fs.Int("drift", 0, "report the cell states at the last step of this many sequences before and after training (state drift, App. A.2)")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	ok := false
	for _, id := range ids {
		ok = ok || id == *exp
	}
	if !ok {
		return 2, errors.Errorf("-exp %q: this program runs %s", *exp, strings.Join(ids, ", "))
	}
	m, err := criteria.ParseMeasure(*measure)
	if err != nil {
		return 2, err
	}
	if v.ReberSteps, err = datasets.ParseReberSteps(*steps); err != nil {
		return 2, errors.Wrap(err, "-reber-steps")
	}
	s, err := paper.Lookup(*exp, v)
	if err != nil {
		return 2, err
	}
	if *drift < 0 {
		return 2, errors.Errorf("-drift %d: want a number of sequences", *drift)
	}
	if *drift > 0 {
		d, err := trial.MeasureDrift(s, *seed, *drift, nil)
		if err != nil {
			return 2, err
		}
		fmt.Fprint(stdout, "untrained net: ")
		d.Print(stdout)
	}
	o := trial.Options{Seed: *seed, Test: *test, Drift: *drift, Max: *max, Optimizer: *opt, Measure: m, Progress: *progress, Log: stderr, Every: *every,
		Checkpoints: checkpoint.Policy{Dir: *ckDir, Every: *ckEvery, Resume: *resume}}
	var curve strings.Builder
	if *metrics != "" || *plot != "" {
		o.Metrics = &curve
	}
	fmt.Fprintf(stderr, "experiment %s: %s; %d-%d-%d net, lr %g, stop %s, seed %d\n", s.ID, s.Title,
		s.Net.LSTM.Inputs, s.Net.LSTM.NumBlocks*s.Net.LSTM.CellsPerBlock, s.Net.Output.Units, s.LR, s.Stop, *seed)
	r, err := trial.Run(s, o)
	if errors.Is(err, checkpoint.ErrInterrupted) {
		if *ckDir == "" {
			return 130, errors.Wrapf(err, "after %d sequences; no checkpoint saved (run with -checkpoint DIR to be able to resume)", r.Sequences)
		}
		return 130, errors.Wrapf(err, "after %d sequences; checkpoint saved in %s (continue with -resume)", r.Sequences, *ckDir)
	}
	if err != nil {
		return 2, err
	}
	if *metrics != "" {
		if err := atomicfile.Write(*metrics, func(w io.Writer) error { _, err := io.WriteString(w, curve.String()); return err }); err != nil {
			return 2, err
		}
	}
	if *plot != "" {
		if err := report.PlotCurve(*plot, s, strings.NewReader(curve.String())); err != nil {
			return 2, err
		}
	}
	if err := printResult(stdout, s, r); err != nil {
		return 2, err
	}
	if !r.Success {
		return 1, nil
	}
	return 0, nil
}

// printResult prints a trial's result: a line saying whether it succeeded beside the paper's
// figure, the trained net's drift and test errors if measured, and the result as one JSON line.
func printResult(stdout io.Writer, s *paper.Spec, r paper.Result) error {
	if r.Success {
		fmt.Fprintf(stdout, "experiment %s: success after %d training sequences (%.1f s)", s.ID, r.Sequences, r.Seconds)
	} else {
		fmt.Fprintf(stdout, "experiment %s: NO success within %d training sequences (%.1f s)", s.ID, r.Sequences, r.Seconds)
	}
	if s.Paper.Sequences > 0 {
		fmt.Fprintf(stdout, "; the paper (Table %s): %.0f", s.Paper.Table, s.Paper.Sequences)
		if s.Paper.Wrong != "" {
			fmt.Fprintf(stdout, ", test wrong %s", s.Paper.Wrong)
		}
	} else {
		fmt.Fprint(stdout, "; the paper has no figure for this row")
	}
	fmt.Fprintln(stdout)
	if r.Drift != nil {
		fmt.Fprint(stdout, "trained net: ")
		r.Drift.Print(stdout)
	}
	if r.TestSeqs > 0 {
		fmt.Fprintf(stdout, "test: %d wrong of %d, MSE %.6f, mean absolute error %.6f\n", r.TestWrong, r.TestSeqs, r.TestMSE, r.TestMAE)
		if r.TestWrongSide != nil {
			fmt.Fprintf(stdout, "test: %d of %d on the wrong side of 0.5\n", *r.TestWrongSide, r.TestSeqs)
		}
	}
	js, err := json.Marshal(r)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(js))
	return nil
}
