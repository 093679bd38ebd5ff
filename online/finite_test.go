package online_test

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/internal/gradcheck"
	"github.com/lstm97/lstm97/internal/testnets"
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
	for _, c := range []testnets.Case{
		{Name: "exp 2a-like", Blocks: 1, Cells: 1, In: 4, Out: 4, Biases: layers.BiasNone, NoOutGate: true, NoRecurrence: true,
			G: layers.SquashLogistic, H: layers.SquashIdentity, OutFromInputs: true, T: 6, Targets: "every"},
		{Name: "no recurrence", Blocks: 2, Cells: 2, In: 3, Out: 2, NoRecurrence: true, OutBias: true, T: 8, Targets: "some"},
		{Name: "forget gate", Blocks: 2, Cells: 2, In: 3, Out: 2, NoRecurrence: true, OutBias: true, T: 8, Targets: "some", Forget: true},
		{Name: "forget gate, gate biases, linear out", Blocks: 3, Cells: 1, In: 2, Out: 2, Biases: layers.BiasGates, NoRecurrence: true,
			OutLinear: true, T: 10, Targets: "every", Forget: true, HPrimeOffset: 0},
		{Name: "forget gate, no output gate", Blocks: 1, Cells: 3, In: 2, Out: 1, NoOutGate: true, NoRecurrence: true, T: 7,
			Targets: "end", Forget: true},
		{Name: "forget gate and peepholes", Blocks: 2, Cells: 2, In: 3, Out: 2, NoRecurrence: true, OutBias: true, T: 8, Targets: "some",
			Forget: true, Peep: true},
	} {
		t.Run(c.Name, func(t *testing.T) {
			c.B = 1
			net := c.NetConfig(false)
			ps, err := online.NewParams(net, 3)
			if err != nil {
				t.Fatal(err)
			}
			bt := c.Batch(rand.New(rand.NewSource(3)))
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
				if c.Peep && !strings.Contains(name, "out") {
					continue // out_gate/* and out/* only (see above)
				}
				fd.Check(name, w[name], grads[name])
			}
			fd.Report(c.Name)
		})
	}
}
