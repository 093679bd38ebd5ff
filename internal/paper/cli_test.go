package paper

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/internal/sigtest"
	"github.com/lstm97/lstm97/train"
)

// TestMain lets the test binary act as an example program (Main) when LSTM97_PAPER_MAIN names
// its experiments, so that a test can send it a signal.
func TestMain(m *testing.M) {
	if ids := os.Getenv("LSTM97_PAPER_MAIN"); ids != "" {
		os.Args = append([]string{"paper"}, strings.Fields(os.Getenv("LSTM97_PAPER_ARGS"))...)
		Main(strings.Fields(ids)...)
	}
	os.Exit(m.Run())
}

// TestSIGINTMessage: an example program stopped by SIGINT exits with status 130 and says how
// far it got and where its checkpoint is, or that it has none.
func TestSIGINTMessage(t *testing.T) {
	for _, checkpoint := range []bool{true, false} {
		t.Run(fmt.Sprintf("checkpoint=%v", checkpoint), func(t *testing.T) {
			dir, args := t.TempDir(), "-q 200 -p 200 -max 100000000 -progress 50ms"
			want := "sequences; no checkpoint saved (run with -checkpoint DIR to be able to resume): interrupted"
			if checkpoint {
				args += " -checkpoint " + dir
				want = "sequences; checkpoint saved in " + dir + " (continue with -resume): interrupted"
			}
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "LSTM97_PAPER_MAIN=2c", "LSTM97_PAPER_ARGS="+args)
			rest, err := sigtest.Interrupt(t, cmd)
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
				t.Fatalf("exit: %v, want status 130", err)
			}
			last := ""
			if len(rest) > 0 {
				last = rest[len(rest)-1]
			}
			var n int
			if _, err := fmt.Sscanf(last, "after %d sequences;", &n); err != nil || n <= 0 || !strings.HasSuffix(last, want) {
				t.Errorf("last message %q, want \"after N sequences; ...%s\" with N > 0", last, want)
			}
			ck, err := train.LoadCheckpoint(dir)
			switch {
			case checkpoint && err != nil:
				t.Fatal(err)
			case checkpoint && ck.Sequences != n:
				t.Errorf("checkpoint after %d sequences, message says %d", ck.Sequences, n)
			case !checkpoint && err == nil:
				t.Errorf("a checkpoint in %s, though the run had no -checkpoint", dir)
			}
		})
	}
}
