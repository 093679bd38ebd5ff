package online

import (
	"math"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/layers"
)

// squash is a squashing function a·σ(x)+c, or the identity (eqs. 3-5 and Table 10's variants).
type squash struct {
	a, c float64
	sig  bool
}

func squashOf(s layers.Squash) squash {
	switch s {
	case layers.SquashLogistic:
		return squash{1, 0, true}
	case layers.SquashSym1:
		return squash{2, -1, true}
	case layers.SquashSym2:
		return squash{4, -2, true}
	}
	return squash{1, 0, false} // SquashIdentity (layers has filled in the defaults)
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// dot returns Σ a_i b_i, in four partial sums (a net input is short: a single sum would wait
// on each addition).
func dot(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func itoa(i int) string { return strconv.Itoa(i) }

// tensorMap places a parameter of the graph path in the learner's weight vector. The graph's
// tensors are [sources, units] (layers.Cell, output.Layer): element [r][k], flat index
// r·cols+k, is the weight of unit k from source r, at w[base + k·stride + r].
type tensorMap struct {
	name         string
	rows, cols   int
	base, stride int
}

func (t tensorMap) at(i int) int { return t.base + (i%t.cols)*t.stride + i/t.cols }

// layout returns the parameters of the net in the graph's order (layers.Cell.Params, then
// output.Layer.Params).
func (l *Learner) layout() []tensorMap {
	var ms []tensorMap
	group := func(name string, first, n int, bias bool, peep int) {
		p := l.lstm.Name + "/" + name + "/"
		ms = append(ms, tensorMap{p + "wx", l.I, n, first * l.M, l.M})
		if !l.lstm.NoRecurrence {
			ms = append(ms, tensorMap{p + "wh", l.R, n, first*l.M + l.I, l.M})
		}
		if bias {
			ms = append(ms, tensorMap{p + "b", 1, n, first*l.M + l.M - 1, l.M})
		}
		if peep >= 0 {
			ms = append(ms, tensorMap{p + "peep", 1, l.CS, peep, 1})
		}
	}
	group("cell", 0, l.CS, l.bC == 1, -1)
	group("in_gate", l.inU, l.C, l.bG == 1, l.pIn)
	if l.outGate {
		group("out_gate", l.outU, l.C, l.bG == 1, l.pOut)
	}
	if l.forget {
		group("forget_gate", l.fU, l.C, l.bG == 1, l.pF)
	}
	p := l.out.Name + "/"
	ms = append(ms, tensorMap{p + "w", l.CS, l.K, l.oBase, l.Mo})
	if l.fromInputs {
		ms = append(ms, tensorMap{p + "wx", l.I, l.K, l.oBase + l.CS, l.Mo})
	}
	if l.out.Bias {
		ms = append(ms, tensorMap{p + "b", 1, l.K, l.oBase + l.Mo - 1, l.Mo})
	}
	return ms
}

// checkLayout checks that package layers builds exactly the parameters of layout for the net
// (a variant the learner does not know, such as a new gate, is refused here).
func (l *Learner) checkLayout(built *graph.ParamSet) error {
	names := built.Names()
	for i, name := range names {
		if i >= len(l.maps) || l.maps[i].name != name {
			return errors.Errorf("online: the net has parameter %q, which the learner does not implement", name)
		}
		if sh := built.Get(name).Shape(); len(sh) != 2 || sh[0] != l.maps[i].rows || sh[1] != l.maps[i].cols {
			return errors.Errorf("online: the net's parameter %q has shape %v, the learner expects [%d, %d]", name, sh, l.maps[i].rows, l.maps[i].cols)
		}
	}
	if len(names) != len(l.maps) {
		return errors.Errorf("online: the net has %d parameters, the learner expects %d", len(names), len(l.maps))
	}
	return nil
}

// read copies the weights from ps, which must hold exactly the net's parameters.
func (l *Learner) read(ps *graph.ParamSet) error {
	for _, m := range l.maps {
		t := ps.Get(m.name)
		if t == nil {
			return errors.Errorf("online: the ParamSet has no parameter %q (want [%d, %d])", m.name, m.rows, m.cols)
		}
		if sh := t.Shape(); len(sh) != 2 || sh[0] != m.rows || sh[1] != m.cols {
			return errors.Errorf("online: parameter %q has shape %v, the net wants [%d, %d]", m.name, sh, m.rows, m.cols)
		}
	}
	for _, name := range ps.Names() {
		if l.find(name) < 0 {
			return errors.Errorf("online: the ParamSet has parameter %q, which the net does not have", name)
		}
	}
	for _, m := range l.maps {
		v := graph.Float64View(ps.Get(m.name))
		if i := graph.FirstNonFinite(v); i >= 0 {
			return errors.Errorf("online: parameter %q value %d is %v", m.name, i, v[i])
		}
	}
	for _, m := range l.maps {
		for i, x := range graph.Float64View(ps.Get(m.name)) {
			l.w.cur[m.at(i)] = x
		}
	}
	copy(l.w.next, l.w.cur)
	return nil
}

// ReadParams replaces the learner's weights by those in ps, which must hold exactly the net's
// parameters (as for New), for instance after the graph path trained them further. The
// activations, states and partials are kept (call Reset to start a sequence afresh). On an
// error nothing changes.
func (l *Learner) ReadParams(ps *graph.ParamSet) error {
	if ps == nil {
		return errors.New("online: ReadParams: nil ParamSet")
	}
	return l.read(ps)
}

func (l *Learner) find(name string) int {
	for i, m := range l.maps {
		if m.name == name {
			return i
		}
	}
	return -1
}

// gather returns parameter name's values from v (the weights or the summed gradient) in the
// graph's layout.
func (l *Learner) gather(name string, v []float64) ([]float64, error) {
	i := l.find(name)
	if i < 0 {
		return nil, errors.Errorf("online: no parameter %q (have %v)", name, l.Names())
	}
	m := l.maps[i]
	out := make([]float64, m.rows*m.cols)
	for k := range out {
		out[k] = v[m.at(k)]
	}
	return out, nil
}

// Names returns the names of the net's parameters in the graph's order.
func (l *Learner) Names() []string {
	out := make([]string, len(l.maps))
	for i, m := range l.maps {
		out[i] = m.name
	}
	return out
}

// NumWeights returns the number of weights (the paper's count plus the output layer's, as
// graph.ParamSet.NumWeights).
func (l *Learner) NumWeights() int {
	n := 0
	for _, m := range l.maps {
		n += m.rows * m.cols
	}
	return n
}

// Weights returns the current values of parameter name, in the graph's layout [sources, units].
func (l *Learner) Weights(name string) ([]float64, error) { return l.gather(name, l.w.cur) }

// Gradient returns ∂E/∂w of parameter name summed over the steps of the current sequence so
// far, E = Σ_t ½ Σ_k (target_k - y^k(t))², in the graph's layout: App. A.1's truncated
// gradient, what the graph path computes for one sequence (train.Trainer at batch 1 gives its
// optimizer this). In PerStep mode each step's term was taken at that step's weights.
func (l *Learner) Gradient(name string) ([]float64, error) { return l.gather(name, l.gsum.cur) }

// WriteParams writes the learner's weights into ps, which must hold the net's parameters (a
// ParamSet of the graph path for the same net), converting to its dtype. On an error nothing
// is written.
func (l *Learner) WriteParams(ps *graph.ParamSet) error {
	if ps == nil {
		return errors.New("online: WriteParams: nil ParamSet")
	}
	for _, m := range l.maps {
		t := ps.Get(m.name)
		if t == nil {
			return errors.Errorf("online: WriteParams: the ParamSet has no parameter %q", m.name)
		}
		if sh := t.Shape(); len(sh) != 2 || sh[0] != m.rows || sh[1] != m.cols {
			return errors.Errorf("online: WriteParams: parameter %q has shape %v, the net has [%d, %d]", m.name, sh, m.rows, m.cols)
		}
	}
	for _, m := range l.maps {
		v, _ := l.gather(m.name, l.w.cur)
		if err := ps.SetFloat64s(m.name, v); err != nil {
			return errors.Wrap(err, "online: WriteParams")
		}
	}
	return nil
}

// unitName names hidden unit u (a row of the weights, an entry of y).
func (l *Learner) unitName(u int) string {
	switch {
	case u < l.CS:
		return l.cellName(u)
	case u < l.outU:
		return "input gate " + itoa(u-l.inU)
	case l.outGate && u < l.outU+l.C:
		return "output gate " + itoa(u-l.outU)
	}
	return "forget gate " + itoa(u-l.fU)
}

func (l *Learner) cellName(c int) string {
	return "cell " + itoa(c) + " (block " + itoa(c/l.S) + ")"
}

// partialName names entry i of a partials array by its cell and weight: of the cell's own
// weights ([CS][M]) if gate is "", else of its block's gate ([CS][Mg]).
func (l *Learner) partialName(gate string) func(i int) string {
	return func(i int) string {
		width, of := l.M, "its own weight"
		if gate != "" {
			width = l.Mg
		}
		c, m := i/width, i%width
		if gate != "" {
			of = "the weight of " + gate + " " + itoa(c/l.S)
		}
		return l.cellName(c) + " with respect to " + of + " from " + l.sourceName(c/l.S, m)
	}
}

// sourceName names source m of a hidden unit of block j: [x | y(t-1) | bias | peepholes].
func (l *Learner) sourceName(j, m int) string {
	switch {
	case m < l.I:
		return "input " + itoa(m)
	case m < l.I+l.R:
		return "y(t-1) of " + l.unitName(m-l.I)
	case m == l.M-1:
		return "the bias"
	}
	return "the state of " + l.cellName(j*l.S+m-l.M)
}

// weightName names entry i of the weight vector as parameter[index].
func (l *Learner) weightName(i int) string {
	for _, m := range l.maps {
		for k := 0; k < m.rows*m.cols; k++ {
			if m.at(k) == i {
				return m.name + "[" + itoa(k) + "]"
			}
		}
	}
	return "(unused bias slot " + itoa(i) + ")"
}

// Freeze keeps the named parameters as they are from now on, in both modes: their gradient is
// still summed (Gradient), but no update changes them. It replaces the frozen set of an
// earlier call; Freeze() with no name unfreezes all. This is how the paper's sequential
// construction (Exps. 2a/2b) keeps a memory cell out of the net until it is added (its
// outgoing weights held at 0; optim.Hold in the graph path). An unknown name is an error, and
// then nothing changes.
func (l *Learner) Freeze(names ...string) error {
	var idx []int
	for _, name := range names {
		i := l.find(name)
		if i < 0 {
			return errors.Errorf("online: Freeze: no parameter %q (the net has %s)", name, strings.Join(l.Names(), ", "))
		}
		idx = append(idx, i)
	}
	if len(idx) == 0 {
		l.frozen = nil
		return nil
	}
	l.frozen = make([]bool, len(l.w.cur))
	for _, i := range idx {
		m := l.maps[i]
		for k := 0; k < m.rows*m.cols; k++ {
			l.frozen[m.at(k)] = true
		}
	}
	return nil
}

// keepFrozen copies the frozen weights of w into next, both starting at weight off.
func (l *Learner) keepFrozen(w, next []float64, off int) {
	if l.frozen == nil {
		return
	}
	for m, f := range l.frozen[off : off+len(next)] {
		if f {
			next[m] = w[m]
		}
	}
}
