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
	_, noDot := exec.LookPath("dot")
	for _, c := range []config{
		{Exp: "4", View: "step"},
		{Exp: "2c", View: "step"}, // one-hot inputs
		{Exp: "1", View: "summary"},
		{Exp: "4", View: "full"},
		{Exp: "4", View: "steps", Unrolled: true},
		{Exp: "4", View: "step", Unrolled: true},
	} {
		name := c.Exp + "_" + c.View
		if c.Unrolled {
			name += "_unrolled"
		}
		c.Step, c.Steps, c.T, c.Format = 1, 2, 3, "svg"
		c.Out = filepath.Join(dir, name+".dot")
		var out strings.Builder
		if err := run(c, &out); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b, err := os.ReadFile(c.Out); err != nil || !strings.HasPrefix(string(b), "digraph") {
			t.Errorf("%s: %v %q", name, err, b)
		}
		if !strings.Contains(out.String(), "wrote "+c.Out) {
			t.Errorf("%s: the output does not name %s: %q", name, c.Out, out.String())
		}
		if noDot == nil {
			svg := strings.TrimSuffix(c.Out, ".dot") + ".svg"
			if _, err := os.Stat(svg); err != nil {
				t.Errorf("%s: not rendered: %v", name, err)
			}
			if !strings.Contains(out.String(), "wrote "+svg) {
				t.Errorf("%s: the output does not name %s: %q", name, svg, out.String())
			}
		}
	}
}

func TestBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []config{
		{Exp: "4", View: "side", T: 3, Out: filepath.Join(dir, "a.dot"), Format: "none"},
		{Exp: "4", View: "step", Step: 5, T: 3, Out: filepath.Join(dir, "b.dot"), Format: "none"},
		{Exp: "4", View: "step", T: 3, Out: filepath.Join(dir, "c.dot"), Format: "gif"},
		{Exp: "4", View: "full", T: 0, Out: filepath.Join(dir, "d.dot"), Format: "none"},
		{Exp: "4", View: "full", T: 3, Out: filepath.Join(dir, "missing", "e.dot"), Format: "none"},
		{Exp: "9", View: "full", T: 3, Out: filepath.Join(dir, "f.dot"), Format: "none"},
		{Exp: "4", View: "steps", Steps: 2, T: 3, Out: filepath.Join(dir, "g.dot"), Format: "none"}, // fused: no steps
	} {
		if err := run(c, io.Discard); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed runs left files: %v", entries)
	}
}
