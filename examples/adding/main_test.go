package main

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/train"
)

func smokeConfig() config {
	return config{T: 10, Batch: 1, Max: 300, Test: 20, Window: 50, Seed: 1, LR: 0.5, Beta: 0.01, Tol: 0.04,
		Optimizer: "sgd", Measure: "mse"}
}

// TestSmoke runs a few hundred sequences end to end and checks the report.
func TestSmoke(t *testing.T) {
	for _, batch := range []int{1, 4} {
		c := smokeConfig()
		c.Batch = batch
		var out, errOut bytes.Buffer
		r, err := run(c, &out, &errOut)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		var got result
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
			t.Fatalf("last line is not JSON: %q: %v", lines[len(lines)-1], err)
		}
		if got.Sequences < 300 || got.Sequences >= 300+batch || got.Weights != 93 || got.TestSequences != 20 || got.Task != "adding" {
			t.Errorf("batch %d: report %+v", batch, got)
		}
		if got.Success != r.Success || !strings.Contains(out.String(), "test: ") || !strings.Contains(out.String(), "no row for T=10") {
			t.Errorf("batch %d: output %q", batch, out.String())
		}
	}
}

// TestPaperRow: the summary line quotes Table 7's row for the run's T, not always T=100's.
func TestPaperRow(t *testing.T) {
	for _, tc := range []struct {
		T    int
		want string
	}{{100, "74,000 sequences, 1 wrong"}, {500, "209,000 sequences, 0 wrong"}, {1000, "853,000 sequences, 1 wrong"}, {200, "no row for T=200"}} {
		if got := paperRow(tc.T); !strings.Contains(got, tc.want) {
			t.Errorf("T=%d: %q, want it to say %q", tc.T, got, tc.want)
		}
	}
}

// TestWrongByTarget: with a tolerance of 1e-12 every test sequence is wrong, so the counts by target
// are the histogram of the test targets, drawn here again from the test seed.
func TestWrongByTarget(t *testing.T) {
	c := smokeConfig()
	c.Tol, c.Test = 1e-12, 200
	var out bytes.Buffer
	r, err := run(c, &out, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	var want [10]int
	rng := rand.New(rand.NewSource(c.Seed + 2_000_003))
	for i := 0; i < c.Test; i++ {
		q, err := datasets.Adding{T: c.T}.Sample(rng)
		if err != nil {
			t.Fatal(err)
		}
		want[min(9, int(10*q.Targets[len(q.Targets)-1][0]))]++
	}
	if r.TestWrong != c.Test || r.TestWrongByTarget != want {
		t.Errorf("%d wrong, by target %v; want %d, %v", r.TestWrong, r.TestWrongByTarget, c.Test, want)
	}
	if !strings.Contains(out.String(), "wrong by target:") {
		t.Errorf("no line of wrong sequences by target in %q", out.String())
	}
}

func TestSameSeedSameRun(t *testing.T) {
	var a, b bytes.Buffer
	ra, err := run(smokeConfig(), &a, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := run(smokeConfig(), &b, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if ra.TestMSE != rb.TestMSE || ra.TestWrong != rb.TestWrong {
		t.Errorf("same seed, different results: %v/%v vs %v/%v", ra.TestMSE, ra.TestWrong, rb.TestMSE, rb.TestWrong)
	}
}

func TestBadFlags(t *testing.T) {
	for name, edit := range map[string]func(*config){
		"T":         func(c *config) { c.T = 2 },
		"batch":     func(c *config) { c.Batch = 0 },
		"optimizer": func(c *config) { c.Optimizer = "nope" },
		"measure":   func(c *config) { c.Measure = "rms" },
		"lr":        func(c *config) { c.LR = -1 },
		"window":    func(c *config) { c.Window = 0 },
	} {
		c := smokeConfig()
		edit(&c)
		if _, err := run(c, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestResumeIsBitIdentical: 600 sequences in one go, and 300 then a resume to 600, end with the
// same weights, bit for bit, and the same test results.
func TestResumeIsBitIdentical(t *testing.T) {
	for _, opt := range []string{"sgd", "adam"} {
		t.Run(opt, func(t *testing.T) {
			whole, parts := t.TempDir(), t.TempDir()
			c := smokeConfig()
			c.Optimizer, c.LR, c.Max, c.Every = opt, 0.01, 600, 100
			if opt == "sgd" {
				c.LR = 0.5
			}
			c.Checkpoint = whole
			ra, err := run(c, &bytes.Buffer{}, &bytes.Buffer{})
			if err != nil {
				t.Fatal(err)
			}
			c.Checkpoint, c.Max = parts, 300
			if _, err := run(c, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
				t.Fatal(err)
			}
			c.Max, c.Resume = 600, true
			var errOut bytes.Buffer
			rb, err := run(c, &bytes.Buffer{}, &errOut)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(errOut.String(), "resumed from") {
				t.Fatalf("did not resume: %s", errOut.String())
			}
			a, err := train.LoadCheckpoint(whole)
			if err != nil {
				t.Fatal(err)
			}
			b, err := train.LoadCheckpoint(parts)
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
			if ra.TestMSE != rb.TestMSE || ra.TestWrong != rb.TestWrong || ra.Sequences != rb.Sequences {
				t.Errorf("results differ: %+v vs %+v", ra, rb)
			}
		})
	}
}

func TestResumeRefusesOtherConfig(t *testing.T) {
	dir := t.TempDir()
	c := smokeConfig()
	c.Checkpoint, c.Max = dir, 100
	if _, err := run(c, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	c.Resume, c.LR = true, 0.3
	if _, err := run(c, &bytes.Buffer{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "was made with config") {
		t.Errorf("err = %v", err)
	}
	c.Checkpoint = t.TempDir()
	if _, err := run(c, &bytes.Buffer{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "no checkpoint") {
		t.Errorf("empty dir: err = %v", err)
	}
}
