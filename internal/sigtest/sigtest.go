// Package sigtest is a test helper: it runs a training program as a subprocess, interrupts it
// with SIGINT once training is under way, and returns what the program printed afterwards.
package sigtest

import (
	"bufio"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Interrupt starts cmd, waits for its first progress line on stderr (one containing "seq/s"),
// sends SIGINT and waits up to 30 s for it to exit. It returns the stderr lines after the
// progress line and the error of cmd.Wait (an *exec.ExitError for a non-zero status).
func Interrupt(t testing.TB, cmd *exec.Cmd) (rest []string, err error) {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	progressed := false
	for sc.Scan() {
		if strings.Contains(sc.Text(), "seq/s") { // training is under way
			progressed = true
			break
		}
	}
	if !progressed {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("no progress line")
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	// Read to the end before Wait: Wait closes the pipe once the process has exited, which can
	// drop the last lines the reader has not taken yet (os/exec's documentation).
	read := make(chan struct{})
	go func() {
		for sc.Scan() {
			rest = append(rest, sc.Text())
		}
		close(read)
	}()
	select {
	case <-read:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-read
		cmd.Wait()
		t.Fatal("the run did not stop after SIGINT")
	}
	err = cmd.Wait()
	return rest, err
}
