package vm

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/fusedop"
)

// executor runs a gorgonia graph without gorgonia's TapeMachine. Compilation is linear in the
// number of nodes: a depth-first post-order walk from the nodes whose values are wanted gives
// the execution order, and every op node gets an output buffer that is allocated once and kept
// across runs. Each node owns its buffer, so every executed node's value stays readable after a
// run (the TapeMachine reuses registers and clobbers them). Ops that implement
// G.UsePreallocDoer write into their buffer; the others allocate on every run.
type executor struct {
	steps []execStep
	slot  map[*G.Node]*G.Value // every executed node and every leaf it reads
}

type execStep struct {
	n    *G.Node
	op   G.Op
	pre  G.UsePreallocDoer // nil if the op cannot write into a buffer
	buf  G.Value           // preallocated output, nil for scalars
	args []*G.Value
	argv []G.Value
	out  *G.Value
}

// newExecutor prepares to compute roots and everything they depend on.
func newExecutor(g *G.ExprGraph, roots []*G.Node) (*executor, error) {
	e := &executor{slot: map[*G.Node]*G.Value{}}
	type frame struct {
		n    *G.Node
		kids []*G.Node
		next int
	}
	state := map[*G.Node]uint8{} // 1 on the stack, 2 done
	for _, r := range roots {
		if r == nil || state[r] == 2 {
			continue
		}
		stack := []frame{{n: r, kids: graph.Children(g, r)}}
		state[r] = 1
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.next < len(f.kids) {
				k := f.kids[f.next]
				f.next++
				switch state[k] {
				case 1:
					return nil, errors.Errorf("vm: node %q is part of a cycle", k.Name())
				case 0:
					state[k] = 1
					stack = append(stack, frame{n: k, kids: graph.Children(g, k)})
				}
				continue
			}
			if err := e.add(f.n, f.kids); err != nil {
				return nil, err
			}
			state[f.n] = 2
			stack = stack[:len(stack)-1]
		}
	}
	return e, nil
}

// add appends n (whose children have been added) to the execution order.
func (e *executor) add(n *G.Node, kids []*G.Node) error {
	v := new(G.Value)
	e.slot[n] = v
	if n.Op() == nil { // a leaf: input, parameter or fixed value, bound to its tensor
		*v = n.Value()
		if *v == nil {
			return errors.Errorf("vm: leaf %q has no value", n.Name())
		}
		return nil
	}
	if len(kids) == 0 { // a constant
		*v = n.Value()
		if *v != nil {
			return nil
		}
	}
	s := execStep{n: n, op: n.Op(), out: v, argv: make([]G.Value, len(kids))}
	for _, k := range kids {
		s.args = append(s.args, e.slot[k])
	}
	if pre, ok := n.Op().(G.UsePreallocDoer); ok && !n.IsScalar() && n.Shape().TotalSize() > 0 {
		s.pre = pre
		s.buf = tensor.New(tensor.Of(n.Dtype()), tensor.WithShape(n.Shape().Clone()...))
	}
	e.steps = append(e.steps, s)
	return nil
}

// run executes every step once. A gorgonia panic becomes an error naming the node.
func (e *executor) run() (err error) {
	var cur *execStep
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("vm: run: node %q (%v) panicked: %v", cur.n.Name(), cur.op, r)
		}
	}()
	for i := range e.steps {
		s := &e.steps[i]
		cur = s
		for j, a := range s.args {
			s.argv[j] = *a
		}
		var v G.Value
		if s.pre != nil {
			v, err = s.pre.UsePreallocDo(s.buf, s.argv...)
		} else {
			v, err = s.op.Do(s.argv...)
		}
		if err != nil {
			return errors.Wrapf(err, "vm: run: node %q (%v)", s.n.Name(), s.op)
		}
		if v == nil {
			return errors.Errorf("vm: run: node %q (%v) produced no value", s.n.Name(), s.op)
		}
		*s.out = v
	}
	return nil
}

// part is where a gradient that a partOp (fusedop.FlatGrad) cuts out of a flat vector lies:
// values [off, off+n) of the flat vector's value.
type part struct {
	flat   *G.Value
	off, n int
}

// cutParts drops the steps of the nodes ns that are fusedop part ops read by no other step
// and not in keep, and returns where each one's values lie (a zero part for the others): the
// program adds those gradients straight from the flat vector.
func (e *executor) cutParts(g *G.ExprGraph, ns []*G.Node, keep map[*G.Node]bool) []part {
	read := map[*G.Value]bool{}
	for _, s := range e.steps {
		for _, a := range s.args {
			read[a] = true
		}
	}
	out := make([]part, len(ns))
	drop := map[*G.Node]part{}
	for i, n := range ns {
		if pt, ok := drop[n]; ok { // the same node twice
			out[i] = pt
			continue
		}
		off, size, ok := fusedop.Part(n.Op())
		kids := graph.Children(g, n)
		if !ok || keep[n] || read[e.slot[n]] || len(kids) != 1 || e.slot[kids[0]] == nil {
			continue
		}
		out[i] = part{flat: e.slot[kids[0]], off: off, n: size}
		drop[n] = out[i]
	}
	if len(drop) == 0 {
		return out
	}
	steps := e.steps[:0]
	for _, s := range e.steps {
		if _, ok := drop[s.n]; ok {
			delete(e.slot, s.n)
			continue
		}
		steps = append(steps, s)
	}
	e.steps = steps
	return out
}

// value returns n's value after the last run, or nil if n is not computed by this executor.
func (e *executor) value(n *G.Node) G.Value {
	if v, ok := e.slot[n]; ok {
		return *v
	}
	return nil
}

// firstNonFinite returns the index of the first step whose value holds a NaN or an infinity,
// with the index and the value found, or -1.
func (e *executor) firstNonFinite() (step, index int, val float64) {
	for k := range e.steps {
		if j, v := nonFiniteIn(*e.steps[k].out); j >= 0 {
			return k, j, v
		}
	}
	return -1, -1, 0
}
