package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSmoke runs two trials of two rows with a small cap and checks the report.
func TestSmoke(t *testing.T) {
	dir := t.TempDir()
	out, jsonl := filepath.Join(dir, "r.md"), filepath.Join(dir, "r.jsonl")
	if err := run("6a", false, 2, 300, 2, out, jsonl, 1, io.Discard); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "| 6a | 31390 | 100 % | 2 |") {
		t.Errorf("report:\n%s", b)
	}
	j, _ := os.ReadFile(jsonl)
	if n := strings.Count(string(j), "\n"); n != 2 {
		t.Errorf("%d JSON lines, want 2", n)
	}
}

func TestSelectRows(t *testing.T) {
	if rows, err := selectRows("", true); err != nil || len(rows) != len(quickRows) {
		t.Errorf("quick: %d rows, %v", len(rows), err)
	}
	if rows, err := selectRows("1,4", false); err != nil || len(rows) != 8 {
		t.Errorf("1,4: %d rows, %v", len(rows), err)
	}
	if rows, err := selectRows("4: T=100", false); err != nil || len(rows) != 1 {
		t.Errorf("row by name: %d rows, %v", len(rows), err)
	}
	if _, err := selectRows("9", false); err == nil {
		t.Error("row 9 accepted")
	}
}
