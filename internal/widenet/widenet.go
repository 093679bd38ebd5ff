// Package widenet is the one definition of the "wide" network of the speed measurements (the
// layers benchmarks and tests, examples/bench): a 1997 LSTM of the size users compose, blocks
// of 1 cell fed by 32 inputs and by all hidden units of the previous step, with 8 logistic
// output units and the paper's squared error at every step, and its random data.
package widenet

import (
	"math/rand"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/train"
)

// Inputs and Outputs are the net's widths.
const Inputs, Outputs = 32, 8

// Net is the wide net with the given number of blocks.
func Net(blocks int) layers.NetConfig {
	return layers.NetConfig{
		LSTM:   layers.Config{Inputs: Inputs, NumBlocks: blocks, CellsPerBlock: 1},
		Output: output.Config{Units: Outputs, Bias: true},
	}
}

// Batch is B random sequences of T steps (sequence 0 of short steps when short is given),
// seeded 1: inputs uniform in [-1, 1], targets uniform in [0, 1] at every step.
func Batch(T, B int, short ...int) (train.Batch, error) {
	rng := rand.New(rand.NewSource(1))
	seqs := make([]datasets.Sequence, B)
	for i := range seqs {
		n := T
		if i == 0 && len(short) > 0 {
			n = short[0]
		}
		for t := 0; t < n; t++ {
			in, tg := make([]float64, Inputs), make([]float64, Outputs)
			for j := range in {
				in[j] = 2*rng.Float64() - 1
			}
			for j := range tg {
				tg[j] = rng.Float64()
			}
			seqs[i].Inputs = append(seqs[i].Inputs, in)
			seqs[i].Targets = append(seqs[i].Targets, tg)
		}
	}
	return train.Stack(seqs...)
}
