package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMain lets the test binary act as the program when LSTM97_PAPER_ARGS is set, so that the
// smoke test runs main itself.
func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv("LSTM97_PAPER_ARGS"); ok {
		os.Args = append([]string{"paper"}, strings.Fields(args)...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestSmoke runs the program: the list of rows, the summary of the recorded results, and two
// short trials of one row.
func TestSmoke(t *testing.T) {
	for _, tc := range []struct{ args, want string }{
		{"-list", "4: T=1000"},
		{"-summary ../../docs/results", "| 4: T=100 | 10 | 100 % |"},
		{"-rows 6a -trials 2 -max 200 -progress 0", "| 6a | 31390 | 100 % | 2 |"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "LSTM97_PAPER_ARGS="+tc.args)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("paper %s: %v; output lacks %q:\n%.3000s", tc.args, err, tc.want, out)
		}
	}
}
