package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/internal/benchnets"
	"gorgonia.org/tensor"
)

// fakeTorch stands in for torch_lstm97.py --serve: it answers every request with 500
// sequences per second.
const fakeTorch = `echo '{"ready": true, "torch": "fake"}'
while read -r line; do echo '{"impl": "fake", "seq_per_s": 500}'; done
`

// fakeC stands in for the C peer: adding at 100,000 steps per second (1,000 sequences of
// T = 100 steps, though it says 950 sequences per second as the real one, whose sequences are
// longer), reber at 2,000 sequences per second.
const fakeC = `case "$1" in
adding) echo "{\"impl\":\"c\",\"task\":\"adding\",\"T\":$2,\"seq_per_s\":950,\"steps_per_s\":100000,\"method\":\"rtrl\"}";;
reber) echo '{"impl":"c","task":"reber","T":null,"seq_per_s":2000,"steps_per_s":22000}';;
*) echo "usage: $0 adding T seconds | reber seconds" >&2; exit 2;;
esac
`

// script writes an executable shell script into dir.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeOptions parses args and points the peers at stand-ins with the given bodies ("" for
// torch: none).
func fakeOptions(t *testing.T, torch, c string, args ...string) options {
	t.Helper()
	o, err := parseArgs(append([]string{"-mem", "", "-seconds", "0.01", "-reps", "1"}, args...), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	o.peerScript, o.torch = "", nil
	if torch != "" {
		o.torch = []string{"/bin/sh", script(t, dir, "torch", torch)}
	}
	if c != "" {
		o.cpeer = script(t, dir, "c", c)
	}
	return o
}

// TestRows runs two configs against the fake peers and checks the JSON lines (exactly the
// five fields, the fake rates, ratio = ours / peer) and the table.
func TestRows(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	o := fakeOptions(t, fakeTorch, fakeC, "-json", "-configs", "adding T100 B1,exp1 train")
	var out, errOut bytes.Buffer
	if err := run(o, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Errorf("GOMAXPROCS after the run: got %d, want %d as before", got, procs)
	}
	want := []struct {
		config, peer string
		rate         float64
	}{
		{"adding T100 B1", "torch lstm97", 500},
		{"adding T100 B1", "torch nn.LSTM", 500},
		{"adding T100 B1", "c", 1000}, // steps per second / T
		{"exp1 train", "c", 2000},
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d %q: %v", i, l, err)
		}
		if len(m) != 5 {
			t.Errorf("line %d has %d fields, want 5: %s", i, len(m), l)
		}
		ours, _ := m["ours_seq_per_s"].(float64)
		rate, _ := m["peer_seq_per_s"].(float64)
		ratio, _ := m["ratio"].(float64)
		if m["config"] != want[i].config || m["peer"] != want[i].peer || rate != want[i].rate || !(ours > 0) {
			t.Errorf("line %d: got %s, want config %q, peer %q at %g and ours > 0", i, l, want[i].config, want[i].peer, want[i].rate)
		}
		if math.Abs(ratio-ours/rate) > 1e-3*ratio+1e-3 {
			t.Errorf("line %d: ratio %g, want ours / peer = %g", i, ratio, ours/rate)
		}
	}

	o.json = false
	out.Reset()
	if err := run(o, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, w := range []string{"| config | ours (seq/s) | peer | peer (seq/s) | ours / peer |\n|---|---|---|---|---|\n| adding T100 B1 | ",
		" | torch lstm97 | 500 | ", " | torch nn.LSTM | 500 | ", " | c | 1,000 | ", "| exp1 train | ", " | c | 2,000 | ",
		"torch: PyTorch fake (/bin/sh ", "c: " + o.cpeer + ";"} {
		if !strings.Contains(s, w) {
			t.Errorf("the table lacks %q:\n%s", w, s)
		}
	}
	if n := strings.Count(s, "\n| adding T100 B1 | ") + strings.Count(s, "\n| exp1 train | "); n != 4 {
		t.Errorf("got %d rows, want 4:\n%s", n, s)
	}
}

// TestMissingPeers checks that missing peers give null (n/a) rows and a note on stderr.
func TestMissingPeers(t *testing.T) {
	for _, jsonOut := range []bool{true, false} {
		o := fakeOptions(t, "", "", "-configs", "adding T100 B1", "-csrc", filepath.Join(t.TempDir(), "none.c"))
		o.json = jsonOut
		var out, errOut bytes.Buffer
		if err := run(o, &out, &errOut); err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{"skipping the torch rows", "no C peer source at "} {
			if !strings.Contains(errOut.String(), w) {
				t.Errorf("stderr lacks %q:\n%s", w, errOut.String())
			}
		}
		want := `"peer":"c","peer_seq_per_s":null,"ratio":null}`
		if !jsonOut {
			want = " | c | n/a | n/a |"
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("json %v: output lacks %q:\n%s", jsonOut, want, out.String())
		}
	}
}

// TestFailingPeers checks that a peer that fails is an error naming the config and the peer.
func TestFailingPeers(t *testing.T) {
	for _, c := range []struct {
		name, torch, c string
		want           []string
	}{
		{"c exits 1", fakeTorch, "echo oops >&2; exit 1", []string{"adding T100 B1: peer c: c peer", "oops"}},
		{"c prints nothing", fakeTorch, "echo '{\"task\":\"adding\",\"seq_per_s\":0}'", []string{"no result line for task adding"}},
		{"torch error", "echo '{\"ready\": true}'; read -r l; echo '{\"error\": \"boom\"}'", fakeC, []string{"peer torch lstm97: PyTorch peer: boom"}},
		{"torch dies", "echo '{\"ready\": true}'; exit 0", fakeC, []string{"peer torch lstm97: PyTorch peer: "}},
		{"no -cpeer binary", fakeTorch, "", []string{"peer c: -cpeer: stat /nonexistent/lstm97"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := fakeOptions(t, c.torch, c.c, "-configs", "adding T100 B1")
			if c.c == "" {
				o.cpeer = "/nonexistent/lstm97"
			}
			var out, errOut bytes.Buffer
			err := run(o, &out, &errOut)
			if err == nil {
				t.Fatalf("no error:\n%s", out.String())
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string // error, or the selected configs joined by "|"
	}{
		{nil, "adding T100 B1|adding T1000 B1|adding T100 B32|exp1 train|exp1 trial|wide64 B32 T50|wide64 B32 T50 2 threads|wide64 B32 T50 float32|wide256 B32 T50|wide256 B32 T50 2 threads|wide256 B32 T50 float32"},
		{[]string{"-configs", "wide64"}, "wide64 B32 T50|wide64 B32 T50 2 threads|wide64 B32 T50 float32"},
		{[]string{"-configs", " exp1 , ADDING  t100 b1"}, "adding T100 B1|exp1 train|exp1 trial"},
		{[]string{"-configs", "nope"}, `unknown config "nope" in -configs`},
		{[]string{"-configs", "T100B1"}, `unknown config "T100B1"`},
		{[]string{"-configs", ","}, "names no config"},
		{[]string{"-dtype", "float16"}, `-dtype must be float64 or float32, got "float16"`},
		{[]string{"-reps", "0"}, "-reps must be >= 1, got 0"},
		{[]string{"-seconds", "0"}, "-seconds must be > 0"},
		{[]string{"-trial-seqs", "0"}, "-trial-seqs must be >= 1"},
		{[]string{"-mem", "100,abc"}, `-mem: bad sequence length "abc"`},
		{[]string{"-mem", "2"}, `-mem: bad sequence length "2"`},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
	} {
		o, err := parseArgs(c.args, &bytes.Buffer{})
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			var names []string
			for _, cf := range o.configs {
				names = append(names, cf.name)
			}
			got = strings.Join(names, "|")
		}
		if !strings.Contains(got, c.want) || (err == nil && got != c.want) {
			t.Errorf("%q: got %q, want %q", c.args, got, c.want)
		}
	}
}

func TestParseC(t *testing.T) {
	for _, c := range []struct {
		out, task string
		T         int
		want      float64 // 0: an error
	}{
		{`{"impl":"c","task":"adding","T":100,"seq_per_s":950,"steps_per_s":100000}`, "adding", 100, 1000},
		{`{"impl":"c","task":"adding","T":100,"seq_per_s":950}`, "adding", 100, 950},
		{"warming up\n" + `{"impl":"c","task":"reber","T":null,"seq_per_s":2000,"steps_per_s":22000}`, "reber", 0, 2000},
		{`{"impl":"c","task":"reber","seq_per_s":2000}`, "adding", 100, 0},
		{`{"impl":"c","task":"adding","seq_per_s":0}`, "adding", 100, 0},
		{"", "reber", 0, 0},
	} {
		got, err := parseC([]byte(c.out), c.task, c.T)
		if (err != nil) != (c.want == 0) || got != c.want {
			t.Errorf("%q, %s: got %g, %v; want %g", c.out, c.task, got, err, c.want)
		}
	}
}

// TestTrialMeter runs the Exp. 1 trial harness for a few sequences.
func TestTrialMeter(t *testing.T) {
	got, err := (&trialMeter{seqs: 150}).rate(0)
	if err != nil || !(got > 0) {
		t.Errorf("got %g, %v; want a rate > 0", got, err)
	}
}

// TestWideMeter trains the 64-block net on 2 threads in float32, the batch in 2 parts, for
// one step and checks that GOMAXPROCS is restored.
func TestWideMeter(t *testing.T) {
	bt, err := benchnets.WideBatch(wideT, wideB)
	if err != nil {
		t.Fatal(err)
	}
	if sh, err := bt.Shape(); err != nil || sh.T != 50 || sh.B != 32 || sh.In != 32 || sh.Out != 8 || len(sh.TargetSteps) != 50 {
		t.Fatalf("wide batch shape %+v, %v", sh, err)
	}
	procs := runtime.GOMAXPROCS(0)
	m, err := wideMeter(64, tensor.Float32, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer m.close()
	if got, err := m.rate(1e-9); err != nil || !(got > 0) {
		t.Errorf("got %g, %v; want a rate > 0", got, err)
	}
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Errorf("GOMAXPROCS: got %d, want %d as before", got, procs)
	}
}

func TestThousands(t *testing.T) {
	for _, c := range []struct {
		x    float64
		want string
	}{{0, "0"}, {999.4, "999"}, {1000, "1,000"}, {1234567.6, "1,234,568"}, {-12345, "-12,345"}} {
		if got := thousands(c.x); got != c.want {
			t.Errorf("%g: got %q, want %q", c.x, got, c.want)
		}
	}
}

func TestChild(t *testing.T) {
	var out bytes.Buffer
	if err := child(30, tensor.Float32, &out); err != nil {
		t.Fatal(err)
	}
	var ms, mb float64
	if n, err := fmt.Sscanf(out.String(), "%f ms\t%f\n", &ms, &mb); n != 2 || err != nil || !(ms > 0) || !(mb > 1) {
		t.Errorf("child printed %q (%v), want the first step's time and the peak RSS in MB", out.String(), err)
	}
}
