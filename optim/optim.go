package optim

import (
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/fusedop"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/train"
	"github.com/lstm97/lstm97/train/checkpoint"
)

// Clip configures gradient clipping, applied to the gradients as an update uses them (the
// gradient tensors are not changed). Zero values turn it off.
type Clip struct {
	// Norm rescales all gradients together so that their global L2 norm is at most Norm.
	Norm float64
	// Value clamps every gradient component to [-Value, Value].
	Value float64
}

func (c Clip) validate() error {
	if !(c.Norm >= 0) || math.IsInf(c.Norm, 0) {
		return errors.Errorf("optim: Clip.Norm must be finite and >= 0, got %v", c.Norm)
	}
	if !(c.Value >= 0) || math.IsInf(c.Value, 0) {
		return errors.Errorf("optim: Clip.Value must be finite and >= 0, got %v", c.Value)
	}
	return nil
}

func positive(name string, v float64) error {
	if !(v > 0) || math.IsInf(v, 0) {
		return errors.Errorf("optim: %s must be finite and > 0, got %v", name, v)
	}
	return nil
}

// float is the element type of parameter tensors.
type float interface{ ~float32 | ~float64 }

// clipped is gradient g after clamping to [-value, value] (if value > 0) and rescaling by
// scale, each result rounded to g's type (as if the gradient tensor were clipped in place).
func clipped[F float](g F, value, scale float64) float64 {
	if value > 0 {
		g = F(math.Max(-value, math.Min(value, float64(g))))
	}
	if scale != 1 {
		g = F(float64(g) * scale)
	}
	return float64(g)
}

// bad reports whether x is NaN or infinite.
func bad(x float64) bool { return x-x != 0 }

// scale returns the factor by which Norm clipping rescales the (clamped) gradients: 1, or
// Norm over their global L2 norm when that is larger than Norm. Gradients too large for the
// sum of their squares (which overflows) are measured relative to their largest component.
func (c Clip) scale(ps []vm.Param) float64 {
	if c.Norm <= 0 {
		return 1
	}
	sq, big := 0.0, 0.0
	for _, p := range ps {
		forGrads(p, func(g float64) {
			g = math.Abs(g)
			sq += g * g
			big = math.Max(big, g)
		}, c.Value)
	}
	if n := math.Sqrt(sq); !math.IsInf(n, 0) {
		if n > c.Norm {
			return c.Norm / n
		}
		return 1
	}
	rel := 0.0 // Σ (g/big)², in [1, number of gradients]
	for _, p := range ps {
		forGrads(p, func(g float64) { g /= big; rel += g * g }, c.Value)
	}
	return c.Norm / big / math.Sqrt(rel)
}

// forGrads calls f with every gradient component of p, clamped to [-value, value] if value > 0.
func forGrads(p vm.Param, f func(g float64), value float64) {
	switch p.Grad.Dtype() {
	case tensor.Float64:
		for _, g := range p.Grad.Float64s() {
			f(clipped(g, value, 1))
		}
	case tensor.Float32:
		for _, g := range p.Grad.Float32s() {
			f(clipped(g, value, 1))
		}
	}
}

// check validates the parameters before any of them changes: a value and a gradient of the
// same shape and float dtype, a name used once (optimizer state is kept by name), every value
// and gradient finite.
func check(ps []vm.Param) error {
	for i, p := range ps {
		if p.Value == nil || p.Grad == nil {
			return errors.Errorf("optim: parameter %q has no value or gradient", p.Name)
		}
		if !p.Value.Shape().Eq(p.Grad.Shape()) || p.Value.Dtype() != p.Grad.Dtype() {
			return errors.Errorf("optim: parameter %q: value %v %v and gradient %v %v differ", p.Name, p.Value.Shape(), p.Value.Dtype(), p.Grad.Shape(), p.Grad.Dtype())
		}
		if dt := p.Value.Dtype(); dt != tensor.Float64 && dt != tensor.Float32 {
			return errors.Errorf("optim: parameter %q has unsupported dtype %v", p.Name, dt)
		}
		for _, q := range ps[:i] {
			if q.Name == p.Name {
				return errors.Errorf("optim: parameter %q is given twice", p.Name)
			}
		}
		for _, t := range [2]struct {
			what string
			t    *tensor.Dense
		}{{"value", p.Value}, {"gradient", p.Grad}} {
			if j := firstBad(t.t); j >= 0 {
				return errors.Errorf("optim: parameter %q %s %d is %v; no parameter changed", p.Name, t.what, j, graph.Float64View(t.t)[j])
			}
		}
	}
	return nil
}

