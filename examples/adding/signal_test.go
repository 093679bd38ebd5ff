package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/internal/sigtest"
	"github.com/lstm97/lstm97/train"
)

// TestMain lets the test binary act as the command when LSTM97_ADDING_MAIN is set.
func TestMain(m *testing.M) {
	if os.Getenv("LSTM97_ADDING_MAIN") == "1" {
		os.Args = append([]string{"adding"}, strings.Fields(os.Getenv("LSTM97_ADDING_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestSIGINTSavesCheckpoint interrupts a long run and checks the exit status, the checkpoint
// and the last message, which says where the checkpoint is or that there is none.
func TestSIGINTSavesCheckpoint(t *testing.T) {
	for _, checkpoint := range []bool{true, false} {
		t.Run(fmt.Sprintf("checkpoint=%v", checkpoint), func(t *testing.T) {
			dir, args := t.TempDir(), "-T 20 -max 100000000 -progress 100ms -every 1000000"
			want := "no checkpoint saved (run with -checkpoint DIR to be able to resume)"
			if checkpoint {
				args += " -checkpoint " + dir
				want = "checkpoint saved in " + dir + " (continue with -resume)"
			}
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "LSTM97_ADDING_MAIN=1", "LSTM97_ADDING_ARGS="+args)
			rest, err := sigtest.Interrupt(t, cmd)
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 130 {
				t.Fatalf("exit: %v, want status 130", err)
			}
			if last := strings.Join(rest, "\n"); !strings.Contains(last, want) {
				t.Errorf("messages after SIGINT:\n%s\nwant one saying %q", last, want)
			}
			ck, err := train.LoadCheckpoint(dir)
			switch {
			case checkpoint && err != nil:
				t.Fatal(err)
			case checkpoint && (ck.Sequences <= 0 || ck.Params.NumWeights() != 93):
				t.Errorf("checkpoint after %d sequences with %d weights", ck.Sequences, ck.Params.NumWeights())
			case !checkpoint && err == nil:
				t.Errorf("a checkpoint in %s, though the run had no -checkpoint", dir)
			}
		})
	}
}
