package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/paper"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "continual:", err)
		os.Exit(2)
	}
}

// netNames are the nets of -nets, in the order they run.
var netNames = []string{"1997", "forget", "peepholes"}

// options are the command's flags.
type options struct {
	nets           []string
	steps          int
	lr             float64
	seed, testSeed int64
	testStrings    int
	testEvery      int
	targets        string // "next" or "legal"
	legalTargets   bool   // targets == "legal"
	progress       time.Duration
}

// parse parses the flags; -h prints the usage to stderr.
func parse(args []string, stderr io.Writer, lr float64) (options, error) {
	fs := flag.NewFlagSet("continual", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	nets := fs.String("nets", strings.Join(netNames, ","), "the nets to train, comma-separated: 1997 (no forget gate), forget (forget gates), peepholes (forget gates and peepholes)")
	fs.IntVar(&o.steps, "steps", 1_000_000, "training steps (symbols) per net")
	fs.Float64Var(&o.lr, "lr", lr, "learning rate α")
	fs.Int64Var(&o.seed, "seed", 1, "seed of the initial weights and of the training stream")
	fs.Int64Var(&o.testSeed, "test-seed", 2, "seed of the test stream (must differ from -seed)")
	fs.IntVar(&o.testStrings, "test-strings", 10_000, "strings of the test stream (the cap on the count of strings predicted correctly in a row)")
	fs.StringVar(&o.targets, "targets", "next", "training targets: next (one-hot of the symbol that follows, Exp. 1's coding) or legal (1 for every legal next symbol)")
	fs.IntVar(&o.testEvery, "test-every", 0, "also test every this many training strings (0: only after training)")
	fs.DurationVar(&o.progress, "progress", 5*time.Second, "time between progress lines on stderr (0: none)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, errors.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.targets != "next" && o.targets != "legal" {
		return o, errors.Errorf("-targets: unknown coding %q (want next or legal)", o.targets)
	}
	o.legalTargets = o.targets == "legal"
	for _, n := range strings.Split(*nets, ",") {
		switch {
		case !slices.Contains(netNames, n):
			return o, errors.Errorf("-nets: unknown net %q (want some of %s)", n, strings.Join(netNames, ", "))
		case slices.Contains(o.nets, n):
			return o, errors.Errorf("-nets: net %q given twice", n)
		}
		o.nets = append(o.nets, n)
	}
	switch {
	case o.steps <= 0:
		return o, errors.Errorf("-steps must be > 0, got %d", o.steps)
	case !(o.lr > 0) || o.lr > 1e6:
		return o, errors.Errorf("-lr must be in (0, 1e6], got %v", o.lr)
	case o.testSeed == o.seed:
		return o, errors.Errorf("-test-seed must differ from -seed (%d): the test stream would be the training stream", o.seed)
	case o.testStrings <= 0:
		return o, errors.Errorf("-test-strings must be > 0, got %d", o.testStrings)
	case o.testEvery < 0:
		return o, errors.Errorf("-test-every must be >= 0, got %d", o.testEvery)
	case o.progress < 0:
		return o, errors.Errorf("-progress must be >= 0, got %v", o.progress)
	}
	return o, nil
}

// run parses args, trains and tests each net, and prints the table and the JSON line to stdout.
func run(args []string, stdout, stderr io.Writer) error {
	exp1, err := paper.Lookup("1", paper.Variant{Blocks: 4})
	if err != nil {
		return err
	}
	o, err := parse(args, stderr, exp1.LR)
	if err != nil {
		return err
	}
	rep := report{Steps: o.steps, Targets: o.targets, LR: o.lr, Seed: o.seed, TestSeed: o.testSeed, TestStrings: o.testStrings}
	for _, name := range o.nets {
		net, err := netConfig(exp1.Net, name)
		if err != nil {
			return err
		}
		r, err := trainNet(o, name, net, exp1.Correct, stderr)
		if err != nil {
			return errors.Wrapf(err, "net %s", name)
		}
		rep.Nets = append(rep.Nets, r)
	}
	return rep.print(stdout)
}

// netConfig returns the net called name: Exp. 1's net (exp1: 7 inputs, gate biases, weights in
// [-0.2, 0.2], 7 logistic outputs) with Gers et al.'s (2000) CERG size, 4 blocks of 2 cells,
// and their gate biases.
func netConfig(exp1 layers.NetConfig, name string) (layers.NetConfig, error) {
	net := exp1
	c := &net.LSTM
	c.NumBlocks, c.CellsPerBlock = 4, 2
	c.InputGateBias = []float64{-0.5, -1, -1.5, -2}
	c.OutputGateBias = []float64{-0.5, -1, -1.5, -2}
	switch name {
	case "1997":
	case "forget", "peepholes":
		c.ForgetGate = true
		c.ForgetGateBias = []float64{0.5, 1, 1.5, 2}
		c.Peepholes = name == "peepholes"
	default:
		return net, errors.Errorf("unknown net %q", name)
	}
	return net, nil
}

// report is the JSON line: the run's settings and a result per net.
type report struct {
	Steps       int         `json:"steps"`
	Targets     string      `json:"targets"`
	LR          float64     `json:"lr"`
	Seed        int64       `json:"seed"`
	TestSeed    int64       `json:"test_seed"`
	TestStrings int         `json:"test_strings"`
	Nets        []netResult `json:"nets"`
}

// print writes the table and the JSON line.
func (r report) print(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "| net | steps | strings | train correct (last quarter) | train best run | train max abs(s) by quarter | test successive | test best run | test correct | test mean abs(s) | test max abs(s) | storage B | peak RSS MiB | seconds |")
	fmt.Fprintln(bw, "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, n := range r.Nets {
		last := n.Quarters[len(n.Quarters)-1]
		qs := make([]string, len(n.Quarters))
		for i, q := range n.Quarters {
			qs[i] = strconv.FormatFloat(q.MaxAbsS, 'g', 3, 64)
		}
		fmt.Fprintf(bw, "| %s | %d | %d | %.3f | %d | %s | %d | %d | %d/%d | %.3g | %.3g | %d | %.1f | %.1f |\n",
			n.Net, n.Steps, n.Strings, last.fraction(), n.RunBest, strings.Join(qs, " "), n.Test.Successive, n.Test.RunBest, n.Test.Correct, n.Test.Strings,
			n.Test.MeanAbsS, n.Test.MaxAbsS, n.StorageBytes, float64(n.PeakRSSKiB)/1024, n.Seconds)
	}
	line, err := json.Marshal(r)
	if err != nil {
		return errors.Wrap(err, "JSON")
	}
	fmt.Fprintf(bw, "%s\n", line)
	return errors.Wrap(bw.Flush(), "output")
}

// memory returns the process's resident memory and its peak in KiB (VmRSS and VmHWM of
// /proc/self/status, read at once: the kernel reports a peak at least the current value).
func memory() (rss, peak int64, err error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0, errors.Wrap(err, "resident memory (Linux only)")
	}
	defer f.Close()
	found := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		for _, field := range []struct {
			key string
			v   *int64
		}{{"VmRSS:", &rss}, {"VmHWM:", &peak}} {
			if v, ok := strings.CutPrefix(sc.Text(), field.key); ok {
				if *field.v, err = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64); err != nil {
					return 0, 0, errors.Wrap(err, field.key)
				}
				found++
			}
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, errors.Wrap(err, "/proc/self/status")
	}
	if found != 2 {
		return 0, 0, errors.New("no VmRSS or no VmHWM in /proc/self/status")
	}
	return rss, peak, nil
}
