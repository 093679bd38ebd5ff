// Command dot draws the network a user trains, layers.Net as the paper's experiments build it
// (the fused LSTM by default), as graphviz DOT and, when graphviz's dot is installed, renders it
// to SVG or PNG next to the DOT file. By default both go to lstm97-dot/ in the system's
// temporary directory (never into the source tree); -o names another file. It prints the
// paths it writes.
//
// Views: step (one time step: the memory cell diagram of the paper's Fig. 1; of the fused model
// too, whose LSTM node is drawn as the step it computes), steps (the first -steps steps
// unrolled, later ones collapsed: the paper's Fig. 2 unfolded in time; needs -unrolled),
// summary (one box per layer), full (every node). Truncation is drawn red and dashed; the cell
// state path s(t-1) -> s(t), the constant error carousel, bold blue.
//
// Usage:
//
//	go run ./examples/dot [-exp 4] [-view step] [-step 1] [-steps 2] [-T 3] [-grad] [-unrolled] [-o DIR/lstm.dot] [-format svg|png|none]
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/atomicfile"
	"github.com/lstm97/lstm97/dot"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/paper"
)

type config struct {
	Exp, View, Out, Format string
	Step, Steps, T         int
	Grad, Unrolled         bool
}

func main() {
	var c config
	flag.StringVar(&c.Exp, "exp", "4", "the paper's experiment whose network is drawn: "+strings.Join(paper.IDs, ", "))
	flag.StringVar(&c.View, "view", "step", "step, steps, summary or full")
	flag.IntVar(&c.Step, "step", 1, "time step of -view step")
	flag.IntVar(&c.Steps, "steps", 2, "steps unrolled by -view steps")
	flag.IntVar(&c.T, "T", 3, "sequence length of the model")
	flag.BoolVar(&c.Grad, "grad", false, "also draw the gradient nodes")
	flag.BoolVar(&c.Unrolled, "unrolled", false, "build the LSTM unrolled (one group of nodes per step) instead of the fused node that training uses")
	flag.StringVar(&c.Out, "o", filepath.Join(os.TempDir(), "lstm97-dot", "lstm.dot"), "DOT output file (its directory is created if needed)")
	flag.StringVar(&c.Format, "format", "svg", "render with graphviz to svg or png next to the DOT file; none to skip")
	flag.Parse()
	if err := os.MkdirAll(filepath.Dir(c.Out), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "dot:", err)
		os.Exit(1)
	}
	if err := run(c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "dot:", err)
		os.Exit(1)
	}
}

// model builds the network of experiment id for sequences of length T, as training builds it:
// its inputs are symbol indices (one-hot, Cell.SequenceOneHot) if the experiment's sequences
// come as symbols.
func model(id string, T int, unrolled bool) (*graph.Builder, string, error) {
	spec, err := paper.Lookup(id, paper.Variant{})
	if err != nil {
		return nil, "", err
	}
	shape := graph.Shape{T: T, B: 1, In: spec.Net.LSTM.Inputs, Out: spec.Net.Output.Units, TargetSteps: []int{T - 1}}
	if spec.Sample != nil {
		ex, err := spec.Sample(rand.New(rand.NewSource(1)))
		if err != nil {
			return nil, "", errors.Wrapf(err, "experiment %s: a sample sequence", id)
		}
		shape.OneHot = ex.Sequence.Symbols != nil
	}
	net := spec.Net
	net.Unrolled = unrolled
	b := graph.NewBuilder(graph.Config{Seed: 1})
	m, err := layers.BuildNet(b, net, shape)
	if err != nil {
		return nil, "", err
	}
	if _, err := vm.Compile(b, m.Loss); err != nil { // adds the gradient nodes
		return nil, "", err
	}
	return b, spec.Title, nil
}

func run(c config, out io.Writer) error {
	views := map[string]dot.ViewKind{"full": dot.ViewFull, "step": dot.ViewStep, "steps": dot.ViewSteps, "summary": dot.ViewSummary}
	view, ok := views[c.View]
	if !ok {
		return errors.Errorf("unknown view %q (want step, steps, summary or full)", c.View)
	}
	if c.Format != "svg" && c.Format != "png" && c.Format != "none" {
		return errors.Errorf("unknown format %q (want svg, png or none)", c.Format)
	}
	if c.T < 1 {
		return errors.Errorf("-T must be >= 1, got %d", c.T)
	}
	b, title, err := model(c.Exp, c.T, c.Unrolled)
	if err != nil {
		return err
	}
	start := time.Now()
	cfg := dot.Config{View: view, Step: c.Step, Steps: c.Steps, Gradients: c.Grad, Name: "Exp. " + c.Exp + ": " + title}
	if err := dot.WriteFile(c.Out, b, cfg); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s (%d graph nodes) in %v\n", c.Out, len(b.Graph().AllNodes()), time.Since(start).Round(time.Millisecond))
	if c.Format == "none" {
		return nil
	}
	dotBin, err := exec.LookPath("dot")
	if err != nil {
		fmt.Fprintln(out, "graphviz's dot is not installed (apt-get install -y graphviz): not rendering")
		return nil
	}
	img := strings.TrimSuffix(c.Out, filepath.Ext(c.Out)) + "." + c.Format
	start = time.Now()
	err = atomicfile.Write(img, func(w io.Writer) error {
		cmd := exec.Command(dotBin, "-T"+c.Format, c.Out)
		cmd.Stdout = w
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return errors.Wrapf(err, "graphviz: %s", strings.TrimSpace(stderr.String()))
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s in %v\n", img, time.Since(start).Round(time.Millisecond))
	return nil
}
