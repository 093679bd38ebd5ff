// Command adding trains the paper's network on the adding problem (Hochreiter & Schmidhuber
// 1997, Experiment 4, Table 7) with the paper's protocol, until the stopping criterion
// ST3(0.01), then tests it on fresh sequences.
//
// Defaults are the paper's (Table 10 row 4-1): 2 inputs, 2 memory cell blocks of 2 cells, one
// logistic output unit fed by the cells, biases on all non-input units, input-gate biases -3
// and -6, weights uniform in [-0.1, 0.1], on-line learning (batch 1) with plain gradient
// descent at α = 0.5, sequence lengths T..T+T/10 with T = 100. Training stops when the average
// training error over the 2000 most recent sequences is below 0.01 and all of them had an
// absolute error below 0.04; then 2560 fresh sequences are tested.
//
// Usage:
//
//	go run ./examples/adding [-T 100] [-seed 1] [-lr 0.5] [-batch 1] [-max 2000000] [-optimizer sgd]
//	                         [-checkpoint DIR [-every 50000] [-resume]]
//
// Progress goes to stderr; the result to stdout, as text and as one final JSON line. The exit
// status is 1 if the criterion was not reached, 2 on an error, 130 if interrupted (after saving
// a checkpoint when -checkpoint is set).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand"
	"os"
	"time"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train"
)

type config struct {
	T, Batch, Max, Test, Window int
	Seed                        int64
	LR, Beta, Tol               float64
	Optimizer, Measure          string
	Progress                    time.Duration
	Checkpoint                  string
	Every                       int
	Resume                      bool
	LinearOutput                bool
}

// runConfig is the part of config a resumed run must share with the checkpoint.
type runConfig struct {
	Task      string  `json:"task"`
	T         int     `json:"T"`
	Batch     int     `json:"batch"`
	Seed      int64   `json:"seed"`
	LR        float64 `json:"lr"`
	Optimizer string  `json:"optimizer"`
	Beta      float64 `json:"beta"`
	Tol       float64 `json:"tol"`
	Window    int     `json:"window"`
	Measure   string  `json:"measure"`
	Linear    bool    `json:"linear_output"`
}

// result is the final JSON line.
type result struct {
	Task          string  `json:"task"`
	T             int     `json:"T"`
	Seed          int64   `json:"seed"`
	Success       bool    `json:"success"`
	Sequences     int     `json:"sequences"`
	Weights       int     `json:"weights"`
	TestSequences int     `json:"test_sequences"`
	TestWrong     int     `json:"test_wrong"`
	TestMSE       float64 `json:"test_mse"`
	TestMAE       float64 `json:"test_mae"`
	// TestWrongByTarget counts the wrong test sequences by their target's tenth of [0, 1]:
	// element k for targets in [k/10, (k+1)/10), the last one including 1.
	TestWrongByTarget [10]int `json:"test_wrong_by_target"`
	TrainSeconds      float64 `json:"train_seconds"`
	SeqPerSecond      float64 `json:"seq_per_s"`
	WallSeconds       float64 `json:"wall_seconds"`
}

func main() {
	var c config
	flag.IntVar(&c.T, "T", 100, "minimal sequence length (lengths are T..T+T/10)")
	flag.Int64Var(&c.Seed, "seed", 1, "seed for weights and data")
	flag.Float64Var(&c.LR, "lr", 0.5, "learning rate α")
	flag.IntVar(&c.Batch, "batch", 1, "sequences per update (the paper: 1)")
	flag.IntVar(&c.Max, "max", 2_000_000, "give up after this many training sequences")
	flag.StringVar(&c.Optimizer, "optimizer", "sgd", "sgd (the paper), momentum or adam")
	flag.IntVar(&c.Test, "test", 2560, "test sequences after training")
	flag.IntVar(&c.Window, "window", 2000, "ST3 window: most recent sequences that must be correct")
	flag.Float64Var(&c.Beta, "beta", 0.01, "ST3 bound on the average training error")
	flag.Float64Var(&c.Tol, "tol", 0.04, "a sequence is correct if its absolute error is below this")
	flag.StringVar(&c.Measure, "measure", "mse", "average training error: mse or mae (the paper does not say)")
	flag.DurationVar(&c.Progress, "progress", 5*time.Second, "interval of progress lines on stderr (0: none)")
	flag.StringVar(&c.Checkpoint, "checkpoint", "", "directory for checkpoints (saved every -every sequences, at the end and on SIGINT/SIGTERM)")
	flag.IntVar(&c.Every, "every", 50000, "sequences between checkpoints")
	flag.BoolVar(&c.Resume, "resume", false, "continue from the checkpoint in -checkpoint")
	flag.BoolVar(&c.LinearOutput, "linear-output", false, "a linear output unit instead of the paper's logistic one (see the README)")
	flag.Parse()
	r, err := run(c, os.Stdout, os.Stderr)
	if errors.Is(err, train.ErrInterrupted) {
		fmt.Fprintln(os.Stderr, "adding:", err)
		os.Exit(130)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "adding:", err)
		os.Exit(2)
	}
	if !r.Success {
		os.Exit(1)
	}
}

