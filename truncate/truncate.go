package truncate

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// hashTag is written by WriteHash. Gorgonia merges nodes whose hashes agree, so the tag must
// differ from every other op's; it names this package to make that certain.
const hashTag = "github.com/lstm97/lstm97/truncate.op"

// Apply returns a node equal to x in the forward pass through which no gradient flows. Applying
// it twice to the same node returns the same node (gorgonia merges identical expressions); it
// never merges with a node of another op.
func Apply(x *G.Node) (out *G.Node, err error) {
	if x == nil {
		return nil, errors.New("truncate: nil node")
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, errors.Errorf("truncate: node %q: %v", x.Name(), r)
		}
	}()
	out, err = G.ApplyOp(op{}, x)
	if err != nil {
		return nil, errors.Wrapf(err, "truncate: node %q", x.Name())
	}
	return out, nil
}

// Is reports whether n is the output of a truncate op.
func Is(n *G.Node) bool {
	if n == nil {
		return false
	}
	_, ok := n.Op().(op)
	return ok
}

// op is the stop-gradient operation. The recipe that works with gorgonia's Grad and its
// machines (docs/design.md, "No stop-gradient"): DiffWRT returns a non-empty all-false slice so
// that SymDiff is never called, DoDiff does nothing, and Do returns a copy.
type op struct{}

var (
	_ G.Op              = op{}
	_ G.SDOp            = op{}
	_ G.ADOp            = op{}
	_ G.UsePreallocDoer = op{}
)

func (op) Arity() int { return 1 }

// Type is a -> a.
func (op) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}

func (op) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != 1 || in[0] == nil {
		return nil, errors.Errorf("truncate: want 1 input, got %d", len(in))
	}
	if s, ok := in[0].(tensor.Shape); ok {
		return s.Clone(), nil
	}
	return nil, errors.Errorf("truncate: cannot infer shape from %T", in[0])
}

// Do returns a copy of its input: the output must never alias the input's register, because
// the machine may overwrite either.
func (op) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != 1 {
		return nil, errors.Errorf("truncate: want 1 value, got %d", len(vals))
	}
	return copyValue(vals[0])
}

func (op) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	if len(vals) != 1 {
		return nil, errors.Errorf("truncate: want 1 value, got %d", len(vals))
	}
	dst, ok := prealloc.(*tensor.Dense)
	src, ok2 := vals[0].(*tensor.Dense)
	if !ok || !ok2 || !dst.Shape().Eq(src.Shape()) || dst.Dtype() != src.Dtype() {
		return copyValue(vals[0])
	}
	tensor.Copy(dst, src)
	return dst, nil
}

func copyValue(v G.Value) (G.Value, error) {
	switch x := v.(type) {
	case *tensor.Dense:
		return x.Clone().(*tensor.Dense), nil
	case *G.F64:
		c := *x
		return &c, nil
	case *G.F32:
		c := *x
		return &c, nil
	default:
		return nil, errors.Errorf("truncate: unsupported value type %T", v)
	}
}

func (op) ReturnsPtr() bool     { return false }
func (op) CallsExtern() bool    { return false }
func (op) OverwritesInput() int { return -1 }

func (op) WriteHash(h hash.Hash) { fmt.Fprint(h, hashTag) }

func (o op) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}

func (op) String() string { return "truncate" }

// DiffWRT says the op is not differentiable with respect to its input. The slice must be
// non-empty (gorgonia indexes it).
func (op) DiffWRT(n int) []bool { return make([]bool, n) }

// SymDiff is never called when DiffWRT is all false; it returns an error if it ever is.
func (op) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return nil, errors.New("truncate: SymDiff called on a stop-gradient op")
}

// DoDiff adds nothing to the input's derivative: the error stops here.
func (op) DoDiff(ctx G.ExecutionContext, inputs G.Nodes, output *G.Node) error { return nil }