// firstBad returns the index of the first NaN or infinite value of t (float64 or float32), or
// -1. It allocates nothing.
func firstBad(t *tensor.Dense) int {
	if t.Dtype() == tensor.Float64 {
		return graph.FirstNonFinite(t.Float64s())
	}
	for i, x := range t.Float32s() {
		if bad(float64(x)) {
			return i
		}
	}
	return -1
}

// update runs one element-wise update rule over p's values in p's dtype: u64 or u32 gets the
// value and the gradient and returns the index of an element whose new value would not be
// finite (checking only, when commit is false) or -1.
func update(p vm.Param, u64 func(w, g []float64) int, u32 func(w, g []float32) int) int {
	if p.Value.Dtype() == tensor.Float32 {
		return u32(p.Value.Float32s(), p.Grad.Float32s())
	}
	return u64(p.Value.Float64s(), p.Grad.Float64s())
}

// refuse is the error for element i of p, whose update would not be finite.
func refuse(opt string, p vm.Param, i int) error {
	w, g := graph.Float64View(p.Value), graph.Float64View(p.Grad)
	return errors.Errorf("optim: %s: parameter %q value %d would not be finite after the update (value %v, gradient %v); no parameter changed", opt, p.Name, i, w[i], g[i])
}

// slot returns the named state vector of a parameter of n values: nil if there is none yet (it
// reads as zeros), an error if it has another size.
func slot(m map[string][]float64, name string, n int) ([]float64, error) {
	s, ok := m[name]
	if ok && len(s) != n {
		return nil, errors.Errorf("optim: parameter %q changed size from %d to %d", name, len(s), n)
	}
	return s, nil
}

// slotFor returns the named state vector, creating it at zero.
func slotFor(m map[string][]float64, name string, n int) []float64 {
	s, ok := m[name]
	if !ok {
		s = make([]float64, n)
		m[name] = s
	}
	return s
}

// SGD is plain gradient descent: w ← w − α·g.
type SGD struct {
	LearningRate float64
	Clip         Clip
	names        names     // of the last step's parameters, all checked
	old          []float64 // sgdFast's copy of the values
}

// NewSGD returns plain SGD with learning rate lr (the paper's α).
func NewSGD(lr float64, clip Clip) (*SGD, error) {
	o := &SGD{LearningRate: lr, Clip: clip}
	if err := o.validate(); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *SGD) validate() error {
	if err := positive("SGD learning rate", o.LearningRate); err != nil {
		return err
	}
	return o.Clip.validate()
}

// Step updates the parameters in place. It refuses, changing nothing, parameters whose value
// or gradient is not finite, and an update that would make a value not finite; the error names
// the parameter and the index.
func (o *SGD) Step(ps []vm.Param) error {
	if err := o.validate(); err != nil {
		return err
	}
	if o.Clip == (Clip{}) && o.names.same(ps) && sgdFast(ps, o.LearningRate, &o.old) {
		return nil
	}
	if err := check(ps); err != nil {
		return err
	}
	o.names.set(ps)
	lr, cv, k := o.LearningRate, o.Clip.Value, o.Clip.scale(ps)
	for _, commit := range [2]bool{false, true} {
		for _, p := range ps {
			i := update(p,
				func(w, g []float64) int { return sgd(w, g, lr, cv, k, commit) },
				func(w, g []float32) int { return sgd(w, g, lr, cv, k, commit) })
			if i >= 0 {
				return refuse("SGD", p, i)
			}
		}
	}
	return nil
}

// sgdFast is SGD.Step without clipping for float64 parameters whose names were checked
// before (names.same). It copies each parameter's values aside into old (reused from step to
// step) and updates them, checking as it goes that every new value is finite (which it is not
// if the old value or the gradient is not, or if the update overflows); if one is not, it puts
// the old values back and returns false, having changed nothing: the general path then names
// the reason. It also returns false, changing nothing, if a parameter is not float64, is a
// scalar, or has a value and a gradient of different shapes. Its updates are those of sgd, bit
// for bit. The copy costs less than a pass that checks before the update: the update and the
// check are then one loop.
func sgdFast(ps []vm.Param, lr float64, old *[]float64) bool {
	vals := (*old)[:0]
	defer func() { *old = vals[:0] }()
	for i, p := range ps {
		w, g, ok := views64(p)
		if !ok {
			restore(ps[:i], vals)
			return false
		}
		vals = append(vals, w...)
		if !updateFinite(w, g, lr) {
			restore(ps[:i+1], vals)
			return false
		}
	}
	return true
}

