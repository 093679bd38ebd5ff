package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
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
		if got.Success != r.Success || !strings.Contains(out.String(), "test: ") {
			t.Errorf("batch %d: output %q", batch, out.String())
		}
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
