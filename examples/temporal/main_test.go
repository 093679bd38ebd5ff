package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/internal/paper"
)

// TestSmoke runs a few hundred sequences and checks the final JSON line.
func TestSmoke(t *testing.T) {
	var out, errOut bytes.Buffer
	code, err := paper.Command(strings.Fields("-exp 6b -max 300 -progress 0"), []string{"6a", "6b"}, &out, &errOut)
	if err != nil || (code != 0 && code != 1) {
		t.Fatalf("exit %d: %v\n%s", code, err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var r paper.Result
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatalf("last line is not JSON: %v\n%s", err, out.String())
	}
	if r.Sequences == 0 || r.Weights == 0 || r.Success != (code == 0) {
		t.Errorf("result %+v, exit %d", r, code)
	}
}
