package layers_test

import (
	"math"
	"runtime"
	"testing"

	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/internal/benchnets"
	"github.com/lstm97/lstm97/internal/par"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train"
)

// TestThreadsBitIdentical trains a layer wide enough for the fused kernel to split its work
// among goroutines (32 blocks, batch 16, and one sequence padded) for three steps with
// GOMAXPROCS 1, 2 and 3, full and truncated gradient, float64 and float32: every weight must be
// the same bit for bit.
func TestThreadsBitIdentical(t *testing.T) {
	for _, tc := range []struct {
		name string
		full bool
		dt   tensor.Dtype
	}{{"truncated float64", false, tensor.Float64}, {"full float64", true, tensor.Float64}, {"truncated float32", false, tensor.Float32}} {
		t.Run(tc.name, func(t *testing.T) {
			var first []uint64
			for _, procs := range []int{1, 2, 3} {
				got := trainWide(t, procs, tc.full, tc.dt)
				if first == nil {
					first = got
					continue
				}
				for i := range got {
					if got[i] != first[i] {
						t.Fatalf("GOMAXPROCS %d: weight %d is %v, with 1 it is %v", procs, i, math.Float64frombits(got[i]), math.Float64frombits(first[i]))
					}
				}
			}
		})
	}
}

// trainWide trains wideNet(32) for 3 steps with GOMAXPROCS procs and returns all weights' bits.
func trainWide(t *testing.T, procs int, full bool, dt tensor.Dtype) []uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	defer par.SetMinWork(par.SetMinWork(1 << 15)) // this small layer on several goroutines too
	opt, err := optim.NewSGD(0.1, optim.Clip{})
	if err != nil {
		t.Fatal(err)
	}
	net := benchnets.Wide(32)
	net.LSTM.FullGradient = full
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(net), Optimizer: opt, Seed: 3, Dtype: dt})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	bt := wideBatch(t, 12, 16, 7) // one sequence shorter: padding rows in the products
	for i := 0; i < 3; i++ {
		if _, err := tr.Step(bt); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	var bits []uint64
	ps := tr.Params()
	for _, name := range ps.Names() {
		v, err := ps.Float64s(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range v {
			bits = append(bits, math.Float64bits(x))
		}
	}
	return bits
}
