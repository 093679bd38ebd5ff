// Command paper reproduces the tables of Hochreiter & Schmidhuber (1997): it runs trials of
// every selected table row (the paper's trial counts by default), spreads them over all cores
// (each trial is an independent graph), and writes a Markdown report with, for every row, the
// paper's figure next to our mean, median and range of sequences until success, success rate and
// test errors. Every trial's result is also written as a JSON line.
//
// Usage:
//
//	go run ./examples/paper -quick                 # short-lag rows, 3 trials each, minutes
//	go run ./examples/paper -rows 1,4,6a -out results.md
//	go run ./examples/paper -rows all -trials 0     # every row, the paper's trial counts (hours)
//	go run ./examples/paper -rows all -checkpoint runs/all [-resume]   # interruptible
//	go run ./examples/paper -rows 4 -max 2000000 -checkpoint runs/4
//	go run ./examples/paper -rows 4 -checkpoint runs/4 -resume   # the failures, on to the paper's limit
//	go run ./examples/paper -rows all -checkpoint runs/all -status   # the table so far, running nothing
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/atomicfile"
	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/internal/paper"
	"github.com/lstm97/lstm97/train"
)

// row is one table row: an experiment and its variant.
type row struct {
	Name string
	ID   string
	V    paper.Variant
}

// allRows are the LSTM rows of Tables 1-9.
var allRows = []row{
	{"1: 4 blocks of 1, α=0.1", "1", paper.Variant{Blocks: 4, LR: 0.1}},
	{"1: 3 blocks of 2, α=0.1", "1", paper.Variant{Blocks: 3, LR: 0.1}},
	{"1: 3 blocks of 2, α=0.2", "1", paper.Variant{Blocks: 3, LR: 0.2}},
	{"1: 4 blocks of 1, α=0.5", "1", paper.Variant{Blocks: 4, LR: 0.5}},
	{"1: 3 blocks of 2, α=0.5", "1", paper.Variant{Blocks: 3, LR: 0.5}},
	{"1: 3 blocks of 2, α=0.5, full gradient", "1", paper.Variant{Blocks: 3, LR: 0.5, FullGradient: true}},
	{"1: 3 blocks of 2, α=0.5, recall step only", "1", paper.Variant{Blocks: 3, LR: 0.5, ReberSteps: datasets.ReberRecall}},
	{"1: 3 blocks of 2, α=0.5, local steps only", "1", paper.Variant{Blocks: 3, LR: 0.5, ReberSteps: datasets.ReberLocal}},
	{"2a: p=100", "2a", paper.Variant{P: 100}},
	{"2b: p=100", "2b", paper.Variant{P: 100}},
	{"2c: q=50, p=50", "2c", paper.Variant{P: 50, Q: 50}},
	{"2c: q=100, p=100", "2c", paper.Variant{P: 100, Q: 100}},
	{"2c: q=200, p=200", "2c", paper.Variant{P: 200, Q: 200}},
	{"2c: q=500, p=500", "2c", paper.Variant{P: 500, Q: 500}},
	{"2c: q=1000, p=1000", "2c", paper.Variant{P: 1000, Q: 1000}},
	{"2c: q=1000, p=500", "2c", paper.Variant{P: 500, Q: 1000}},
	{"2c: q=1000, p=200", "2c", paper.Variant{P: 200, Q: 1000}},
	{"2c: q=1000, p=100", "2c", paper.Variant{P: 100, Q: 1000}},
	{"2c: q=1000, p=50", "2c", paper.Variant{P: 50, Q: 1000}},
	{"2c: q=100, p=100, recurrence from cells only", "2c", paper.Variant{P: 100, Q: 100, CellsOnlyRecurrence: true}},
	{"2c: q=50, p=50, h' offset", "2c", paper.Variant{P: 50, Q: 50, HPrimeOffset: 0.05}},
	{"2c: q=100, p=100, h' offset", "2c", paper.Variant{P: 100, Q: 100, HPrimeOffset: 0.05}},
	{"2c: q=200, p=200, h' offset", "2c", paper.Variant{P: 200, Q: 200, HPrimeOffset: 0.05}},
	{"2c: q=500, p=500, h' offset", "2c", paper.Variant{P: 500, Q: 500, HPrimeOffset: 0.05}},
	{"3a: T=100, N=3", "3a", paper.Variant{T: 100, N: 3}},
	{"3a: T=100, N=1", "3a", paper.Variant{T: 100, N: 1}},
	{"3a: T=100, N=3, gradient clipped", "3a", paper.Variant{T: 100, N: 3, ClipNorm: 1}},
	{"3a: T=100, N=3, h' offset", "3a", paper.Variant{T: 100, N: 3, HPrimeOffset: 0.05}},
	{"3a: T=1000, N=3", "3a", paper.Variant{T: 1000, N: 3}},
	{"3b: T=100, N=3", "3b", paper.Variant{T: 100, N: 3}},
	{"3b: T=100, N=1", "3b", paper.Variant{T: 100, N: 1}},
	{"3b: T=1000, N=1", "3b", paper.Variant{T: 1000, N: 1}},
	{"3b: T=100, N=1, fresh test sets", "3b", paper.Variant{T: 100, N: 1, FreshTestSets: true}},
	{"3b: T=1000, N=1, fresh test sets", "3b", paper.Variant{T: 1000, N: 1, FreshTestSets: true}},
	{"3c: T=100, N=3", "3c", paper.Variant{T: 100, N: 3}},
	{"3c: T=100, N=1", "3c", paper.Variant{T: 100, N: 1}},
	{"4: T=100", "4", paper.Variant{T: 100}},
	{"4: T=100, linear output", "4", paper.Variant{T: 100, LinearOutput: true}},
	{"4: T=500", "4", paper.Variant{T: 500}},
	{"4: T=1000", "4", paper.Variant{T: 1000}},
	{"5: T=100, n_seq=140", "5", paper.Variant{T: 100, NSeq: 140}},
	{"5: T=100, n_seq=13", "5", paper.Variant{T: 100, NSeq: 13}},
	{"6a", "6a", paper.Variant{}},
	{"6b", "6b", paper.Variant{}},
	{"6b, gradient clipped", "6b", paper.Variant{ClipNorm: 2}},
	{"6b, h' offset", "6b", paper.Variant{HPrimeOffset: 0.05}},
}

