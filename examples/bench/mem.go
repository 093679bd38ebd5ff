package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train"
)

// memTable prints, for each sequence length, the time from building the adding net to the end
// of its first training step and the peak memory, each measured in a child process of this
// program (-child-mem).
func memTable(lengths []int, dtype string, stdout, stderr io.Writer) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nNew sequence length, adding net: time from building the model to the end of the first training step, and peak memory (max RSS of a process that builds the model and trains 20 sequences)")
	fmt.Fprintln(stdout, "\n| T | first step | peak RSS (MB) |")
	fmt.Fprintln(stdout, "|---|---|---|")
	for _, T := range lengths {
		cmd := exec.Command(self, "-child-mem", strconv.Itoa(T), "-dtype", dtype)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, stderr
		if err := cmd.Run(); err != nil {
			return errors.Wrapf(err, "memory child for T=%d", T)
		}
		first, peak, ok := strings.Cut(strings.TrimSpace(out.String()), "\t")
		if !ok {
			return errors.Errorf("memory child for T=%d printed %q, want the first step's time and the peak RSS", T, out.String())
		}
		fmt.Fprintf(stdout, "| %d | %s | %s |\n", T, first, peak)
	}
	return nil
}

// child builds the adding net for length T, trains 20 sequences and prints the first step's
// time and, after a tab, its peak RSS in MB. The peak is the process's own (VmHWM): the
// rusage of a child of a Go program counts the parent's memory at the fork too.
func child(T int, dt tensor.Dtype, stdout io.Writer) error {
	data, err := addingBatches(20, T, 1, 2)
	if err != nil {
		return err
	}
	start := time.Now()
	opt, err := optim.NewSGD(addingLR, optim.Clip{})
	if err != nil {
		return err
	}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(addingNet()), Optimizer: opt, Seed: 1, Dtype: dt})
	if err != nil {
		return err
	}
	defer tr.Close()
	var first time.Duration
	for i, bt := range data {
		if _, err := tr.Step(bt); err != nil {
			return err
		}
		if i == 0 {
			first = time.Since(start)
		}
	}
	fmt.Fprintf(stdout, "%.1f ms\t%s\n", float64(first.Microseconds())/1000, peakRSS())
	return nil
}

// peakRSS is this process's peak resident set size in MB (VmHWM of /proc/self/status), or
// "n/a" where there is none.
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			var kb float64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%f kB", &kb); err == nil {
				return fmt.Sprintf("%.1f", kb/1024)
			}
		}
	}
	return "n/a"
}
