package vm

import (
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestGradsAddAndZero: the accumulators add each run's gradients, whether they lie in a flat
// vector (consecutive parts in parameter order are one add, parts out of order are not), are a
// parameter's whole value, or are scalars (accumulators of their own), for both dtypes; values
// that do not fit fail naming the parameter; zero clears every accumulator. Each case adds
// twice and compares with sums of the values computed here.
func TestGradsAddAndZero(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		g := G.NewGraph()
		mat := func(name string, r, c int) *G.Node {
			return G.NewMatrix(g, dt, G.WithShape(r, c), G.WithName(name), G.WithInit(G.Zeroes()))
		}
		ps := []*G.Node{mat("a", 2, 3), mat("b", 1, 3), mat("c", 2, 2), G.NewScalar(g, dt, G.WithName("s"), G.WithInit(G.Zeroes()))}
		names := []string{"a", "b", "c", "s"}
		values := func(n int, from float64) G.Value { // from, from+1, ...
			v := make([]float64, n)
			for i := range v {
				v[i] = from + float64(i)
			}
			if dt == tensor.Float32 {
				f := make([]float32, n)
				for i, x := range v {
					f[i] = float32(x)
				}
				return tensor.New(tensor.WithShape(n), tensor.WithBacking(f))
			}
			return tensor.New(tensor.WithShape(n), tensor.WithBacking(v))
		}
		scalar := func(x float64) G.Value {
			if dt == tensor.Float32 {
				return G.NewF32(float32(x))
			}
			return G.NewF64(x)
		}
		for _, tc := range []struct {
			name  string
			flat  G.Value      // the flat vector the parts lie in
			offs  [3]int       // offsets of a, b, c in flat; -1: its value is whole[i]
			whole [3]G.Value   // whole values
			adds  int          // adds made
			want  [3][]float64 // accumulators after one add (s's is 0.5 in every case)
			err   string
		}{
			{"parts in order", values(16, 1), [3]int{1, 7, 10}, [3]G.Value{}, 2,
				[3][]float64{{2, 3, 4, 5, 6, 7}, {8, 9, 10}, {11, 12, 13, 14}}, ""},
			{"parts out of order", values(13, 1), [3]int{3, 0, 9}, [3]G.Value{}, 4,
				[3][]float64{{4, 5, 6, 7, 8, 9}, {1, 2, 3}, {10, 11, 12, 13}}, ""},
			{"a whole value between parts", values(7, 1), [3]int{-1, 0, 3}, [3]G.Value{values(6, -2)}, 3,
				[3][]float64{{-2, -1, 0, 1, 2, 3}, {1, 2, 3}, {4, 5, 6, 7}}, ""},
			{"a flat vector too short", values(12, 1), [3]int{1, 7, 10}, [3]G.Value{}, 2, [3][]float64{}, `gradient of "c"`},
			{"a whole value too long", values(7, 1), [3]int{-1, 0, 3}, [3]G.Value{values(7, 0)}, 3, [3][]float64{}, `gradient of "a"`},
		} {
			flat := new(G.Value)
			*flat = tc.flat
			vals, parts := make([]*G.Value, 4), make([]part, 4)
			for i, off := range tc.offs {
				if off < 0 {
					vals[i] = new(G.Value)
					*vals[i] = tc.whole[i]
				} else {
					parts[i] = part{flat: flat, off: off, n: ps[i].Shape().TotalSize()}
				}
			}
			vals[3] = new(G.Value)
			*vals[3] = scalar(0.5)
			gs := newGrads(ps, names, vals, parts)
			if len(gs.adds) != tc.adds {
				t.Errorf("%v %s: %d adds, want %d", dt, tc.name, len(gs.adds), tc.adds)
			}
			for run := 1; run <= 2; run++ {
				err := gs.add()
				if tc.err != "" {
					if err == nil || !strings.Contains(err.Error(), tc.err) {
						t.Errorf("%v %s: err = %v, want one naming %s", dt, tc.name, err, tc.err)
					}
					break
				}
				if err != nil {
					t.Fatalf("%v %s: %v", dt, tc.name, err)
				}
				for i, want := range append(tc.want[:], []float64{0.5}) {
					got := gradValues(gs.acc[i])
					for j := range want {
						if got[j] != float64(run)*want[j] {
							t.Errorf("%v %s run %d: %s = %v, want %d × %v", dt, tc.name, run, names[i], got, run, want)
							break
						}
					}
				}
			}
			gs.zero()
			for i, a := range gs.acc {
				for j, v := range gradValues(a) {
					if v != 0 {
						t.Errorf("%v %s: after zero %s[%d] = %v", dt, tc.name, names[i], j, v)
					}
				}
			}
		}
	}
}

// gradValues returns a copy of an accumulator's values as float64.
func gradValues(a *tensor.Dense) []float64 {
	switch d := a.Data().(type) {
	case []float64:
		return append([]float64(nil), d...)
	case []float32:
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
		return out
	case float64:
		return []float64{d}
	case float32:
		return []float64{float64(d)}
	}
	return []float64{math.NaN()}
}
