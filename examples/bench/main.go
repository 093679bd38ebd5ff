// Command bench measures this library's training throughput side by side with peers, in one
// run on the same machine, and prints one Markdown table of the ratios (issue 23), then the
// time to the first training step and the peak memory of the adding net for several sequence
// lengths.
//
// Each configuration (-configs) is our training in one setting, compared with each of its
// peers, one row per peer:
//
//   - adding T100 B1, adding T1000 B1, adding T100 B32: Exp. 4's net (93 weights), sequences
//     of exactly T steps, batch B, SGD α = 0.5, -dtype; peers "torch lstm97" (the same 1997
//     cell written out in PyTorch), "torch nn.LSTM" (torch.nn.LSTM with as many cells) and "c"
//     (the plain C reference, batch 1, compared at the same T).
//   - exp1 train: Exp. 1's default row (examples/reber's: 3 blocks of 2 cells, 276 weights,
//     α = 0.5), per-sequence SGD on random embedded Reber strings, no evaluation; peer "c".
//   - exp1 trial: trial.Run at the same row, its success evaluation every 100 sequences
//     included, with seeds 1, 2, ... until -trial-seqs sequences in all; peer "c".
//   - wide64 B32 T50 and wide256 B32 T50: the 1997 LSTM with 64 (256) blocks of 1 cell, 32
//     inputs, recurrent from all cells and gates, 8 logistic output units with the paper's
//     squared error at every step, batch 32, T = 50, SGD α = 0.1, float64; peers "torch
//     nn.LSTM" (nn.LSTM(32, 64) + Linear(64, 8) + sigmoid) and "torch lstm97". With
//     " 2 threads": ours on 2 threads, the batch split into 2 parts that train at once
//     (train.TrainerConfig.Replicas), against "ours 1 thread", "ours 2 threads, split passes"
//     (one part, each pass of the fused ops split between the threads) and "torch nn.LSTM 2
//     threads".
//     With " float32": ours in float32 against "ours float64" and "torch nn.LSTM" in float32.
//
// Ours runs in this process with runtime.GOMAXPROCS set to the configuration's threads (1
// unless its name says otherwise) while it trains. Each side trains -reps repetitions of
// -seconds, ours and its peers interleaved (ours, peer 1, peer 2, ours, ...) so that a change
// in the machine's load affects all alike; the table gives the medians and ratio = ours /
// peer. With -json it prints instead one JSON line per row, with exactly the fields config,
// ours_seq_per_s, peer, peer_seq_per_s and ratio (the last two null where the peer is not
// available).
//
// The peers: examples/bench/peers/torch_lstm97.py (-peer) run by /usr/bin/python3 with
// PyTorch (Debian's python3-torch) in its --serve mode, one process for the whole run,
// torch.set_num_threads(1) unless the peer's name says otherwise; and the C reference,
// examples/bench/peers/lstm97.c (-csrc) built with gcc -O2 at the start, or a binary given by
// -cpeer that speaks its protocol (`BIN adding T seconds`, `BIN reber seconds`: one JSON line
// {"impl":"c","task":..,"T":..,"seq_per_s":..,"steps_per_s":..}). A peer that is missing is
// skipped with a note on stderr, its rows "n/a"; a peer that fails is an error.
//
// Usage, from the repository root:
//
//	go run ./examples/bench [-configs adding,exp1,wide64,wide256] [-seconds 1.5] [-reps 5]
//	    [-json] [-dtype float64] [-trial-seqs 20000] [-mem 100,1000,5000]
//	    [-peer examples/bench/peers/torch_lstm97.py] [-csrc examples/bench/peers/lstm97.c]
//	    [-cpeer BINARY]
//
// -configs takes names or families (a name's first word), comma-separated: e.g.
// -configs 'adding T100 B1,wide64'.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// options are the parsed flags.
type options struct {
	configs    []*config
	seconds    float64
	reps       int
	dtype      tensor.Dtype
	dtypeName  string
	trialSeqs  int
	json       bool
	mem        []int
	peerScript string   // the PyTorch peer's script ("": none, or torch is a test's command)
	torch      []string // the command of the PyTorch peer's --serve mode (nil: none)
	cpeer      string   // a built C peer
	csrc       string   // the C peer's source, built when cpeer is ""
	childMem   int
}

