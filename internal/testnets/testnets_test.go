package testnets_test

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/internal/testnets"
	"github.com/lstm97/lstm97/layers"
)

// fatalTB records Fatalf instead of stopping the test.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Fatalf(format string, args ...any) { f.msg = fmt.Sprintf(format, args...) }

// TestSlotsCoverEveryWeightOnce: for every case, the Slot maps the values of every parameter
// of the case's graph to distinct weights of the oracle net, OracleNet copies them there, and
// a name that is no parameter of the case fails the test.
func TestSlotsCoverEveryWeightOnce(t *testing.T) {
	for _, c := range append(testnets.Cases(), testnets.VariantGrid()...) {
		s, err := c.Batch(rand.New(rand.NewSource(1))).Shape()
		if err != nil {
			t.Fatal(err)
		}
		b := graph.NewBuilder(graph.Config{Seed: 1})
		if _, err := layers.BuildNet(b, c.NetConfig(false), s); err != nil {
			t.Fatal(err)
		}
		ps := b.ParamSet()
		n, slot := testnets.OracleNet(t, c, ps)
		seen := map[*float64]string{}
		for _, name := range ps.Names() {
			vs, err := ps.Float64s(name)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range vs {
				p := slot(testnets.Weights(n), name, i)
				if other, ok := seen[p]; ok {
					t.Fatalf("%s: %s[%d] and %s share a weight", c.Name, name, i, other)
				}
				seen[p] = fmt.Sprintf("%s[%d]", name, i)
				if *p != v {
					t.Errorf("%s: %s[%d] is %v in the oracle net, %v in the graph", c.Name, name, i, *p, v)
				}
			}
		}
		if len(seen) != ps.NumWeights() {
			t.Errorf("%s: %d slots for %d weights", c.Name, len(seen), ps.NumWeights())
		}
		for _, name := range []string{"lstm/nothing/wx", "lstm/cell/zz", "lstm", "hidden/w"} {
			tb := &fatalTB{TB: t}
			_, slot := testnets.OracleNet(tb, c, nil)
			slot(testnets.Weights(n), name, 0)
			if tb.msg != fmt.Sprintf("testnets: unknown parameter %q", name) {
				t.Errorf("%s: slot of %q: failure %q", c.Name, name, tb.msg)
			}
		}
	}
}

// TestRelDiff checks the norm-relative difference on hand-computed values.
func TestRelDiff(t *testing.T) {
	for _, tc := range []struct {
		a, b []float64
		want float64
	}{
		{[]float64{1, 2.5}, []float64{1, 2}, 0.25},
		{[]float64{0.5, 0}, []float64{0, 0}, 0.5},
		{[]float64{3}, []float64{3}, 0},
	} {
		if got := testnets.RelDiff(tc.a, tc.b); got != tc.want {
			t.Errorf("RelDiff(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
