package trial

import (
	"math"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/paper"
	"github.com/lstm97/lstm97/train"
)

// handStates runs eqs. (7)-(9) of the paper with plain loops over the parameter values (a
// forward pass written independently of the graph) and returns s at the last step.
func handStates(t *testing.T, ps *graph.ParamSet, cfg layers.Config, inputs [][]float64) []float64 {
	t.Helper()
	C, S := cfg.NumBlocks, cfg.CellsPerBlock
	CS, U := C*S, C*S+2*C
	get := func(name string) []float64 {
		if ps.Get(name) == nil {
			return nil
		}
		v, err := ps.Float64s(name)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	// net input of unit u (of width w, starting at first) from x(t) and y(t-1)
	net := func(group string, w, u int, x, yprev []float64) float64 {
		wx, wh, b := get("lstm/"+group+"/wx"), get("lstm/"+group+"/wh"), get("lstm/"+group+"/b")
		a := 0.0
		for i, xi := range x {
			a += wx[i*w+u] * xi
		}
		for v, yv := range yprev {
			a += wh[v*w+u] * yv
		}
		if b != nil {
			a += b[u]
		}
		return a
	}
	s, y := make([]float64, CS), make([]float64, U)
	for _, x := range inputs {
		next := make([]float64, U)
		for j := 0; j < C; j++ {
			next[CS+j] = sig(net("in_gate", C, j, x, y))
			next[CS+C+j] = sig(net("out_gate", C, j, x, y))
		}
		for c := 0; c < CS; c++ {
			yin, yout := next[CS+c/S], next[CS+C+c/S]
			s[c] += yin * (4*sig(net("cell", CS, c, x, y)) - 2) // eq. (9), g in [-2,2]
			next[c] = yout * (2*sig(s[c]) - 1)                  // h in [-1,1]
		}
		y = next
	}
	return s
}

func TestDriftStatesMatchTheEquations(t *testing.T) {
	for _, tc := range []struct {
		id string
		v  paper.Variant
	}{
		{"6a", paper.Variant{}},
		{"2c", paper.Variant{P: 5, Q: 5}}, // its sequences come as symbols
	} {
		t.Run(tc.id, func(t *testing.T) {
			s, err := paper.Lookup(tc.id, tc.v)
			if err != nil {
				t.Fatal(err)
			}
			// The untrained weights are those a trial with the same seed starts from.
			tr := newTrainer(t, s, 7)
			exs, err := driftSequences(s, 7, 3)
			if err != nil {
				t.Fatal(err)
			}
			if (exs[0].Symbols != nil) != (tc.id == "2c") {
				t.Fatalf("%s: symbols %v", tc.id, exs[0].Symbols)
			}
			bt, err := train.Stack(datasets.Sequence(exs[0].Sequence))
			if err != nil {
				t.Fatal(err)
			}
			sh, err := bt.Shape()
			if err != nil {
				t.Fatal(err)
			}
			if err := tr.Build(sh); err != nil {
				t.Fatal(err)
			}
			for _, ps := range []*graph.ParamSet{nil, tr.Params()} {
				d, err := MeasureDrift(s, 7, 3, ps)
				if err != nil {
					t.Fatal(err)
				}
				if d.Sequences != 3 || len(d.States) != 3 {
					t.Fatalf("drift %+v", d)
				}
				for i, ex := range exs {
					want := handStates(t, tr.Params(), s.Net.LSTM, ex.Rows())
					for c := range want {
						if diff := math.Abs(d.States[i][c] - want[c]); diff > 1e-12*math.Max(1, math.Abs(want[c])) {
							t.Errorf("params %v, sequence %d (length %d), cell %d: s = %v, the equations give %v", ps != nil, i, ex.Len(), c, d.States[i][c], want[c])
						}
					}
				}
				if d.MaxAbsS <= 0 || d.MedianAbsS > d.MaxAbsS || d.MedianHPrime <= 0 || d.MedianHPrime > 1 || d.Saturated < 0 || d.Saturated > 1 {
					t.Errorf("inconsistent summary %+v", d)
				}
			}
			if _, err := MeasureDrift(s, 7, 0, nil); err == nil || !strings.Contains(err.Error(), "0 sequences") {
				t.Errorf("0 sequences: %v", err)
			}
		})
	}
}
