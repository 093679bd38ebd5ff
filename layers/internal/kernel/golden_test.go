package kernel

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/lstm97/lstm97/internal/par"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.json")

// goldenCase is one configuration of the kernel: sizes, options, inputs and what is asked.
type goldenCase struct {
	name                                 string
	I, C, S, T, B                        int
	outGate, rec, cellsOnly, full        bool
	forget, peep, hot, init, dx, padding bool
	sparse                               bool // one-hot rows as dense inputs
}

func goldenCases() []goldenCase {
	var out []goldenCase
	for _, size := range []struct{ I, C, S, T, B int }{
		{2, 2, 2, 9, 1},   // the adding net at batch 1
		{7, 4, 2, 6, 1},   // Exp. 1's sizes
		{2, 2, 2, 5, 6},   // the adding net in a batch
		{13, 16, 1, 4, 5}, // tiles with row tails
		{5, 9, 1, 5, 8},   // column tails
		{32, 64, 1, 3, 8}, // large enough for 2 goroutines
	} {
		for _, o := range []goldenCase{
			{name: "1997", outGate: true, rec: true},
			{name: "1997 full", outGate: true, rec: true, full: true, dx: true},
			{name: "1997 padding init dx", outGate: true, rec: true, padding: true, init: true, dx: true},
			{name: "cells only, no out gate", rec: true, cellsOnly: true},
			{name: "no recurrence", outGate: true},
			{name: "one-hot rows", outGate: true, rec: true, sparse: true, padding: true},
			{name: "symbols", outGate: true, rec: true, hot: true, padding: true},
			{name: "forget peep", outGate: true, rec: true, forget: true, peep: true, init: true, padding: true},
			{name: "forget peep full", outGate: true, rec: true, forget: true, peep: true, full: true, init: true, dx: true},
		} {
			o.I, o.C, o.S, o.T, o.B = size.I, size.C, size.S, size.T, size.B
			o.name = fmt.Sprintf("I%d C%d S%d T%d B%d %s", size.I, size.C, size.S, size.T, size.B, o.name)
			out = append(out, o)
		}
	}
	return out
}

// runGolden runs one case forward and backward and returns every number it produced: the
// outputs, the final states, the weight gradients and ∂E/∂x.
func runGolden[F float32 | float64](gc goldenCase) []float64 {
	rng := rand.New(rand.NewSource(int64(gc.I*1000 + gc.C*100 + gc.T*10 + gc.B)))
	fill := func(n int, scale float64) []F {
		v := make([]F, n)
		for i := range v {
			v[i] = F(scale * (2*rng.Float64() - 1))
		}
		return v
	}
	k := &Kernel[F]{I: gc.I, C: gc.C, S: gc.S, T: gc.T, B: gc.B, OutGate: gc.outGate, Rec: gc.rec,
		CellsOnly: gc.cellsOnly, Full: gc.full, Forget: gc.forget, Peep: gc.peep, Hot: gc.hot,
		G: Squash{Scale: 4, Shift: -2, Sigmoid: true}, H: Squash{Scale: 2, Shift: -1, Sigmoid: true}}
	k.Alloc()
	R, CS := k.r(), k.cs()
	var w, dw [NumGroups]Weights[F]
	for gi := 0; gi < NumGroups; gi++ {
		if !k.has(gi) {
			continue
		}
		_, n := k.group(gi)
		w[gi] = Weights[F]{Wx: fill(gc.I*n, 1), B: fill(n, 1)}
		dw[gi] = Weights[F]{Wx: make([]F, gc.I*n), B: make([]F, n)}
		if gc.rec {
			w[gi].Wh, dw[gi].Wh = fill(R*n, 1), make([]F, R*n)
		}
		if gc.peep && gi != Cells {
			w[gi].Peep, dw[gi].Peep = fill(CS, 1), make([]F, CS)
		}
	}
	var lengths []F
	if gc.padding {
		lengths = make([]F, gc.B)
		for b := range lengths {
			lengths[b] = F(gc.T - b%3)
		}
	}
	if err := k.SetLengths(lengths); err != nil {
		panic(err)
	}
	n := gc.T * gc.B
	var x []F
	switch {
	case gc.hot:
		x = make([]F, n)
		for r := range x {
			x[r] = F(rng.Intn(gc.I))
		}
		if err := k.Index(x); err != nil {
			panic(err)
		}
	case gc.sparse:
		x = make([]F, n*gc.I)
		for r := 0; r < n; r++ {
			x[r*gc.I+rng.Intn(gc.I)] = 1
		}
	default:
		x = fill(n*gc.I, 1)
	}
	if gc.padding && !gc.hot { // padding rows are never read: NaN there must not show
		for r := 0; r < n; r++ {
			if r/gc.B >= int(lengths[r%gc.B]) {
				for i := 0; i < gc.I; i++ {
					x[r*gc.I+i] = F(math.NaN())
				}
			}
		}
	}
	if gc.init {
		k.SetInit(fill(gc.B*CS, 1), fill(gc.B*R, 0.5))
	} else {
		k.SetInit(nil, nil)
	}
	out := make([]F, n*CS)
	k.Forward(x, w, out)
	dy := fill(n*CS, 1)
	var dx []F
	if gc.dx {
		dx = make([]F, n*gc.I)
	}
	k.Backward(x, w, dy, dx, dw)
	var all []float64
	put := func(v []F) {
		for _, f := range v {
			all = append(all, float64(f))
		}
	}
	put(out)
	s, y := make([]F, gc.B*CS), make([]F, gc.B*R)
	k.Final(true, s)
	k.Final(false, y)
	put(s)
	put(y)
	for gi := range dw {
		put(dw[gi].Wx)
		put(dw[gi].Wh)
		put(dw[gi].B)
		put(dw[gi].Peep)
	}
	put(dx)
	return all
}

func hash(vs []float64) string {
	h := sha256.New()
	var buf [8]byte
	for _, v := range vs {
		binary.LittleEndian.PutUint64(buf[:], math.Float64bits(v))
		h.Write(buf[:])
	}
	return fmt.Sprintf("%d values, first %v, %x", len(vs), vs[0], h.Sum(nil)[:12])
}

// TestGolden keeps the kernel computing, bit for bit, what the plain loops it started as
// computed (testdata/golden.json was written by them, before the matrix work moved to package
// gemm): outputs, final states, weight gradients and ∂E/∂x for the paper's sizes, batches with
// padding, every option, float64 and float32, with 1 and 2 threads.
func TestGolden(t *testing.T) {
	defer par.SetMinWork(par.SetMinWork(1 << 10)) // the small cases on 2 goroutines too
	got := map[string]string{}
	for _, procs := range []int{1, 2} {
		prev := runtime.GOMAXPROCS(procs)
		for _, gc := range goldenCases() {
			for _, dt := range []string{"float64", "float32"} {
				var h string
				if dt == "float64" {
					h = hash(runGolden[float64](gc))
				} else {
					h = hash(runGolden[float32](gc))
				}
				key := gc.name + " " + dt
				if old, ok := got[key]; ok && old != h {
					t.Errorf("%s: %d threads give %s, 1 thread %s", key, procs, h, old)
				}
				got[key] = h
			}
		}
		runtime.GOMAXPROCS(prev)
	}
	path := filepath.Join("testdata", "golden.json")
	if *update {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]string
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(got) {
		t.Errorf("%d cases, the golden file has %d", len(got), len(want))
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s:\n got  %s\n want %s", k, got[k], w)
		}
	}
}
