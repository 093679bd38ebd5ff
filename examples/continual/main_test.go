package main

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strings"
	"testing"
)

// runArgs runs the command and returns its table rows, its report (the JSON line) and stderr.
func runArgs(t *testing.T, args string) ([]string, report, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(strings.Fields(args), &out, &errOut); err != nil {
		t.Fatalf("%s: %v", args, err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) < 3 {
		t.Fatalf("%s: printed %q", args, out.String())
	}
	var rep report
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		t.Fatalf("%s: last line: %v", args, err)
	}
	return lines[:len(lines)-1], rep, errOut.String()
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// checkFigures checks the figures of a part of a stream for sanity.
func checkFigures(t *testing.T, what string, f figures) {
	t.Helper()
	if !finite(f.MeanError, f.MeanAbsS, f.MaxAbsS) || f.MeanError < 0 || f.MeanAbsS < 0 || f.MeanAbsS > f.MaxAbsS {
		t.Errorf("%s: mean error %v, mean |s| %v, max |s| %v", what, f.MeanError, f.MeanAbsS, f.MaxAbsS)
	}
	if f.Correct < 0 || f.Correct > f.Strings || f.Steps < f.Strings {
		t.Errorf("%s: %d of %d strings correct in %d steps", what, f.Correct, f.Strings, f.Steps)
	}
}

// TestSmoke trains the three nets for 20,000 steps and checks the table, the JSON figures and
// the claim of the task: the 1997 cell's state drifts without bound over the stream, the
// forget gate's does not.
func TestSmoke(t *testing.T) {
	rows, rep, _ := runArgs(t, "-steps 20000 -test-strings 200 -test-every 600 -progress 0")
	row := regexp.MustCompile(`^\| (1997|forget|peepholes) \| 20000 \| \d+ \| [01]\.\d{3} \| \d+ \| (\S+ ){3}\S+ \| \d+ \| \d+ \| \d+/200 \| \S+ \| \S+ \| \d+ \| \d+\.\d \| \d+\.\d \|$`)
	if len(rows) != 2+len(netNames) {
		t.Fatalf("table %q, want a header, a rule and %d rows", rows, len(netNames))
	}
	for _, r := range rows[2:] {
		if !row.MatchString(r) {
			t.Errorf("row %q", r)
		}
	}
	if rep.Steps != 20000 || rep.LR != 0.5 || rep.Seed != 1 || rep.TestSeed != 2 || rep.TestStrings != 200 || rep.Targets != "next" || len(rep.Nets) != len(netNames) {
		t.Fatalf("report settings %+v", rep)
	}
	// The weights, counted by hand: 8 cells, 4 input and 4 output gates (and 4 forget gates),
	// each cell from 7 inputs and 16 (20) hidden units, each gate from those and a bias, 7
	// output units from the 8 cells, and 3 peepholes per cell.
	weights := map[string]int{"1997": 8*23 + 8*24 + 7*8, "forget": 8*27 + 12*28 + 7*8, "peepholes": 8*27 + 12*28 + 7*8 + 3*8}
	for i, n := range rep.Nets {
		if n.Net != netNames[i] || n.Weights != weights[n.Net] {
			t.Errorf("net %d is %s with %d weights, want %s with %d", i, n.Net, n.Weights, netNames[i], weights[netNames[i]])
		}
		if n.Steps != 20000 || n.Strings < 20000/20 || len(n.Quarters) != nQuarters {
			t.Fatalf("%s: %d steps, %d strings, %d quarters", n.Net, n.Steps, n.Strings, len(n.Quarters))
		}
		steps, strs := 0, 0
		for q, f := range n.Quarters {
			checkFigures(t, n.Net+" quarter", f)
			if f.Steps != 20000/nQuarters {
				t.Errorf("%s: quarter %d has %d steps", n.Net, q, f.Steps)
			}
			steps, strs = steps+f.Steps, strs+f.Strings
		}
		if steps != n.Steps || strs != n.Strings {
			t.Errorf("%s: the quarters have %d steps and %d strings, the net %d and %d", n.Net, steps, strs, n.Steps, n.Strings)
		}
		if n.RunBest < n.RunLast || n.RunBestEnd > n.Strings {
			t.Errorf("%s: best run %d (ending at string %d), last %d", n.Net, n.RunBest, n.RunBestEnd, n.RunLast)
		}
		if len(n.Tests) != n.Strings/600 {
			t.Errorf("%s: %d tests during %d strings, want one every 600", n.Net, len(n.Tests), n.Strings)
		}
		for k, te := range append(n.Tests, n.Test) {
			checkFigures(t, n.Net+" test", te.figures)
			if te.Strings != 200 || te.Successive > te.RunBest || te.RunBest > te.Correct {
				t.Errorf("%s test %d: %d successive, best run %d, %d/%d correct", n.Net, k, te.Successive, te.RunBest, te.Correct, te.Strings)
			}
			if want := min(600*(k+1), n.Strings); te.AfterStrings != want {
				t.Errorf("%s test %d: after %d strings, want %d", n.Net, k, te.AfterStrings, want)
			}
		}
		if !n.StorageConstant || n.StorageBytes <= 0 || n.RSSKiB <= 0 || n.PeakRSSKiB < n.RSSKiB || !finite(n.Seconds) {
			t.Errorf("%s: storage %d B (constant %v), RSS %d KiB, peak %d KiB, %v s", n.Net, n.StorageBytes, n.StorageConstant, n.RSSKiB, n.PeakRSSKiB, n.Seconds)
		}
	}
	// The 1997 cell's state grows with the stream: its largest |s| grows from quarter to
	// quarter, about linearly (from about 2,300 to 9,000 at this seed). The forget gate's
	// stays small; at this size it still rises (from about 13 to 53, while the net learns to
	// forget; over 10^6 steps it falls to about 9), so the test asserts that it stays two
	// orders of magnitude below the 1997 cell's.
	drift, forget := rep.Nets[0].Quarters, rep.Nets[1].Quarters
	for q := 1; q < nQuarters; q++ {
		if drift[q].MaxAbsS <= drift[q-1].MaxAbsS {
			t.Errorf("1997: max |s| %v in quarter %d, %v in quarter %d: want growth", drift[q].MaxAbsS, q, drift[q-1].MaxAbsS, q-1)
		}
	}
	last := drift[nQuarters-1].MaxAbsS
	if last < 3*drift[0].MaxAbsS || last < 1000 {
		t.Errorf("1997: max |s| %v in the last quarter, %v in the first: want an unbounded drift", last, drift[0].MaxAbsS)
	}
	for q, f := range forget {
		if f.MaxAbsS > 100 || f.MaxAbsS > last/100 {
			t.Errorf("forget: max |s| %v in quarter %d (the 1997 cell's %v at the end)", f.MaxAbsS, q, last)
		}
	}
}

// TestDeterministic: the same flags give the same figures.
func TestDeterministic(t *testing.T) {
	const args = "-nets forget,1997 -steps 3000 -test-strings 50 -progress 0 -seed 7 -test-seed 8 -targets legal"
	_, a, _ := runArgs(t, args)
	_, b, _ := runArgs(t, args)
	if a.Targets != "legal" {
		t.Errorf("targets %q", a.Targets)
	}
	for _, r := range []*report{&a, &b} {
		for i := range r.Nets {
			r.Nets[i].Seconds, r.Nets[i].RSSKiB, r.Nets[i].PeakRSSKiB = 0, 0, 0
		}
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Errorf("two runs differ:\n%s\n%s", ja, jb)
	}
}

// TestProgress checks the progress and test lines on stderr.
func TestProgress(t *testing.T) {
	_, rep, stderr := runArgs(t, "-nets 1997 -steps 2000 -test-strings 20 -test-every 50 -progress 1ns")
	progress := regexp.MustCompile(`^continual: 1997 steps=\d+ \(\d+%\) strings=\d+ err=\d\.\d{4} correct=[01]\.\d{3} mean\|s\|=\S+ max\|s\|=\S+ storage=22352B rss=\d+\.\dMiB \S+ steps/s$`)
	test := regexp.MustCompile(`^continual: 1997 test after \d+ strings: \d+ in a row correct, \d+/20 correct, mean\|s\|=\S+ max\|s\|=\S+$`)
	np, nt := 0, 0
	for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		switch {
		case progress.MatchString(l):
			np++
		case test.MatchString(l):
			nt++
		default:
			t.Errorf("stderr line %q", l)
		}
	}
	if want := rep.Nets[0].Strings; np != want || nt != want/50 {
		t.Errorf("%d progress lines and %d test lines for %d strings", np, nt, want)
	}
}

// TestBadFlags: bad values are errors that say what is wrong.
func TestBadFlags(t *testing.T) {
	for _, tc := range []struct{ args, want string }{
		{"-nets lstm", `unknown net "lstm"`},
		{"-nets forget,forget", `net "forget" given twice`},
		{"-steps 0", "-steps must be > 0"},
		{"-lr -1", "-lr must be in (0, 1e6]"},
		{"-lr NaN", "-lr must be in (0, 1e6]"},
		{"-seed 3 -test-seed 3", "-test-seed must differ from -seed"},
		{"-test-strings 0", "-test-strings must be > 0"},
		{"-test-every -1", "-test-every must be >= 0"},
		{"-progress -1s", "-progress must be >= 0"},
		{"-targets all", `unknown coding "all"`},
		{"-steps 10 extra", "unexpected arguments"},
		{"-nope", "flag provided but not defined: -nope"},
	} {
		var out, errOut bytes.Buffer
		if err := run(strings.Fields(tc.args), &out, &errOut); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.args, err, tc.want)
		}
		if out.Len() > 0 {
			t.Errorf("%s: printed %q", tc.args, out.String())
		}
	}
}
