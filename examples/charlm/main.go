// Command charlm trains a character-level language model: an embedding, two stacked layers of
// the 1997 LSTM, and a softmax over the characters, trained with softmax cross-entropy and
// Adam on minibatches of variable-length chunks of a text, with each layer's state (cell
// states s and activations y) carried from one chunk to the next. It prints the loss in nats
// and bits per character as it trains, the bits per character on a held-out tail of the text, saves a
// checkpoint, loads it back into a freshly built model, and samples text from that model.
//
// The default text (corpus.txt, about 8 KB of short stories written for this repository) is
// small, so the model learns its words and phrases quickly; point -text at any UTF-8 file. The
// defaults train for about a minute on two cores, from 5.8 bits per character (uniform guessing)
// to about 2.0 on the training text and 2.7 on the held-out tenth.
//
// The output layer sees the current character's embedding beside the second layer's cells. A
// 1997 memory cell has no forget gate: it integrates its input over the whole stream, so the
// cells alone cannot cheaply tell which character came last, and without that path the model
// stays near the 4.2 bits of character frequencies for thousands of sequences.
//
// Usage:
//
//	go run ./examples/charlm [-text FILE] [-sequences 40000] [-batch 16] [-T 64] [-minT 32]
//	                         [-blocks 32] [-cells 1] [-embed 32] [-lr 0.005] [-clip 5]
//	                         [-in-gate-bias 0] [-dropout 0] [-seed 1] [-sample 400]
//	                         [-checkpoint DIR [-every 10000] [-resume]]
//	                         [-prompt "The "] [-temperature 0.7] [-progress 5000]
//
// With -checkpoint DIR the run is saved there every -every sequences, on SIGINT or SIGTERM
// (exit status 130) and at the end, and left there; -resume continues it, the same run bit for
// bit (the weights, Adam's state, the states carried from chunk to chunk, the random sources
// and where the streams are), possibly with a larger -sequences. Without -checkpoint the model
// is saved in a temporary directory that is removed at exit. The exit status is 2 on an error.
package main

import (
	_ "embed"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand"
	"os"
	"strings"
	"time"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/dense"
	"github.com/lstm97/lstm97/layers/loss"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train"
	"github.com/lstm97/lstm97/train/checkpoint"
)

//go:embed corpus.txt
var corpus string

// Config is the model and training configuration; it is saved with the checkpoint.
type Config struct {
	Text        string  `json:"-"`
	Sequences   int     `json:"-"` // not part of the model: a resumed run may train longer
	Batch       int     `json:"batch"`
	T           int     `json:"t"`
	MinT        int     `json:"min_t"`
	Blocks      int     `json:"blocks"`
	Cells       int     `json:"cells"`
	Embed       int     `json:"embed"`
	LR          float64 `json:"lr"`
	Clip        float64 `json:"clip"`
	Dropout     float64 `json:"dropout"`
	InGateBias  float64 `json:"in_gate_bias"`
	Seed        int64   `json:"seed"`
	Checkpoint  string  `json:"-"`
	Every       int     `json:"-"`
	Resume      bool    `json:"-"`
	Sample      int     `json:"-"`
	Prompt      string  `json:"-"`
	Temperature float64 `json:"-"`
	Progress    int     `json:"-"`
	// Alphabet is the text's characters in symbol order (set from the text).
	Alphabet string `json:"alphabet"`
}

func main() {
	cfg, err := parse(os.Args[1:], os.Stderr)
	if err == flag.ErrHelp {
		os.Exit(0)
	}
	if err == nil {
		err = run(cfg, os.Stdout)
	}
	if errors.Is(err, checkpoint.ErrInterrupted) {
		fmt.Fprintln(os.Stderr, "charlm: interrupted; the run is saved in", cfg.Checkpoint)
		os.Exit(130)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "charlm:", err)
		os.Exit(2)
	}
}

