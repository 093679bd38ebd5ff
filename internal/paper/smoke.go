package paper

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// Smoke runs an example program's Command with args (a few hundred sequences) and checks its
// final JSON line. The examples' tests call it.
func Smoke(t testing.TB, args string, ids ...string) Result {
	t.Helper()
	var out, errOut bytes.Buffer
	code, err := Command(strings.Fields(args), ids, &out, &errOut)
	if err != nil || (code != 0 && code != 1) {
		t.Fatalf("exit %d: %v\n%s", code, err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var r Result
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatalf("last line is not JSON: %v\n%s", err, out.String())
	}
	if r.Sequences == 0 || r.Weights == 0 || r.Success != (code == 0) {
		t.Errorf("result %+v, exit %d", r, code)
	}
	return r
}
