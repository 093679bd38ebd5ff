package cli

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
	"github.com/lstm97/lstm97/paper"
	"github.com/lstm97/lstm97/paper/report"
	"github.com/lstm97/lstm97/paper/trial"
	"github.com/lstm97/lstm97/sweep"
	"github.com/lstm97/lstm97/train/checkpoint"
)

type job struct {
	row   paper.Row
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

// Reproduce is the body of the reproduction driver (examples/paper): it parses the flags,
// runs the selected rows' trials on all cores and writes the report, and exits 0 on success,
// 2 on an error, 130 when interrupted (after the running trials saved their checkpoints).
func Reproduce() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code, err := ReproduceCommand(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "paper:", err)
	}
	os.Exit(code)
}

// ReproduceCommand runs Reproduce's work on the given arguments and returns the exit status:
// 0, 2 on an error, 130 when ctx was done before the trials finished (their checkpoints saved).
func ReproduceCommand(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("paper", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rowsFlag := fs.String("rows", "", "comma-separated experiment IDs (e.g. 1,4,6a), row names (e.g. \"4: T=100\") and 'all' (every row), run in the order listed; a row named twice runs once")
	quick := fs.Bool("quick", false, "the short-lag rows with 3 trials each and a cap of 1,000,000 sequences")
	trials := fs.Int("trials", 0, "trials per row (0: the paper's count)")
	max := fs.Int("max", 0, "cap on training sequences per trial, below the experiment's own limit (0: the paper's limit)")
	workers := fs.Int("workers", runtime.NumCPU(), "trials run at once")
	progress := fs.Duration("progress", time.Minute, "interval of each running trial's progress line on stderr (0: none)")
	out := fs.String("out", "", "write the Markdown report to this file (default: standard output; a shard writes none unless given -out)")
	jsonl := fs.String("jsonl", "", "also write every trial's result as JSON Lines to this file")
	seed := fs.Int64("seed", 1, "seed of the first trial (trial k uses seed+k)")
	ckDir := fs.String("checkpoint", "", "directory for checkpoints: each running trial saves into DIR/<row>/trial<k> every -checkpoint-every sequences and on SIGINT/SIGTERM, finished trials are recorded in DIR/trials.jsonl (DIR/shards/i-of-n.jsonl with -shard)")
	status := fs.Bool("status", false, "with -checkpoint: write the report of the trials finished so far (from DIR/trials.jsonl) and exit, running nothing")
	summary := fs.String("summary", "", "print the summary of the results recorded in this directory (e.g. docs/results: ledgers of finished trials, and earlier.jsonl), one line per row of the paper's tables, and exit")
	figure := fs.String("figure", "", "with -summary: also draw the summary as a PNG to this file")
	list := fs.Bool("list", false, "print every table row (name, the paper's trials, limit and figure) and exit")
	shardFlag := fs.String("shard", "", "run shard i/n of the trials only (e.g. 0/3): trial k of the job list is shard k mod n's; needs -checkpoint DIR, a directory all shards share, where shard i records its finished trials in DIR/shards/i-of-n.jsonl (default in a Slurm array job: from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT)")
	merge := fs.String("merge", "", "write the report of the sharded run in this directory (every shard's ledger) and exit; an error names the shards or trials that have not finished")
	noTiming := fs.Bool("no-timing", false, "leave every date and time out of the report, so that reports of the same trials compare byte for byte (a merge and a single-process run)")
	every := fs.Int("checkpoint-every", 50000, "with -checkpoint: each running trial saves its checkpoint every this many sequences")
	planFlag := fs.String("plan", "", "print the expected wall time of the selected rows' unfinished trials on these numbers of cores (e.g. 2,64,1024), from the trial times recorded in -recorded and -checkpoint (a row with none is timed here for a second or so and expected to run to its cap), and exit")
	recorded := fs.String("recorded", "", "with -plan: directories of recorded trials (ledgers, *.jsonl), comma-separated, e.g. docs/results")
	resume := fs.Bool("resume", false, "with -checkpoint: skip the trials recorded as finished and continue the others from their checkpoints, as well as those that failed within a smaller cap than this run's (-max)")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if fs.NArg() > 0 {
		return 2, errors.Errorf("unexpected arguments %q (row names go to -rows)", fs.Args())
	}
	c := config{rows: *rowsFlag, quick: *quick, trials: *trials, max: *max, workers: *workers, out: *out, jsonl: *jsonl,
		seed: *seed, checkpoint: *ckDir, resume: *resume || *status, status: *status, progress: *progress, ctx: ctx,
		noTiming: *noTiming, every: *every}
	var err error
	if c.shard, c.sharded, err = shardOf(*shardFlag); err != nil {
		return 2, err
	}
	switch {
	case *summary != "" || *figure != "":
		err = summarize(*summary, *figure, *out, stdout, stderr)
	case *list:
		err = report.ListRows(stdout)
	case *merge != "":
		var set []string
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "rows", "quick", "trials", "max", "seed", "shard", "checkpoint", "resume", "workers":
				set = append(set, "-"+f.Name)
			}
		})
		if len(set) > 0 {
			return 2, errors.Errorf("-merge takes the rows, trials, cap and seed from the shards' manifests: drop %s", strings.Join(set, ", "))
		}
		c.checkpoint = *merge
		err = mergeShards(c, false, stdout, stderr)
	case *planFlag != "":
		err = plan(c, *planFlag, *recorded, stdout, stderr)
	default:
		err = reproduce(c, stdout, stderr)
	}
	switch {
	case errors.Is(err, checkpoint.ErrInterrupted):
		return 130, err
	case err != nil:
		return 2, err
	}
	return 0, nil
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
	every       int           // sequences between a running trial's checkpoints
	noTiming    bool          // reports without dates and times (report.Run.NoTiming)
	shard       sweep.Shard   // the part of the job list this process runs (sweep.Whole if not sharded)
	sharded     bool          // -shard or a Slurm array task: the ledger is the shard's

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