func parse(args []string, stderr io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("charlm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Text, "text", "", "UTF-8 text file to learn (default: the shipped corpus.txt)")
	fs.IntVar(&c.Sequences, "sequences", 40000, "chunks to train on (sequences)")
	fs.IntVar(&c.Batch, "batch", 16, "chunks per minibatch (parallel streams)")
	fs.IntVar(&c.T, "T", 64, "longest chunk (characters)")
	fs.IntVar(&c.MinT, "minT", 32, "shortest chunk (characters)")
	fs.IntVar(&c.Blocks, "blocks", 32, "memory cell blocks per LSTM layer")
	fs.IntVar(&c.Cells, "cells", 1, "cells per block")
	fs.IntVar(&c.Embed, "embed", 32, "embedding width")
	fs.Float64Var(&c.LR, "lr", 0.005, "Adam learning rate")
	fs.Float64Var(&c.Clip, "clip", 5, "clip the global gradient norm to this (0: no clipping)")
	fs.Float64Var(&c.InGateBias, "in-gate-bias", 0, "initial bias of every input gate, e.g. -2 against state drift (Sec. 4); 0: random")
	fs.Float64Var(&c.Dropout, "dropout", 0, "dropout on the second layer's outputs")
	fs.Int64Var(&c.Seed, "seed", 1, "random seed (weights, chunks, dropout, sampling)")
	fs.StringVar(&c.Checkpoint, "checkpoint", "", "directory to save the model in (default: a temporary one)")
	fs.IntVar(&c.Every, "every", 10000, "with -checkpoint: save every this many sequences")
	fs.BoolVar(&c.Resume, "resume", false, "continue the run saved in -checkpoint DIR")
	fs.IntVar(&c.Sample, "sample", 400, "characters to generate at the end")
	fs.StringVar(&c.Prompt, "prompt", "The ", "text to start generating from")
	fs.Float64Var(&c.Temperature, "temperature", 0.7, "sampling temperature (> 0)")
	fs.IntVar(&c.Progress, "progress", 5000, "print progress every this many sequences")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, errors.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case c.Sequences <= 0, c.Batch <= 0, c.Blocks <= 0, c.Cells <= 0, c.Embed <= 0, c.Progress <= 0:
		return c, errors.New("-sequences, -batch, -blocks, -cells, -embed and -progress must be > 0")
	case c.MinT <= 0 || c.T < c.MinT:
		return c, errors.Errorf("chunk lengths -minT %d -T %d: want 1 <= minT <= T", c.MinT, c.T)
	case !(c.Temperature > 0) || math.IsInf(c.Temperature, 0):
		return c, errors.Errorf("-temperature %v: want a finite value > 0", c.Temperature)
	case c.Sample < 0:
		return c, errors.Errorf("-sample %d: want >= 0", c.Sample)
	case c.Every < 0:
		return c, errors.Errorf("-every %d: want >= 0", c.Every)
	case c.Resume && c.Checkpoint == "":
		return c, errors.New("-resume needs -checkpoint DIR")
	}
	return c, nil
}

// Model returns the language model's graph.ModelFunc: embedding -> LSTM -> LSTM -> (dropout)
// -> dense logits -> softmax cross-entropy, in the packed layout with lengths and, for each
// layer, its cell states and activations carried between batches. dropout draws the dropout
// masks of every batch shape's program (one source for all: a source made inside the function
// would start over for each shape and repeat its masks).
func Model(c Config, dropout *rand.Rand) graph.ModelFunc {
	vocab := len([]rune(c.Alphabet))
	return func(b *graph.Builder, s graph.Shape) (*graph.Model, error) {
		if !s.OneHot || !s.Labels || s.In != vocab || s.Out != vocab {
			return nil, errors.Errorf("charlm: batch of %d-symbol inputs and %d-class labels (one-hot %v, labels %v), want %d and %d", s.In, s.Out, s.OneHot, s.Labels, vocab, vocab)
		}
		m := &graph.Model{Packed: true}
		x := b.Input("x", s.T*s.B, 1)
		m.Lengths = b.Input("lengths", s.B, 1)
		emb, err := dense.NewEmbedding(b, dense.EmbeddingConfig{Name: "embed", Vocab: vocab, Dim: c.Embed})
		if err != nil {
			return nil, err
		}
		e := emb.Apply(x, s.B)
		h := e
		for l := 0; l < 2; l++ {
			name := fmt.Sprintf("lstm%d", l)
			in := c.Embed
			if l > 0 {
				in = c.Blocks * c.Cells
			}
			var gate []float64 // nil: random like the other weights
			for j := 0; j < c.Blocks && c.InGateBias != 0; j++ {
				gate = append(gate, c.InGateBias)
			}
			cell, err := layers.NewCell(b, layers.Config{Name: name, Inputs: in, NumBlocks: c.Blocks, CellsPerBlock: c.Cells, InputGateBias: gate})
			if err != nil {
				return nil, err
			}
			st := b.Scope("state").Scope(name)
			initS := st.Input("s", s.B, cell.Config().NumCells())
			initY := st.Input("y", s.B, cell.Config().NumSources())
			r := cell.SequenceWith(h, s.T, layers.SeqOptions{Lengths: m.Lengths, InitS: initS, InitY: initY, Final: true})
			m.Carry = append(m.Carry, graph.Carry{Init: initS, Final: r.FinalS}, graph.Carry{Init: initY, Final: r.FinalY})
			h = r.Cells
		}
		if c.Dropout > 0 {
			h = dense.Dropout(b, h, c.Dropout, dropout)
		}
		// The head sees the current character's embedding beside the second layer's cells,
		// as the paper's nets connect inputs to output units (connectivity B): every 1997
		// cell integrates its input over the whole stream (there is no forget gate), so the
		// cells alone cannot say cheaply which character came last.
		head, err := dense.New(b, dense.Config{Name: "head", In: c.Embed + c.Blocks*c.Cells, Out: vocab})
		if err != nil {
			return nil, err
		}
		logits := head.Apply(b.Concat(1, e, h))
		target := b.Input("target", s.T*s.B, 1)
		m.Mask = b.Input("mask", s.T*s.B, 1)
		m.Inputs, m.Targets, m.Outputs = []*G.Node{x}, []*G.Node{target}, []*G.Node{logits}
		m.Loss = loss.SoftmaxCrossEntropy(b, logits, target, m.Mask)
		return m, b.Err()
	}
}

