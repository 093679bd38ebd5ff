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
	bound bool                 // bind has run
}

type execStep struct {
	n    *G.Node
	op   G.Op
	pre  G.UsePreallocDoer // nil if the op cannot write into a buffer
	buf  G.Value           // preallocated output, nil for scalars
	args []*G.Value
	// argv holds the values of args for the op's call: those of leaves, which never change,
	// set once by bind; those of other steps' outputs (dyn) copied in before every call.
	argv []G.Value
	dyn  []dynArg
	out  *G.Value
	// view, for a part op (fusedop.Part) whose input is flat, the buffer of a step that
	// writes into it: a tensor of the part's shape on the values of flat that the part copies,
	// which run gives as the part's value instead of copying them whenever the input is flat.
	view, flat *tensor.Dense
}

// dynArg is argument j of a step, the output of another step.
type dynArg struct {
	j   int
	src *G.Value
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

// bind sets the arguments of every step that are leaves (inputs, parameters, constants: their
// slots hold the same tensor at every run; Program.Set writes into it) once, and lists the
// others, outputs of steps, for run to copy in before each call. It runs once, after the last
// change of the steps (cutParts).
func (e *executor) bind() {
	out := make(map[*G.Value]bool, len(e.steps))
	for i := range e.steps {
		out[e.steps[i].out] = true
	}
	for i := range e.steps {
		s := &e.steps[i]
		s.dyn = s.dyn[:0]
		for j, a := range s.args {
			if out[a] {
				s.dyn = append(s.dyn, dynArg{j: j, src: a})
			} else {
				s.argv[j] = *a
			}
		}
	}
	e.viewParts()
	e.bound = true
}

// viewParts gives each part op (fusedop.Part) that cuts its values out of the buffer of an
// earlier step a view on them (execStep.view), unless a step may write into the part's value
// or into the buffer (gorgonia's OverwritesInput): the view shares the buffer's memory.
func (e *executor) viewParts() {
	buf := map[*G.Value]*tensor.Dense{} // the buffers of the steps that write into one, by output
	writes := map[*G.Value]bool{}       // values that a step may overwrite
	for i := range e.steps {
		s := &e.steps[i]
		s.view, s.flat = nil, nil
		if d, ok := s.buf.(*tensor.Dense); ok && s.pre != nil {
			buf[s.out] = d
		}
		if k := s.op.OverwritesInput(); k >= 0 && k < len(s.args) {
			writes[s.args[k]] = true
		}
	}
	for i := range e.steps {
		s := &e.steps[i]
		off, n, ok := fusedop.Part(s.op)
		if !ok || len(s.args) != 1 || s.n.IsScalar() || writes[s.out] || writes[s.args[0]] || buf[s.args[0]] == nil {
			continue
		}
		flat := buf[s.args[0]]
		var view *tensor.Dense
		shape := tensor.WithShape(s.n.Shape().Clone()...)
		if x, ok := fusedop.Floats[float64](flat); ok && off+n <= len(x) {
			view = tensor.New(shape, tensor.WithBacking(x[off:off+n:off+n]))
		} else if x, ok := fusedop.Floats[float32](flat); ok && off+n <= len(x) {
			view = tensor.New(shape, tensor.WithBacking(x[off:off+n:off+n]))
		}
		if view != nil && view.Shape().TotalSize() == n {
			s.view, s.flat = view, flat
		}
	}
}

// run executes every step once. A gorgonia panic becomes an error naming the node.
func (e *executor) run() (err error) {
	if !e.bound {
		e.bind()
	}
	var cur *execStep
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("vm: run: node %q (%v) panicked: %v", cur.n.Name(), cur.op, r)
		}
	}()
	for i := range e.steps {
		s := &e.steps[i]
		cur = s
		for _, d := range s.dyn {
			s.argv[d.j] = *d.src
		}
		if s.view != nil {
			if d, ok := s.argv[0].(*tensor.Dense); ok && d == s.flat {
				*s.out = s.view
				continue
			}
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
	e.bound = false
	return out
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
