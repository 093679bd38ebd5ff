// Command bench measures training throughput of the paper's adding network (Experiment 4, 93
// weights) with this library and, when /usr/bin/python3 has torch, with the PyTorch peers run
// side by side on the same machine (examples/bench/peers/torch_lstm97.py, this repository's
// own script: the same 1997 cell with the same truncated gradient in PyTorch, and
// torch.nn.LSTM with the same number of cells; `apt-get install -y python3-torch`). It prints one Markdown table with
// the ratios, then the time to the first training step and the peak memory (max RSS of a child
// process) for several sequence lengths.
//
// Usage:
//
//	go run ./examples/bench [-configs T100B1,T1000B1,T100B32] [-seconds 1.5] [-reps 5]
//	                        [-peer examples/bench/peers/torch_lstm97.py] [-mem 100,1000,5000] [-dtype float64]
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train"
)

type shape struct{ T, B int }

func parseShapes(s string) ([]shape, error) {
	var out []shape
	for _, f := range strings.Split(s, ",") {
		var sh shape
		if _, err := fmt.Sscanf(strings.TrimSpace(f), "T%dB%d", &sh.T, &sh.B); err != nil || sh.T < 4 || sh.B < 1 {
			return nil, errors.Errorf("bad config %q (want e.g. T100B1 with T >= 4, B >= 1)", f)
		}
		out = append(out, sh)
	}
	return out, nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 4 {
			return nil, errors.Errorf("bad length %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func main() {
	configs := flag.String("configs", "T100B1,T1000B1,T100B32", "comma-separated TxBy shapes to measure")
	seconds := flag.Float64("seconds", 1.5, "seconds per repetition")
	reps := flag.Int("reps", 5, "repetitions (the median is reported)")
	peer := flag.String("peer", "examples/bench/peers/torch_lstm97.py", "PyTorch peer script, relative to the working directory ('' to skip)")
	mem := flag.String("mem", "100,1000,5000", "sequence lengths for the first-step time and peak memory ('' to skip)")
	dtype := flag.String("dtype", "float64", "float64 or float32")
	childMem := flag.Int("child-mem", 0, "internal: measure one length in this process")
	flag.Parse()
	dt := tensor.Float64
	if *dtype == "float32" {
		dt = tensor.Float32
	} else if *dtype != "float64" {
		fmt.Fprintln(os.Stderr, "bench: -dtype must be float64 or float32")
		os.Exit(2)
	}
	if *childMem > 0 {
		if err := child(*childMem, dt, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(2)
		}
		return
	}
	if err := run(*configs, *seconds, *reps, *peer, *mem, *dtype, dt, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
}

func addingNet() layers.NetConfig {
	return layers.NetConfig{
		LSTM:   layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 2, InputGateBias: []float64{-3, -6}},
		Output: output.Config{Units: 1, Bias: true},
	}
}

// batches returns n batches of B adding sequences of length exactly T.
func batches(n, T, B int, seed int64) ([]train.Batch, error) {
	rng := rand.New(rand.NewSource(seed))
	var out []train.Batch
	for i := 0; i < n; i++ {
		seqs := make([]datasets.Sequence, B)
		for j := range seqs {
			q, err := datasets.Adding{T: T}.SampleLength(rng, T)
			if err != nil {
				return nil, err
			}
			seqs[j] = datasets.Sequence(q)
		}
		bt, err := train.Stack(seqs...)
		if err != nil {
			return nil, err
		}
		out = append(out, bt)
	}
	return out, nil
}

func newTrainer(dt tensor.Dtype) (*train.Trainer, error) {
	opt, err := optim.NewSGD(0.5, optim.Clip{})
	if err != nil {
		return nil, err
	}
	return train.NewTrainer(train.TrainerConfig{Model: layers.Net(addingNet()), Optimizer: opt, Seed: 1, Dtype: dt})
}

// ours returns the median training throughput in sequences per second.
func ours(sh shape, seconds float64, reps int, dt tensor.Dtype) (float64, error) {
	tr, err := newTrainer(dt)
	if err != nil {
		return 0, err
	}
	defer tr.Close()
	data, err := batches(16, sh.T, sh.B, 1)
	if err != nil {
		return 0, err
	}
	step := func(i int) error { _, err := tr.Step(data[i%len(data)]); return err }
	for i := 0; i < 3; i++ { // compile and warm up
		if err := step(i); err != nil {
			return 0, err
		}
	}
	var rates []float64
	for r := 0; r < reps; r++ {
		start, n := time.Now(), 0
		for time.Since(start).Seconds() < seconds {
			if err := step(n); err != nil {
				return 0, err
			}
			n++
		}
		rates = append(rates, float64(n*sh.B)/time.Since(start).Seconds())
	}
	return median(rates), nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

type peerResult struct {
	Impl   string  `json:"impl"`
	T      int     `json:"T"`
	B      int     `json:"B"`
	Median float64 `json:"seq_per_s_median"`
}

// peers runs the PyTorch script for one shape; it returns nil results if python3 or torch is
// missing.
func peers(script string, sh shape, dtype string, seconds float64, reps int, stderr io.Writer) (map[string]float64, error) {
	if script == "" {
		return nil, nil
	}
	if _, err := os.Stat(script); err != nil {
		fmt.Fprintf(stderr, "bench: no peer script at %s; skipping the peers\n", script)
		return nil, nil
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import torch").Run(); err != nil {
		fmt.Fprintln(stderr, "bench: /usr/bin/python3 has no torch (apt-get install -y python3-torch); skipping the peers")
		return nil, nil
	}
	cmd := exec.Command("/usr/bin/python3", script, "--T", strconv.Itoa(sh.T), "--B", strconv.Itoa(sh.B), "--dtype", dtype, "--threads", "1", "--impl", "both",
		"--seconds", strconv.FormatFloat(seconds, 'g', -1, 64), "--reps", strconv.Itoa(reps))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, stderr
	if err := cmd.Run(); err != nil {
		return nil, errors.Wrapf(err, "peer %v", cmd.Args)
	}
	res := map[string]float64{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var r peerResult
		if err := json.Unmarshal(sc.Bytes(), &r); err == nil && r.Impl != "" {
			res[r.Impl] = r.Median
		}
	}
	return res, nil
}

func run(configs string, seconds float64, reps int, peer, mem, dtype string, dt tensor.Dtype, stdout, stderr io.Writer) error {
	shapes, err := parseShapes(configs)
	if err != nil {
		return err
	}
	lengths, err := parseInts(mem)
	if err != nil {
		return err
	}
	if seconds <= 0 || reps <= 0 {
		return errors.New("-seconds and -reps must be > 0")
	}
	host, _ := os.Hostname()
	fmt.Fprintf(stdout, "Training throughput, adding network (93 weights), %s, one thread, %s, %s\n\n", dtype, host, time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintln(stdout, "| T | batch | ours (seq/s) | PyTorch 1997 cell (seq/s) | ours / it | PyTorch nn.LSTM (seq/s) | ours / it |")
	fmt.Fprintln(stdout, "|---|---|---|---|---|---|---|")
	for _, sh := range shapes {
		fmt.Fprintf(stderr, "bench: T=%d B=%d ...\n", sh.T, sh.B)
		o, err := ours(sh, seconds, reps, dt)
		if err != nil {
			return err
		}
		p, err := peers(peer, sh, dtype, seconds, reps, stderr)
		if err != nil {
			return err
		}
		cell := func(impl string) (string, string) {
			v, ok := p[impl]
			if !ok || v <= 0 {
				return "n/a", "n/a"
			}
			return fmt.Sprintf("%.0f", v), fmt.Sprintf("%.0f×", o/v)
		}
		l97, r97 := cell("lstm97")
		lnn, rnn := cell("nnlstm")
		fmt.Fprintf(stdout, "| %d | %d | %.0f | %s | %s | %s | %s |\n", sh.T, sh.B, o, l97, r97, lnn, rnn)
	}
	if len(lengths) == 0 {
		return nil
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nNew sequence length: time from building the model to the end of the first training step, and peak memory (max RSS of a process that builds the model and trains 20 sequences)")
	fmt.Fprintln(stdout, "\n| T | first step | peak RSS (MB) |")
	fmt.Fprintln(stdout, "|---|---|---|")
	for _, T := range lengths {
		cmd := exec.Command(self, "-child-mem", strconv.Itoa(T), "-dtype", dtype)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, stderr
		if err := cmd.Run(); err != nil {
			return errors.Wrapf(err, "memory child for T=%d", T)
		}
		ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		if !ok {
			return errors.New("no rusage")
		}
		fmt.Fprintf(stdout, "| %d | %s | %.1f |\n", T, strings.TrimSpace(out.String()), float64(ru.Maxrss)/1024)
	}
	return nil
}

// child builds the model for length T, trains 20 sequences and prints the first step's time.
func child(T int, dt tensor.Dtype, stdout io.Writer) error {
	data, err := batches(20, T, 1, 2)
	if err != nil {
		return err
	}
	start := time.Now()
	tr, err := newTrainer(dt)
	if err != nil {
		return err
	}
	defer tr.Close()
	var first time.Duration
	for i, bt := range data {
		if _, err := tr.Step(bt); err != nil {
			return err
		}
		if i == 0 {
			first = time.Since(start)
		}
	}
	fmt.Fprintf(stdout, "%.1f ms\n", float64(first.Microseconds())/1000)
	return nil
}
