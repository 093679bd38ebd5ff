package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/internal/sigtest"
	"github.com/lstm97/lstm97/paper/trial"
	"github.com/lstm97/lstm97/train/checkpoint"
)

// TestMain lets the test binary act as an example program (Trial) when LSTM97_PAPER_MAIN names
// its experiments, so that a test can send it a signal.
func TestMain(m *testing.M) {
	if ids := os.Getenv("LSTM97_PAPER_MAIN"); ids != "" {
		os.Args = append([]string{"paper"}, strings.Fields(os.Getenv("LSTM97_PAPER_ARGS"))...)
		Trial(strings.Fields(ids)...)
	}
	os.Exit(m.Run())
}

// TestSIGINTMessage: an example program stopped by SIGINT exits with status 130 and says how
// far it got and where its checkpoint is, or that it has none.
func TestSIGINTMessage(t *testing.T) {
	for _, withDir := range []bool{true, false} {
		t.Run(fmt.Sprintf("checkpoint=%v", withDir), func(t *testing.T) {
			dir, args := t.TempDir(), "-q 200 -p 200 -max 100000000 -progress 50ms"
			want := "sequences; no checkpoint saved (run with -checkpoint DIR to be able to resume): interrupted"
			if withDir {
				args += " -checkpoint " + dir
				want = "sequences; checkpoint saved in " + dir + " (continue with -resume): interrupted"
			}
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "LSTM97_PAPER_MAIN=2c", "LSTM97_PAPER_ARGS="+args)
			rest, err := sigtest.Interrupt(t, cmd)
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
				t.Fatalf("exit: %v, want status 130", err)
			}
			last := ""
			if len(rest) > 0 {
				last = rest[len(rest)-1]
			}
			var n int
			if _, err := fmt.Sscanf(last, "after %d sequences;", &n); err != nil || n <= 0 || !strings.HasSuffix(last, want) {
				t.Errorf("last message %q, want \"after N sequences; ...%s\" with N > 0", last, want)
			}
			ck, err := checkpoint.ReadData(dir)
			switch {
			case withDir && err != nil:
				t.Fatal(err)
			case withDir && ck.Sequences != n:
				t.Errorf("checkpoint after %d sequences, message says %d", ck.Sequences, n)
			case !withDir && err == nil:
				t.Errorf("a checkpoint in %s, though the run had no -checkpoint", dir)
			}
		})
	}
}

func TestDriftFlag(t *testing.T) {
	var out, log bytes.Buffer
	code, err := TrialCommand([]string{"-drift", "5", "-max", "100", "-every", "100", "-progress", "0"}, []string{"1"}, &out, &log)
	if err != nil || code > 1 {
		t.Fatalf("exit %d, %v", code, err)
	}
	for _, want := range []string{"untrained net: cell states at the last step of 5 sequences", "trained net: cell states", `"drift":{"sequences":5`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if code, err := TrialCommand([]string{"-drift", "-3"}, []string{"1"}, &out, &log); code != 2 || err == nil || !strings.Contains(err.Error(), "-drift -3") {
		t.Errorf("-drift -3: exit %d, %v", code, err)
	}
}

func TestReberStepsFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ids  []string
		code int    // 0 or 1: it ran
		want string // in the output if it ran, in the error if not
	}{
		{[]string{"-reber-steps", "recall", "-max", "200", "-every", "100", "-progress", "0"}, []string{"1"}, 1, "target at the recall step only"},
		{[]string{"-reber-steps", "local", "-max", "200", "-every", "100", "-progress", "0"}, []string{"1"}, 1, "targets at the local steps only"},
		{[]string{"-reber-steps", "middle"}, []string{"1"}, 2, "-reber-steps"},
		{[]string{"-reber-steps", "local"}, []string{"4"}, 2, "flag provided but not defined: -reber-steps"},
	} {
		var out, log bytes.Buffer
		code, err := TrialCommand(tc.args, tc.ids, &out, &log)
		switch {
		case tc.code == 2 && (code != 2 || err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: exit %d, %v; want exit 2 naming %q", tc.args, code, err, tc.want)
		case tc.code < 2 && (code > 1 || err != nil || !strings.Contains(out.String(), tc.want)):
			t.Errorf("%q: exit %d, %v; output lacks %q:\n%s", tc.args, code, err, tc.want, out.String())
		}
	}
}

