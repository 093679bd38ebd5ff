// Package testmodel holds the small models and printers that the tests of several packages
// (train, train/checkpoint) share.
package testmodel

import (
	"fmt"
	"math"
	"strings"

	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/graph"
)

// Linear is a model function: y = x·w at the last of s.T steps, with the paper's loss ½ Σ
// (target − y)². It overflows under a huge learning rate, which sigmoid networks do not (they
// saturate).
func Linear(b *graph.Builder, s graph.Shape) (*graph.Model, error) {
	w := b.Param("w", []int{s.In, s.Out}, graph.Uniform(0.1))
	m := &graph.Model{}
	for t := 0; t < s.T; t++ {
		m.Inputs = append(m.Inputs, b.Input(fmt.Sprintf("x%d", t), s.B, s.In))
	}
	y := b.MatMul(m.Inputs[s.T-1], w)
	tg := b.Input("target", s.B, s.Out)
	m.Outputs, m.Targets = []*G.Node{y}, []*G.Node{tg}
	m.Loss = b.Scale(b.Sum(b.Square(b.Sub(tg, y))), 0.5)
	return m, b.Err()
}

// ParamBits prints the parameters of ps bit for bit, in order, one line each: name, dtype,
// shape and the bits of every value (as float64).
func ParamBits(ps *graph.ParamSet) (string, error) {
	var b strings.Builder
	for _, name := range ps.Names() {
		vs, err := ps.Float64s(name)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s %v %v:", name, ps.Get(name).Dtype(), ps.Get(name).Shape())
		for _, v := range vs {
			fmt.Fprintf(&b, " %x", math.Float64bits(v))
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}
