package graph

import (
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// ParamSet holds named parameter tensors in the order they were created. Graphs built with the
// same ParamSet share the tensors, so an optimizer step through one graph's program is seen by
// every other. It is not safe for concurrent use.
type ParamSet struct {
	names []string
	vals  map[string]*tensor.Dense
}

// NewParamSet returns an empty set.
func NewParamSet() *ParamSet { return &ParamSet{vals: map[string]*tensor.Dense{}} }

// Names returns the parameter names in creation order.
func (p *ParamSet) Names() []string { return append([]string(nil), p.names...) }

// Get returns the tensor named name, or nil.
func (p *ParamSet) Get(name string) *tensor.Dense { return p.vals[name] }

// Len returns the number of parameters (tensors).
func (p *ParamSet) Len() int { return len(p.names) }

// NumWeights returns the total number of scalar weights, the paper's "# weights".
func (p *ParamSet) NumWeights() int {
	n := 0
	for _, name := range p.names {
		n += p.vals[name].Shape().TotalSize()
	}
	return n
}

// Float64s returns a copy of the named tensor's values as float64, or an error if there is no
// such parameter.
func (p *ParamSet) Float64s(name string) ([]float64, error) {
	t := p.vals[name]
	if t == nil {
		return nil, errors.Errorf("graph: no parameter %q", name)
	}
	return toFloat64s(t), nil
}

// SetFloat64s overwrites the named tensor's values. A NaN or an infinity is an error, and
// nothing is changed.
func (p *ParamSet) SetFloat64s(name string, vals []float64) error {
	t := p.vals[name]
	if t == nil {
		return errors.Errorf("graph: no parameter %q", name)
	}
	if i := FirstNonFinite(vals); i >= 0 {
		return errors.Errorf("graph: parameter %q value %d is %v; nothing changed", name, i, vals[i])
	}
	if err := Fill(t, vals); err != nil {
		return errors.Wrapf(err, "graph: parameter %s", name)
	}
	return nil
}

// Add adds the parameter name with the tensor t (kept, not copied). A name already in the set
// is an error (ErrDuplicateName): gorgonia would merge two nodes of the same name.
func (p *ParamSet) Add(name string, t *tensor.Dense) error {
	if _, ok := p.vals[name]; ok {
		return errors.Wrapf(ErrDuplicateName, "param %q", name)
	}
	p.names = append(p.names, name)
	p.vals[name] = t
	return nil
}

func toFloat64s(t *tensor.Dense) []float64 {
	if t.Dtype() == tensor.Float64 && !t.IsScalar() {
		return append([]float64(nil), t.Float64s()...)
	}
	switch d := t.Data().(type) {
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
	return nil
}

// Assign copies the values of every parameter of from into p. The two sets must hold the same
// names with the same shapes and dtypes; otherwise nothing is copied and the error names the
// first parameter that differs.
func (p *ParamSet) Assign(from *ParamSet) error {
	if from == nil {
		return errors.New("graph: assign: nil parameter set")
	}
	for _, name := range p.names {
		src := from.Get(name)
		if src == nil {
			return errors.Errorf("graph: assign: parameter %q is missing from the source", name)
		}
		dst := p.vals[name]
		if !src.Shape().Eq(dst.Shape()) || src.Dtype() != dst.Dtype() {
			return errors.Errorf("graph: assign: parameter %q is %v %v in the source, %v %v in the model", name, src.Dtype(), src.Shape(), dst.Dtype(), dst.Shape())
		}
	}
	for _, name := range from.names {
		if p.vals[name] == nil {
			return errors.Errorf("graph: assign: the source has parameter %q, the model does not", name)
		}
	}
	for _, name := range p.names {
		tensor.Copy(p.vals[name], from.vals[name])
	}
	return nil
}