// restore puts back the values of ps, whose copies lie one after the other at the end of old:
// the last first, so that if two parameters share a tensor it ends with its values before
// the first one's update.
func restore(ps []vm.Param, old []float64) {
	for i := len(ps) - 1; i >= 0; i-- {
		w, _, _ := views64(ps[i])
		copy(w, old[len(old)-len(w):])
		old = old[:len(old)-len(w)]
	}
}

// views64 returns the values of p's value and gradient, the tensors' own storage, if both are
// float64 tensors of the same shape and not scalars (a scalar's Float64View is a copy).
func views64(p vm.Param) (w, g []float64, ok bool) {
	if p.Value == nil || p.Grad == nil || p.Value.IsScalar() || !p.Value.Shape().Eq(p.Grad.Shape()) {
		return nil, nil, false
	}
	w, okw := fusedop.Floats[float64](p.Value)
	g, okg := fusedop.Floats[float64](p.Grad)
	if !okw || !okg || len(g) < len(w) {
		return nil, nil, false
	}
	return w, g[:len(w)], true
}

// updateFinite sets w[i] -= lr·g[i] (g has len(w) values) and reports whether every new value
// is finite, as graph.FirstNonFinite tests: x·0 is ±0 for a finite x and NaN for a NaN or an
// infinite one, and a NaN survives any sum, so the loop needs no branch; four sums, so that
// their additions overlap.
func updateFinite(w, g []float64, lr float64) bool {
	g = g[:len(w)]
	var a0, a1, a2, a3 float64
	i := 0
	for ; i+4 <= len(w); i += 4 {
		w4, g4 := w[i:i+4:i+4], g[i:i+4:i+4] // one bounds check for four values
		x0, x1, x2, x3 := w4[0]-lr*g4[0], w4[1]-lr*g4[1], w4[2]-lr*g4[2], w4[3]-lr*g4[3]
		w4[0], w4[1], w4[2], w4[3] = x0, x1, x2, x3
		a0 += x0 * 0
		a1 += x1 * 0
		a2 += x2 * 0
		a3 += x3 * 0
	}
	for ; i < len(w); i++ {
		w[i] -= lr * g[i]
		a0 += w[i] * 0
	}
	s := a0 + a1 + a2 + a3
	return s == s
}

// names remembers the names of the parameters of a step that passed check, so that the next
// step with the same names, in the same order, needs no check for names given twice (the
// strings are usually the very same, which compares at once).
type names struct{ last []string }

// same reports whether ps has the names remembered, in order.
func (n *names) same(ps []vm.Param) bool {
	if len(ps) != len(n.last) || len(ps) == 0 {
		return false
	}
	for i, p := range ps {
		if p.Name != n.last[i] {
			return false
		}
	}
	return true
}

// set remembers the names of ps.
func (n *names) set(ps []vm.Param) {
	n.last = n.last[:0]
	for _, p := range ps {
		n.last = append(n.last, p.Name)
	}
}

func sgd[F float](w, g []F, lr, cv, k float64, commit bool) int {
	for i := range w {
		x := F(float64(w[i]) - lr*clipped(g[i], cv, k))
		if commit {
			w[i] = x
		} else if bad(float64(x)) {
			return i
		}
	}
	return -1
}

// Momentum is gradient descent with momentum: v ← μ·v − α·g, w ← w + v.
type Momentum struct {
	LearningRate, Momentum float64
	Clip                   Clip
	v                      map[string][]float64
}

// NewMomentum returns momentum SGD with learning rate lr and momentum mu in [0, 1).
func NewMomentum(lr, mu float64, clip Clip) (*Momentum, error) {
	o := &Momentum{LearningRate: lr, Momentum: mu, Clip: clip, v: map[string][]float64{}}
	if err := o.validate(); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *Momentum) validate() error {
	if err := positive("momentum learning rate", o.LearningRate); err != nil {
		return err
	}
	if !(o.Momentum >= 0 && o.Momentum < 1) {
		return errors.Errorf("optim: momentum must be in [0, 1), got %v", o.Momentum)
	}
	return o.Clip.validate()
}

