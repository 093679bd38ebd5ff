package online_test

import (
	"fmt"
	"log"

	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/online"
)

// Example streams a sequence through a small net one step at a time, with a target at its
// last step only, and applies the summed update at its end (PerSequence), over and over: the
// net learns the target. The weights start as the graph path's would from the same seed, and
// go back into the same ParamSet at the end.
func Example() {
	net := layers.NetConfig{
		LSTM:   layers.Config{Inputs: 2, NumBlocks: 1, CellsPerBlock: 2, InputGateBias: []float64{-1}},
		Output: output.Config{Units: 1, Bias: true},
	}
	params, err := online.NewParams(net, 1)
	if err != nil {
		log.Fatal(err)
	}
	l, err := online.New(online.Config{Net: net, LR: 0.5}, params)
	if err != nil {
		log.Fatal(err)
	}
	xs := [][]float64{{0.5, 1}, {-0.3, 0}, {0.8, 0}, {0.1, -1}}
	states := make([]float64, 0, 2)
	for seq := 1; seq <= 300; seq++ {
		var y []float64
		for t, x := range xs {
			var target []float64 // nil: no target at this step
			if t == len(xs)-1 {
				target = []float64{0.9}
			}
			if y, err = l.Step(x, target); err != nil {
				log.Fatal(err)
			}
		}
		if seq == 1 || seq == 300 {
			states = l.CellStates(states)
			fmt.Printf("sequence %d: output %.3f, error %.5f, cell states %.3f\n", seq, y[0], l.StepError(), states)
		}
		if err := l.EndSequence(); err != nil {
			log.Fatal(err)
		}
	}
	if err := l.WriteParams(params); err != nil {
		log.Fatal(err)
	}
	fmt.Println(l.Sequences(), "sequences,", params.NumWeights(), "weights")
	// Output:
	// sequence 1: output 0.510, error 0.07598, cell states [-0.070 0.016]
	// sequence 300: output 0.883, error 0.00015, cell states [-0.127 0.074]
	// 300 sequences, 31 weights
}
