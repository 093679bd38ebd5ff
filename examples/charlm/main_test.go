package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// tiny gives the flags of a tiny model trained for n sequences, saved in dir, and more flags.
func tiny(dir string, n int, more ...string) []string {
	return append([]string{"-sequences", fmt.Sprint(n), "-batch", "8", "-T", "24", "-minT", "12", "-blocks", "8",
		"-embed", "8", "-lr", "0.02", "-progress", "160", "-sample", "30", "-checkpoint", dir}, more...)
}

// output runs the program with args and returns what it prints.
func output(t *testing.T, args []string) string {
	t.Helper()
	c, err := parse(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(c, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	return out.String()
}

// TestSmoke trains a tiny model briefly (fixed seed) and checks what the program promises:
// progress lines whose loss falls, a held-out figure better than uniform guessing, a
// checkpoint in the directory asked for, and a sample that starts with the prompt.
func TestSmoke(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ck")
	s := output(t, tiny(dir, 480))
	var losses []float64
	for _, m := range regexp.MustCompile(`= ([0-9.]+) bits/char`).FindAllStringSubmatch(s, -1) {
		v, _ := strconv.ParseFloat(m[1], 64)
		losses = append(losses, v)
	}
	if len(losses) != 3 {
		t.Fatalf("%d progress lines, want 3:\n%s", len(losses), s)
	}
	if !(losses[2] < losses[0]) {
		t.Errorf("loss did not fall: %v\n%s", losses, s)
	}
	m := regexp.MustCompile(`held-out: ([0-9.]+) bits/char .* \(uniform guessing: ([0-9.]+)\)`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no held-out line:\n%s", s)
	}
	got, _ := strconv.ParseFloat(m[1], 64)
	uniform, _ := strconv.ParseFloat(m[2], 64)
	if !(got < uniform) {
		t.Errorf("held-out %v bits/char, no better than uniform guessing %v", got, uniform)
	}
	if _, err := os.Stat(filepath.Join(dir, "checkpoint.json")); err != nil {
		entries, _ := os.ReadDir(dir)
		t.Errorf("no checkpoint manifest in %s (%v): %v", dir, entries, err)
	}
	i := strings.Index(s, "sample (temperature 0.7):\n")
	if i < 0 || !strings.HasPrefix(s[i+len("sample (temperature 0.7):\n"):], "The ") {
		t.Errorf("no sample starting with the prompt:\n%s", s)
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-sequences", "0"},
		{"-minT", "10", "-T", "5"},
		{"-temperature", "0"},
		{"-sample", "-1"},
		{"extra"},
	} {
		if _, err := parse(args, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	c, _ := parse(nil, io.Discard)
	c.Text = filepath.Join(t.TempDir(), "missing.txt")
	if err := run(c, io.Discard); err == nil || !strings.Contains(err.Error(), "missing.txt") {
		t.Errorf("missing text file: %v", err)
	}
}

// TestResumeIsTheSameRun: training 320 sequences, then resuming to 640 from the checkpoint,
// ends exactly where training 640 at once does (the same held-out figure and sample), with
// dropout on: the checkpoint keeps the weights, Adam's state, the states carried from chunk to
// chunk, the random sources and where the streams are.
func TestResumeIsTheSameRun(t *testing.T) {
	args := func(dir string, n int, more ...string) []string {
		return tiny(dir, n, append([]string{"-dropout", "0.1", "-every", "100"}, more...)...)
	}
	tail := func(a []string) string {
		s := output(t, a)
		return s[strings.Index(s, "held-out:"):]
	}
	want := tail(args(t.TempDir(), 640))
	dir := t.TempDir()
	tail(args(dir, 320))
	if got := tail(args(dir, 640, "-resume")); got != want {
		t.Errorf("resumed run ends with\n%s\nwant\n%s", got, want)
	}
	if _, err := parse([]string{"-resume"}, io.Discard); err == nil {
		t.Error("-resume without -checkpoint: no error")
	}
}