// parseArgs parses and checks the command line.
func parseArgs(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configs := fs.String("configs", "adding,exp1,wide64,wide256", "configurations to measure: names or families (a name's first word), comma-separated")
	seconds := fs.Float64("seconds", 1.5, "seconds per repetition of each side")
	reps := fs.Int("reps", 5, "repetitions of each side, interleaved (the median is reported)")
	dtype := fs.String("dtype", "float64", "float64 or float32: the adding rows' and the memory table's (the others name theirs)")
	trialSeqs := fs.Int("trial-seqs", 20000, "exp1 trial: sequences trained per repetition")
	jsonOut := fs.Bool("json", false, "print one JSON line per row instead of the tables")
	mem := fs.String("mem", "100,1000,5000", "sequence lengths for the first-step time and peak memory ('' to skip)")
	peer := fs.String("peer", "examples/bench/peers/torch_lstm97.py", "PyTorch peer script, relative to the working directory ('' to skip)")
	csrc := fs.String("csrc", "examples/bench/peers/lstm97.c", "C peer source, built with gcc -O2 ('' to skip the c rows)")
	cpeer := fs.String("cpeer", "", "a built C peer binary to run instead of building -csrc")
	childMem := fs.Int("child-mem", 0, "internal: measure one length in this process")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	o := options{seconds: *seconds, reps: *reps, dtypeName: *dtype, trialSeqs: *trialSeqs, json: *jsonOut,
		peerScript: *peer, cpeer: *cpeer, csrc: *csrc, childMem: *childMem}
	switch *dtype {
	case "float64":
		o.dtype = tensor.Float64
	case "float32":
		o.dtype = tensor.Float32
	default:
		return o, errors.Errorf("-dtype must be float64 or float32, got %q", *dtype)
	}
	switch {
	case fs.NArg() > 0:
		return o, errors.Errorf("unexpected arguments %q (flags only)", fs.Args())
	case !(*seconds > 0):
		return o, errors.Errorf("-seconds must be > 0, got %g", *seconds)
	case *reps < 1:
		return o, errors.Errorf("-reps must be >= 1, got %d", *reps)
	case *trialSeqs < 1:
		return o, errors.Errorf("-trial-seqs must be >= 1, got %d", *trialSeqs)
	case *childMem < 0:
		return o, errors.Errorf("-child-mem must be >= 0, got %d", *childMem)
	}
	var err error
	if o.configs, err = selectConfigs(*configs); err != nil {
		return o, err
	}
	if o.mem, err = parseLengths(*mem); err != nil {
		return o, err
	}
	if *peer != "" {
		o.torch = []string{"/usr/bin/python3", *peer, "--serve"}
	}
	return o, nil
}