// TestFlagsArePerProgram: an example program defines the flags of its own experiments only,
// so a knob of another experiment is refused (exit 2) instead of being ignored, and -h lists
// only what applies.
func TestFlagsArePerProgram(t *testing.T) {
	for _, tc := range []struct {
		ids       []string
		have, not []string // flags in and not in the usage
	}{
		{[]string{"1"}, []string{"-blocks", "-reber-steps", "-every", "-h-prime-offset"}, []string{"-T", "-p", "-nseq", "-measure", "-fresh-test-sets"}},
		{[]string{"2a", "2b"}, []string{"-p", "-no-construct", "-every"}, []string{"-q", "-h-prime-offset", "-cells-only-recurrence", "-measure"}},
		{[]string{"2c"}, []string{"-p", "-q", "-cells-only-recurrence", "-h-prime-offset"}, []string{"-T", "-no-construct", "-measure"}},
		{[]string{"3a", "3b", "3c"}, []string{"-T", "-N", "-fresh-test-sets", "-every"}, []string{"-p", "-nseq", "-measure", "-blocks"}},
		{[]string{"5"}, []string{"-T", "-nseq", "-linear-output"}, []string{"-N", "-measure", "-every", "-fresh-test-sets"}},
		{[]string{"6a", "6b"}, []string{"-measure", "-clip-norm", "-exp"}, []string{"-T", "-N", "-p", "-q", "-nseq", "-every", "-blocks"}},
	} {
		var out, log bytes.Buffer
		if code, err := TrialCommand([]string{"-h"}, tc.ids, &out, &log); code != 2 || err == nil {
			t.Errorf("%v -h: exit %d, %v", tc.ids, code, err)
		}
		usage := log.String()
		for _, f := range tc.have {
			if !strings.Contains(usage, "  "+f+" ") && !strings.Contains(usage, "  "+f+"\n") {
				t.Errorf("%v: usage lacks %s:\n%s", tc.ids, f, usage)
			}
		}
		for _, f := range tc.not {
			if strings.Contains(usage, "  "+f+" ") || strings.Contains(usage, "  "+f+"\n") {
				t.Errorf("%v: usage lists %s, which none of its experiments has", tc.ids, f)
			}
			log.Reset()
			code, err := TrialCommand([]string{f, "1"}, tc.ids, &out, &log)
			if code != 2 || err == nil || !strings.Contains(err.Error(), "flag provided but not defined: "+f) {
				t.Errorf("%v %s 1: exit %d, %v; want exit 2, undefined flag", tc.ids, f, code, err)
			}
		}
	}
}

// TestRateAfterResume: after -resume, the progress lines' seq/s count the sequences of this
// run only (it printed 41,862 seq/s when it counted those of the earlier runs too, over this
// run's time), and the result's seconds and sequences both cover all runs.
func TestRateAfterResume(t *testing.T) {
	dir := t.TempDir()
	line := regexp.MustCompile(`(\d+) sequences +(\d+) seq/s`)
	run := func(max int, resume bool) (rates []float64, seconds float64) {
		args := []string{"-max", strconv.Itoa(max), "-checkpoint", dir, "-ckpt-every", "100000", "-progress", "1ns", "-test", "-1"}
		if resume {
			args = append(args, "-resume")
		}
		var out, log bytes.Buffer
		if code, err := TrialCommand(args, []string{"4"}, &out, &log); code != 1 || err != nil {
			t.Fatalf("%v: status %d, %v\n%s", args, code, err, log.String())
		}
		for _, m := range line.FindAllStringSubmatch(log.String(), -1) {
			r, err := strconv.ParseFloat(m[2], 64)
			if err != nil {
				t.Fatal(err)
			}
			rates = append(rates, r)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		var res struct {
			Sequences int
			Seconds   float64
		}
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil || res.Sequences != max {
			t.Fatalf("result %q: %v, want %d sequences", lines[len(lines)-1], err, max)
		}
		if len(rates) == 0 {
			t.Fatalf("no progress line in:\n%s", log.String())
		}
		return rates, res.Seconds
	}
	first, _ := run(3000, false)
	_, saved, err := trial.Saved(dir) // the first run's time up to its last checkpoint
	if err != nil {
		t.Fatal(err)
	}
	resumed, seconds := run(3100, true) // 100 sequences in this run: counting all 3100 inflates the rate 31-fold
	fastest := maxOf(first)
	for i, r := range resumed {
		if r > 5*fastest {
			t.Errorf("resumed run, progress line %d: %.0f seq/s, the first run's fastest %.0f seq/s", i+1, r, fastest)
			break
		}
	}
	if seconds <= saved {
		t.Errorf("the resumed run reports %.3f s for 3100 sequences, the checkpoint of the first run %.3f s for 3000: the time of the first run is missing", seconds, saved)
	}
	t.Logf("fastest progress rate: first run %.0f seq/s, resumed run %.0f seq/s (%d lines)", fastest, maxOf(resumed), len(resumed))
}

func maxOf(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
