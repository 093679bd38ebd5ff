// Package benchnets is the one definition of the nets and data of the speed measurements (the
// layers and trial benchmarks and tests, examples/bench): the "wide" network, a 1997 LSTM of
// the size users compose, blocks of 1 cell fed by 32 inputs and by all hidden units of the
// previous step, with 8 logistic output units and the paper's squared error at every step, and
// its random data; and the embedded Reber strings that Exp. 1's training is timed on.
package benchnets

import (
	"math/rand"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/train"
)

// WideInputs and WideOutputs are the wide net's widths.
const WideInputs, WideOutputs = 32, 8

// Wide is the wide net with the given number of blocks.
func Wide(blocks int) layers.NetConfig {
	return layers.NetConfig{
		LSTM:   layers.Config{Inputs: WideInputs, NumBlocks: blocks, CellsPerBlock: 1},
		Output: output.Config{Units: WideOutputs, Bias: true},
	}
}

// WideBatch is B random sequences of T steps (sequence 0 of short steps when short is given),
// seeded 1: inputs uniform in [-1, 1], targets uniform in [0, 1] at every step.
func WideBatch(T, B int, short ...int) (train.Batch, error) {
	rng := rand.New(rand.NewSource(1))
	seqs := make([]datasets.Sequence, B)
	for i := range seqs {
		n := T
		if i == 0 && len(short) > 0 {
			n = short[0]
		}
		for t := 0; t < n; t++ {
			in, tg := make([]float64, WideInputs), make([]float64, WideOutputs)
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

// ReberBatches is n embedded Reber strings drawn from seed (datasets.Reber), each a batch of
// one sequence: the data of Exp. 1's timed training.
func ReberBatches(n int, seed int64) ([]train.Batch, error) {
	rng := rand.New(rand.NewSource(seed))
	r := datasets.Reber{Embedded: true}
	data := make([]train.Batch, n)
	for i := range data {
		ex, err := r.Example(r.String(rng))
		if err != nil {
			return nil, err
		}
		if data[i], err = train.Stack(ex.Sequence); err != nil {
			return nil, err
		}
	}
	return data, nil
}
