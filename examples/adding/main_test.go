package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/internal/smoke"
	"github.com/lstm97/lstm97/paper"
	"github.com/lstm97/lstm97/paper/cli"
	"github.com/lstm97/lstm97/train/checkpoint"
)

// run runs the command on args and returns its exit status, stdout and final JSON result.
func run(t *testing.T, args string) (int, string, paper.Result, error) {
	t.Helper()
	var out, log bytes.Buffer
	code, err := cli.TrialCommand(strings.Fields(args), []string{"4"}, &out, &log)
	var r paper.Result
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); err == nil {
		if jerr := json.Unmarshal([]byte(lines[len(lines)-1]), &r); jerr != nil {
			t.Fatalf("last line is not JSON: %v\n%s", jerr, out.String())
		}
	}
	return code, out.String() + log.String(), r, err
}

// TestSmoke runs a few hundred sequences of the paper's network end to end.
func TestSmoke(t *testing.T) {
	r := smoke.Trial(t, "-T 10 -max 300 -progress 0", "4")
	if r.Weights != 93 || r.Experiment != "4" || r.Title != "adding problem, T=10" || r.Sequences != 300 || r.Success || r.TestSeqs != 0 {
		t.Errorf("result %+v", r)
	}
}

// TestPaperRow: the summary line quotes Table 7's row for the run's T (sequences and test
// errors), and says so for a T the paper has no row for.
func TestPaperRow(t *testing.T) {
	for _, tc := range []struct {
		T    int
		want string
	}{{100, "the paper (Table 7): 74000, test wrong 1 of 2560"}, {500, "the paper (Table 7): 209000, test wrong 0 of 2560"},
		{1000, "the paper (Table 7): 853000, test wrong 1 of 2560"}, {200, "the paper has no figure for this row"}} {
		_, out, _, err := run(t, fmt.Sprintf("-max 2 -progress 0 -T %d", tc.T))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, tc.want) {
			t.Errorf("T=%d: output %q, want it to say %q", tc.T, out, tc.want)
		}
	}
}

// TestSameSeedSameRun: the same seed gives the same run, bit for bit.
func TestSameSeedSameRun(t *testing.T) {
	_, _, a, err := run(t, "-T 10 -max 300 -progress 0 -test 20 -seed 3")
	if err != nil {
		t.Fatal(err)
	}
	_, _, b, err := run(t, "-T 10 -max 300 -progress 0 -test 20 -seed 3")
	if err != nil {
		t.Fatal(err)
	}
	a.Seconds, b.Seconds = 0, 0
	if a != b {
		t.Errorf("same seed, different results: %+v vs %+v", a, b)
	}
}

// TestBadFlags: bad values and flags of other experiments are errors with exit status 2.
func TestBadFlags(t *testing.T) {
	for _, tc := range []struct{ args, want string }{
		{"-T 2", "T must be in [4,"},
		{"-optimizer nope", "nope"},
		{"-measure rms", `unknown error measure "rms"`},
		{"-lr -1", "learning rate -1"},
		{"-N 3", "flag provided but not defined: -N"},
		{"-resume", "no checkpoint directory"},
	} {
		code, _, _, err := run(t, tc.args+" -max 10 -progress 0")
		if code != 2 || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: exit %d, %v; want exit 2 and an error saying %q", tc.args, code, err, tc.want)
		}
	}
}

// TestResumeIsBitIdentical: 600 sequences in one go, and 300 then a resume to 600, end with the
// same weights and optimizer state, bit for bit, with plain SGD and with Adam.
func TestResumeIsBitIdentical(t *testing.T) {
	for _, opt := range []string{"sgd", "adam"} {
		t.Run(opt, func(t *testing.T) {
			whole, parts := t.TempDir(), t.TempDir()
			args := "-T 10 -progress 0 -test -1 -ckpt-every 100 -optimizer " + opt
			if opt == "adam" {
				args += " -lr 0.01"
			}
			if _, _, _, err := run(t, args+" -max 600 -checkpoint "+whole); err != nil {
				t.Fatal(err)
			}
			if _, _, _, err := run(t, args+" -max 300 -checkpoint "+parts); err != nil {
				t.Fatal(err)
			}
			_, out, _, err := run(t, args+" -max 600 -resume -checkpoint "+parts)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "resumed after 300 sequences") {
				t.Fatalf("did not resume: %s", out)
			}
			a, err := checkpoint.ReadData(whole)
			if err != nil {
				t.Fatal(err)
			}
			b, err := checkpoint.ReadData(parts)
			if err != nil {
				t.Fatal(err)
			}
			if a.Sequences != 600 || b.Sequences != 600 {
				t.Fatalf("sequences %d, %d", a.Sequences, b.Sequences)
			}
			for _, name := range a.Params.Names() {
				x, _ := a.Params.Float64s(name)
				y, err := b.Params.Float64s(name)
				if err != nil {
					t.Fatal(err)
				}
				for i := range x {
					if x[i] != y[i] {
						t.Fatalf("%s[%d]: uninterrupted %v, resumed %v", name, i, x[i], y[i])
					}
				}
			}
			if (a.Optimizer == nil) != (opt == "sgd") {
				t.Errorf("optimizer state %v for %s", a.Optimizer, opt)
			}
			if a.Optimizer != nil {
				for slot, byParam := range a.Optimizer.Slots {
					for name, x := range byParam {
						y := b.Optimizer.Slots[slot][name]
						for i := range x {
							if x[i] != y[i] {
								t.Fatalf("optimizer slot %s of %s[%d]: uninterrupted %v, resumed %v", slot, name, i, x[i], y[i])
							}
						}
					}
				}
			}
		})
	}
}

// TestResumeRefusesOtherConfig: a checkpoint made with another learning rate is refused, and
// so is -resume from a directory without a checkpoint.
func TestResumeRefusesOtherConfig(t *testing.T) {
	dir := t.TempDir()
	if _, _, _, err := run(t, "-T 10 -max 100 -progress 0 -checkpoint "+dir); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := run(t, "-T 10 -max 200 -progress 0 -lr 0.3 -resume -checkpoint "+dir); err == nil || !strings.Contains(err.Error(), "was made with config") {
		t.Errorf("other lr: err = %v", err)
	}
	if _, _, _, err := run(t, "-T 10 -max 200 -progress 0 -resume -checkpoint "+t.TempDir()); err == nil || !strings.Contains(err.Error(), "no checkpoint") {
		t.Errorf("empty dir: err = %v", err)
	}
}
