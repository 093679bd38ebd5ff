package main

import (
	"bytes"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// TestSmoke runs a tiny measurement without peers and checks the table.
func TestSmoke(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run("T20B1,T10B4", 0.05, 1, "", "", "float64", tensor.Float64, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"| 20 | 1 | ", "| 10 | 4 | ", "n/a"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}

func TestChild(t *testing.T) {
	var out bytes.Buffer
	if err := child(30, tensor.Float32, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(strings.TrimSpace(out.String()), "ms") {
		t.Errorf("child printed %q", out.String())
	}
}

func TestBadConfigs(t *testing.T) {
	for _, c := range []string{"T2B1", "B1", "T100B0", "x"} {
		if _, err := parseShapes(c); err == nil {
			t.Errorf("%q: no error", c)
		}
	}
	if _, err := parseInts("100,abc"); err == nil {
		t.Error("bad length: no error")
	}
}
