package kernel

import (
	"math/rand"
	"runtime"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/internal/par"
)

// TestHotEqualsRows: the one-hot path (Hot, indices) computes bit for bit the outputs and
// weight gradients of the same symbols given as one-hot rows, with padding rows (whose indices
// are out of range) not read; for the 1997 cell and with a forget gate and peepholes.
func TestHotEqualsRows(t *testing.T) {
	for _, v := range []struct {
		name         string
		forget, peep bool
	}{{"1997", false, false}, {"forget gate and peepholes", true, true}} {
		t.Run(v.name, func(t *testing.T) { testHotEqualsRows(t, v.forget, v.peep) })
	}
}

func testHotEqualsRows(t *testing.T, forget, peep bool) {
	const I, C, S, T, B = 4, 2, 2, 3, 2
	rng := rand.New(rand.NewSource(1))
	g, h := Squash{Scale: 4, Shift: -2, Sigmoid: true}, Squash{Scale: 2, Shift: -1, Sigmoid: true}
	CS, U := C*S, C*S+2*C
	widths := []int{CS, C, C}
	if forget {
		U += C
		widths = append(widths, C)
	}
	fill := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.Float64() - 0.5
		}
		return v
	}
	var w [NumGroups]Weights[float64]
	for gi, n := range widths {
		w[gi] = Weights[float64]{Wx: fill(I * n), Wh: fill(U * n), B: fill(n)}
		if peep && gi != Cells {
			w[gi].Peep = fill(CS)
		}
	}
	lengths := []float64{3, 2}
	idx := []float64{1, 3, 0, 2, 3, 99} // row 5 (step 2, sequence 1) is padding
	rows := make([]float64, T*B*I)
	for r, i := range idx {
		if r != 5 {
			rows[r*I+int(i)] = 1
		}
	}
	dy := fill(T * B * CS)
	run := func(hot bool) (out []float64, dw [NumGroups]Weights[float64]) {
		k := &Kernel[float64]{I: I, C: C, S: S, T: T, B: B, OutGate: true, Rec: true, Hot: hot, Forget: forget, Peep: peep, G: g, H: h}
		k.Alloc()
		if err := k.SetLengths(lengths); err != nil {
			t.Fatal(err)
		}
		x := rows
		if hot {
			x = idx
			if err := k.Index(x); err != nil {
				t.Fatal(err)
			}
		}
		k.SetInit(nil, nil)
		out = make([]float64, T*B*CS)
		k.Forward(x, w, out)
		for gi, n := range widths {
			dw[gi] = Weights[float64]{Wx: make([]float64, I*n), Wh: make([]float64, U*n), B: make([]float64, n)}
			if peep && gi != Cells {
				dw[gi].Peep = make([]float64, CS)
			}
		}
		k.Backward(x, w, dy, nil, dw)
		return out, dw
	}
	out1, dw1 := run(false)
	out2, dw2 := run(true)
	for i := range out1 {
		if out1[i] != out2[i] {
			t.Fatalf("output %d: rows %v, hot %v", i, out1[i], out2[i])
		}
	}
	for r := 5 * CS; r < 6*CS; r++ {
		if out2[r] != 0 {
			t.Fatalf("padding output %d is %v, want 0", r, out2[r])
		}
	}
	for gi := range dw1 {
		for j, parts := range [][2][]float64{{dw1[gi].Wx, dw2[gi].Wx}, {dw1[gi].Wh, dw2[gi].Wh}, {dw1[gi].B, dw2[gi].B}, {dw1[gi].Peep, dw2[gi].Peep}} {
			for i := range parts[0] {
				if parts[0][i] != parts[1][i] {
					t.Fatalf("group %d weight %d [%d]: rows %v, hot %v", gi, j, i, parts[0][i], parts[1][i])
				}
			}
		}
	}
}

// TestIndexErrors: a bad index or length fails with an error naming its row, step and sequence.
func TestIndexErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		lengths []float64
		idx     []float64
		want    string
	}{
		{"index out of range", nil, []float64{0, 1, 2, 4}, "one-hot input: row 3 (step 1, sequence 1) has index 4, want an integer in [0, 4)"},
		{"fraction", nil, []float64{0, 0.5, 0, 0}, "row 1 (step 0, sequence 1) has index 0.5"},
		{"too few", nil, []float64{0, 1, 2}, "one-hot input has 3 indices, want T·B = 4"},
		{"length 0", []float64{2, 0}, nil, "lengths: sequence 1 has length 0, want an integer in [1, 2]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := &Kernel[float64]{I: 4, C: 1, S: 1, T: 2, B: 2, Rec: true, Hot: true}
			k.Alloc()
			err := k.SetLengths(tc.lengths)
			if err == nil {
				err = k.Index(tc.idx)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// TestThreadsBoundTheSplit: Threads (graph.Config.Threads) bounds the goroutines of a pass;
// 0 leaves GOMAXPROCS and the batch (4 rows a goroutine at least) to decide.
func TestThreadsBoundTheSplit(t *testing.T) {
	defer par.SetMinWork(par.SetMinWork(1))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	for _, tc := range []struct{ B, threads, want int }{
		{16, 0, 3}, {16, 1, 1}, {16, 2, 2}, {16, 5, 3}, {8, 0, 2}, {8, 1, 1}, {3, 2, 1},
	} {
		k := &Kernel[float64]{I: 2, C: 4, S: 1, T: 5, B: tc.B, OutGate: true, Rec: true, Threads: tc.threads}
		k.setProcs()
		if k.procs != tc.want {
			t.Errorf("B=%d Threads=%d GOMAXPROCS=3: %d goroutines, want %d", tc.B, tc.threads, k.procs, tc.want)
		}
	}
}
