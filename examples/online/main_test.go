package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// TestSmoke trains one short sequence on each path and checks the result line.
func TestSmoke(t *testing.T) {
	line := regexp.MustCompile(`^T=20 steps=2[0-2] path=(online|graph) mode=per-(sequence|step) output=0\.\d{4} target=\d\.\d{4} error=\d\.\d{5} seconds=\d+\.\d{3}( learner=\d+B)? peakRSS=\d+\.\dMiB\n$`)
	for _, args := range []string{"-T 20", "-T 20 -mode per-step", "-T 20 -path graph -seed 3"} {
		var out bytes.Buffer
		if err := run(strings.Fields(args), &out); err != nil {
			t.Fatalf("%s: %v", args, err)
		}
		if !line.MatchString(out.String()) {
			t.Errorf("%s: printed %q", args, out.String())
		}
		if online := !strings.Contains(args, "graph"); online != strings.Contains(out.String(), "learner=") {
			t.Errorf("%s: learner storage shown %v", args, !online)
		}
	}
}

// TestSameStepsBothPaths: the two paths train a sequence of the same length for a seed (the
// length is the generators' first draw).
func TestSameStepsBothPaths(t *testing.T) {
	var a, b bytes.Buffer
	if err := run([]string{"-T", "40", "-seed", "5"}, &a); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-T", "40", "-seed", "5", "-path", "graph"}, &b); err != nil {
		t.Fatal(err)
	}
	steps := regexp.MustCompile(`steps=\d+`)
	if x, y := steps.FindString(a.String()), steps.FindString(b.String()); x == "" || x != y {
		t.Errorf("online %q, graph %q", x, y)
	}
}

// TestBadFlags: bad values are errors that say what is wrong.
func TestBadFlags(t *testing.T) {
	for _, tc := range []struct{ args, want string }{
		{"-T 2", "T must be in [4,"},
		{"-mode batch", `unknown -mode "batch"`},
		{"-path tape", `unknown -path "tape"`},
		{"-path graph -mode per-step", "-mode per-step is for -path online"},
		{"-T 10 extra", "unexpected arguments"},
		{"-nope", "flag provided but not defined: -nope"},
	} {
		var out bytes.Buffer
		if err := run(strings.Fields(tc.args), &out); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.args, err, tc.want)
		}
	}
}
