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
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/internal/paper"
	"github.com/lstm97/lstm97/internal/runner"
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
	{"3a: T=100, N=3", "3a", paper.Variant{T: 100, N: 3}},
	{"3a: T=100, N=1", "3a", paper.Variant{T: 100, N: 1}},
	{"3a: T=1000, N=3", "3a", paper.Variant{T: 1000, N: 3}},
	{"3b: T=100, N=3", "3b", paper.Variant{T: 100, N: 3}},
	{"3b: T=100, N=1", "3b", paper.Variant{T: 100, N: 1}},
	{"3b: T=1000, N=1", "3b", paper.Variant{T: 1000, N: 1}},
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
	rowsFlag := flag.String("rows", "", "comma-separated experiment IDs (e.g. 1,4,6a), row names (e.g. \"4: T=100\") or 'all'")
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
	if errors.Is(err, runner.ErrInterrupted) {
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

// record is one finished trial in DIR/trials.jsonl and in -jsonl.
type record struct {
	Row   string `json:"row"`
	Trial int    `json:"trial"`
	// Cap is the most sequences the trial was allowed (the row's limit, or -max below it); 0
	// in records written before it was kept.
	Cap int `json:"cap,omitempty"`
	paper.Result
}

// listRows prints every row -rows accepts, with the paper's trial count, limit and figure.
func listRows(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "row\ttrials\tlimit\tpaper: sequences\tquick")
	quick := map[string]bool{}
	for _, name := range quickRows {
		quick[name] = true
	}
	for _, r := range allRows {
		s, err := paper.Lookup(r.ID, r.V)
		if err != nil {
			return errors.Wrapf(err, "row %q", r.Name)
		}
		figure := "–"
		if s.Paper.Sequences > 0 {
			figure = fmt.Sprintf("%.0f", s.Paper.Sequences)
		}
		q := ""
		if quick[r.Name] {
			q = "yes"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", r.Name, s.Paper.Trials, s.Max, figure, q)
	}
	return tw.Flush()
}

// dropPartialLine truncates f after its last newline (to nothing if it has none).
func dropPartialLine(f *os.File) error {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return err
	}
	const chunk = 4096
	end := st.Size()
	for end > 0 {
		off := max(end-chunk, 0)
		buf := make([]byte, end-off)
		if _, err := f.ReadAt(buf, off); err != nil {
			return err
		}
		if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
			end = off + int64(i) + 1
			break
		}
		end = off
	}
	if end == st.Size() {
		return nil
	}
	return f.Truncate(end)
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

// finished reads the trials recorded in path (none if it does not exist).
func finished(path string) (map[string]record, error) {
	out := map[string]record{}
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	// Every record ends with a newline; text after the last one is a record whose writing was
	// cut short (the process died in it), so that trial has not finished.
	data = data[:bytes.LastIndexByte(data, '\n')+1]
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" {
			continue
		}
		var r record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, errors.Wrapf(err, "%s line %d", path, i+1)
		}
		out[fmt.Sprintf("%s#%d", r.Row, r.Trial)] = r
	}
	return out, nil
}

