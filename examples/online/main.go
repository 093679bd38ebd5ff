// Command online trains the paper's adding network (Hochreiter & Schmidhuber 1997, Experiment
// 4, Table 10 row 4-1: 93 weights) on ONE adding sequence of T to T+T/10 steps with the paper's
// own on-line algorithm (package online, App. A.1), and prints the peak resident memory of the
// process. The sequence is generated one step at a time and never stored, and the learner
// keeps no step of the past, only the partials ∂s/∂w: the memory does not grow with T (the
// paper's "local in time", footnote 3), a sequence of a million steps takes the memory of a
// sequence of a thousand.
//
// With -path graph it trains the same sequence, stored, with the library's fused graph path
// (train.Trainer, plain SGD) instead, whose backward pass keeps every step's activations:
// its memory grows with T.
//
// Usage:
//
//	go run ./examples/online [-T 1000] [-mode per-sequence|per-step] [-path online|graph] [-seed 1]
//
// It prints one line: the sequence length, the output and the target at the last step, the
// error, the seconds taken and the peak RSS (VmHWM of /proc/self/status, Linux). Run each T as
// its own process, so that the peaks do not mix:
//
//	for T in 1000 10000 100000 1000000; do go run ./examples/online -T $T; done
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/online"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/paper"
	"github.com/lstm97/lstm97/train"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "online:", err)
		os.Exit(2)
	}
}

// result is what one run reports.
type result struct {
	steps          int
	output, target float64
	seconds        float64
	storage        int64 // the learner's bytes (online path)
}

// run parses args, trains, and prints the result line to w.
func run(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("online", flag.ContinueOnError)
	fs.SetOutput(w)
	T := fs.Int("T", 1000, "minimal sequence length (the sequence has T to T+T/10 steps)")
	modeName := fs.String("mode", "per-sequence", "when the weights change: per-sequence or per-step")
	path := fs.String("path", "online", "online (the paper's algorithm, App. A.1) or graph (the fused graph path, for comparison)")
	seed := fs.Int64("seed", 1, "seed of the weights and of the sequence")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errors.Errorf("unexpected arguments %q", fs.Args())
	}
	var mode online.Mode
	switch *modeName {
	case "per-sequence":
		mode = online.PerSequence
	case "per-step":
		mode = online.PerStep
	default:
		return errors.Errorf("unknown -mode %q (want per-sequence or per-step)", *modeName)
	}
	task := datasets.Adding{T: *T}
	if err := task.Validate(); err != nil {
		return err
	}
	spec, err := paper.Lookup("4", paper.Variant{T: *T})
	if err != nil {
		return err
	}
	var r result
	switch *path {
	case "online":
		r, err = trainOnline(spec, task, mode, *seed)
	case "graph":
		if mode != online.PerSequence {
			return errors.New("-path graph updates once per sequence: -mode per-step is for -path online")
		}
		r, err = trainGraph(spec, task, *seed)
	default:
		return errors.Errorf("unknown -path %q (want online or graph)", *path)
	}
	if err != nil {
		return err
	}
	rss, err := peakRSS()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "T=%d steps=%d path=%s mode=%s output=%.4f target=%.4f error=%.5f seconds=%.3f",
		*T, r.steps, *path, mode, r.output, r.target, 0.5*(r.target-r.output)*(r.target-r.output), r.seconds)
	if r.storage > 0 {
		fmt.Fprintf(w, " learner=%dB", r.storage)
	}
	fmt.Fprintf(w, " peakRSS=%.1fMiB\n", float64(rss)/1024)
	return nil
}

// trainOnline streams one adding sequence through the learner, generating each step when it is
// needed, as datasets.Adding does: values uniform in [-1, 1], the first and last markers -1,
// the first mark among the first ten pairs, the second among the first T/2-1 others, a pair 0
// marked with value 0, and the target 0.5 + (X1+X2)/4 at the last step only.
func trainOnline(spec *paper.Spec, task datasets.Adding, mode online.Mode, seed int64) (result, error) {
	params, err := online.NewParams(spec.Net, seed)
	if err != nil {
		return result{}, err
	}
	l, err := online.New(online.Config{Net: spec.Net, LR: spec.LR, Mode: mode}, params)
	if err != nil {
		return result{}, err
	}
	rng := rand.New(datasets.NewSource(seed))
	length := task.Length(rng)
	p1 := rng.Intn(min(10, task.T/2))
	p2 := rng.Intn(task.T/2 - 1)
	if p2 >= p1 {
		p2++
	}
	start := time.Now()
	x, sum := make([]float64, 2), 0.0
	var r result
	for t := 0; t < length; t++ {
		x[0], x[1] = 2*rng.Float64()-1, 0
		if t == 0 || t == length-1 {
			x[1] = -1
		}
		if t == p1 || t == p2 {
			if t == 0 {
				x[0] = 0
			}
			x[1] = 1
			sum += x[0]
		}
		if t < length-1 {
			if err := l.Advance(x); err != nil {
				return result{}, err
			}
			continue
		}
		r.target = 0.5 + sum/4 // datasets.AddingTarget
		y, err := l.Step(x, []float64{r.target})
		if err != nil {
			return result{}, err
		}
		r.output = y[0]
	}
	if err := l.EndSequence(); err != nil {
		return result{}, err
	}
	r.steps, r.seconds, r.storage = length, time.Since(start).Seconds(), l.StorageBytes()
	return r, nil
}

// trainGraph trains one stored adding sequence of the same length distribution with the
// fused graph path.
func trainGraph(spec *paper.Spec, task datasets.Adding, seed int64) (result, error) {
	rng := rand.New(datasets.NewSource(seed))
	q, err := task.Sample(rng)
	if err != nil {
		return result{}, err
	}
	bt, err := train.Stack(q)
	if err != nil {
		return result{}, err
	}
	sgd, err := optim.NewSGD(spec.LR, optim.Clip{})
	if err != nil {
		return result{}, err
	}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(spec.Net), Optimizer: sgd, Seed: seed})
	if err != nil {
		return result{}, err
	}
	defer tr.Close()
	start := time.Now()
	res, err := tr.Step(bt)
	if err != nil {
		return result{}, err
	}
	last := len(q.Inputs) - 1
	return result{steps: len(q.Inputs), output: res.Outputs[0][0][0], target: q.Targets[last][0], seconds: time.Since(start).Seconds()}, nil
}

// peakRSS returns the process's peak resident set size in KiB (VmHWM of /proc/self/status).
func peakRSS() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, errors.Wrap(err, "peak RSS (Linux only)")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n, errors.Wrap(err, "VmHWM")
		}
	}
	if err := sc.Err(); err != nil {
		return 0, errors.Wrap(err, "/proc/self/status")
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}