// quickRows finish in minutes: the short-lag rows.
var quickRows = []string{"1: 3 blocks of 2, α=0.5", "2c: q=50, p=50", "3a: T=100, N=3", "4: T=100", "6a"}

type job struct {
	row   row
	spec  *paper.Spec
	trial int
}

type outcome struct {
	job
	res paper.Result
	err error
	// earlier: the trial finished in an earlier run and was read from DIR/trials.jsonl.
	earlier bool
}

func main() {
	rowsFlag := flag.String("rows", "", "comma-separated experiment IDs (e.g. 1,4,6a), row names (e.g. \"4: T=100\") and 'all' (every row), run in the order listed; a row named twice runs once")
	quick := flag.Bool("quick", false, "the short-lag rows with 3 trials each and a cap of 1,000,000 sequences")
	trials := flag.Int("trials", 0, "trials per row (0: the paper's count)")
	max := flag.Int("max", 0, "cap on training sequences per trial, below the experiment's own limit (0: the paper's limit)")
	workers := flag.Int("workers", runtime.NumCPU(), "trials run at once")
	progress := flag.Duration("progress", time.Minute, "interval of each running trial's progress line on stderr (0: none)")
	out := flag.String("out", "reproduction.md", "Markdown report")
	jsonl := flag.String("jsonl", "", "also write every trial's result as JSON Lines to this file")
	seed := flag.Int64("seed", 1, "seed of the first trial (trial k uses seed+k)")
	ckDir := flag.String("checkpoint", "", "directory for checkpoints: each running trial saves into DIR/<row>/trial<k> every 50,000 sequences and on SIGINT/SIGTERM, finished trials are recorded in DIR/trials.jsonl")
	status := flag.Bool("status", false, "with -checkpoint: write the report of the trials finished so far (from DIR/trials.jsonl) and exit, running nothing")
	list := flag.Bool("list", false, "print every table row (name, the paper's trials, limit and figure) and exit")
	resume := flag.Bool("resume", false, "with -checkpoint: skip the trials recorded as finished and continue the others from their checkpoints, as well as those that failed within a smaller cap than this run's (-max)")
	flag.Parse()
	if *list {
		if err := listRows(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "paper:", err)
			os.Exit(2)
		}
		return
	}
	c := config{rows: *rowsFlag, quick: *quick, trials: *trials, max: *max, workers: *workers, out: *out, jsonl: *jsonl,
		seed: *seed, checkpoint: *ckDir, resume: *resume || *status, status: *status, progress: *progress}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c.ctx = ctx
	err := run(c, os.Stderr)
	if errors.Is(err, train.ErrInterrupted) {
		fmt.Fprintln(os.Stderr, "paper:", err)
		os.Exit(130)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "paper:", err)
		os.Exit(2)
	}
}

type config struct {
	rows        string
	quick       bool
	trials, max int
	workers     int
	out, jsonl  string
	seed        int64
	checkpoint  string
	resume      bool
	status      bool          // report the finished trials of the checkpoint directory, run none
	progress    time.Duration // interval of progress lines per running trial (0: none)
	// ctx stops the run when done (SIGINT/SIGTERM in main): running trials save their
	// checkpoints and no further trial starts. nil: never.
	ctx context.Context
}

