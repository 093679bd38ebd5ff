package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/paper/report"
	"github.com/lstm97/lstm97/paper/trial"
	"github.com/lstm97/lstm97/sweep"
)

// estimate is the expected time of one of a row's remaining trials, and where it comes from.
type estimate struct {
	seconds float64
	from    string
}

// plan prints the expected wall time of the selected rows' unfinished trials on each number of
// cores in coresFlag (comma-separated), one trial per core, longest first (sweep.Makespan).
// Finished trials are those of c's checkpoint directory (its ledger or its shards' ledgers)
// and of the results directories in recorded. A remaining trial's expected time comes from
// its row's recorded trials (any seed): their rate in sequences per second, and the sequences
// a trial needs (the successes' mean, weighted by the success rate at this cap, the cap for the
// failures). A row without a recorded trial is timed for a second or two here and expected to
// run to its cap: an upper bound.
func plan(c config, coresFlag, recorded string, stdout, log io.Writer) error {
	var cores []int
	for _, f := range strings.Split(coresFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return errors.Errorf("-plan %q: want numbers of cores >= 1, comma-separated (e.g. 2,64,1024)", coresFlag)
		}
		cores = append(cores, n)
	}
	c = c.withDefaults()
	rows, err := selectRows(c.rows, c.quick)
	if err != nil {
		return err
	}
	jobs, err := planJobs(rows, c.trials)
	if err != nil {
		return err
	}
	records, err := recordedTrials(c.checkpoint, recorded)
	if err != nil {
		return err
	}
	byRow := map[string][]report.Record{}
	for _, r := range records {
		byRow[r.Row] = append(byRow[r.Row], r)
	}
	byKey := map[string]job{}
	for _, j := range jobs {
		byKey[report.Key(j.row.Name, j.trial)] = j
	}
	finished := map[string]bool{}
	for _, r := range records {
		if j, ok := byKey[r.Key()]; ok && r.Seed == c.seed+int64(r.Trial) && (r.Success || r.Cap >= trialCap(j.spec, c.max)) {
			finished[r.Key()] = true
		}
	}
	var durations []float64
	est := map[string]estimate{}
	remaining := map[string]int{}
	for _, j := range jobs {
		if finished[report.Key(j.row.Name, j.trial)] {
			continue
		}
		e, ok := est[j.row.Name]
		if !ok {
			if e, err = estimateRow(c, j, byRow[j.row.Name], log); err != nil {
				return err
			}
			est[j.row.Name] = e
		}
		remaining[j.row.Name]++
		durations = append(durations, e.seconds)
	}
	total := 0.0
	for _, d := range durations {
		total += d
	}
	fmt.Fprintf(stdout, "%d of %d trials remain: %.1f trial-hours, expected.\n\n", len(durations), len(jobs), total/3600)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "row\tremaining\tper trial\texpected from")
	for _, r := range rows {
		if n := remaining[r.Name]; n > 0 {
			fmt.Fprintf(tw, "%s\t%d\t%v\t%s\n", r.Name, n, hours(est[r.Name].seconds), est[r.Name].from)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "cores\twall time (longest first)\tno schedule beats")
	for _, n := range cores {
		span, bound := sweep.Makespan(durations, n)
		fmt.Fprintf(tw, "%d\t%v\t%v\n", n, hours(span), hours(bound))
	}
	return tw.Flush()
}

// recordedTrials reads the finished trials of the checkpoint directory dir (its ledger, or its
// shards' ledgers; none if dir is "") and of the results directories listed in recorded.
func recordedTrials(dir, recorded string) ([]report.Record, error) {
	var out []report.Record
	if dir != "" {
		recs, err := report.ReadLedger(filepath.Join(dir, "trials.jsonl"))
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			out = append(out, r)
		}
		if isSharded(dir) {
			m, err := sweep.Collect(dir)
			if err != nil {
				return nil, err
			}
			for _, raw := range m.Results {
				var r report.Record
				if raw == nil {
					continue
				}
				if err := json.Unmarshal(raw, &r); err != nil {
					return nil, errors.Wrapf(err, "%s", dir)
				}
				out = append(out, r)
			}
		}
	}
	for _, d := range strings.Split(recorded, ",") {
		if d = strings.TrimSpace(d); d == "" {
			continue
		}
		if _, err := os.Stat(d); err != nil {
			return nil, errors.Wrap(err, "-recorded")
		}
		ledgers, err := report.ReadDir(d)
		if err != nil {
			return nil, err
		}
		for _, l := range ledgers {
			for _, r := range l.Records {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// estimateRow returns the expected time of a remaining trial of job j's row from the row's
// recorded trials recs, or, with none, from a short timed run of the row.
func estimateRow(c config, j job, recs []report.Record, log io.Writer) (estimate, error) {
	cap := float64(trialCap(j.spec, c.max))
	var seqs, secs, succSeqs float64
	var succ, decided int
	for _, r := range recs {
		seqs += float64(r.Sequences)
		secs += r.Seconds
		switch {
		case r.Success && float64(r.Sequences) <= cap:
			succ++
			decided++
			succSeqs += float64(r.Sequences)
		case r.Success || float64(r.Cap) >= cap:
			decided++ // failed within this cap, or succeeded only beyond it
		}
	}
	if secs > 0 {
		need := cap
		if decided > 0 {
			p := float64(succ) / float64(decided)
			need = (1 - p) * cap
			if succ > 0 {
				need += p * succSeqs / float64(succ)
			}
		}
		from := fmt.Sprintf("%d recorded trials (%s sequences/s, %d of %d succeeded within the cap)", len(recs), rate(seqs/secs), succ, decided)
		return estimate{seconds: need / (seqs / secs), from: from}, nil
	}
	// No recorded trial: time the row's trial for about a second, and expect the cap.
	for n := 200; ; n *= 2 {
		spec := *j.spec
		spec.Max = min(n, int(cap))
		start := time.Now()
		res, err := trial.Run(&spec, trial.Options{Seed: c.seed, Test: -1})
		if err != nil {
			return estimate{}, errors.Wrapf(err, "timing %s", j.row.Name)
		}
		took := time.Since(start).Seconds()
		if took >= 1 || spec.Max == int(cap) || res.Success {
			perSec := float64(res.Sequences) / took
			fmt.Fprintf(log, "paper: timed %s: %d sequences in %.1f s\n", j.row.Name, res.Sequences, took)
			if res.Success {
				return estimate{seconds: took, from: fmt.Sprintf("no recorded trial: one timed here, a success after %d sequences", res.Sequences)}, nil
			}
			return estimate{seconds: cap / perSec, from: fmt.Sprintf("no recorded trial: %s sequences/s timed here, to the cap", rate(perSec))}, nil
		}
	}
}

// hours rounds a time in seconds for the plan: to the minute from an hour on, else to the
// second.
func hours(s float64) string {
	d := time.Duration(s * float64(time.Second))
	if d >= time.Hour {
		return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
	}
	return d.Round(time.Second).String()
}

// rate formats a number of sequences per second.
func rate(x float64) string {
	if x >= 100 {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.3g", x)
}
