package online_test

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/internal/gradcheck"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/online"
)

// TestGradientMatchesFiniteDifferences checks the summed gradient against central
// differences of the learner's own error where the truncated gradient is the full one: nets
// without recurrent connections, whose only path through time is the CEC (kept by the
// truncation, scaled by y^φ with a forget gate). With peepholes the truncation also cuts the
// paths from the states into the gates (the peepholes' sources), so only the output gates'
// and the output units' weights, which reach no state, are checked there.
func TestGradientMatchesFiniteDifferences(t *testing.T) {
	for _, c := range []netCase{
		{name: "exp 2a-like", blocks: 1, cells: 1, in: 4, out: 4, biases: layers.BiasNone, noOutGate: true, noRecurrence: true,
			g: layers.SquashLogistic, h: layers.SquashIdentity, outFromInputs: true, T: 6, targets: "every"},
		{name: "no recurrence", blocks: 2, cells: 2, in: 3, out: 2, noRecurrence: true, outBias: true, T: 8, targets: "some"},
		{name: "forget gate", blocks: 2, cells: 2, in: 3, out: 2, noRecurrence: true, outBias: true, T: 8, targets: "some", forget: true},
		{name: "forget gate, gate biases, linear out", blocks: 3, cells: 1, in: 2, out: 2, biases: layers.BiasGates, noRecurrence: true,
			outLinear: true, T: 10, targets: "every", forget: true, hPrimeOffset: 0},
		{name: "forget gate, no output gate", blocks: 1, cells: 3, in: 2, out: 1, noOutGate: true, noRecurrence: true, T: 7,
			targets: "end", forget: true},
		{name: "forget gate and peepholes", blocks: 2, cells: 2, in: 3, out: 2, noRecurrence: true, outBias: true, T: 8, targets: "some",
			forget: true, peep: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.B = 1
			net := c.netConfig()
			ps, err := online.NewParams(net, 3)
			if err != nil {
				t.Fatal(err)
			}
			bt := c.batch(rand.New(rand.NewSource(3)))
			l, err := online.New(online.Config{Net: net, LR: 1}, ps)
			if err != nil {
				t.Fatal(err)
			}
			runLearner(t, l, bt, 0)
			w, grads := map[string][]float64{}, map[string][]float64{}
			for _, name := range l.Names() {
				w[name], _ = l.Weights(name)
				grads[name], _ = l.Gradient(name)
			}
			loss := func() float64 {
				for name, v := range w {
					if err := ps.SetFloat64s(name, v); err != nil {
						t.Fatal(err)
					}
				}
				if err := l.ReadParams(ps); err != nil {
					t.Fatal(err)
				}
				l.Reset()
				runLearner(t, l, bt, 0)
				return l.SequenceError()
			}
			fd := &gradcheck.Checker{T: t, Loss: loss, Tol: gradcheck.Tol{Abs: 1e-8, Rel: 1e-6}}
			for _, name := range l.Names() {
				if c.peep && !strings.Contains(name, "out") {
					continue // out_gate/* and out/* only (see above)
				}
				fd.Check(name, w[name], grads[name])
			}
			fd.Report(c.name)
		})
	}
}
