package sweep

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDropPartialLine: a JSON Lines file's last line cut short is cut off, whatever its length.
func TestDropPartialLine(t *testing.T) {
	long := strings.Repeat("x", 10000)
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"a\n", "a\n"},
		{"a\nb", "a\n"},
		{"abc", ""},
		{"a\n" + long, "a\n"},
		{long + "\n" + long, long + "\n"},
		{long, ""},
	} {
		path := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(path, []byte(tc.in), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		err = dropPartialLine(f)
		f.Close()
		got, _ := os.ReadFile(path)
		if err != nil || string(got) != tc.want {
			t.Errorf("%.20q (%d bytes): got %.20q (%d bytes), %v; want %.20q (%d bytes)", tc.in, len(tc.in), got, len(got), err, tc.want, len(tc.want))
		}
	}
}

// TestAppendJSON: a line cut short at the end of the file is replaced by the new one, and
// ReadJSONLines skips such a line and says so.
func TestAppendJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.jsonl")
	if err := os.WriteFile(path, []byte("1\n{\"cut"), 0o644); err != nil {
		t.Fatal(err)
	}
	var lines []string
	read := func(_ int, b []byte) error { lines = append(lines, string(b)); return nil }
	if exists, partial, err := ReadJSONLines(path, read); !exists || !partial || err != nil || strings.Join(lines, ",") != "1" {
		t.Fatalf("before: %v %v %v %q", exists, partial, err, lines)
	}
	if err := AppendJSON(path, 2); err != nil {
		t.Fatal(err)
	}
	lines = nil
	if exists, partial, err := ReadJSONLines(path, read); !exists || partial || err != nil || strings.Join(lines, ",") != "1,2" {
		t.Fatalf("after: %v %v %v %q", exists, partial, err, lines)
	}
	if exists, _, err := ReadJSONLines(path+".none", read); exists || err != nil {
		t.Fatalf("no file: %v %v", exists, err)
	}
}
