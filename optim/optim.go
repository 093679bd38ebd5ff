package optim

import (
	"math"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/train"
	"github.com/lstm97/lstm97/train/checkpoint"
)

// Clip configures gradient clipping, applied before an update. Zero values turn it off.
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

// apply clips the gradients in place.
func (c Clip) apply(ps []graph.Param) {
	if c.Value > 0 {
		for _, p := range ps {
			each(p.Grad, func(_ int, g float64) float64 { return math.Max(-c.Value, math.Min(c.Value, g)) })
		}
	}
	if c.Norm > 0 {
		sq := 0.0
		for _, p := range ps {
			each(p.Grad, func(_ int, g float64) float64 { sq += g * g; return g })
		}
		if n := math.Sqrt(sq); n > c.Norm {
			k := c.Norm / n
			for _, p := range ps {
				each(p.Grad, func(_ int, g float64) float64 { return g * k })
			}
		}
	}
}

// each replaces every element x_i of t by f(i, x_i), computing in float64.
func each(t *tensor.Dense, f func(i int, x float64) float64) {
	switch t.Dtype() {
	case tensor.Float64:
		d := t.Float64s()
		for i, x := range d {
			d[i] = f(i, x)
		}
	case tensor.Float32:
		d := t.Float32s()
		for i, x := range d {
			d[i] = float32(f(i, float64(x)))
		}
	}
}

func check(ps []graph.Param) error {
	for _, p := range ps {
		if p.Value == nil || p.Grad == nil {
			return errors.Errorf("optim: parameter %q has no value or gradient", p.Name)
		}
		if !p.Value.Shape().Eq(p.Grad.Shape()) || p.Value.Dtype() != p.Grad.Dtype() {
			return errors.Errorf("optim: parameter %q: value %v %v and gradient %v %v differ", p.Name, p.Value.Shape(), p.Value.Dtype(), p.Grad.Shape(), p.Grad.Dtype())
		}
		if dt := p.Value.Dtype(); dt != tensor.Float64 && dt != tensor.Float32 {
			return errors.Errorf("optim: parameter %q has unsupported dtype %v", p.Name, dt)
		}
	}
	return nil
}

// grads returns the gradient of p as float64 (a copy for float32 tensors).
func grads(p graph.Param) []float64 {
	if p.Grad.Dtype() == tensor.Float64 {
		return p.Grad.Float64s()
	}
	g32 := p.Grad.Float32s()
	out := make([]float64, len(g32))
	for i, v := range g32 {
		out[i] = float64(v)
	}
	return out
}

// state returns the named slot of size n, creating it at zero. A size change is an error.
func state(m map[string][]float64, name string, n int) ([]float64, error) {
	s, ok := m[name]
	if !ok {
		s = make([]float64, n)
		m[name] = s
	}
	if len(s) != n {
		return nil, errors.Errorf("optim: parameter %q changed size from %d to %d", name, len(s), n)
	}
	return s, nil
}

// SGD is plain gradient descent: w ← w − α·g.
type SGD struct {
	LearningRate float64
	Clip         Clip
}

// NewSGD returns plain SGD with learning rate lr (the paper's α).
func NewSGD(lr float64, clip Clip) (*SGD, error) {
	if err := positive("SGD learning rate", lr); err != nil {
		return nil, err
	}
	if err := clip.validate(); err != nil {
		return nil, err
	}
	return &SGD{LearningRate: lr, Clip: clip}, nil
}

// Step updates the parameters in place.
func (o *SGD) Step(ps []graph.Param) error {
	if err := check(ps); err != nil {
		return err
	}
	o.Clip.apply(ps)
	for _, p := range ps {
		g := grads(p)
		each(p.Value, func(i int, w float64) float64 { return w - o.LearningRate*g[i] })
	}
	return nil
}

// Momentum is gradient descent with momentum: v ← μ·v − α·g, w ← w + v.
type Momentum struct {
	LearningRate, Momentum float64
	Clip                   Clip
	v                      map[string][]float64
}

// NewMomentum returns momentum SGD with learning rate lr and momentum mu in [0, 1).
func NewMomentum(lr, mu float64, clip Clip) (*Momentum, error) {
	if err := positive("momentum learning rate", lr); err != nil {
		return nil, err
	}
	if !(mu >= 0 && mu < 1) {
		return nil, errors.Errorf("optim: momentum must be in [0, 1), got %v", mu)
	}
	if err := clip.validate(); err != nil {
		return nil, err
	}
	return &Momentum{LearningRate: lr, Momentum: mu, Clip: clip, v: map[string][]float64{}}, nil
}

// Step updates the parameters in place.
func (o *Momentum) Step(ps []graph.Param) error {
	if err := check(ps); err != nil {
		return err
	}
	o.Clip.apply(ps)
	for _, p := range ps {
		g := grads(p)
		v, err := state(o.v, p.Name, len(g))
		if err != nil {
			return err
		}
		each(p.Value, func(i int, w float64) float64 {
			v[i] = o.Momentum*v[i] - o.LearningRate*g[i]
			return w + v[i]
		})
	}
	return nil
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
	if err := positive("Adam learning rate", lr); err != nil {
		return nil, err
	}
	if err := clip.validate(); err != nil {
		return nil, err
	}
	return &Adam{LearningRate: lr, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8, Clip: clip,
		m: map[string][]float64{}, v: map[string][]float64{}}, nil
}

// Step updates the parameters in place.
func (o *Adam) Step(ps []graph.Param) error {
	if err := check(ps); err != nil {
		return err
	}
	o.Clip.apply(ps)
	o.t++
	c1 := 1 - math.Pow(o.Beta1, float64(o.t))
	c2 := 1 - math.Pow(o.Beta2, float64(o.t))
	for _, p := range ps {
		g := grads(p)
		m, err := state(o.m, p.Name, len(g))
		if err != nil {
			return err
		}
		v, err := state(o.v, p.Name, len(g))
		if err != nil {
			return err
		}
		each(p.Value, func(i int, w float64) float64 {
			m[i] = o.Beta1*m[i] + (1-o.Beta1)*g[i]
			v[i] = o.Beta2*v[i] + (1-o.Beta2)*g[i]*g[i]
			return w - o.LearningRate*(m[i]/c1)/(math.Sqrt(v[i]/c2)+o.Epsilon)
		})
	}
	return nil
}

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

// SetState restores a state returned by State.
func (o *Momentum) SetState(st checkpoint.OptimizerState) error {
	if st.Kind != "momentum" {
		return errors.Errorf("optim: momentum cannot load %q state", st.Kind)
	}
	o.v = copySlots(st.Slots["v"])
	return nil
}

// State returns the moment estimates and the step count, for checkpoints.
func (o *Adam) State() checkpoint.OptimizerState {
	return checkpoint.OptimizerState{Kind: "adam", Step: o.t, Slots: map[string]map[string][]float64{"m": copySlots(o.m), "v": copySlots(o.v)}}
}

// SetState restores a state returned by State.
func (o *Adam) SetState(st checkpoint.OptimizerState) error {
	if st.Kind != "adam" {
		return errors.Errorf("optim: Adam cannot load %q state", st.Kind)
	}
	if st.Step < 0 {
		return errors.Errorf("optim: Adam step %d < 0", st.Step)
	}
	o.t, o.m, o.v = st.Step, copySlots(st.Slots["m"]), copySlots(st.Slots["v"])
	return nil
}
