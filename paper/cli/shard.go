package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/paper/report"
	"github.com/lstm97/lstm97/sweep"
)

// shardOf returns the shard this process runs: the -shard flag's, or else the Slurm array
// task's (sweep.ShardFromEnv); sharded is false for neither.
func shardOf(flag string) (s sweep.Shard, sharded bool, err error) {
	if flag != "" {
		s, err = sweep.ParseShard(flag)
		return s, err == nil, errors.Wrap(err, "-shard")
	}
	s, sharded, err = sweep.ShardFromEnv()
	if err != nil {
		return s, false, errors.Wrap(err, "the shard of this Slurm array task (set -shard i/n to override)")
	}
	if !sharded {
		s = sweep.Whole
	}
	return s, sharded, nil
}

// isSharded reports whether dir holds a sharded run.
func isSharded(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, sweep.Dir))
	return err == nil && st.IsDir()
}

// withDefaults returns c with the -quick mode's trial count and cap, and the checkpoint
// interval of 50,000 sequences if it has none.
func (c config) withDefaults() config {
	if c.every == 0 {
		c.every = 50000
	}
	if c.quick {
		if c.trials == 0 {
			c.trials = 3
		}
		if c.max == 0 {
			c.max = 1_000_000
		}
	}
	return c
}

// runFlags are the flags that decide a run's job list, as the shards' manifests keep them for
// the merge.
type runFlags struct {
	Rows   string `json:"rows"`
	Quick  bool   `json:"quick,omitempty"`
	Trials int    `json:"trials"`
	Max    int    `json:"max"`
	Seed   int64  `json:"seed"`
}

// sweepPlan is the job list as a sweep plan: a job per trial, keyed by its row and number, with
// the seed and cap that decide its result.
func sweepPlan(c config, jobs []job) (*sweep.Plan, error) {
	sj := make([]sweep.Job, len(jobs))
	for k, j := range jobs {
		sj[k] = sweep.Job{Key: report.Key(j.row.Name, j.trial), Params: fmt.Sprintf("seed=%d cap=%d", c.seed+int64(j.trial), trialCap(j.spec, c.max))}
	}
	return sweep.NewPlan(sj, runFlags{Rows: c.rows, Quick: c.quick, Trials: c.trials, Max: c.max, Seed: c.seed})
}

// openShard opens c's shard of jobs in the checkpoint directory: the ledger records the shard's
// finished trials, and the jobs are the shard's.
func openShard(c config, jobs []job) (*ledger, error) {
	p, err := sweepPlan(c, jobs)
	if err != nil {
		return nil, err
	}
	l, err := sweep.Open(c.checkpoint, p, c.shard)
	if err != nil {
		return nil, err
	}
	lg := &ledger{name: sweep.LedgerPath(c.checkpoint, c.shard), done: map[string]report.Record{}, close: func() { l.Close() }}
	for _, k := range l.Owned() {
		j := jobs[k]
		lg.jobs = append(lg.jobs, j)
		raw, ok := l.Result(p.Jobs[k].Key)
		if !ok {
			continue
		}
		var r report.Record
		if err := json.Unmarshal(raw, &r); err != nil {
			l.Close()
			return nil, errors.Wrapf(err, "%s: %s trial %d", lg.name, j.row.Name, j.trial)
		}
		lg.done[r.Key()] = r
	}
	if !c.resume && len(lg.done) > 0 {
		l.Close()
		return nil, errors.Errorf("%s records finished trials: use -resume to continue that run, or another -checkpoint directory", lg.name)
	}
	lg.record = func(r report.Record) error { return l.Record(r.Key(), r) }
	return lg, nil
}

// mergeShards writes the report of the sharded run in c.checkpoint from every shard's ledger.
// The job list is rebuilt from the flags the shards recorded and must be theirs. With partial
// (-status), the report counts the finished trials and lists the unfinished ones; without, a
// trial without a result is an error that names it.
func mergeShards(c config, partial bool, stdout, log io.Writer) error {
	m, err := sweep.Collect(c.checkpoint)
	if err != nil {
		return err
	}
	var f runFlags
	if err := json.Unmarshal(m.Plan.Config, &f); err != nil {
		return errors.Wrapf(err, "%s: the shards' flags", c.checkpoint)
	}
	c.rows, c.quick, c.trials, c.max, c.seed = f.Rows, f.Quick, f.Trials, f.Max, f.Seed
	c = c.withDefaults()
	rows, err := selectRows(c.rows, c.quick)
	if err != nil {
		return errors.Wrapf(err, "%s: the shards' rows", c.checkpoint)
	}
	jobs, err := planJobs(rows, c.trials)
	if err != nil {
		return err
	}
	p, err := sweepPlan(c, jobs)
	if err != nil {
		return err
	}
	if p.Digest() != m.Plan.Digest() {
		return errors.Errorf("%s: the shards' job list is not what this program makes of their flags (-rows %q -trials %d -max %d -seed %d): were the rows changed since?",
			c.checkpoint, c.rows, c.trials, c.max, c.seed)
	}
	if !partial {
		if err := m.Complete(); err != nil {
			return errors.Errorf("%v; -status -checkpoint %s reports the trials finished so far", err, c.checkpoint)
		}
	}
	var got []outcome
	var going []report.Unfinished
	for k, raw := range m.Results {
		j := jobs[k]
		if raw == nil {
			if u, ok := unfinished(c, j); ok {
				going = append(going, u)
			}
			continue
		}
		var r report.Record
		if err := json.Unmarshal(raw, &r); err != nil {
			return errors.Wrapf(err, "%s: %s trial %d", sweep.LedgerPath(c.checkpoint, sweep.Shard{Index: k % m.Count, Count: m.Count}), j.row.Name, j.trial)
		}
		got = append(got, outcome{job: j, res: r.Result, earlier: true})
	}
	if c.jsonl != "" && !partial {
		if err := writeRecords(c, got); err != nil {
			return err
		}
	}
	md := report.Markdown(rows, reportTrials(got), report.Run{Took: -1, Quick: c.quick, Max: c.max, Planned: len(jobs), NoTiming: c.noTiming})
	if partial {
		md += report.MarkdownUnfinished(going)
	}
	if err := writeReport(c.out, md, stdout, log); err != nil {
		return err
	}
	fmt.Fprintf(log, "paper: %d of %d trials finished, in %d shards\n", len(got), len(jobs), m.Count)
	return nil
}
