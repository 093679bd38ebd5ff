package cli

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/paper"
	"github.com/lstm97/lstm97/paper/report"
)

// TestPlan: the plan counts the trials not recorded with this run's seed and cap, expects each
// from its row's recorded rate and success rate, and schedules them longest first; a row with
// no recorded trial is timed.
func TestPlan(t *testing.T) {
	dir := t.TempDir()
	ledger := filepath.Join(dir, "trials.jsonl")
	for _, r := range []report.Record{
		{Row: "6a", Trial: 0, Cap: 300, Result: paper.Result{Seed: 1, Sequences: 300, Seconds: 600}},  // finished: this run's seed and cap
		{Row: "6a", Trial: 1, Cap: 300, Result: paper.Result{Seed: 99, Sequences: 300, Seconds: 600}}, // another seed: times only
	} {
		if err := report.Append(ledger, r); err != nil {
			t.Fatal(err)
		}
	}
	c := config{rows: "6a,1: 3 blocks of 2, α=0.5", trials: 3, max: 300, seed: 1}
	var out, log bytes.Buffer
	if err := plan(c, "1,2,64", dir, &out, &log); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"5 of 6 trials remain",
		// 0.5 sequences per second, and every recorded trial failed within the cap of 300:
		// 600 s a trial.
		"6a                       2          10m0s      2 recorded trials (0.5 sequences/s, 0 of 2 succeeded within the cap)",
		"1: 3 blocks of 2, α=0.5  3",
		"no recorded trial:",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("plan lacks %q:\n%s", want, got)
		}
	}
	if !strings.Contains(log.String(), "paper: timed 1: 3 blocks of 2, α=0.5:") {
		t.Errorf("log: %s", log.String())
	}
	// The two 10-minute trials of 6a set the wall time: 20 min on one core, 10 on two or more
	// (the three short trials of row 1 fit beside them).
	var spans []string
	for _, l := range strings.Split(got, "\n") {
		if f := strings.Fields(l); len(f) == 3 && (f[0] == "1" || f[0] == "2" || f[0] == "64") {
			spans = append(spans, f[0]+": "+f[1])
		}
	}
	if s := strings.Join(spans, ", "); s != "1: 20m0s, 2: 10m0s, 64: 10m0s" {
		t.Errorf("wall times %s:\n%s", s, got)
	}
	for _, bad := range []string{"0", "2,x", ""} {
		if err := plan(c, bad, dir, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "want numbers of cores") {
			t.Errorf("-plan %q: %v", bad, err)
		}
	}
}
