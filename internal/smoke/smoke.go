// Package smoke is a test helper: it runs an example program's command with short settings and
// checks its final JSON line, so that the example programs cannot rot.
package smoke

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/paper"
	"github.com/lstm97/lstm97/paper/cli"
)

// Trial runs an example program's cli.TrialCommand with args (a few hundred sequences) and checks its
// final JSON line. The examples' tests call it.
func Trial(t testing.TB, args string, ids ...string) paper.Result {
	t.Helper()
	var out, errOut bytes.Buffer
	code, err := cli.TrialCommand(strings.Fields(args), ids, &out, &errOut)
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
	return r
}