func run(c Config, stdout io.Writer) error {
	text := corpus
	if c.Text != "" {
		raw, err := os.ReadFile(c.Text)
		if err != nil {
			return err
		}
		text = string(raw)
	}
	vocab, err := datasets.NewVocabulary(text)
	if err != nil {
		return errors.Wrapf(err, "text %q", c.Text)
	}
	c.Alphabet, _ = vocab.Decode(seq(vocab.Size()))
	all, err := vocab.Encode(text)
	if err != nil {
		return err
	}
	// The last tenth of the text is held out to measure what the model learnt.
	cut := len(all) - len(all)/10
	trainText, heldOut := all[:cut], all[cut:]
	// The random sources whose states a checkpoint keeps, so that a resumed run is the same run.
	chunks, drops := datasets.NewSource(c.Seed), datasets.NewSource(c.Seed+1)
	streams, err := datasets.NewStreams(trainText, vocab.Size(), c.Batch, c.MinT, c.T, rand.New(chunks))
	if err != nil {
		return err
	}
	tr, err := newTrainer(c, drops)
	if err != nil {
		return err
	}
	defer tr.Close()
	fmt.Fprintf(stdout, "charlm: %d characters (%d held out), %d symbols; 2 layers of %d blocks x %d cells; batch %d, chunks of %d-%d characters\n",
		len(all), len(heldOut), vocab.Size(), c.Blocks, c.Cells, c.Batch, c.MinT, c.T)

	dir := c.Checkpoint
	if dir == "" {
		if dir, err = os.MkdirTemp("", "charlm-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	// The run's checkpoint: the trainer (with the states it carries from chunk to chunk), the
	// random sources and where the streams are.
	policy := checkpoint.Policy{Dir: dir, Resume: c.Resume}
	if c.Checkpoint != "" {
		policy.Every = c.Every
	}
	state := checkpoint.State{Trainer: tr, RNGs: map[string]*datasets.Source{"chunks": chunks, "dropout": drops}, Config: c, Extra: streams}
	if ok, err := policy.Restore(state); err != nil {
		return err
	} else if ok {
		fmt.Fprintf(stdout, "resumed from %s after %d sequences\n", dir, tr.Seen())
	}
	save, stop := policy.Hook(state)
	defer stop()

	src := train.SourceFunc(func() (train.Batch, error) {
		seqs, cont := streams.Next()
		bt, err := train.Stack(seqs...)
		bt.Continue = cont
		return bt, err
	})
	start, last := time.Now(), time.Now()
	var sum, chars, total float64
	first, lastSeen := tr.Seen(), tr.Seen()
	progress := func(seen int, bt train.Batch, r train.Result) error {
		n := 0
		for _, l := range bt.Lengths {
			n += l
		}
		if bt.Lengths == nil {
			n = len(bt.Symbols) * len(bt.Symbols[0])
		}
		sum += r.Loss * float64(n)
		chars += float64(n)
		total += float64(n)
		if seen/c.Progress != lastSeen/c.Progress || seen >= c.Sequences {
			dt := time.Since(last).Seconds()
			fmt.Fprintf(stdout, "  %6d sequences  loss %.3f nats/char = %.3f bits/char  %.0f seq/s\n", seen, sum/chars, sum/chars/math.Ln2, float64(seen-lastSeen)/dt)
			sum, chars, last, lastSeen = 0, 0, time.Now(), seen
		}
		return nil
	}
	if _, err := tr.Run(src, c.Sequences, progress, save); err != nil {
		if errors.Is(err, checkpoint.ErrInterrupted) {
			if serr := policy.Save(state); serr != nil {
				return errors.Wrap(serr, "saving the interrupted run")
			}
		}
		return err
	}
	secs := time.Since(start).Seconds()
	fmt.Fprintf(stdout, "trained on %d sequences in %.1f s: %.0f seq/s, %.0f characters/s\n", tr.Seen()-first, secs, float64(tr.Seen()-first)/secs, total/secs)

	if err := policy.Save(state); err != nil {
		return err
	}
	// A fresh model from the checkpoint alone: the configuration, then the weights.
	var saved Config
	if err := checkpoint.LoadConfig(dir, &saved); err != nil {
		return err
	}
	fresh, err := newTrainer(saved, datasets.NewSource(0)) // evaluation only: no dropout
	if err != nil {
		return err
	}
	defer fresh.Close()
	if err := checkpoint.Load(dir, fresh, nil); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "saved and reloaded %d weights (%s)\n", fresh.Params().NumWeights(), dirNote(c.Checkpoint))

	if len(heldOut) < 2 {
		fmt.Fprintf(stdout, "held-out: none (the text's last tenth is %d characters)\n", len(heldOut))
	} else {
		bpc, err := evaluate(fresh, heldOut, vocab.Size(), c.T)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "held-out: %.3f bits/char over %d characters (uniform guessing: %.3f)\n", bpc, len(heldOut)-1, math.Log2(float64(vocab.Size())))
	}

	if c.Sample > 0 {
		out, err := generate(fresh, vocab, c.Prompt, c.Sample, c.Temperature, rand.New(rand.NewSource(c.Seed+2)))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "sample (temperature %g):\n%s\n", c.Temperature, out)
	}
	return nil
}

