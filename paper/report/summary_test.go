package report

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/paper"
)

// writeResults makes a results directory: a ledger with 10 trials of "4: T=100" (4 successful,
// after 1000..4000 sequences), 3 of 6a and one of a diagnostic variant of 6b, and earlier
// summaries of 4 T=100, 6a (20 trials) and 6b.
func writeResults(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ledger := filepath.Join(dir, "trials.jsonl")
	for k := 0; k < 10; k++ {
		r := Record{Row: "4: T=100", Trial: k, Cap: 5_000_000, Result: paper.Result{Sequences: 5_000_000}}
		if k < 4 {
			r.Success, r.Sequences = true, 1000*(k+1)
		}
		if err := Append(ledger, r); err != nil {
			t.Fatal(err)
		}
	}
	for k, r := range []Record{{Row: "6a", Trial: 0}, {Row: "6a", Trial: 1}, {Row: "6a", Trial: 2}, {Row: "6b, gradient clipped", Trial: 0}} {
		r.Success, r.Sequences = true, 100*(k+1)
		if err := Append(ledger, r); err != nil {
			t.Fatal(err)
		}
	}
	earlier := `{"row":"4: T=100","trials":10,"successes":10,"mean":606675,"cap":5000000,"source":"old"}
{"row":"6a","trials":20,"successes":20,"mean":26270,"median":24009,"source":"2026-11-24"}

{"row":"6b","trials":10,"successes":0,"cap":5000000,"source":"2026-11-24"}
`
	if err := os.WriteFile(filepath.Join(dir, EarlierName), []byte(earlier), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSummarize: a row's trials in the ledgers win over an earlier summary with no more trials,
// an earlier summary with more trials wins over a few trials in the ledgers, rows with neither
// and diagnostic variants are left out, and every summary carries the paper's figure.
func TestSummarize(t *testing.T) {
	sums, err := Summarize(writeResults(t))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Summary{}
	var order []string
	for _, s := range sums {
		got[s.Row] = s
		order = append(order, s.Row)
	}
	if strings.Join(order, "; ") != "4: T=100; 6a; 6b" {
		t.Fatalf("rows %q, want 4: T=100; 6a; 6b in the paper's order", order)
	}
	if s := got["4: T=100"]; s.Trials != 10 || s.Successes != 4 || s.Mean != 2500 || s.Median != 3000 || s.Source != "trials.jsonl" || s.Paper.Sequences != 74000 {
		t.Errorf("4: T=100 from the ledger: %+v", s)
	}
	if s := got["6a"]; s.Trials != 20 || s.Mean != 26270 || s.Source != "2026-11-24" || s.Paper.Sequences != 31390 {
		t.Errorf("6a from the earlier summary: %+v", s)
	}
	if s := got["6b"]; s.Successes != 0 || s.Cap != 5_000_000 {
		t.Errorf("6b: %+v", s)
	}
	var b strings.Builder
	if err := SummaryTable(&b, sums); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| 4: T=100 | 10 | 40 % | 2,500 (3,000) | 100 %, 74,000 | 0.034 |",
		"| 6a | 20 | 100 % | 26,270 (24,009) | 100 %, 31,390 | 0.84 |",
		"| 6b | 10 | 0 % (limit 5,000,000) | – | 100 %, 571,100 | – |",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

// TestSummarizeRefusesBadInput: a summary that does not add up, a line that is not JSON and a
// directory without results are errors naming what and where.
func TestSummarizeRefusesBadInput(t *testing.T) {
	for _, tc := range []struct{ earlier, want string }{
		{`{"row":"6a","trials":3,"successes":4,"mean":1,"source":"x"}`, "line 1: row \"6a\" with 4 of 3 trials"},
		{`{"row":"6a","trials":3,"successes":2,"source":"x"}`, "does not add up"},
		{"\n{", "earlier.jsonl line 2"},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, EarlierName), []byte(tc.earlier), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Summarize(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want one saying %q", tc.earlier, err, tc.want)
		}
	}
	if _, err := Summarize(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no results") {
		t.Errorf("empty directory: err = %v", err)
	}
}

// TestFigure: the summary figure is a PNG whose height grows with the number of rows; no rows
// is an error and leaves no file.
func TestFigure(t *testing.T) {
	sums, err := Summarize(writeResults(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	heights := map[int]int{}
	for _, n := range []int{1, 3} {
		path := filepath.Join(dir, "f.png")
		if err := Figure(path, sums[:n]); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		heights[n] = img.Bounds().Dy()
	}
	if heights[3] <= heights[1] {
		t.Errorf("heights %v: 3 rows should be taller than 1", heights)
	}
	empty := filepath.Join(dir, "empty.png")
	if err := Figure(empty, nil); err == nil {
		t.Error("no rows: no error")
	}
	if _, err := os.Stat(empty); !os.IsNotExist(err) {
		t.Errorf("a file was left for an empty figure (%v)", err)
	}
}