// lockedWriter writes the trials' log lines (progress, resumption, construction) to w under
// the driver's lock, so that lines of concurrent trials do not interleave.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// trialCap is the most sequences a trial of spec may see: the experiment's limit, or max (the
// -max flag) if that is smaller.
func trialCap(spec *paper.Spec, max int) int {
	if max > 0 && max < spec.Max {
		return max
	}
	return spec.Max
}

// slug makes a row name usable as a directory name.
func slug(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// trialDir is the checkpoint directory of job j's trial under the run's directory dir.
func trialDir(dir string, j job) string {
	return filepath.Join(dir, slug(j.row.Name), fmt.Sprintf("trial%d", j.trial))
}

func selectRows(spec string, quick bool) ([]row, error) {
	if quick && spec == "" {
		var out []row
		for _, r := range allRows {
			for _, q := range quickRows {
				if r.Name == q {
					out = append(out, r)
				}
			}
		}
		return out, nil
	}
	if spec == "" {
		return allRows, nil
	}
	// Row names may themselves contain commas ("4: T=100, linear output"), so at each position
	// the longest run of comma-separated parts that names a row or an experiment wins. A row's
	// name wins over the experiment of the same name: "6b" is the row 6b, not also its variants.
	// "all" stands for every row, so "2a: p=100,all" runs 2a first and then the others. A row
	// named twice runs once, at its first place.
	parts := strings.Split(spec, ",")
	var out []row
	seen := map[string]bool{}
	for i := 0; i < len(parts); {
		var match []row
		j := len(parts)
		for ; j > i && match == nil; j-- {
			id := strings.TrimSpace(strings.Join(parts[i:j], ","))
			var byID []row
			for _, r := range allRows {
				if r.Name == id {
					match = append(match, r)
				}
				if r.ID == id {
					byID = append(byID, r)
				}
			}
			if match == nil {
				match = byID
			}
			if match == nil && id == "all" {
				match = allRows
			}
		}
		if match == nil {
			return nil, errors.Errorf("no table row or experiment %q (want a row name, one of %s, or all)",
				strings.TrimSpace(parts[i]), strings.Join(paper.IDs, ", "))
		}
		for _, r := range match {
			if !seen[r.Name] {
				seen[r.Name] = true
				out = append(out, r)
			}
		}
		i = j + 1
	}
	return out, nil
}

func run(c config, log io.Writer) error {
	rowsFlag, quick, trials, max, workers, out, jsonl, seed := c.rows, c.quick, c.trials, c.max, c.workers, c.out, c.jsonl, c.seed
	if c.status && c.checkpoint == "" {
		return errors.New("-status needs -checkpoint")
	}
	if c.resume && c.checkpoint == "" {
		return errors.New("-resume needs -checkpoint")
	}
	done := map[string]record{}
	var ledger string
	if c.checkpoint != "" {
		ledger = filepath.Join(c.checkpoint, "trials.jsonl")
		if c.status {
			// No ledger yet is a run whose trials have only checkpointed so far; no directory
			// is most likely a mistyped path.
			if _, err := os.Stat(c.checkpoint); err != nil {
				return errors.Wrap(err, "-status: no checkpoint directory to report on")
			}
		} else if err := os.MkdirAll(c.checkpoint, 0o755); err != nil {
			return err
		}
		if !c.resume {
			if _, err := os.Stat(ledger); err == nil {
				return errors.Errorf("%s exists: use -resume to continue that run, or another -checkpoint directory", ledger)
			}
		}
		var err error
		if done, err = finished(ledger); err != nil {
			return err
		}
	}
	rows, err := selectRows(rowsFlag, quick)
	if err != nil {
		return err
	}
	if workers < 1 {
		return errors.New("-workers must be >= 1")
	}
	if quick {
		if trials == 0 {
			trials = 3
		}
		if max == 0 {
			max = 1_000_000
		}
	}
	var jobs []job
	for _, r := range rows {
		s, err := paper.Lookup(r.ID, r.V)
		if err != nil {
			return err
		}
		n := trials
		if n == 0 {
			n = s.Paper.Trials
		}
		for k := 0; k < n; k++ {
			jobs = append(jobs, job{row: r, spec: s, trial: k})
		}
	}
	start := time.Now()
	results := make([]outcome, len(jobs))
	var todo []int
	extended := 0
	for i, j := range jobs {
		r, ok := done[fmt.Sprintf("%s#%d", j.row.Name, j.trial)]
		if !ok {
			todo = append(todo, i)
			continue
		}
		if want := seed + int64(j.trial); r.Seed != want {
			return errors.Errorf("%s: %s trial %d ran with seed %d, this run would give it %d: resume with -seed %d, or use another -checkpoint directory",
				ledger, j.row.Name, j.trial, r.Seed, want, r.Seed-int64(j.trial))
		}
		cap := trialCap(j.spec, max)
		switch {
		case r.Cap == 0 || r.Cap == cap:
		case r.Cap < cap && !r.Success: // the larger cap continues it from its checkpoint
			extended++
			todo = append(todo, i)
			continue
		case r.Cap < cap:
		default:
			return errors.Errorf("%s: %s trial %d ran with a cap of %d sequences, this run's is %d: resume with a cap of at least %d (-max), or use another -checkpoint directory",
				ledger, j.row.Name, j.trial, r.Cap, cap, r.Cap)
		}
		results[i] = outcome{job: j, res: r.Result, earlier: true}
	}
	fmt.Fprintf(log, "paper: %d trials of %d rows on %d workers (%d already finished", len(jobs), len(rows), workers, len(jobs)-len(todo))
	if extended > 0 {
		fmt.Fprintf(log, "; %d that failed within a smaller cap continue from their checkpoints", extended)
	}
	fmt.Fprintf(log, ")\n")
	if c.status {
		var got []outcome
		for _, o := range results {
			if o.earlier {
				got = append(got, o)
			}
		}
		var going []unfinished
		for _, i := range todo {
			j := jobs[i]
			u := unfinished{job: j, cap: trialCap(j.spec, max)}
			var err error
			u.sequences, u.seconds, err = paper.Saved(trialDir(c.checkpoint, j))
			switch {
			case errors.Is(err, train.ErrNoCheckpoint):
				continue // not started
			case err != nil:
				u.err = err
			}
			going = append(going, u)
		}
		report := renderReport(rows, got, -1, quick, max, len(jobs)) + renderUnfinished(going)
		if err := atomicfile.Write(out, func(w io.Writer) error { _, err := io.WriteString(w, report); return err }); err != nil {
			return err
		}
		fmt.Fprintf(log, "paper: wrote %s (%d of %d trials finished)\n", out, len(got), len(jobs))
		return nil
	}
	ctx := c.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	next, count := 0, len(jobs)-len(todo)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				k := next
				next++
				mu.Unlock()
				if k >= len(todo) || ctx.Err() != nil {
					return
				}
				i := todo[k]
				j := jobs[i]
				spec := *j.spec // each trial its own copy
				spec.Max = trialCap(j.spec, max)
				o := paper.Options{Seed: seed + int64(j.trial), Checkpoints: train.Checkpoints{Context: ctx}, Progress: c.progress,
					Log: lockedWriter{mu: &mu, w: log}, Name: fmt.Sprintf("%s trial %d", j.row.Name, j.trial)}
				if c.checkpoint != "" {
					o.Checkpoints = train.Checkpoints{Dir: trialDir(c.checkpoint, j),
						Every: 50000, Resume: c.resume, Optional: true, Context: ctx}
				}
				res, err := paper.RunTrial(&spec, o)
				mu.Lock()
				results[i] = outcome{job: j, res: res, err: err}
				if err == nil && ledger != "" {
					err = appendRecord(ledger, record{Row: j.row.Name, Trial: j.trial, Cap: spec.Max, Result: res})
					results[i].err = err
				}
				switch {
				case errors.Is(err, train.ErrInterrupted):
					fmt.Fprintf(log, "  %s trial %d: interrupted\n", j.row.Name, j.trial)
				case err != nil:
					fmt.Fprintf(log, "  %s trial %d: %v\n", j.row.Name, j.trial, err)
				default:
					count++
					fmt.Fprintf(log, "  [%d/%d] %s trial %d: success=%v after %d sequences (%.1f s)\n", count, len(jobs), j.row.Name, j.trial, res.Success, res.Sequences, res.Seconds)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		if c.checkpoint == "" {
			return errors.Wrap(train.ErrInterrupted, "unfinished trials are lost (run with -checkpoint DIR to be able to resume)")
		}
		return errors.Wrapf(train.ErrInterrupted, "unfinished trials saved their checkpoints in %s; continue with -resume", c.checkpoint)
	}
	for _, o := range results {
		if o.err != nil {
			return errors.Wrapf(o.err, "%s trial %d", o.row.Name, o.trial)
		}
	}
	if jsonl != "" {
		err := atomicfile.Write(jsonl, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			for _, o := range results {
				if err := enc.Encode(record{Row: o.row.Name, Trial: o.trial, Cap: trialCap(o.spec, max), Result: o.res}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	report := renderReport(rows, results, time.Since(start), quick, max, len(jobs))
	if err := atomicfile.Write(out, func(w io.Writer) error { _, err := io.WriteString(w, report); return err }); err != nil {
		return err
	}
	fmt.Fprintf(log, "paper: wrote %s (%v)\n", out, time.Since(start).Round(time.Second))
	return nil
}
