package train_test

import (
	"fmt"
	"log"
	"math/rand"
	"runtime"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train"
)

// ExampleTrainerConfig_replicas trains a 1997 LSTM on batches of 8 sequences, each batch split
// into 2 parts that run their forward and backward passes at once (Replicas), and compares it
// with the same training on whole batches: the parameters agree within rounding, and with
// Replicas the bits do not depend on the number of threads.
func ExampleTrainerConfig_replicas() {
	check := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	rng := rand.New(rand.NewSource(1))
	var batches []train.Batch
	for i := 0; i < 4; i++ {
		seqs := make([]datasets.Sequence, 8)
		for b := range seqs {
			for t := 0; t < 20; t++ {
				x := rng.Float64()
				seqs[b].Inputs = append(seqs[b].Inputs, []float64{x, 1 - x})
				seqs[b].Targets = append(seqs[b].Targets, []float64{x / 2})
			}
		}
		bt, err := train.Stack(seqs...)
		check(err)
		batches = append(batches, bt)
	}
	net := layers.NetConfig{
		LSTM:   layers.Config{Inputs: 2, NumBlocks: 4, CellsPerBlock: 2},
		Output: output.Config{Units: 1, Bias: true},
	}
	// trainOn trains 200 steps with the batches split into replicas parts on procs threads and
	// returns the first and the last loss and the parameters.
	trainOn := func(replicas, procs int) ([2]float64, []float64) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		sgd, err := optim.NewSGD(0.5, optim.Clip{})
		check(err)
		tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(net), Optimizer: sgd, Seed: 1, Replicas: replicas})
		check(err)
		defer tr.Close()
		var loss [2]float64
		for i := 0; i < 200; i++ {
			r, err := tr.Step(batches[i%len(batches)])
			check(err)
			loss[min(i, 1)] = r.Loss
		}
		var w []float64
		for _, name := range tr.Params().Names() {
			v, err := tr.Params().Float64s(name)
			check(err)
			w = append(w, v...)
		}
		return loss, w
	}
	whole, w1 := trainOn(1, 1)
	parts, w2 := trainOn(2, 2)
	_, w3 := trainOn(2, 1)
	maxDiff, same := 0.0, true
	for i := range w1 {
		maxDiff = max(maxDiff, w1[i]-w2[i], w2[i]-w1[i])
		same = same && w2[i] == w3[i]
	}
	fmt.Printf("loss, first and last step: whole batches %.6f %.6f, in 2 parts %.6f %.6f\n", whole[0], whole[1], parts[0], parts[1])
	fmt.Println("weights within 1e-12:", maxDiff < 1e-12)
	fmt.Println("2 parts on 1 and 2 threads, same bits:", same)
	// Output:
	// loss, first and last step: whole batches 1.000066 0.016772, in 2 parts 1.000066 0.016772
	// weights within 1e-12: true
	// 2 parts on 1 and 2 threads, same bits: true
}
