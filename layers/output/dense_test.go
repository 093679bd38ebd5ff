package output_test

import (
	"fmt"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/layers/output"
)

// TestDenseMatchesPlainLoops: the fused output layer's forward and backward passes give, bit
// for bit, the plain loops that define their order of summation (row by row, cells then
// inputs, zero inputs skipped, no fused multiply-add), for even and odd numbers of rows, with
// and without bias and inputs, for listed rows, logistic and linear. The loops here are
// written out independently of the op's, whose products go through package gemm.
func TestDenseMatchesPlainLoops(t *testing.T) {
	for _, tc := range []struct {
		n, cells, units, inputs int
		bias, linear            bool
		rows                    []int
	}{
		{n: 12, cells: 6, units: 7},
		{n: 5, cells: 3, units: 4, bias: true},
		{n: 6, cells: 2, units: 3, inputs: 4, bias: true},
		{n: 7, cells: 4, units: 2, inputs: 3, linear: true},
		{n: 9, cells: 3, units: 5, inputs: 2, bias: true, rows: []int{8, 0, 3, 4, 6}},
		{n: 4, cells: 2, units: 1, rows: []int{3}},
		{n: 1, cells: 5, units: 3, inputs: 1, bias: true},
	} {
		name := fmt.Sprintf("%+v", tc)
		b := graph.NewBuilder(graph.Config{Seed: int64(tc.n*100 + tc.cells)})
		out, err := output.New(b, output.Config{Units: tc.units, Cells: tc.cells, Inputs: tc.inputs, Bias: tc.bias, Linear: tc.linear, InitRange: 0.9})
		if err != nil {
			t.Fatal(err)
		}
		h := b.Param("h", []int{tc.n, tc.cells}, graph.Uniform(1.5))
		var x *G.Node
		if tc.inputs > 0 {
			x = b.Param("x", []int{tc.n, tc.inputs}, graph.Uniform(1))
		}
		var y *G.Node
		rows := tc.rows
		if rows == nil {
			y = out.Apply(h, x)
			for r := 0; r < tc.n; r++ {
				rows = append(rows, r)
			}
		} else {
			y = out.ApplyRows(h, x, rows)
		}
		N, K, C, I := len(rows), tc.units, tc.cells, tc.inputs
		tg, mask := b.Input("target", N, K), b.Input("mask", N, K)
		loss := output.MaskedLoss(b, y, tg, mask, 3)
		p, err := vm.Compile(b, loss, vm.Watch(y))
		if err != nil {
			t.Fatal(err)
		}
		tv, mv := make([]float64, N*K), make([]float64, N*K)
		for i := range tv {
			tv[i] = float64(i%3) / 2
			mv[i] = float64(i % 2)
		}
		ps := b.ParamSet()
		// Some inputs are exactly 0, to be skipped.
		if x != nil {
			xv, _ := ps.Float64s("x")
			for i := range xv {
				if i%3 == 1 {
					xv[i] = 0
				}
			}
			if err := ps.SetFloat64s("x", xv); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.Set(tg, tv); err != nil {
			t.Fatal(err)
		}
		if err := p.Set(mask, mv); err != nil {
			t.Fatal(err)
		}
		if err := p.Run(); err != nil {
			t.Fatal(err)
		}
		get := func(name string) []float64 {
			if ps.Get(name) == nil {
				return nil
			}
			v, _ := ps.Float64s(name)
			return v
		}
		hv, w, wx, bv, xv := get("h"), get("out/w"), get("out/wx"), get("out/b"), get("x")
		// The forward pass.
		want, d := make([]float64, N*K), make([]float64, N*K)
		for n, r := range rows {
			for k := 0; k < K; k++ {
				net := 0.0
				if bv != nil {
					net = bv[k]
				}
				for c := 0; c < C; c++ {
					net += float64(hv[r*C+c] * w[c*K+k])
				}
				for i := 0; i < I; i++ {
					if xv[r*I+i] != 0 {
						net += float64(xv[r*I+i] * wx[i*K+k])
					}
				}
				if tc.linear {
					want[n*K+k], d[n*K+k] = net, 1
					continue
				}
				pk := 1 / (1 + math.Exp(-net))
				want[n*K+k], d[n*K+k] = pk, pk*(1-pk)
			}
		}
		got, err := p.Value(y)
		if err != nil {
			t.Fatal(err)
		}
		same(t, name+" y", got, want)
		// The backward pass, from the masked loss's ∂E/∂y = -2·(0.5/3)·mask·(t - y).
		dh, dw, dwx, db, dx := make([]float64, len(hv)), make([]float64, len(w)), make([]float64, len(wx)), make([]float64, len(bv)), make([]float64, len(xv))
		for n, r := range rows {
			dnet := make([]float64, K)
			for k := range dnet {
				dnet[k] = -2 * (0.5 / 3) * mv[n*K+k] * (tv[n*K+k] - want[n*K+k]) * d[n*K+k]
				if bv != nil {
					db[k] += dnet[k]
				}
			}
			for c := 0; c < C; c++ {
				acc := 0.0
				for k := 0; k < K; k++ {
					dw[c*K+k] += float64(hv[r*C+c] * dnet[k])
					acc += float64(w[c*K+k] * dnet[k])
				}
				dh[r*C+c] = acc
			}
			for i := 0; i < I; i++ {
				acc := 0.0
				for k := 0; k < K; k++ {
					if xv[r*I+i] != 0 {
						dwx[i*K+k] += float64(xv[r*I+i] * dnet[k])
					}
					acc += float64(wx[i*K+k] * dnet[k])
				}
				dx[r*I+i] = acc
			}
		}
		grads, err := p.Params()
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range grads {
			wantG := map[string][]float64{"h": dh, "out/w": dw, "out/wx": dwx, "out/b": db, "x": dx}[g.Name]
			same(t, name+" ∂"+g.Name, graph.Float64View(g.Grad), wantG)
		}
		p.Close()
	}
}

func same(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Errorf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}
