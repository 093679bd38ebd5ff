package vm

import (
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
)

// firstNonFinite32 is graph.FirstNonFinite for float32 values.
func firstNonFinite32(vs []float32) int {
	var a0, a1 float32
	i := 0
	for ; i+2 <= len(vs); i += 2 {
		a0 += vs[i] * 0
		a1 += vs[i+1] * 0
	}
	for ; i < len(vs); i++ {
		a0 += vs[i] * 0
	}
	if s := a0 + a1; s == s {
		return -1
	}
	for i, v := range vs {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return i
		}
	}
	return -1 // unreachable: the sum was NaN
}

// nonFiniteIn returns the index and the value of the first NaN or infinite value of v (a
// float tensor or scalar), or -1 if there is none or v holds no floats. It allocates nothing.
func nonFiniteIn(v G.Value) (int, float64) {
	var i int
	switch x := v.(type) {
	case *tensor.Dense:
		switch x.Dtype() {
		case tensor.Float64:
			d := x.Float64s()
			if i = graph.FirstNonFinite(d); i >= 0 {
				return i, d[i]
			}
		case tensor.Float32:
			d := x.Float32s()
			if i = firstNonFinite32(d); i >= 0 {
				return i, float64(d[i])
			}
		}
	case *G.F64:
		if f := float64(*x); math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, f
		}
	case *G.F32:
		if f := float64(*x); math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, f
		}
	}
	return -1, 0
}
