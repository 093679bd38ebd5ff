package kernel

import (
	"math/rand"
	"testing"
)

// benchKernel measures one forward and backward pass of the fused kernel alone.
func benchKernel(b *testing.B, I, C, S, T, B int, hot, forget, peep bool) {
	rng := rand.New(rand.NewSource(1))
	fill := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = 0.2*rng.Float64() - 0.1
		}
		return v
	}
	CS := C * S
	widths := []int{CS, C, C}
	U := CS + 2*C
	if forget {
		widths = append(widths, C)
		U += C
	}
	var w, dw [NumGroups]Weights[float64]
	for gi, n := range widths {
		w[gi] = Weights[float64]{Wx: fill(I * n), Wh: fill(U * n), B: fill(n)}
		dw[gi] = Weights[float64]{Wx: make([]float64, I*n), Wh: make([]float64, U*n), B: make([]float64, n)}
		if peep && gi != Cells {
			w[gi].Peep, dw[gi].Peep = fill(CS), make([]float64, CS)
		}
	}
	var x []float64
	if hot {
		x = make([]float64, T*B)
		for i := range x {
			x[i] = float64(rng.Intn(I))
		}
	} else {
		x = fill(T * B * I)
	}
	k := &Kernel[float64]{I: I, C: C, S: S, T: T, B: B, OutGate: true, Rec: true, Hot: hot, Forget: forget, Peep: peep,
		G: Squash{Scale: 4, Shift: -2, Sigmoid: true}, H: Squash{Scale: 2, Shift: -1, Sigmoid: true}}
	out := make([]float64, T*B*CS)
	dy := fill(T * B * CS)
	b.ReportAllocs()
	for b.Loop() {
		k.Alloc()
		if err := k.SetLengths(nil); err != nil {
			b.Fatal(err)
		}
		if hot {
			if err := k.Index(x); err != nil {
				b.Fatal(err)
			}
		}
		k.SetInit(nil, nil)
		k.Forward(x, w, out)
		k.Backward(x, w, dy, nil, dw)
	}
}

// The paper's adding network (Exp. 4: 2 blocks of 2 cells, 2 inputs) at T = 100 and 1000, and a
// batch of 32; Exp. 2c's at q = p = 1000 (one-hot symbols over 1004 inputs, 2 blocks of 1); the
// adding network with forget gates and peepholes.
func BenchmarkKernelAddingT100B1(b *testing.B) { benchKernel(b, 2, 2, 2, 100, 1, false, false, false) }
func BenchmarkKernelAddingT1000B1(b *testing.B) {
	benchKernel(b, 2, 2, 2, 1000, 1, false, false, false)
}
func BenchmarkKernelAddingT100B32(b *testing.B) {
	benchKernel(b, 2, 2, 2, 100, 32, false, false, false)
}
func BenchmarkKernel2cT1000Hot(b *testing.B) { benchKernel(b, 1004, 2, 1, 1000, 1, true, false, false) }
func BenchmarkKernelAddingT1000B1ForgetGatePeepholes(b *testing.B) {
	benchKernel(b, 2, 2, 2, 1000, 1, false, true, true)
}

// The 64-block layer of 32 inputs at batch 32 and T = 50 (layers' BenchmarkTrainBlocks64B32T50
// without the output layer and the optimizer).
func BenchmarkKernelBlocks64B32T50(b *testing.B) {
	benchKernel(b, 32, 64, 1, 50, 32, false, false, false)
}
