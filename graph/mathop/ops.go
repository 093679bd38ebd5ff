package mathop

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Func is an elementwise function.
type Func int

const (
	// Tanh is tanh(x); its derivative is 1 - tanh²(x).
	Tanh Func = iota
	// Exp is eˣ.
	Exp
	// Log is the natural logarithm (NaN for x < 0, -Inf at 0); its derivative is 1/x.
	Log
	// ReLU is max(0, x); its derivative at 0 is taken as 0.
	ReLU
	// Neg is -x.
	Neg
)

// String returns the function's name.
func (f Func) String() string {
	switch f {
	case Tanh:
		return "tanh"
	case Exp:
		return "exp"
	case Log:
		return "log"
	case ReLU:
		return "relu"
	case Neg:
		return "neg"
	}
	return fmt.Sprintf("Func(%d)", int(f))
}

func check(name string, x *G.Node) error {
	if x == nil {
		return errors.Errorf("mathop: %s: nil node", name)
	}
	if dt := x.Dtype(); dt != tensor.Float64 && dt != tensor.Float32 {
		return errors.Errorf("mathop: %s: node %q is %v, want float64 or float32", name, x.Name(), dt)
	}
	return nil
}

// Elementwise returns f(x) elementwise for x a scalar or a tensor, float64 or float32.
func Elementwise(f Func, x *G.Node) (*G.Node, error) {
	name := f.String()
	if f < Tanh || f > Neg {
		return nil, errors.Errorf("mathop: unknown elementwise function %v", f)
	}
	if err := check(name, x); err != nil {
		return nil, err
	}
	diff := func(x, y, dy *G.Node) (*G.Node, error) {
		return apply("∂"+name, x.Shape(),
			func(in [][]float64, dx []float64) { backward(f, in[0], in[1], in[2], dx) },
			func(in [][]float32, dx []float32) { backward(f, in[0], in[1], in[2], dx) },
			nil, x, y, dy)
	}
	return apply(name, x.Shape(),
		func(in [][]float64, y []float64) { forward(f, in[0], y) },
		func(in [][]float32, y []float32) { forward(f, in[0], y) },
		diff, x)
}

func forward[F float32 | float64](f Func, x, y []F) {
	switch f {
	case Tanh:
		for i, v := range x {
			y[i] = F(math.Tanh(float64(v)))
		}
	case Exp:
		for i, v := range x {
			y[i] = F(math.Exp(float64(v)))
		}
	case Log:
		for i, v := range x {
			y[i] = F(math.Log(float64(v)))
		}
	case ReLU:
		for i, v := range x {
			if v < 0 { // NaN stays NaN
				v = 0
			}
			y[i] = v
		}
	case Neg:
		for i, v := range x {
			y[i] = -v
		}
	}
}

// backward writes dx = dy·f'(x) given x and y = f(x).
func backward[F float32 | float64](f Func, x, y, dy, dx []F) {
	switch f {
	case Tanh:
		for i, g := range dy {
			dx[i] = g * (1 - y[i]*y[i])
		}
	case Exp:
		for i, g := range dy {
			dx[i] = g * y[i]
		}
	case Log:
		for i, g := range dy {
			dx[i] = g / x[i]
		}
	case ReLU:
		for i, g := range dy {
			if !(x[i] > 0) {
				g = 0
			}
			dx[i] = g
		}
	case Neg:
		for i, g := range dy {
			dx[i] = -g
		}
	}
}

// Softmax returns the softmax of every row of the matrix x [rows, n]: y[r,j] =
// exp(x[r,j] - m_r) / Σ_k exp(x[r,k] - m_r), with m_r the row's maximum, so that no exp
// overflows.
func Softmax(x *G.Node) (*G.Node, error) { return softmax(x, false) }

// LogSoftmax returns the log-softmax of every row of the matrix x [rows, n]: y[r,j] = x[r,j] -
// m_r - log Σ_k exp(x[r,k] - m_r) (log-sum-exp, with m_r the row's maximum). It is finite for
// every finite x, where log(softmax(x)) underflows to -Inf.
func LogSoftmax(x *G.Node) (*G.Node, error) { return softmax(x, true) }

func softmax(x *G.Node, log bool) (*G.Node, error) {
	name := "softmax"
	if log {
		name = "logsoftmax"
	}
	if err := check(name, x); err != nil {
		return nil, err
	}
	s := x.Shape()
	if len(s) != 2 {
		return nil, errors.Errorf("mathop: %s: want a matrix [rows, n] (it normalises each row), got shape %v; reshape a vector to [1, n]", name, s)
	}
	n := s[1]
	if n <= 0 || s[0] <= 0 {
		return nil, errors.Errorf("mathop: %s: empty matrix %v", name, s)
	}
	diff := func(_, y, dy *G.Node) (*G.Node, error) {
		return apply("∂"+name, s,
			func(in [][]float64, dx []float64) { softmaxGrad(in[0], in[1], dx, n, log) },
			func(in [][]float32, dx []float32) { softmaxGrad(in[0], in[1], dx, n, log) },
			nil, y, dy)
	}
	return apply(name, s,
		func(in [][]float64, y []float64) { softmaxRows(in[0], y, n, log) },
		func(in [][]float32, y []float32) { softmaxRows(in[0], y, n, log) },
		diff, x)
}