// selectRows returns the rows that -rows names (see its help), or the quick rows.
func selectRows(spec string, quick bool) ([]paper.Row, error) {
	if quick && spec == "" {
		var out []paper.Row
		for _, r := range paper.Rows {
			for _, q := range paper.QuickRows {
				if r.Name == q {
					out = append(out, r)
				}
			}
		}
		return out, nil
	}
	if spec == "" {
		return paper.Rows, nil
	}
	// Row names may themselves contain commas ("4: T=100, linear output"), so at each position
	// the longest run of comma-separated parts that names a row or an experiment wins. A row's
	// name wins over the experiment of the same name: "6b" is the row 6b, not also its variants.
	// "all" stands for every row, so "2a: p=100,all" runs 2a first and then the others. A row
	// named twice runs once, at its first place.
	parts := strings.Split(spec, ",")
	var out []paper.Row
	seen := map[string]bool{}
	for i := 0; i < len(parts); {
		var match []paper.Row
		j := len(parts)
		for ; j > i && match == nil; j-- {
			id := strings.TrimSpace(strings.Join(parts[i:j], ","))
			var byID []paper.Row
			for _, r := range paper.Rows {
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
				match = paper.Rows
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

// reproduce runs the driver with configuration c: the report goes to stdout (or c.out), the
// log lines to log.
func reproduce(c config, stdout, log io.Writer) error {
	c = c.withDefaults()
	rows, err := selectRows(c.rows, c.quick)
	if err != nil {
		return err
	}
	if c.workers < 1 {
		return errors.New("-workers must be >= 1")
	}
	if c.every < 1 {
		return errors.Errorf("-checkpoint-every %d: want a number of sequences >= 1", c.every)
	}
	jobs, err := planJobs(rows, c.trials)
	if err != nil {
		return err
	}
	if c.status && c.checkpoint != "" && !c.sharded && isSharded(c.checkpoint) {
		return mergeShards(c, true, stdout, log)
	}
	lg, err := openLedger(c, jobs)
	if err != nil {
		return err
	}
	defer lg.close()
	jobs = lg.jobs
	start := time.Now()
	results, todo, extended, err := finishedEarlier(c, jobs, lg.done, lg.name)
	if err != nil {
		return err
	}
	if c.sharded {
		fmt.Fprintf(log, "paper: shard %s in %s: %d trials", c.shard, c.checkpoint, len(jobs))
	} else {
		fmt.Fprintf(log, "paper: %d trials", len(jobs))
	}
	fmt.Fprintf(log, " of %d rows on %d workers (%d already finished", len(rows), c.workers, len(jobs)-len(todo))
	if extended > 0 {
		fmt.Fprintf(log, "; %d that failed within a smaller cap continue from their checkpoints", extended)
	}
	fmt.Fprintf(log, ")\n")
	if c.status {
		return status(c, rows, jobs, results, todo, stdout, log)
	}
	if err := runJobs(c, jobs, todo, results, lg.record, log); err != nil {
		return err
	}
	if c.jsonl != "" {
		if err := writeRecords(c, results); err != nil {
			return err
		}
	}
	if c.sharded {
		// A shard's trials are a part of the report, which -merge writes; a shard writes its
		// own only to -out.
		fmt.Fprintf(log, "paper: shard %s finished its %d trials; once every shard has, -merge %s writes the report\n", c.shard, len(jobs), c.checkpoint)
	}
	if !c.sharded || c.out != "" {
		md := report.Markdown(rows, reportTrials(results), report.Run{Took: time.Since(start), Quick: c.quick, Max: c.max, Planned: len(jobs), NoTiming: c.noTiming})
		if err := writeReport(c.out, md, stdout, log); err != nil {
			return err
		}
	}
	fmt.Fprintf(log, "paper: done in %v\n", time.Since(start).Round(time.Second))
	return nil
}

// ledger is where a run records its finished trials: DIR/trials.jsonl, or its shard's ledger
// in DIR/shards (or nowhere, without a checkpoint directory).
type ledger struct {
	name   string                    // the file, for messages
	jobs   []job                     // the jobs of this process: all, or its shard's
	done   map[string]report.Record  // the trials recorded as finished, by report.Key
	record func(report.Record) error // nil: no ledger
	close  func()
}

// openLedger checks c's checkpoint directory and reads its ledger of finished trials (of jobs,
// or of c's shard of them).
func openLedger(c config, jobs []job) (*ledger, error) {
	lg := &ledger{jobs: jobs, done: map[string]report.Record{}, close: func() {}}
	switch {
	case c.status && c.checkpoint == "":
		return nil, errors.New("-status needs -checkpoint")
	case c.resume && c.checkpoint == "":
		return nil, errors.New("-resume needs -checkpoint")
	case c.sharded && c.checkpoint == "":
		return nil, errors.Errorf("shard %s: a sharded run needs -checkpoint DIR, a directory all shards share", c.shard)
	case c.sharded && c.status:
		return nil, errors.New("-status reports on every shard of DIR: run it without -shard (outside the array job)")
	case c.checkpoint == "":
		return lg, nil
	case c.sharded:
		return openShard(c, jobs)
	}
	lg.name = filepath.Join(c.checkpoint, "trials.jsonl")
	if c.status {
		// No ledger yet is a run whose trials have only checkpointed so far; no directory
		// is most likely a mistyped path.
		if _, err := os.Stat(c.checkpoint); err != nil {
			return nil, errors.Wrap(err, "-status: no checkpoint directory to report on")
		}
	} else if err := os.MkdirAll(c.checkpoint, 0o755); err != nil {
		return nil, err
	}
	if !c.resume {
		if _, err := os.Stat(lg.name); err == nil {
			return nil, errors.Errorf("%s exists: use -resume to continue that run, or another -checkpoint directory", lg.name)
		}
	}
	if isSharded(c.checkpoint) && !c.status {
		return nil, errors.Errorf("%s holds a sharded run (%s): run its shards with -shard i/n, or use another -checkpoint directory", c.checkpoint, filepath.Join(c.checkpoint, sweep.Dir))
	}
	var err error
	if lg.done, err = report.ReadLedger(lg.name); err != nil {
		return nil, err
	}
	lg.record = func(r report.Record) error { return report.Append(lg.name, r) }
	return lg, nil
}

// planJobs lists the trials of rows: trials each, or the paper's count if trials is 0.
func planJobs(rows []paper.Row, trials int) ([]job, error) {
	var jobs []job
	for _, r := range rows {
		s, err := paper.Lookup(r.ID, r.Variant)
		if err != nil {
			return nil, err
		}
		n := trials
		if n == 0 {
			n = s.Paper.Trials
		}
		for k := 0; k < n; k++ {
			jobs = append(jobs, job{row: r, spec: s, trial: k})
		}
	}
	return jobs, nil
}

// finishedEarlier sorts the jobs into those the ledger records as finished (their outcomes in
// results) and those to run (todo, indices into jobs), among them the ones that failed within a
// smaller cap than this run's and continue from their checkpoints (extended). A recorded trial
// that ran with another seed, or with a larger cap, is an error.
func finishedEarlier(c config, jobs []job, done map[string]report.Record, ledger string) (results []outcome, todo []int, extended int, err error) {
	results = make([]outcome, len(jobs))
	for i, j := range jobs {
		r, ok := done[report.Key(j.row.Name, j.trial)]
		if !ok {
			todo = append(todo, i)
			continue
		}
		if want := c.seed + int64(j.trial); r.Seed != want {
			return nil, nil, 0, errors.Errorf("%s: %s trial %d ran with seed %d, this run would give it %d: resume with -seed %d, or use another -checkpoint directory",
				ledger, j.row.Name, j.trial, r.Seed, want, r.Seed-int64(j.trial))
		}
		cap := trialCap(j.spec, c.max)
		switch {
		case r.Cap == 0 || r.Cap == cap:
		case r.Cap < cap && !r.Success: // the larger cap continues it from its checkpoint
			extended++
			todo = append(todo, i)
			continue
		case r.Cap < cap:
		default:
			return nil, nil, 0, errors.Errorf("%s: %s trial %d ran with a cap of %d sequences, this run's is %d: resume with a cap of at least %d (-max), or use another -checkpoint directory",
				ledger, j.row.Name, j.trial, r.Cap, cap, r.Cap)
		}
		results[i] = outcome{job: j, res: r.Result, earlier: true}
	}
	return results, todo, extended, nil
}

// status writes the report of the trials finished so far and lists the unfinished ones with
// their last checkpoints, running nothing.
func status(c config, rows []paper.Row, jobs []job, results []outcome, todo []int, stdout, log io.Writer) error {
	var got []outcome
	for _, o := range results {
		if o.earlier {
			got = append(got, o)
		}
	}
	var going []report.Unfinished
	for _, i := range todo {
		if u, ok := unfinished(c, jobs[i]); ok {
			going = append(going, u)
		}
	}
	md := report.Markdown(rows, reportTrials(got), report.Run{Took: -1, Quick: c.quick, Max: c.max, Planned: len(jobs), NoTiming: c.noTiming}) + report.MarkdownUnfinished(going)
	if err := writeReport(c.out, md, stdout, log); err != nil {
		return err
	}
	fmt.Fprintf(log, "paper: %d of %d trials finished\n", len(got), len(jobs))
	return nil
}

// unfinished returns how far job j's trial has come by its checkpoint in c's directory; ok is
// false for a trial that has not saved one.
func unfinished(c config, j job) (u report.Unfinished, ok bool) {
	u = report.Unfinished{Row: j.row.Name, Trial: j.trial, Cap: trialCap(j.spec, c.max)}
	var err error
	u.Sequences, u.Seconds, err = trial.Saved(trialDir(c.checkpoint, j))
	switch {
	case errors.Is(err, checkpoint.ErrNotFound):
		return u, false // not started
	case err != nil:
		u.Err = err
	}
	return u, true
}

// writeRecords writes the results of the finished trials os to the file c.jsonl (atomically),
// as JSON Lines of report.Record.
func writeRecords(c config, os []outcome) error {
	return atomicfile.Write(c.jsonl, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, o := range os {
			if err := enc.Encode(report.Record{Row: o.row.Name, Trial: o.trial, Cap: trialCap(o.spec, c.max), Result: o.res}); err != nil {
				return err
			}
		}
		return nil
	})
}

// runJobs runs the trials todo on c.workers goroutines, recording each finished one in results
// and in the ledger (if any). Once c.ctx is done, running trials save their checkpoints and no
// further trial starts.
func runJobs(c config, jobs []job, todo []int, results []outcome, record func(report.Record) error, log io.Writer) error {
	ctx := c.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	next, count := 0, len(jobs)-len(todo)
	for w := 0; w < c.workers; w++ {
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
				spec.Max = trialCap(j.spec, c.max)
				o := trial.Options{Seed: c.seed + int64(j.trial), Checkpoints: checkpoint.Policy{Context: ctx}, Progress: c.progress,
					Log: lockedWriter{mu: &mu, w: log}, Name: fmt.Sprintf("%s trial %d", j.row.Name, j.trial)}
				if c.checkpoint != "" {
					o.Checkpoints = checkpoint.Policy{Dir: trialDir(c.checkpoint, j),
						Every: c.every, Resume: c.resume, Optional: true, Context: ctx}
				}
				res, err := trial.Run(&spec, o)
				mu.Lock()
				results[i] = outcome{job: j, res: res, err: err}
				if err == nil && record != nil {
					err = record(report.Record{Row: j.row.Name, Trial: j.trial, Cap: spec.Max, Result: res})
					results[i].err = err
				}
				switch {
				case errors.Is(err, checkpoint.ErrInterrupted):
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
			return errors.Wrap(checkpoint.ErrInterrupted, "unfinished trials are lost (run with -checkpoint DIR to be able to resume)")
		}
		return errors.Wrapf(checkpoint.ErrInterrupted, "unfinished trials saved their checkpoints in %s; continue with -resume", c.checkpoint)
	}
	for _, o := range results {
		if o.err != nil {
			return errors.Wrapf(o.err, "%s trial %d", o.row.Name, o.trial)
		}
	}
	return nil
}

// reportTrials converts outcomes to the report's trials.
func reportTrials(os []outcome) []report.Trial {
	out := make([]report.Trial, len(os))
	for i, o := range os {
		out[i] = report.Trial{Row: o.row, Spec: o.spec, Index: o.trial, Result: o.res, Earlier: o.earlier}
	}
	return out
}

// writeReport writes the Markdown report md to the file out (atomically), or to stdout if out
// is empty.
func writeReport(out, md string, stdout, log io.Writer) error {
	if out == "" {
		_, err := io.WriteString(stdout, md)
		return err
	}
	if err := atomicfile.WriteBytes(out, []byte(md)); err != nil {
		return err
	}
	fmt.Fprintf(log, "paper: wrote %s\n", out)
	return nil
}

// summarize writes the summary table of the results in dir (to out, or stdout if out is empty)
// and, if figure is set, draws it there.
func summarize(dir, figure, out string, stdout, log io.Writer) error {
	if dir == "" {
		return errors.New("-figure needs -summary DIR")
	}
	sums, err := report.Summarize(dir)
	if err != nil {
		return err
	}
	var b strings.Builder
	if err := report.SummaryTable(&b, sums); err != nil {
		return err
	}
	if err := writeReport(out, b.String(), stdout, log); err != nil {
		return err
	}
	if figure == "" {
		return nil
	}
	if err := report.Figure(figure, sums); err != nil {
		return err
	}
	fmt.Fprintf(log, "paper: drew %s\n", figure)
	return nil
}