// source yields batches of adding sequences of equal length (one length drawn per batch).
type source struct {
	task  datasets.Adding
	rng   *rand.Rand
	batch int
}

func (s *source) Next() (train.Batch, error) {
	n := s.task.Length(s.rng)
	seqs := make([]datasets.Sequence, s.batch)
	for i := range seqs {
		q, err := s.task.SampleLength(s.rng, n)
		if err != nil {
			return train.Batch{}, err
		}
		seqs[i] = datasets.Sequence(q)
	}
	return train.Stack(seqs...)
}

// Net returns the paper's adding network (Table 10 row 4-1), with a linear output unit if
// linear is set (not the paper's specification).
func Net(linear bool) layers.NetConfig {
	return layers.NetConfig{
		LSTM: layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 2, Biases: layers.BiasAll,
			InputGateBias: []float64{-3, -6}, InitRange: 0.1},
		Output: layers.OutputConfig{Units: 1, Bias: true, InitRange: 0.1, Linear: linear},
	}
}

func run(c config, stdout, stderr io.Writer) (result, error) {
	start := time.Now()
	r := result{Task: "adding", T: c.T, Seed: c.Seed}
	task := datasets.Adding{T: c.T}
	if err := task.Validate(); err != nil {
		return r, err
	}
	if c.Batch <= 0 || c.Max <= 0 || c.Test < 0 {
		return r, errors.Errorf("batch, max must be > 0 and test >= 0, got %d, %d, %d", c.Batch, c.Max, c.Test)
	}
	measure, err := train.ParseMeasure(c.Measure)
	if err != nil {
		return r, err
	}
	st3, err := train.NewST3(c.Beta, c.Tol, c.Window, measure)
	if err != nil {
		return r, err
	}
	opt, err := optim.New(c.Optimizer, c.LR, optim.Clip{})
	if err != nil {
		return r, err
	}
	// One compiled program per sequence length: T..T+T/10 is 101 lengths at T = 1000, more
	// than graph's default keeps (see paper.MaxPrograms).
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(Net(c.LinearOutput)), Optimizer: opt, Seed: c.Seed, MaxPrograms: 128})
	if err != nil {
		return r, err
	}
	defer tr.Close()

	trainSrc := datasets.NewSource(c.Seed + 1_000_003)
	src := &source{task: task, rng: rand.New(trainSrc), batch: c.Batch}
	ck := train.Checkpoints{Dir: c.Checkpoint, Every: c.Every, Resume: c.Resume}
	state := train.State{Trainer: tr, RNGs: map[string]*datasets.Source{"train": trainSrc}, Extra: st3,
		Config: runConfig{Task: "adding", T: c.T, Batch: c.Batch, Seed: c.Seed, LR: c.LR, Optimizer: c.Optimizer,
			Beta: c.Beta, Tol: c.Tol, Window: c.Window, Measure: c.Measure, Linear: c.LinearOutput}}
	shape := graph.Shape{T: c.T, B: c.Batch, In: 2, Out: 1, TargetSteps: []int{c.T - 1}}
	if resumed, err := ck.Restore(state, shape); err != nil {
		return r, err
	} else if resumed {
		fmt.Fprintf(stderr, "adding: resumed from %s after %d sequences\n", c.Checkpoint, tr.Seen())
	}
	saveHook, stopSignals := ck.Hook(state)
	defer stopSignals()
	out := "logistic"
	if c.LinearOutput {
		out = "linear (not the paper's)"
	}
	fmt.Fprintf(stderr, "adding: T=%d seed=%d lr=%v batch=%d optimizer=%s, %s output unit, criterion ST3(%v) over %d sequences (%s), tolerance %v\n",
		c.T, c.Seed, c.LR, c.Batch, c.Optimizer, out, c.Beta, c.Window, measure, c.Tol)
	trainStart, lastReport := time.Now(), time.Now()
	progress := func(seen int, _ train.Batch, _ train.Result) error {
		if c.Progress > 0 && time.Since(lastReport) >= c.Progress {
			lastReport = time.Now()
			el := time.Since(trainStart).Seconds()
			fmt.Fprintf(stderr, "  %9d sequences  %6.0f seq/s  window avg error %.5f  wrong in window %4d/%d\n",
				seen, float64(seen)/el, st3.Average(), st3.Wrong(), st3.Count())
		}
		return nil
	}
	seen := tr.Seen()
	if !st3.Met() { // a resumed run may have met the criterion already
		seen, err = tr.Run(src, c.Max, st3.Hook(), progress, saveHook)
	}
	if errors.Is(err, train.ErrInterrupted) {
		if serr := ck.Save(state); serr != nil {
			return r, serr
		}
		if c.Checkpoint == "" {
			return r, errors.Wrapf(err, "after %d sequences; no checkpoint saved (run with -checkpoint DIR to be able to resume)", seen)
		}
		return r, errors.Wrapf(err, "after %d sequences; checkpoint saved in %s (continue with -resume)", seen, c.Checkpoint)
	}
	if err != nil {
		return r, err
	}
	if err := ck.Save(state); err != nil {
		return r, err
	}
	r.TrainSeconds = time.Since(trainStart).Seconds()
	r.Sequences, r.Success = seen, st3.Met()
	r.Weights = tr.Params().NumWeights()
	r.SeqPerSecond = float64(seen) / r.TrainSeconds
	if r.Success {
		fmt.Fprintf(stdout, "reached ST3(%v) after %d training sequences (%.1f s, %.0f seq/s)\n", c.Beta, seen, r.TrainSeconds, r.SeqPerSecond)
	} else {
		fmt.Fprintf(stdout, "did NOT reach ST3(%v) within %d training sequences (%.1f s)\n", c.Beta, seen, r.TrainSeconds)
	}

	testRng := rand.New(rand.NewSource(c.Seed + 2_000_003))
	for i := 0; i < c.Test; i++ {
		q, err := task.Sample(testRng)
		if err != nil {
			return r, err
		}
		bt, err := train.Stack(datasets.Sequence(q))
		if err != nil {
			return r, err
		}
		res, err := tr.Evaluate(bt)
		if err != nil {
			return r, err
		}
		e := train.SeqErrors(bt, res)[0]
		if e.MaxAbs >= c.Tol {
			r.TestWrong++
			r.TestWrongByTarget[min(9, max(0, int(10*q.Targets[len(q.Targets)-1][0])))]++
		}
		r.TestMSE += e.SqErr
		r.TestMAE += e.AbsErr
	}
	r.TestSequences = c.Test
	if c.Test > 0 {
		r.TestMSE /= float64(c.Test)
		r.TestMAE /= float64(c.Test)
		fmt.Fprintf(stdout, "test: %d wrong of %d (|error| >= %v), mean squared error %.6f, mean absolute error %.6f\n",
			r.TestWrong, c.Test, c.Tol, r.TestMSE, r.TestMAE)
		if r.TestWrong > 0 {
			fmt.Fprintf(stdout, "wrong by target:")
			for k, n := range r.TestWrongByTarget {
				end := ")"
				if k == 9 {
					end = "]" // the last tenth includes 1
				}
				if n > 0 {
					fmt.Fprintf(stdout, " %d in [%.1f, %.1f%s", n, float64(k)/10, float64(k+1)/10, end)
				}
			}
			fmt.Fprintln(stdout)
		}
	}
	r.WallSeconds = time.Since(start).Seconds()
	fmt.Fprintf(stdout, "network: %d weights; %s; wall time %.1f s\n", r.Weights, paperRow(c.T), r.WallSeconds)
	line, err := json.Marshal(r)
	if err != nil {
		return r, err
	}
	fmt.Fprintln(stdout, string(line))
	if math.IsNaN(r.TestMSE) {
		return r, errors.New("test error is NaN")
	}
	return r, nil
}

// paperRow is the paper's Table 7 row for sequence length T, for the summary line.
func paperRow(T int) string {
	switch T {
	case 100:
		return "paper (Table 7, T=100): 74,000 sequences, 1 wrong of 2560"
	case 500:
		return "paper (Table 7, T=500): 209,000 sequences, 0 wrong of 2560"
	case 1000:
		return "paper (Table 7, T=1000): 853,000 sequences, 1 wrong of 2560"
	}
	return fmt.Sprintf("the paper has no row for T=%d (Table 7: T = 100, 500, 1000)", T)
}
