package train_test

import (
	"errors"
	"fmt"
	"log"
	"math/rand"
	"os"
	"path/filepath"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/optim"

	"github.com/lstm97/lstm97/train"
)

// ExampleST3 feeds the paper's stopping criterion ST3(0.01) a synthetic error stream: a window
// of 5 sequences (the paper's is 2000) must all be within 0.04 and average below 0.01.
func ExampleST3() {
	st, err := train.NewST3(0.01, 0.04, 5, train.MeanSquared)
	if err != nil {
		panic(err)
	}
	for i, maxAbs := range []float64{0.2, 0.03, 0.01, 0.02, 0.01, 0.03, 0.01} {
		st.Add(train.SeqError{MaxAbs: maxAbs, SqErr: maxAbs * maxAbs})
		fmt.Printf("sequence %d: wrong in window %d, met %v\n", i+1, st.Wrong(), st.Met())
	}
	// Output:
	// sequence 1: wrong in window 1, met false
	// sequence 2: wrong in window 1, met false
	// sequence 3: wrong in window 1, met false
	// sequence 4: wrong in window 1, met false
	// sequence 5: wrong in window 1, met false
	// sequence 6: wrong in window 0, met true
	// sequence 7: wrong in window 0, met true
}

// ExampleCheckpoints makes a training script of one's own interruptible and resumable: a run
// of 600 sequences, and a run stopped after 300 and resumed from its checkpoint to 600, end with
// the same weights, bit for bit. The checkpoint keeps the parameters, the optimizer's state, the
// random source the data come from, the run's configuration and the sequence count; the hook
// saves every Every sequences and, on SIGINT or SIGTERM, returns ErrInterrupted after which the
// script saves a last checkpoint.
func ExampleCheckpoints() {
	check := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	run := func(dir string, max int, resume bool) []float64 {
		net := layers.NetConfig{LSTM: layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 2}, Output: output.Config{Units: 1, Bias: true}}
		adam, err := optim.NewAdam(0.01, optim.Clip{})
		check(err)
		tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(net), Optimizer: adam, Seed: 1})
		check(err)
		defer tr.Close()
		src := datasets.NewSource(2) // a random source whose state a checkpoint keeps
		rng, task := rand.New(src), datasets.Adding{T: 10}
		source := train.SourceFunc(func() (train.Batch, error) {
			seq, err := task.Sample(rng)
			if err != nil {
				return train.Batch{}, err
			}
			return train.Stack(seq)
		})
		state := train.State{Trainer: tr, RNGs: map[string]*datasets.Source{"data": src}, Config: "adding T=10, Adam 0.01"}
		ck := train.Checkpoints{Dir: dir, Every: 100, Resume: resume}
		// Restore builds the model for one batch shape, then loads the checkpoint into it.
		probe, err := train.Stack(datasets.Sequence{Inputs: [][]float64{{0, 0}}, Targets: [][]float64{{0}}})
		check(err)
		shape, err := probe.Shape()
		check(err)
		_, err = ck.Restore(state, shape)
		check(err)
		hook, stop := ck.Hook(state) // saves every 100 sequences; stops on SIGINT or SIGTERM
		defer stop()
		_, err = tr.Run(source, max, hook)
		if !errors.Is(err, train.ErrInterrupted) {
			check(err)
		}
		check(ck.Save(state)) // the last checkpoint, also after an interruption
		w, err := tr.Params().Float64s("lstm/cell/wx")
		check(err)
		return w
	}
	dir, err := os.MkdirTemp("", "lstm97-example")
	check(err)
	defer os.RemoveAll(dir)
	whole, parts := filepath.Join(dir, "whole"), filepath.Join(dir, "parts")
	want := run(whole, 600, false)
	run(parts, 300, false)       // stopped after 300 sequences
	got := run(parts, 600, true) // resumed from the checkpoint, on to 600
	fmt.Println("resumed run equals the uninterrupted one:", fmt.Sprint(got) == fmt.Sprint(want))
	// Output:
	// resumed run equals the uninterrupted one: true
}