// Step updates the parameters in place. Like SGD.Step, it refuses non-finite values,
// gradients and results, changing neither the parameters nor the velocities.
func (o *Momentum) Step(ps []vm.Param) error {
	if err := o.validate(); err != nil {
		return err
	}
	if err := check(ps); err != nil {
		return err
	}
	if o.v == nil {
		o.v = map[string][]float64{}
	}
	lr, mu, cv, k := o.LearningRate, o.Momentum, o.Clip.Value, o.Clip.scale(ps)
	for _, p := range ps {
		if _, err := slot(o.v, p.Name, p.Value.Shape().TotalSize()); err != nil {
			return err
		}
	}
	for _, commit := range [2]bool{false, true} {
		for _, p := range ps {
			v := o.v[p.Name]
			if commit {
				v = slotFor(o.v, p.Name, p.Value.Shape().TotalSize())
			}
			i := update(p,
				func(w, g []float64) int { return momentum(w, g, v, lr, mu, cv, k, commit) },
				func(w, g []float32) int { return momentum(w, g, v, lr, mu, cv, k, commit) })
			if i >= 0 {
				return refuse("momentum", p, i)
			}
		}
	}
	return nil
}

// momentum updates w and the velocity v (nil: zeros, only when checking).
func momentum[F float](w, g []F, v []float64, lr, mu, cv, k float64, commit bool) int {
	for i := range w {
		vi := 0.0
		if v != nil {
			vi = v[i]
		}
		vi = mu*vi - lr*clipped(g[i], cv, k)
		x := F(float64(w[i]) + vi)
		if commit {
			v[i], w[i] = vi, x
		} else if bad(vi) || bad(float64(x)) {
			return i
		}
	}
	return -1
}

// Adam is Kingma & Ba's Adam with bias correction:
// m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², w ← w − α·m̂/(√v̂ + ε).
type Adam struct {
	LearningRate, Beta1, Beta2, Epsilon float64
	Clip                                Clip
	t                                   int
	m, v                                map[string][]float64
}

// NewAdam returns Adam with learning rate lr and the usual β1 = 0.9, β2 = 0.999, ε = 1e-8.
func NewAdam(lr float64, clip Clip) (*Adam, error) {
	o := &Adam{LearningRate: lr, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8, Clip: clip,
		m: map[string][]float64{}, v: map[string][]float64{}}
	if err := o.validate(); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *Adam) validate() error {
	if err := positive("Adam learning rate", o.LearningRate); err != nil {
		return err
	}
	if !(o.Beta1 >= 0 && o.Beta1 < 1) || !(o.Beta2 >= 0 && o.Beta2 < 1) {
		return errors.Errorf("optim: Adam's Beta1 and Beta2 must be in [0, 1), got %v and %v", o.Beta1, o.Beta2)
	}
	if err := positive("Adam epsilon", o.Epsilon); err != nil {
		return err
	}
	return o.Clip.validate()
}

// Step updates the parameters in place. Like SGD.Step, it refuses non-finite values,
// gradients and results, changing neither the parameters nor the moment estimates nor the
// step count.
func (o *Adam) Step(ps []vm.Param) error {
	if err := o.validate(); err != nil {
		return err
	}
	if err := check(ps); err != nil {
		return err
	}
	if o.m == nil || o.v == nil {
		o.m, o.v = map[string][]float64{}, map[string][]float64{}
	}
	for _, p := range ps {
		for _, m := range []map[string][]float64{o.m, o.v} {
			if _, err := slot(m, p.Name, p.Value.Shape().TotalSize()); err != nil {
				return err
			}
		}
	}
	r := adamRule{lr: o.LearningRate, b1: o.Beta1, b2: o.Beta2, eps: o.Epsilon, cv: o.Clip.Value, k: o.Clip.scale(ps)}
	r.c1 = 1 - math.Pow(o.Beta1, float64(o.t+1))
	r.c2 = 1 - math.Pow(o.Beta2, float64(o.t+1))
	for _, commit := range [2]bool{false, true} {
		for _, p := range ps {
			m, v := o.m[p.Name], o.v[p.Name]
			if commit {
				n := p.Value.Shape().TotalSize()
				m, v = slotFor(o.m, p.Name, n), slotFor(o.v, p.Name, n)
			}
			i := update(p,
				func(w, g []float64) int { return adam(r, w, g, m, v, commit) },
				func(w, g []float32) int { return adam(r, w, g, m, v, commit) })
			if i >= 0 {
				return refuse("Adam", p, i)
			}
		}
	}
	o.t++
	return nil
}

