package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/paper"
	"github.com/lstm97/lstm97/paper/report"
	"github.com/lstm97/lstm97/train/checkpoint"
)

// TestSmoke runs two trials of two rows with a small cap and checks the report.
func TestSmoke(t *testing.T) {
	dir := t.TempDir()
	out, jsonl := filepath.Join(dir, "r.md"), filepath.Join(dir, "r.jsonl")
	if err := reproduce(config{rows: "6a", trials: 2, max: 300, workers: 2, out: out, jsonl: jsonl, seed: 1}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "| 6a | 31390 | 100 % | 2 |") {
		t.Errorf("report:\n%s", b)
	}
	j, _ := os.ReadFile(jsonl)
	if n := strings.Count(string(j), "\n"); n != 2 {
		t.Errorf("%d JSON lines, want 2", n)
	}
}

func TestSelectRows(t *testing.T) {
	if rows, err := selectRows("", true); err != nil || len(rows) != len(paper.QuickRows) {
		t.Errorf("quick: %d rows, %v", len(rows), err)
	}
	for _, tc := range []struct {
		spec string
		want []string // row names; nil: an error
	}{
		{"4: T=100", []string{"4: T=100"}},
		{"1: 3 blocks of 2, α=0.5", []string{"1: 3 blocks of 2, α=0.5"}},
		{"4: T=100, linear output", []string{"4: T=100, linear output"}},
		{"4: T=100,4: T=100, linear output", []string{"4: T=100", "4: T=100, linear output"}},
		{"3c: T=100, N=1,3b: T=1000, N=1, 6a", []string{"3c: T=100, N=1", "3b: T=1000, N=1", "6a"}},
		{"3a: T=100, N=2", nil},
		{"9", nil},
		{"6a,", nil},
		{"6b", []string{"6b"}}, // the row, not also "6b, gradient clipped"
		{"6a,6a", []string{"6a"}},
		{"6a,6b, gradient clipped,6a", []string{"6a", "6b, gradient clipped"}},
		{"alll", nil},
	} {
		rows, err := selectRows(tc.spec, false)
		var got []string
		for _, r := range rows {
			got = append(got, r.Name)
		}
		if tc.want == nil {
			if err == nil {
				t.Errorf("%q: accepted as %q", tc.spec, got)
			}
			continue
		}
		if err != nil || strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%q: got %q, %v; want %q", tc.spec, got, err, tc.want)
		}
	}
	if rows, err := selectRows("1,4", false); err != nil || len(rows) != 17 { // Exp. 1: 5 rows, 3 diagnostics, 5 per-step rows; Exp. 4: 4 rows
		t.Errorf("1,4: %d rows, %v", len(rows), err)
	}
	// "all" among other rows: the rows listed before it keep their place, every other row
	// follows in table order, none twice.
	for spec, first := range map[string][]string{
		"all":                        nil,
		"4: T=1000,2a: p=100,all":    {"4: T=1000", "2a: p=100"},
		"4: T=1000,all,2a: p=100,6a": {"4: T=1000"},
	} {
		rows, err := selectRows(spec, false)
		if err != nil || len(rows) != len(paper.Rows) {
			t.Errorf("%q: %d rows (want %d), %v", spec, len(rows), len(paper.Rows), err)
			continue
		}
		want := append([]string(nil), first...)
		for _, r := range paper.Rows {
			if !slices.Contains(first, r.Name) {
				want = append(want, r.Name)
			}
		}
		for i := range rows {
			if rows[i].Name != want[i] {
				t.Errorf("%q: row %d is %q, want %q", spec, i, rows[i].Name, want[i])
				break
			}
		}
	}
}