// parseLengths parses -mem.
func parseLengths(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 4 {
			return nil, errors.Errorf("-mem: bad sequence length %q (want integers >= 4, comma-separated)", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func main() {
	o, err := parseArgs(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err == nil && o.childMem > 0 {
		err = child(o.childMem, o.dtype, os.Stdout)
	} else if err == nil {
		err = run(o, os.Stdout, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
}

// row is one line of the results: a config against one peer. Its JSON form is -json's line.
type row struct {
	Config   string   `json:"config"`
	Ours     float64  `json:"ours_seq_per_s"`
	Peer     string   `json:"peer"`
	PeerRate *float64 `json:"peer_seq_per_s"` // nil: the peer is not available
	Ratio    *float64 `json:"ratio"`          // ours / peer
}

// run measures o.configs and prints the table (or the JSON lines), then the memory table.
func run(o options, stdout, stderr io.Writer) (err error) {
	e := newEnv(o, stderr)
	defer func() {
		if cerr := e.close(); err == nil && cerr != nil {
			err = errors.Wrap(cerr, "stopping the peers")
		}
	}()
	if !o.json {
		writeHeader(stdout, o)
	}
	enc := json.NewEncoder(stdout)
	for _, c := range o.configs {
		rows, err := measureConfig(c, e)
		if err != nil {
			return errors.Wrap(err, c.name)
		}
		for _, r := range rows {
			if o.json {
				if err := enc.Encode(r); err != nil {
					return err
				}
			} else {
				writeRow(stdout, r)
			}
		}
	}
	if o.json {
		return nil
	}
	writeNotes(stdout, e)
	if len(o.mem) == 0 {
		return nil
	}
	return memTable(o.mem, o.dtypeName, stdout, e.stderr)
}

// measureConfig measures ours and each available peer of c, -reps times each, interleaved.
func measureConfig(c *config, e *env) ([]row, error) {
	fmt.Fprintf(e.stderr, "bench: %s: building\n", c.name)
	ours, err := c.ours(e)
	if err != nil {
		return nil, errors.Wrap(err, "ours")
	}
	defer ours.close()
	meters := make([]meter, len(c.peers))
	for i, p := range c.peers {
		m, err := p.make(e)
		if err != nil {
			return nil, errors.Wrapf(err, "peer %s", p.name)
		}
		if m != nil {
			defer m.close()
		}
		meters[i] = m
	}
	var oursRates []float64
	peerRates := make([][]float64, len(meters))
	for r := 0; r < e.o.reps; r++ {
		fmt.Fprintf(e.stderr, "bench: %s: repetition %d of %d\n", c.name, r+1, e.o.reps)
		x, err := ours.rate(e.o.seconds)
		if err != nil {
			return nil, errors.Wrap(err, "ours")
		}
		oursRates = append(oursRates, x)
		for i, m := range meters {
			if m == nil {
				continue
			}
			y, err := m.rate(e.o.seconds)
			if err != nil {
				return nil, errors.Wrapf(err, "peer %s", c.peers[i].name)
			}
			peerRates[i] = append(peerRates[i], y)
		}
	}
	o := median(oursRates)
	rows := make([]row, len(c.peers))
	for i, p := range c.peers {
		rows[i] = row{Config: c.name, Ours: round(o, 1), Peer: p.name}
		if meters[i] != nil {
			pr := median(peerRates[i])
			q, ratio := round(pr, 1), sig4(o/pr)
			rows[i].PeerRate, rows[i].Ratio = &q, &ratio
		}
	}
	return rows, nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// round rounds x to digits decimals.
func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// sig4 rounds x to 4 significant digits.
func sig4(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 4, 64), 64)
	return v
}

// writeHeader prints the table's title (the date, the machine, the settings) and head.
func writeHeader(w io.Writer, o options) {
	host, _ := os.Hostname()
	fmt.Fprintf(w, "Training throughput in sequences per second, %s, %s, %s (%d CPUs), %s; medians of %d repetition%s of %g s, ours and the peers interleaved.\n\n",
		time.Now().UTC().Format("2006-01-02"), host, cpuModel(), runtime.NumCPU(), runtime.Version(), o.reps, plural(o.reps), o.seconds)
	fmt.Fprintln(w, "| config | ours (seq/s) | peer | peer (seq/s) | ours / peer |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
}

// plural is "s" unless n is 1.
func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// writeRow prints one row of the table.
func writeRow(w io.Writer, r row) {
	peer, ratio := "n/a", "n/a"
	if r.PeerRate != nil {
		peer, ratio = thousands(*r.PeerRate), fmt.Sprintf("%.2f×", *r.Ratio)
	}
	fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", r.Config, thousands(r.Ours), r.Peer, peer, ratio)
}

// writeNotes prints what the table's sides are.
func writeNotes(w io.Writer, e *env) {
	torch, c := "not run", "not run"
	if e.torch != nil {
		torch = "PyTorch " + e.torch.version + " (" + strings.Join(e.o.torch, " ") + ")"
	}
	if e.cBin != "" {
		c = e.cDesc
	}
	fmt.Fprintf(w, "\nours: this library; adding in %s, exp1 and wide in float64 unless the config says float32; 1 thread (GOMAXPROCS) unless it says 2 threads. exp1 trial: trial.Run with seeds 1, 2, ... until %d sequences.\n", e.o.dtypeName, e.o.trialSeqs)
	fmt.Fprintf(w, "torch: %s; torch.set_num_threads(1) unless the peer says 2 threads; adding in %s, wide in float64 or as the config says.\n", torch, e.o.dtypeName)
	fmt.Fprintf(w, "c: %s; double, batch 1; adding: its steps per second / T (it draws lengths T..T+T/10); reber: random embedded Reber strings, no evaluation.\n", c)
}

// thousands formats x rounded to an integer with comma separators.
func thousands(x float64) string {
	s := strconv.FormatFloat(math.Round(x), 'f', 0, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// cpuModel is /proc/cpuinfo's first model name, or the architecture.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}