// appendRecord appends one line to path and syncs it. A record cut short at the end of the
// file (see finished) is cut off first, so that the new one starts a line of its own.
func appendRecord(path string, r record) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	if err := dropPartialLine(f); err != nil {
		f.Close()
		return errors.Wrapf(err, "%s", path)
	}
	if err := json.NewEncoder(f).Encode(r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
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
	if spec == "" || spec == "all" {
		return allRows, nil
	}
	// Row names may themselves contain commas ("4: T=100, linear output"), so at each position
	// the longest run of comma-separated parts that names a row or an experiment wins.
	parts := strings.Split(spec, ",")
	var out []row
	for i := 0; i < len(parts); {
		var match []row
		j := len(parts)
		for ; j > i && match == nil; j-- {
			id := strings.TrimSpace(strings.Join(parts[i:j], ","))
			for _, r := range allRows {
				if r.ID == id || r.Name == id {
					match = append(match, r)
				}
			}
		}
		if match == nil {
			return nil, errors.Errorf("no table row or experiment %q (want a row name or one of %s)",
				strings.TrimSpace(parts[i]), strings.Join(paper.IDs, ", "))
		}
		out = append(out, match...)
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
			if _, err := os.Stat(ledger); err != nil {
				return errors.Wrap(err, "-status: no finished trials to report")
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
		report := renderReport(rows, got, -1, quick, max, len(jobs))
		if err := graph.WriteFileAtomic(out, func(w io.Writer) error { _, err := io.WriteString(w, report); return err }); err != nil {
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
				o := paper.Options{Seed: seed + int64(j.trial), Checkpoints: runner.Checkpoints{Context: ctx}, Progress: c.progress,
					Log: lockedWriter{mu: &mu, w: log}, Name: fmt.Sprintf("%s trial %d", j.row.Name, j.trial)}
				if c.checkpoint != "" {
					o.Checkpoints = runner.Checkpoints{Dir: filepath.Join(c.checkpoint, slug(j.row.Name), fmt.Sprintf("trial%d", j.trial)),
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
				case errors.Is(err, runner.ErrInterrupted):
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
			return errors.Wrap(runner.ErrInterrupted, "unfinished trials are lost (run with -checkpoint DIR to be able to resume)")
		}
		return errors.Wrapf(runner.ErrInterrupted, "unfinished trials saved their checkpoints in %s; continue with -resume", c.checkpoint)
	}
	for _, o := range results {
		if o.err != nil {
			return errors.Wrapf(o.err, "%s trial %d", o.row.Name, o.trial)
		}
	}
	if jsonl != "" {
		err := graph.WriteFileAtomic(jsonl, func(w io.Writer) error {
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
	if err := graph.WriteFileAtomic(out, func(w io.Writer) error { _, err := io.WriteString(w, report); return err }); err != nil {
		return err
	}
	fmt.Fprintf(log, "paper: wrote %s (%v)\n", out, time.Since(start).Round(time.Second))
	return nil
}

// renderReport writes the Markdown report of results, the outcomes of planned trials (fewer
// for a -status report); took is the run's wall time, or negative for a -status report.
func renderReport(rows []row, results []outcome, took time.Duration, quick bool, max, planned int) string {
	var b strings.Builder
	mode := "full"
	if quick {
		mode = "quick"
	}
	fmt.Fprintf(&b, "Reproduction of Hochreiter & Schmidhuber (1997), %s mode, %s", mode, time.Now().UTC().Format("2006-01-02"))
	if took >= 0 {
		fmt.Fprintf(&b, ", %v on %d cores", took.Round(time.Second), runtime.NumCPU())
	}
	if max > 0 {
		fmt.Fprintf(&b, ", at most %d sequences per trial", max)
	}
	b.WriteString(".")
	if len(results) < planned {
		fmt.Fprintf(&b, " **Partial: %d of the %d trials have finished; the table counts those only.**", len(results), planned)
	}
	total, earlier := 0.0, 0
	for _, o := range results {
		total += o.res.Seconds
		if o.earlier {
			earlier++
		}
	}
	fmt.Fprintf(&b, " The %d trials took %v in all (the sum of their times", len(results), seconds(total))
	if earlier > 0 && took >= 0 { // a -status report has only earlier runs' trials
		fmt.Fprintf(&b, "; %d of them finished in earlier runs, resumed from the checkpoint directory", earlier)
	}
	b.WriteString(").\n\n")
	b.WriteString("| row | paper: sequences | paper: success | trials | success | mean | median | range | test wrong (mean) | paper: test | trials' time |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		var seqs []float64
		n, ok, wrong, tested := 0, 0, 0.0, 0
		var paperRow paper.Row
		rowTime := 0.0
		for _, o := range results {
			if o.row.Name != r.Name {
				continue
			}
			paperRow = o.spec.Paper
			rowTime += o.res.Seconds
			n++
			if o.res.Success {
				ok++
				seqs = append(seqs, float64(o.res.Sequences))
				if o.res.TestSeqs > 0 {
					wrong += float64(o.res.TestWrong)
					tested = o.res.TestSeqs
				}
			}
		}
		if n == 0 {
			continue
		}
		mean, median, rng := "–", "–", "–"
		if len(seqs) > 0 {
			sort.Float64s(seqs)
			sum := 0.0
			for _, v := range seqs {
				sum += v
			}
			mean = fmt.Sprintf("%.0f", sum/float64(len(seqs)))
			median = fmt.Sprintf("%.0f", seqs[len(seqs)/2])
			rng = fmt.Sprintf("%.0f–%.0f", seqs[0], seqs[len(seqs)-1])
		}
		testWrong := "–"
		if ok > 0 && tested > 0 {
			testWrong = fmt.Sprintf("%.1f of %d", wrong/float64(ok), tested)
		}
		pSeq, pSucc := "–", "–"
		if paperRow.Sequences > 0 {
			pSeq = fmt.Sprintf("%.0f", paperRow.Sequences)
			pSucc = fmt.Sprintf("%.0f %%", 100*paperRow.Success)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %.0f %% | %s | %s | %s | %s | %s | %v |\n", r.Name, pSeq, pSucc, n, 100*float64(ok)/float64(n), mean, median, rng, testWrong, orDash(paperRow.Wrong), seconds(rowTime))
	}
	b.WriteString("\nSequences are counted until the row's stopping criterion (Table 11) was met, over successful trials only;\n")
	b.WriteString("a trial that does not meet it within the cap counts as a failure. A row's trials' time is the sum of its trials' wall\n")
	b.WriteString("times (a resumed trial's over all its runs); trials run side by side on the workers.\n")
	return b.String()
}

// seconds rounds a time in seconds for the report.
func seconds(s float64) time.Duration {
	return (time.Duration(s * float64(time.Second))).Round(time.Second)
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
