package checkpoint_test

import (
	"errors"
	"fmt"
	"log"
	"math/rand"
	"os"
	"path/filepath"
	"strings"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train"
	"github.com/lstm97/lstm97/train/checkpoint"
)

// ExampleSaveParams keeps the parameters of a graph built by hand, without a trainer: saved
// with SaveParams, they are loaded into the same model built again (with other initial
// values), which must hold the same parameters; another architecture is refused.
func ExampleSaveParams() {
	check := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	build := func(seed int64, hidden int) *graph.ParamSet {
		b := graph.NewBuilder(graph.Config{Seed: seed})
		b.Param("w", []int{2, hidden}, graph.Uniform(0.1))
		b.Param("c", []int{1, hidden}, graph.Uniform(0.1))
		check(b.Err())
		return b.ParamSet()
	}
	dir, err := os.MkdirTemp("", "lstm97-params")
	check(err)
	defer os.RemoveAll(dir)

	trained := build(1, 3)
	check(checkpoint.SaveParams(dir, trained))
	again := build(2, 3)
	check(checkpoint.LoadParams(dir, again))
	a, err := trained.Float64s("w")
	check(err)
	b, err := again.Float64s("w")
	check(err)
	fmt.Printf("w[4]: saved %.6f, loaded %.6f\n", a[4], b[4])
	err = checkpoint.LoadParams(dir, build(2, 4))
	_, msg, _ := strings.Cut(fmt.Sprint(err), dir+": ") // the directory differs from run to run
	fmt.Println("other architecture:", msg)
	// Output:
	// w[4]: saved -0.015073, loaded -0.015073
	// other architecture: graph: assign: parameter "w" is float64 (2, 3) in the source, float64 (2, 4) in the model
}

// ExampleSave saves a trained model with its configuration in one call, and loads it into a
// fresh trainer in another: the configuration first (LoadConfig), to build the same model,
// then the weights, the optimizer's state and the sequence count (Load), with no batch needed.
// The loaded model computes what the trained one does, and trains on as it would have.
func ExampleSave() {
	check := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	type Config struct {
		Net layers.NetConfig
		LR  float64
	}
	newTrainer := func(cfg Config) *train.Trainer {
		adam, err := optim.NewAdam(cfg.LR, optim.Clip{})
		check(err)
		tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(cfg.Net), Optimizer: adam, Seed: 1})
		check(err)
		return tr
	}
	rng := rand.New(rand.NewSource(2))
	batch := func() train.Batch {
		seq, err := datasets.Adding{T: 10}.Sample(rng)
		check(err)
		bt, err := train.Stack(seq)
		check(err)
		return bt
	}

	cfg := Config{Net: layers.NetConfig{LSTM: layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 2},
		Output: output.Config{Units: 1, Bias: true}}, LR: 0.01}
	tr := newTrainer(cfg)
	defer tr.Close()
	for range 200 {
		_, err := tr.Step(batch())
		check(err)
	}
	dir, err := os.MkdirTemp("", "lstm97-save")
	check(err)
	defer os.RemoveAll(dir)
	check(checkpoint.Save(dir, tr, cfg))

	var saved Config
	check(checkpoint.LoadConfig(dir, &saved))
	fresh := newTrainer(saved)
	defer fresh.Close()
	check(checkpoint.Load(dir, fresh, nil))

	test := batch()
	a, err := tr.Evaluate(test)
	check(err)
	b, err := fresh.Evaluate(test)
	check(err)
	fmt.Printf("loaded after %d sequences, learning rate %g\n", fresh.Seen(), saved.LR)
	fmt.Printf("output: trained %.6f, loaded %.6f\n", a.Outputs[0][0][0], b.Outputs[0][0][0])
	next := batch()
	_, err = tr.Step(next)
	check(err)
	_, err = fresh.Step(next)
	check(err)
	wa, err := tr.Params().Float64s("lstm/cell/wx")
	check(err)
	wb, err := fresh.Params().Float64s("lstm/cell/wx")
	check(err)
	fmt.Println("same weights after one more step:", fmt.Sprint(wa) == fmt.Sprint(wb))
	// Output:
	// loaded after 200 sequences, learning rate 0.01
	// output: trained 0.575142, loaded 0.575142
	// same weights after one more step: true
}

// ExamplePolicy makes a training script of one's own interruptible and resumable: a run
// of 600 sequences, and a run stopped after 300 and resumed from its checkpoint to 600, end with
// the same weights, bit for bit. The checkpoint keeps the parameters, the optimizer's state, the
// random source the data come from, the run's configuration and the sequence count; the hook
// saves every Every sequences and, on SIGINT or SIGTERM, returns ErrInterrupted after which the
// script saves a last checkpoint.
func ExamplePolicy() {
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
		state := checkpoint.State{Trainer: tr, RNGs: map[string]*datasets.Source{"data": src}, Config: "adding T=10, Adam 0.01"}
		ck := checkpoint.Policy{Dir: dir, Every: 100, Resume: resume}
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
		if !errors.Is(err, checkpoint.ErrInterrupted) {
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