// softmaxRows writes the (log-)softmax of each row of n values of x into y. Sums are taken in
// float64 for float32 too.
func softmaxRows[F float32 | float64](x, y []F, n int, log bool) {
	for r := 0; r+n <= len(x); r += n {
		xr, yr := x[r:r+n], y[r:r+n]
		m := xr[0]
		for _, v := range xr[1:] {
			if v > m {
				m = v
			}
		}
		sum := 0.0
		for i, v := range xr {
			e := math.Exp(float64(v - m))
			sum += e
			if !log {
				yr[i] = F(e)
			}
		}
		if log {
			ls := math.Log(sum)
			for i, v := range xr {
				yr[i] = F(float64(v-m) - ls)
			}
			continue
		}
		inv := 1 / sum
		for i, v := range yr {
			yr[i] = F(float64(v) * inv)
		}
	}
}

// softmaxGrad writes dx given y and dy, row by row: for the softmax dx = y⊙(dy - Σ dy⊙y), for
// the log-softmax dx = dy - exp(y)·Σ dy.
func softmaxGrad[F float32 | float64](y, dy, dx []F, n int, log bool) {
	for r := 0; r+n <= len(y); r += n {
		yr, gr, dr := y[r:r+n], dy[r:r+n], dx[r:r+n]
		sum := 0.0
		if log {
			for _, g := range gr {
				sum += float64(g)
			}
			for i, v := range yr {
				dr[i] = gr[i] - F(math.Exp(float64(v))*sum)
			}
			continue
		}
		for i, g := range gr {
			sum += float64(g) * float64(yr[i])
		}
		for i, v := range yr {
			dr[i] = F(float64(v) * (float64(gr[i]) - sum))
		}
	}
}

// IsSoftmax reports whether n is a softmax node: Softmax of this package, or gorgonia's
// SoftMax (or LogSoftMax, the same gorgonia op), whose log gorgonia rewrites in place.
func IsSoftmax(n *G.Node) bool {
	return is(n, "softmax") || n != nil && fmt.Sprintf("%T", n.Op()) == "*gorgonia.softmaxOp"
}

// Slice returns the indices [from, to) of x along axis (for a matrix: 0 rows, 1 columns), with
// the other axes whole. The result keeps x's number of dimensions.
func Slice(x *G.Node, axis, from, to int) (*G.Node, error) {
	name := fmt.Sprintf("slice axis %d [%d:%d]", axis, from, to)
	if err := check(name, x); err != nil {
		return nil, err
	}
	s := x.Shape()
	if axis < 0 || axis >= len(s) {
		return nil, errors.Errorf("mathop: %s: shape %v has no axis %d", name, s, axis)
	}
	L := s[axis]
	if from < 0 || to > L || from >= to {
		return nil, errors.Errorf("mathop: %s: want 0 <= from < to <= %d (the size of axis %d of shape %v)", name, L, axis, s)
	}
	outer, inner := tensor.Shape(s[:axis]).TotalSize(), tensor.Shape(s[axis+1:]).TotalSize()
	out := s.Clone()
	out[axis] = to - from
	w := (to - from) * inner // values per outer index in the slice
	diff := func(_, _, dy *G.Node) (*G.Node, error) {
		return apply("∂"+name, s,
			func(in [][]float64, dx []float64) { unslice(in[0], dx, outer, L*inner, from*inner, w) },
			func(in [][]float32, dx []float32) { unslice(in[0], dx, outer, L*inner, from*inner, w) },
			nil, dy)
	}
	return apply(name, out,
		func(in [][]float64, y []float64) { slice(in[0], y, outer, L*inner, from*inner, w) },
		func(in [][]float32, y []float32) { slice(in[0], y, outer, L*inner, from*inner, w) },
		diff, x)
}

// slice copies x[o·stride+off : o·stride+off+w] to y[o·w : (o+1)·w] for every o < outer.
func slice[F float32 | float64](x, y []F, outer, stride, off, w int) {
	for o := 0; o < outer; o++ {
		copy(y[o*w:(o+1)*w], x[o*stride+off:o*stride+off+w])
	}
}

// unslice is slice's gradient: dy goes back to where slice took it from, zeros elsewhere.
func unslice[F float32 | float64](dy, dx []F, outer, stride, off, w int) {
	clear(dx)
	for o := 0; o < outer; o++ {
		copy(dx[o*stride+off:o*stride+off+w], dy[o*w:(o+1)*w])
	}
}

// Reshape returns x with the given shape (the same values in the same row-major order), which
// must hold as many values as x's.
func Reshape(x *G.Node, shape ...int) (*G.Node, error) {
	to := tensor.Shape(append([]int(nil), shape...))
	name := fmt.Sprintf("reshape to %v", to)
	if err := check(name, x); err != nil {
		return nil, err
	}
	for _, d := range to {
		if d <= 0 {
			return nil, errors.Errorf("mathop: %s: sizes must be > 0", name)
		}
	}
	s := x.Shape()
	if to.TotalSize() != s.TotalSize() {
		return nil, errors.Errorf("mathop: %s: shape %v has %d values, %v has %d", name, to, to.TotalSize(), s, s.TotalSize())
	}
	diff := func(_, _, dy *G.Node) (*G.Node, error) {
		return apply("∂"+name, s,
			func(in [][]float64, dx []float64) { copy(dx, in[0]) },
			func(in [][]float32, dx []float32) { copy(dx, in[0]) },
			nil, dy)
	}
	return apply(name, to,
		func(in [][]float64, y []float64) { copy(y, in[0]) },
		func(in [][]float32, y []float32) { copy(y, in[0]) },
		diff, x)
}