func dirNote(dir string) string {
	if dir == "" {
		return "in a temporary directory, removed at exit"
	}
	return "in " + dir
}

// newTrainer returns a trainer of the model of c whose dropout masks come from dropout.
func newTrainer(c Config, dropout *datasets.Source) (*train.Trainer, error) {
	opt, err := optim.NewAdam(c.LR, optim.Clip{Norm: c.Clip})
	if err != nil {
		return nil, err
	}
	// Every batch's longest chunk, 32 to 64 characters, makes a batch shape of its own, and the
	// trainer compiles a program for each; compiling is cheap next to training, so a few
	// programs kept hold the memory down (a peak of 136 MB instead of 346 at the defaults).
	return train.NewTrainer(train.TrainerConfig{Model: Model(c, rand.New(dropout)), Optimizer: opt, Seed: c.Seed, MaxPrograms: 4})
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// evaluate returns the model's bits per character on text, read as one stream in chunks of T
// with the state carried.
func evaluate(tr *train.Trainer, text []int, alphabet, T int) (float64, error) {
	var nats float64
	var n int
	for p := 0; p+1 < len(text); p += T {
		end := min(p+T, len(text)-1)
		s := datasets.Sequence{Symbols: text[p:end], Alphabet: alphabet, Labels: text[p+1 : end+1], Classes: alphabet}
		bt, err := train.Stack(s)
		if err != nil {
			return 0, err
		}
		bt.Continue = p > 0
		r, err := tr.Evaluate(bt)
		if err != nil {
			return 0, err
		}
		nats += r.Loss * float64(end-p)
		n += end - p
	}
	return nats / float64(n) / math.Ln2, nil
}

// generate feeds prompt through the model and then samples n characters, one step at a time,
// each fed back as the next input with the state carried.
func generate(tr *train.Trainer, vocab *datasets.Vocabulary, prompt string, n int, temperature float64, rng *rand.Rand) (string, error) {
	in, err := vocab.Encode(prompt)
	if err != nil {
		return "", errors.Wrap(err, "prompt")
	}
	if len(in) == 0 {
		return "", errors.New("empty prompt")
	}
	var sb strings.Builder
	sb.WriteString(prompt)
	cont := false
	for i := 0; i < n; i++ {
		// The label is not used for sampling; any class will do.
		s := datasets.Sequence{Symbols: in, Alphabet: vocab.Size(), Labels: make([]int, len(in)), Classes: vocab.Size()}
		bt, err := train.Stack(s)
		if err != nil {
			return "", err
		}
		bt.Continue = cont
		r, err := tr.Evaluate(bt)
		if err != nil {
			return "", err
		}
		scores := r.Outputs[len(r.Outputs)-1][0]
		next := sample(scores, temperature, rng)
		ch, err := vocab.Decode([]int{next})
		if err != nil {
			return "", err
		}
		sb.WriteString(ch)
		in, cont = []int{next}, true
	}
	return sb.String(), nil
}

// sample draws a class from softmax(scores/temperature).
func sample(scores []float64, temperature float64, rng *rand.Rand) int {
	mx := math.Inf(-1)
	for _, s := range scores {
		mx = math.Max(mx, s)
	}
	p := make([]float64, len(scores))
	var z float64
	for i, s := range scores {
		p[i] = math.Exp((s - mx) / temperature)
		z += p[i]
	}
	u := rng.Float64() * z
	for i, v := range p {
		if u < v {
			return i
		}
		u -= v
	}
	return len(p) - 1
}
