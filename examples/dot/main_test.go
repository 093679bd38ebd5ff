package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestViews(t *testing.T) {
	dir := t.TempDir()
	_, haveDot := exec.LookPath("dot")
	for _, view := range []string{"step", "steps", "summary", "full"} {
		out := filepath.Join(dir, view+".dot")
		if err := run(config{View: view, Step: 1, Steps: 2, T: 3, Out: out, Format: "svg"}, io.Discard); err != nil {
			t.Fatalf("%s: %v", view, err)
		}
		if b, err := os.ReadFile(out); err != nil || !strings.HasPrefix(string(b), "digraph") {
			t.Errorf("%s: %v %q", view, err, b)
		}
		if haveDot == nil {
			if _, err := os.Stat(strings.TrimSuffix(out, ".dot") + ".svg"); err != nil {
				t.Errorf("%s: not rendered: %v", view, err)
			}
		}
	}
}

func TestBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []config{
		{View: "side", T: 3, Out: filepath.Join(dir, "a.dot"), Format: "none"},
		{View: "step", Step: 5, T: 3, Out: filepath.Join(dir, "b.dot"), Format: "none"},
		{View: "step", T: 3, Out: filepath.Join(dir, "c.dot"), Format: "gif"},
		{View: "full", T: 0, Out: filepath.Join(dir, "d.dot"), Format: "none"},
		{View: "full", T: 3, Out: filepath.Join(dir, "missing", "e.dot"), Format: "none"},
	} {
		if err := run(c, io.Discard); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed runs left files: %v", entries)
	}
}