// adamRule holds the constants of one Adam step.
type adamRule struct{ lr, b1, b2, eps, cv, k, c1, c2 float64 }

// adam updates w and the moment estimates m and v (nil: zeros, only when checking).
func adam[F float](r adamRule, w, g []F, m, v []float64, commit bool) int {
	for i := range w {
		mi, vi := 0.0, 0.0
		if m != nil {
			mi, vi = m[i], v[i]
		}
		gi := clipped(g[i], r.cv, r.k)
		mi = r.b1*mi + (1-r.b1)*gi
		vi = r.b2*vi + (1-r.b2)*gi*gi
		x := F(float64(w[i]) - r.lr*(mi/r.c1)/(math.Sqrt(vi/r.c2)+r.eps))
		if commit {
			m[i], v[i], w[i] = mi, vi, x
		} else if bad(mi) || bad(vi) || bad(float64(x)) {
			return i
		}
	}
	return -1
}

// ChecksFinite is true: Step refuses values, gradients and results that are not finite
// (train.FiniteChecker).
func (o *SGD) ChecksFinite() bool { return true }

// ChecksFinite is true: Step refuses values, gradients and results that are not finite
// (train.FiniteChecker).
func (o *Momentum) ChecksFinite() bool { return true }

// ChecksFinite is true: Step refuses values, gradients and results that are not finite
// (train.FiniteChecker).
func (o *Adam) ChecksFinite() bool { return true }

// Names lists the names New accepts.
var Names = []string{"sgd", "momentum", "adam"}

// New returns the optimizer called name ("sgd", "momentum" with μ = 0.9, or "adam") with
// learning rate lr, for command-line flags.
func New(name string, lr float64, clip Clip) (train.Optimizer, error) {
	switch strings.ToLower(name) {
	case "sgd":
		return NewSGD(lr, clip)
	case "momentum":
		return NewMomentum(lr, 0.9, clip)
	case "adam":
		return NewAdam(lr, clip)
	}
	return nil, errors.Errorf("optim: unknown optimizer %q (want one of %s)", name, strings.Join(Names, ", "))
}

// copySlots copies a map of per-parameter vectors.
func copySlots(m map[string][]float64) map[string][]float64 {
	out := make(map[string][]float64, len(m))
	for k, v := range m {
		out[k] = append([]float64(nil), v...)
	}
	return out
}

// State returns the velocities, for checkpoints.
func (o *Momentum) State() checkpoint.OptimizerState {
	return checkpoint.OptimizerState{Kind: "momentum", Slots: map[string]map[string][]float64{"v": copySlots(o.v)}}
}

// SetState restores a state returned by State. A value that is not finite is an error.
func (o *Momentum) SetState(st checkpoint.OptimizerState) error {
	if st.Kind != "momentum" {
		return errors.Errorf("optim: momentum cannot load %q state", st.Kind)
	}
	if err := finiteSlots(st, "v"); err != nil {
		return err
	}
	o.v = copySlots(st.Slots["v"])
	return nil
}

// finiteSlots checks that the named slots of st hold finite values only.
func finiteSlots(st checkpoint.OptimizerState, slots ...string) error {
	for _, s := range slots {
		for _, name := range slices.Sorted(maps.Keys(st.Slots[s])) {
			vals := st.Slots[s][name]
			if i := graph.FirstNonFinite(vals); i >= 0 {
				return errors.Errorf("optim: %s state: slot %s of parameter %q value %d is %v", st.Kind, s, name, i, vals[i])
			}
		}
	}
	return nil
}

// State returns the moment estimates and the step count, for checkpoints.
func (o *Adam) State() checkpoint.OptimizerState {
	return checkpoint.OptimizerState{Kind: "adam", Step: o.t, Slots: map[string]map[string][]float64{"m": copySlots(o.m), "v": copySlots(o.v)}}
}

// SetState restores a state returned by State. A value that is not finite is an error.
func (o *Adam) SetState(st checkpoint.OptimizerState) error {
	if st.Kind != "adam" {
		return errors.Errorf("optim: Adam cannot load %q state", st.Kind)
	}
	if st.Step < 0 {
		return errors.Errorf("optim: Adam step %d < 0", st.Step)
	}
	if err := finiteSlots(st, "m", "v"); err != nil {
		return err
	}
	o.t, o.m, o.v = st.Step, copySlots(st.Slots["m"]), copySlots(st.Slots["v"])
	return nil
}
