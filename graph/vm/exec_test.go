package vm

import (
	"math"
	"testing"

	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/layers/output"
)

// TestPartViews: a part of a flat gradient vector that another step reads (the output units'
// upstream gradient, cut out of the masked loss's gradient vector) is given as a view on the
// vector instead of a copy; losses, gradients and the part's values are bit for bit those of
// the same program copying the part, and of one whose view does not apply (its input is not
// the buffer it views), over runs with new targets, for both dtypes.
func TestPartViews(t *testing.T) {
	targets := [][]float64{{1, 0, 0, 1, 0, 1, 1, 0}, {0, 0, 1, 1, 1, 0, 0, 1}, {0.5, 0.5, 0.2, 0.8, 0, 1, 0, 0}}
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		type result struct {
			loss  float64
			grads [][]float64
			parts [][]float64
		}
		var ref []result
		for _, variant := range []string{"views", "copies", "views that do not apply"} {
			b := graph.NewBuilder(graph.Config{Seed: 4, Dtype: dt})
			out, err := output.New(b, output.Config{Units: 2, Cells: 3, Bias: true, InitRange: 0.8})
			if err != nil {
				t.Fatal(err)
			}
			h := b.Param("h", []int{4, 3}, graph.Uniform(1))
			tg, mask := b.Input("target", 4, 2), b.Input("mask", 4, 2)
			p, err := Compile(b, output.MaskedLoss(b, out.Apply(h, nil), tg, mask, 2))
			if err != nil {
				t.Fatal(err)
			}
			var viewed []int // steps with a view
			for i := range p.exec.steps {
				s := &p.exec.steps[i]
				if s.view == nil {
					continue
				}
				viewed = append(viewed, i)
				switch variant {
				case "copies":
					s.view, s.flat = nil, nil
				case "views that do not apply":
					s.flat = tensor.New(tensor.Of(dt), tensor.WithShape(1))
				}
			}
			if len(viewed) == 0 {
				t.Fatalf("%v: no part is viewed", dt)
			}
			if err := p.Set(mask, []float64{1, 1, 0, 0, 1, 1, 1, 1}); err != nil {
				t.Fatal(err)
			}
			for run, tv := range targets {
				if err := p.Set(tg, tv); err != nil {
					t.Fatal(err)
				}
				if err := p.Run(); err != nil {
					t.Fatal(err)
				}
				var r result
				if r.loss, err = p.Loss(); err != nil {
					t.Fatal(err)
				}
				for _, a := range p.acc.acc {
					r.grads = append(r.grads, gradValues(a))
				}
				for _, k := range viewed {
					v, err := p.Value(p.exec.steps[k].n)
					if err != nil {
						t.Fatal(err)
					}
					r.parts = append(r.parts, v)
				}
				if variant == "views" {
					ref = append(ref, r)
					continue
				}
				if !sameBits([][]float64{{r.loss}}, [][]float64{{ref[run].loss}}) || !sameBits(r.grads, ref[run].grads) || !sameBits(r.parts, ref[run].parts) {
					t.Errorf("%v %s, run %d: loss %v, gradients %v, parts %v; with views %v, %v, %v",
						dt, variant, run, r.loss, r.grads, r.parts, ref[run].loss, ref[run].grads, ref[run].parts)
				}
			}
			p.Close()
		}
	}
}

// sameBits reports whether a and b hold the same values, bit for bit.
func sameBits(a, b [][]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if math.Float64bits(a[i][j]) != math.Float64bits(b[i][j]) {
				return false
			}
		}
	}
	return true
}
