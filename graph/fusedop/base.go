package fusedop

import (
	"fmt"
	"hash"
	"hash/fnv"
	"io"
	"strconv"
	"sync/atomic"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Base is what every gorgonia op of this module shares; an op embeds it and adds Arity, Type,
// InferShape, String, Do, DiffWRT and SymDiff. It carries the op's identity (the key written
// by WriteHash, and an id) and its dtype, and answers ReturnsPtr, CallsExtern and
// OverwritesInput as a pure op that writes a fresh output does. The zero value has an empty
// key: make one with NewBase or KeyedBase.
type Base struct {
	key   string
	id    uint64
	dtype tensor.Dtype
}

var baseIDs atomic.Uint64

// NewBase returns the Base of a new op of the given kind, a name no other kind of op uses (by
// convention the op type's full path, "github.com/lstm97/lstm97/layers/dense.denseOp"), and
// dtype. Its id is new, unique in the process, and part of its key, so its node never merges
// with another op's: an op that keeps state between its forward and gradient runs must own its
// node.
func NewBase(kind string, dt tensor.Dtype) Base {
	id := baseIDs.Add(1)
	return Base{key: kind + "#" + strconv.FormatUint(id, 10), id: id, dtype: dt}
}

// KeyedBase returns the Base of an op whose identity is key: ops with equal keys are the same
// operation, and gorgonia may share one node between equal expressions of them. key must name
// the kind of op and hold everything that determines its result. Its ID is 0.
func KeyedBase(key string, dt tensor.Dtype) Base { return Base{key: key, dtype: dt} }

// ID is the op's id (0 for KeyedBase).
func (b Base) ID() uint64 { return b.id }

// Dtype is the op's dtype.
func (b Base) Dtype() tensor.Dtype { return b.dtype }

// ReturnsPtr is false: the op's output is a value of its own.
func (b Base) ReturnsPtr() bool { return false }

// CallsExtern is false: the op runs on the CPU in Go.
func (b Base) CallsExtern() bool { return false }

// OverwritesInput is -1: the op writes no input.
func (b Base) OverwritesInput() int { return -1 }

// WriteHash writes the op's key.
func (b Base) WriteHash(h hash.Hash) { _, _ = io.WriteString(h, b.key) }

// Hashcode is the 32-bit FNV-1a hash of the key, the hash gorgonia merges nodes by.
func (b Base) Hashcode() uint32 { h := fnv.New32a(); b.WriteHash(h); return h.Sum32() }

// Kernels is a fused op that writes its output into a dense tensor of its shape: Forward64 and
// Forward32 compute it from the inputs vals for the two dtypes. Do and UsePreallocDo implement
// gorgonia's Do and UsePreallocDo for it.
type Kernels interface {
	G.Op
	Dtype() tensor.Dtype
	Forward64(vals []G.Value, out []float64) error
	Forward32(vals []G.Value, out []float32) error
}

// Do runs op into a new tensor of the shape op.InferShape gives.
func Do(op Kernels, vals []G.Value) (G.Value, error) {
	s, err := op.InferShape()
	if err != nil {
		return nil, errors.Wrapf(err, "%v", op)
	}
	return UsePreallocDo(op, tensor.New(tensor.Of(op.Dtype()), tensor.WithShape(s...)), vals)
}

// UsePreallocDo runs op into prealloc after checking the call (OutputTensor): Forward64 or
// Forward32 by the op's dtype.
func UsePreallocDo(op Kernels, prealloc G.Value, vals []G.Value) (G.Value, error) {
	out, err := OutputTensor(op, op.Arity(), prealloc, vals)
	if err != nil {
		return nil, err
	}
	dt := op.Dtype()
	if y, ok := Floats[float64](out); ok && SameDtype(dt, tensor.Float64) {
		err = op.Forward64(vals, y)
	} else if y, ok := Floats[float32](out); ok && SameDtype(dt, tensor.Float32) {
		err = op.Forward32(vals, y)
	} else if dt == tensor.Float64 || dt == tensor.Float32 {
		err = errors.Errorf("%v: output tensor of dtype %v, want %v", op, out.Dtype(), dt)
	} else {
		err = errors.Errorf("%v: unsupported dtype %v", op, dt)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ScalarKernels is a fused op whose output is a scalar: Value64 and Value32 compute it (in
// float64) from float64 or float32 inputs. DoScalar implements gorgonia's Do for it.
type ScalarKernels interface {
	fmt.Stringer
	Arity() int
	Dtype() tensor.Dtype
	Value64(vals []G.Value) (float64, error)
	Value32(vals []G.Value) (float64, error)
}

// ScalarOut, embedded in a ScalarKernels op, is where DoScalar writes the op's result instead
// of a new value at every run: the value it returns is then the op's own, overwritten by the
// op's next run (a program reads it before that; gorgonia's TapeMachine too).
type ScalarOut struct {
	f64 G.F64
	f32 G.F32
}

func (s *ScalarOut) scalarOut() *ScalarOut { return s }

// DoScalar checks the number of inputs, runs Value64 or Value32 by the op's dtype and returns
// the result as a scalar of that dtype: a new value, or the op's own if it embeds ScalarOut.
func DoScalar(op ScalarKernels, vals []G.Value) (G.Value, error) {
	if len(vals) != op.Arity() {
		return nil, errors.Errorf("%v: want %d inputs, got %d", op, op.Arity(), len(vals))
	}
	var out *ScalarOut
	if o, ok := op.(interface{ scalarOut() *ScalarOut }); ok {
		out = o.scalarOut()
	}
	switch op.Dtype() {
	case tensor.Float64:
		v, err := op.Value64(vals)
		if err != nil {
			return nil, err
		}
		if out == nil {
			return G.NewF64(v), nil
		}
		out.f64 = G.F64(v)
		return &out.f64, nil
	case tensor.Float32:
		v, err := op.Value32(vals)
		if err != nil {
			return nil, err
		}
		if out == nil {
			return G.NewF32(float32(v)), nil
		}
		out.f32 = G.F32(float32(v))
		return &out.f32, nil
	}
	return nil, errors.Errorf("%v: unsupported dtype %v", op, op.Dtype())
}

// Differentiable is DiffWRT for an op of n inputs that is differentiable with respect to
// inputs [from, to) only (to is clipped to n). The slice is never empty for n > 0 even if no
// input is differentiable, as gorgonia requires.
func Differentiable(n, from, to int) []bool {
	d := make([]bool, n)
	for i := from; i < to && i < n; i++ {
		d[i] = true
	}
	return d
}

// TypeOf is the gorgonia type of a value of dtype dt and shape s: dt itself for a scalar, a
// tensor type of len(s) dimensions otherwise.
func TypeOf(dt tensor.Dtype, s tensor.Shape) hm.Type {
	if s.IsScalar() {
		return dt
	}
	return G.TensorType{Dims: len(s), Of: dt}
}

// Input returns the values of input i of op as []F (Floats), checking that it has n values
// (any number if n < 0). The error names op and the input.
func Input[F float32 | float64](op fmt.Stringer, vals []G.Value, i, n int) ([]F, error) {
	if i >= 0 && i < len(vals) {
		if d, ok := Floats[F](vals[i]); ok && (n < 0 || len(d) == n) {
			return d, nil
		}
	}
	return nil, inputError[F](op, vals, i, n)
}

// inputError is Input's error, made apart from the path every op takes for each input at every
// step.
func inputError[F float32 | float64](op fmt.Stringer, vals []G.Value, i, n int) error {
	if i < 0 || i >= len(vals) {
		return errors.Errorf("%v: no input %d (%d inputs)", op, i, len(vals))
	}
	d, ok := Floats[F](vals[i])
	if !ok {
		return errors.Errorf("%v: input %d is %T, want a dense tensor of %T", op, i, vals[i], F(0))
	}
	return errors.Errorf("%v: input %d has %d values, want %d", op, i, len(d), n)
}

// Args reads the inputs of an op one after the other with Input. The first error sticks:
// later reads return nil, and Err returns it.
type Args[F float32 | float64] struct {
	op   fmt.Stringer
	vals []G.Value
	next int
	err  error
}

// ReadArgs starts reading vals, the inputs of op, at input 0.
func ReadArgs[F float32 | float64](op fmt.Stringer, vals []G.Value) Args[F] {
	return Args[F]{op: op, vals: vals}
}

// Next returns the values of the next input, which must have n values (any number if n < 0).
func (a *Args[F]) Next(n int) []F {
	if a.err != nil {
		return nil
	}
	d, err := Input[F](a.op, a.vals, a.next, n)
	a.next++
	a.err = err
	return d
}

// Err returns the first error of Next.
func (a *Args[F]) Err() error { return a.err }

// Upstream returns ∂E/∂output of a scalar-valued op, the last of its gradient op's values.
func Upstream(op fmt.Stringer, vals []G.Value) (float64, error) {
	if len(vals) == 0 {
		return 0, errors.Errorf("%v: no upstream gradient", op)
	}
	switch v := vals[len(vals)-1].(type) {
	case *G.F64:
		return float64(*v), nil
	case *G.F32:
		return float64(*v), nil
	}
	return 0, errors.Errorf("%v: upstream gradient is %T", op, vals[len(vals)-1])
}