// TestListRows: -list prints every row, each name accepted by -rows.
func TestListRows(t *testing.T) {
	var b strings.Builder
	if err := report.ListRows(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != len(paper.Rows)+1 {
		t.Fatalf("%d lines for %d rows:\n%s", len(lines), len(paper.Rows), b.String())
	}
	for i, r := range paper.Rows {
		line := lines[i+1]
		if !strings.HasPrefix(line, r.Name+"  ") {
			t.Errorf("line %d %q does not start with row %q", i+1, line, r.Name)
		}
		if rows, err := selectRows(r.Name, false); err != nil || len(rows) != 1 || rows[0].Name != r.Name {
			t.Errorf("-rows %q: %v, %v", r.Name, rows, err)
		}
	}
	var line6a string
	for _, l := range lines {
		if strings.HasPrefix(l, "6a ") {
			line6a = l
		}
	}
	for _, want := range []string{"20", "5000000", "31390", "yes"} {
		if !strings.Contains(line6a, want) {
			t.Errorf("row 6a: %q lacks %q", line6a, want)
		}
	}
}

// TestResumeSkipsFinishedTrials: a second run with -resume reuses the recorded trials.
func TestResumeSkipsFinishedTrials(t *testing.T) {
	dir := t.TempDir()
	c := config{rows: "6a", trials: 2, max: 300, workers: 1, out: filepath.Join(dir, "a.md"), seed: 1, checkpoint: filepath.Join(dir, "ck")}
	if err := reproduce(c, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := reproduce(c, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "use -resume") {
		t.Errorf("second run without -resume: %v", err)
	}
	c.resume, c.trials = true, 3
	var log strings.Builder
	if err := reproduce(c, io.Discard, &log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "(2 already finished)") || strings.Count(log.String(), "trial ") != 1 {
		t.Errorf("log:\n%s", log.String())
	}
	recs, err := report.ReadLedger(filepath.Join(c.checkpoint, "trials.jsonl"))
	if err != nil || len(recs) != 3 {
		t.Errorf("%d records, %v", len(recs), err)
	}
	report, err := os.ReadFile(c.out)
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, r := range recs {
		total += r.Seconds
	}
	for _, want := range []string{"The 3 trials took " + time.Duration(total*float64(time.Second)).Round(time.Second).String(), "2 of them finished in earlier runs", "| 6a | 31390 | 100 % | 3 |"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}

// smallRun runs 2 trials of 6a, 300 sequences each, into a checkpoint directory in a fresh
// temporary directory, and returns its configuration and the trials it recorded.
func smallRun(t *testing.T) (config, map[string]report.Record) {
	t.Helper()
	dir := t.TempDir()
	c := config{rows: "6a", trials: 2, max: 300, workers: 2, out: filepath.Join(dir, "a.md"), seed: 1, checkpoint: filepath.Join(dir, "ck")}
	if err := reproduce(c, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	recs, err := report.ReadLedger(filepath.Join(c.checkpoint, "trials.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return c, recs
}

// TestRowsInAnyOrder: rows run one at a time into one checkpoint directory give the records
// of a run of all of them at once, and a later run of all of them runs only the missing trials.
func TestRowsInAnyOrder(t *testing.T) {
	part, first := smallRun(t)
	dir := filepath.Dir(part.checkpoint)
	both := part
	both.rows, both.resume, both.out = "2c: q=50, p=50,6a", true, filepath.Join(dir, "b.md")
	var log strings.Builder
	if err := reproduce(both, io.Discard, &log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "(2 already finished)") || strings.Contains(log.String(), "6a trial") {
		t.Errorf("the second run did not skip the 6a trials; log:\n%s", log.String())
	}
	got, err := report.ReadLedger(filepath.Join(part.checkpoint, "trials.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	atOnce := both
	atOnce.resume, atOnce.checkpoint, atOnce.out = false, filepath.Join(dir, "ck2"), filepath.Join(dir, "c.md")
	if err := reproduce(atOnce, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	want, err := report.ReadLedger(filepath.Join(atOnce.checkpoint, "trials.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || len(want) != 4 {
		t.Fatalf("%d records in the directory run row by row, %d in the one run at once; want 4 each", len(got), len(want))
	}
	for k, w := range want {
		g := got[k]
		if g.Sequences != w.Sequences || g.Success != w.Success || g.Seed != w.Seed || g.Cap != w.Cap {
			t.Errorf("%s: row by row %+v, at once %+v", k, g, w)
		}
		if f, ok := first[k]; ok && f.Seconds != g.Seconds {
			t.Errorf("%s: ran again (%v s, first %v s)", k, g.Seconds, f.Seconds)
		}
	}
	report, err := os.ReadFile(both.out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| 6a | 31390 |", "| 2c: q=50, p=50 | 30000 |", "2 of them finished in earlier runs"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}

// TestResumeChecksSeedAndCap: a resumed run refuses finished trials that ran with other seeds
// or with a larger cap, and continues those that failed within a smaller cap from their
// checkpoints, to the same result as a trial run to the larger cap at once.
func TestResumeChecksSeedAndCap(t *testing.T) {
	c, _ := smallRun(t)
	dir := filepath.Dir(c.checkpoint)
	for _, tc := range []struct {
		seed int64
		max  int
		want string
	}{
		{2, 300, "resume with -seed 1"},
		{1, 200, "resume with a cap of at least 300"},
	} {
		c := c
		c.resume, c.seed, c.max = true, tc.seed, tc.max
		if err := reproduce(c, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("-seed %d -max %d: %v; want an error saying %q", tc.seed, tc.max, err, tc.want)
		}
	}
	c.resume, c.max = true, 700
	var log strings.Builder
	if err := reproduce(c, io.Discard, &log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "2 that failed within a smaller cap continue") || !strings.Contains(log.String(), "resumed after 300 sequences") {
		t.Errorf("log:\n%s", log.String())
	}
	recs, err := report.ReadLedger(filepath.Join(c.checkpoint, "trials.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	whole := config{rows: "6a", trials: 2, max: 700, workers: 2, out: filepath.Join(dir, "b.md"), seed: 1, checkpoint: filepath.Join(dir, "ck2")}
	if err := reproduce(whole, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	want, err := report.ReadLedger(filepath.Join(whole.checkpoint, "trials.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for k, w := range want {
		r := recs[k]
		if r.Cap != 700 || w.Cap != 700 || r.Sequences != w.Sequences || r.Success != w.Success || r.TestWrong != w.TestWrong || r.TestMSE != w.TestMSE {
			t.Errorf("%s: continued %+v, run at once %+v", k, r, w)
		}
		if r.Sequences <= 300 {
			t.Errorf("%s: %d sequences; the first run's cap was 300, so the trial did not continue", k, r.Sequences)
		}
	}
}

// TestStatusReport: -status reports the finished trials of a checkpoint directory, marks the
// report as partial and runs nothing.
func TestStatusReport(t *testing.T) {
	dir := t.TempDir()
	c := config{rows: "6a", trials: 2, max: 300, workers: 1, out: filepath.Join(dir, "a.md"), seed: 1, checkpoint: filepath.Join(dir, "ck")}
	if err := reproduce(c, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	c.rows, c.trials, c.status, c.resume, c.out = "6a,4: T=100", 3, true, true, filepath.Join(dir, "status.md")
	var log strings.Builder
	if err := reproduce(c, io.Discard, &log); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(c.out)
	if err != nil {
		t.Fatal(err)
	}
	report := string(b)
	for _, want := range []string{"Partial: 2 of the 6 trials have finished", "| 6a | 31390 | 100 % | 2 |"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if strings.Contains(report, "| 4: T=100 |") || strings.Contains(log.String(), "trial 2") {
		t.Errorf("a trial ran, or a row without finished trials is in the report:\n%s\nlog:\n%s", report, log.String())
	}
	if _, err := os.Stat(filepath.Join(c.checkpoint, slug("4: T=100"))); !os.IsNotExist(err) {
		t.Errorf("-status started a trial of row 4 (%v)", err)
	}
	for _, tc := range []struct{ checkpoint, want string }{
		{"", "-status needs -checkpoint"},
		{filepath.Join(dir, "none"), "no checkpoint directory to report on"},
	} {
		c.checkpoint = tc.checkpoint
		if err := reproduce(c, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("-status with -checkpoint %q: %v, want an error saying %q", tc.checkpoint, err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "none")); !os.IsNotExist(err) {
		t.Errorf("-status created a checkpoint directory (%v)", err)
	}
}

// TestStatusListsUnfinished: -status lists the trials that have checkpointed but not finished
// (here: those that failed within a smaller cap, which a larger one continues), with their
// sequences and time so far; a damaged checkpoint is reported, a trial not started is not listed.
func TestStatusListsUnfinished(t *testing.T) {
	c, recs := smallRun(t)
	dir := filepath.Dir(c.checkpoint)
	manifest := filepath.Join(c.checkpoint, slug("6a"), "trial1", checkpoint.ManifestName)
	if err := os.WriteFile(manifest, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.status, c.resume, c.max, c.trials, c.out = true, true, 700, 3, filepath.Join(dir, "status.md")
	if err := reproduce(c, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(c.out)
	if err != nil {
		t.Fatal(err)
	}
	report := string(b)
	r0 := recs["6a#0"]
	if r0.Success || r0.Sequences != 300 {
		t.Fatalf("trial 0 of 6a: %+v; the test needs it to fail within 300 sequences", r0)
	}
	for _, want := range []string{
		"Unfinished, as of their last checkpoints: 2 trials",
		"| 6a | 0 | 300 | 700 | ", // then its time, which the checkpoint keeps
		"| 6a | 1 | checkpoint unreadable: ",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if strings.Contains(report, "| 6a | 2 |") {
		t.Errorf("trial 2, never started, is listed:\n%s", report)
	}
}

// TestStatusBeforeAnyTrialFinished: a run whose trials have checkpointed but none has finished
// (no DIR/trials.jsonl yet, as in the first hours of a long row) gets a report that says so
// and lists them, not an error.
func TestStatusBeforeAnyTrialFinished(t *testing.T) {
	c, _ := smallRun(t)
	if err := os.Remove(filepath.Join(c.checkpoint, "trials.jsonl")); err != nil {
		t.Fatal(err)
	}
	c.status, c.resume, c.max, c.out = true, true, 700, filepath.Join(filepath.Dir(c.checkpoint), "status.md")
	if err := reproduce(c, io.Discard, io.Discard); err != nil {
		t.Fatalf("-status without a ledger: %v", err)
	}
	b, err := os.ReadFile(c.out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"0 of the 2 trials have finished", "Unfinished, as of their last checkpoints: 2 trials", "| 6a | 0 | 300 | 700 | ", "| 6a | 1 | 300 | 700 | "} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report lacks %q:\n%s", want, b)
		}
	}
}

// TestLedgerWithACutRecord: a record whose writing was cut short (the process died in it) at
// the end of DIR/trials.jsonl does not count as finished, does not stop -status or -resume,
// and is cut off before the next record is appended.
func TestLedgerWithACutRecord(t *testing.T) {
	dir := t.TempDir()
	c := config{rows: "6a", trials: 2, max: 300, workers: 1, out: filepath.Join(dir, "a.md"), seed: 1, checkpoint: filepath.Join(dir, "ck")}
	if err := reproduce(c, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	ledger := filepath.Join(c.checkpoint, "trials.jsonl")
	f, err := os.OpenFile(ledger, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"row":"6a","trial":2,"cap":300,"experi`); err != nil {
		t.Fatal(err)
	}
	f.Close()
	c.trials, c.resume = 3, true
	status := c
	status.status, status.out = true, filepath.Join(dir, "status.md")
	if err := reproduce(status, io.Discard, io.Discard); err != nil {
		t.Fatalf("-status: %v", err)
	}
	var log strings.Builder
	if err := reproduce(c, io.Discard, &log); err != nil {
		t.Fatalf("-resume: %v", err)
	}
	if !strings.Contains(log.String(), "(2 already finished)") || !strings.Contains(log.String(), "6a trial 2: success=") {
		t.Errorf("log:\n%s", log.String())
	}
	data, err := os.ReadFile(ledger)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 3 || !strings.HasSuffix(string(data), "\n") {
		t.Errorf("ledger after the resume:\n%s", data)
	}
	for i, line := range lines {
		var r report.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.Trial != i {
			t.Errorf("line %d %q: trial %d, %v", i+1, line, r.Trial, err)
		}
	}
}

// TestInterruptStopsTheDriver: once interrupted (SIGINT in main), the running trial saves its
// checkpoint and no further trial starts.
func TestInterruptStopsTheDriver(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c := config{rows: "2c: q=100, p=100", trials: 3, workers: 1, out: filepath.Join(dir, "a.md"), seed: 1,
		checkpoint: filepath.Join(dir, "ck"), ctx: ctx}
	var log strings.Builder
	err := reproduce(c, io.Discard, &log)
	if !errors.Is(err, checkpoint.ErrInterrupted) || !strings.Contains(err.Error(), "-resume") {
		t.Fatalf("err = %v, want an interruption that points to -resume", err)
	}
	if !strings.Contains(log.String(), "trial 0: interrupted") || strings.Contains(log.String(), "trial 1") {
		t.Errorf("log:\n%s", log.String())
	}
	row := filepath.Join(c.checkpoint, slug("2c: q=100, p=100"))
	ck, err := checkpoint.ReadData(filepath.Join(row, "trial0"))
	if err != nil || ck.Sequences <= 0 {
		t.Fatalf("trial 0's checkpoint: %v", err)
	}
	if _, err := os.Stat(filepath.Join(row, "trial1")); !os.IsNotExist(err) {
		t.Errorf("trial 1 started after the interruption (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(c.checkpoint, "trials.jsonl")); !os.IsNotExist(err) {
		t.Errorf("an interrupted trial was recorded as finished (%v)", err)
	}
	if _, err := os.Stat(c.out); !os.IsNotExist(err) {
		t.Errorf("a report was written for an interrupted run (%v)", err)
	}
	t.Logf("trial 0 saved after %d sequences", ck.Sequences)
}

// TestProgressLines: running trials report progress, each line prefixed with its row and trial.
func TestProgressLines(t *testing.T) {
	dir := t.TempDir()
	var log strings.Builder
	c := config{rows: "6a", trials: 2, max: 500, workers: 2, out: filepath.Join(dir, "a.md"), seed: 1, progress: time.Nanosecond}
	if err := reproduce(c, io.Discard, &log); err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 2; k++ {
		if !strings.Contains(log.String(), fmt.Sprintf("  6a trial %d: ", k)) {
			t.Errorf("no progress line of trial %d in:\n%.2000s", k, log.String())
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		if strings.Contains(line, "sequences") && strings.Count(line, "seq/s") > 1 {
			t.Errorf("interleaved line: %q", line)
		}
	}
}
