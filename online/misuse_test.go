package online_test

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/internal/testnets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/online"
)

// snapshot is everything a failed step must leave as it was.
func snapshot(t *testing.T, l *online.Learner) string {
	t.Helper()
	var b strings.Builder
	for _, name := range l.Names() {
		w, err := l.Weights(name)
		if err != nil {
			t.Fatal(err)
		}
		g, err := l.Gradient(name)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, name, w, g)
	}
	fmt.Fprintln(&b, l.CellStates(nil), l.Steps(), l.StepError(), l.SequenceError(), l.Sequences())
	return b.String()
}

// TestBadStepChangesNothing: a step with a bad input fails with an error naming the step and
// the value, leaves the learner as it was, and the learner refuses further steps (and
// EndSequence) until Reset; after Reset it runs the sequence as a fresh learner would.
func TestBadStepChangesNothing(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		name      string
		x, target []float64
		want      string
	}{
		{"input too short", []float64{0.5}, nil, "sequence 0 step 3: input has 1 values, the net has 2 inputs"},
		{"input too long", []float64{0.5, 1, 2}, []float64{1}, "step 3: input has 3 values"},
		{"NaN input", []float64{0.5, nan}, nil, "step 3: input 1 is NaN"},
		{"infinite input", []float64{-inf, 0}, []float64{1}, "step 3: input 0 is -Inf"},
		{"target too wide", []float64{0.5, 0}, []float64{1, 0}, "step 3: target has 2 values, the net has 1 output units"},
		{"empty target", []float64{0.5, 0}, []float64{}, "step 3: target has 0 values"},
		{"infinite target", []float64{0.5, 0}, []float64{inf}, "step 3: target 0 is +Inf"},
	} {
		for _, mode := range []online.Mode{online.PerSequence, online.PerStep} {
			t.Run(tc.name+"/"+mode.String(), func(t *testing.T) {
				c := testnets.Cases1997[0]
				net := c.NetConfig(false)
				ps, err := online.NewParams(net, 2)
				if err != nil {
					t.Fatal(err)
				}
				l, err := online.New(online.Config{Net: net, LR: 0.5, Mode: mode}, ps)
				if err != nil {
					t.Fatal(err)
				}
				fresh, _ := online.New(online.Config{Net: net, LR: 0.5, Mode: mode}, ps)
				rng := rand.New(rand.NewSource(1))
				for i := 0; i < 3; i++ {
					if _, err := l.Step([]float64{rng.Float64(), 0}, []float64{rng.Float64()}); err != nil {
						t.Fatal(err)
					}
				}
				before := snapshot(t, l)
				if _, err := l.Step(tc.x, tc.target); err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want one saying %q", err, tc.want)
				}
				if after := snapshot(t, l); after != before {
					t.Errorf("the failed step changed the learner:\n%s\nbefore:\n%s", after, before)
				}
				if _, err := l.Step([]float64{0, 0}, nil); err == nil || !strings.Contains(err.Error(), "refused after an error (online: sequence 0 step 3: ") || !strings.Contains(err.Error(), "Reset first") {
					t.Errorf("a step after the failed one: %v", err)
				}
				if err := l.Advance([]float64{0, 0}); err == nil || !strings.Contains(err.Error(), "Reset first") {
					t.Errorf("Advance after the failed step: %v", err)
				}
				if err := l.EndSequence(); err == nil || !strings.Contains(err.Error(), "Reset first") {
					t.Errorf("EndSequence after the failed step: %v", err)
				}
				l.Reset()
				if fresh, _ := online.New(online.Config{Net: net, LR: 0.5, Mode: mode}, ps); mode == online.PerSequence && snapshot(t, l) != snapshot(t, fresh) {
					t.Errorf("after Reset the learner differs from a fresh one")
				}
				for i := 0; i < 3; i++ {
					x, y := []float64{0.1 * float64(i), 1}, []float64{0.5}
					a, err := l.Step(x, y)
					if err != nil {
						t.Fatal(err)
					}
					got := a[0]
					b, _ := fresh.Step(x, y)
					if mode == online.PerSequence && got != b[0] {
						t.Errorf("after Reset, step %d: output %v, a fresh learner's %v", i, got, b[0])
					}
				}
			})
		}
	}
}

// TestNonFiniteResultChangesNothing: finite inputs that overflow a value of the step (a huge
// weight into a cell whose g is the identity) fail the step with an error naming the value,
// and nothing changes. The first step, whose partials are huge but finite, succeeds.
func TestNonFiniteResultChangesNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		w, x float64
		want string
	}{
		{"net input", 1e308, 10, "sequence 0 step 1: net input of cell 0 (block 0) is +Inf; nothing changed"},
		{"partial", 1e307, 10, "sequence 0 step 1: partial ∂s/∂w (eq. 25) of cell 0 (block 0) with respect to the weight of input gate 0 from input 0 is +Inf; nothing changed"},
	} {
		net := testnets.Cases1997[0].NetConfig(false)
		net.LSTM.G = layers.SquashIdentity
		ps, err := online.NewParams(net, 2)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := ps.Float64s("lstm/cell/wx")
		w[0] = tc.w
		if err := ps.SetFloat64s("lstm/cell/wx", w); err != nil {
			t.Fatal(err)
		}
		for _, mode := range []online.Mode{online.PerSequence, online.PerStep} {
			l, err := online.New(online.Config{Net: net, LR: 0.5, Mode: mode}, ps)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := l.Step([]float64{0.1, 0}, nil); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, l)
			_, err = l.Step([]float64{tc.x, 0}, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s %v: error %v, want %q", tc.name, mode, err, tc.want)
			}
			if after := snapshot(t, l); after != before {
				t.Errorf("%s %v: the failed step changed the learner", tc.name, mode)
			}
		}
	}
}

// TestOverflowingUpdateChangesNothing: an update at EndSequence that would make a weight
// infinite is refused, changes nothing, and the learner refuses to go on until Reset.
func TestOverflowingUpdateChangesNothing(t *testing.T) {
	net := testnets.Cases1997[0].NetConfig(false)
	net.Output.Linear = true // the error at the output is target - y: 1000 here
	ps, err := online.NewParams(net, 2)
	if err != nil {
		t.Fatal(err)
	}
	l, err := online.New(online.Config{Net: net, LR: 1e308}, ps)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Step([]float64{0.5, 1}, []float64{1000}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, l)
	if err := l.EndSequence(); err == nil || !strings.Contains(err.Error(), "online: sequence 0: the update makes weight lstm/") ||
		!strings.Contains(err.Error(), "Inf; nothing changed") {
		t.Errorf("EndSequence: %v", err)
	}
	if after := snapshot(t, l); after != before {
		t.Errorf("the refused update changed the learner")
	}
	if err := l.Advance([]float64{0, 0}); err == nil || !strings.Contains(err.Error(), "Reset first") {
		t.Errorf("a step after the refused update: %v", err)
	}
	l.Reset()
	if err := l.Advance([]float64{0, 0}); err != nil {
		t.Errorf("after Reset: %v", err)
	}
}

// TestNewRefuses: configurations and parameter sets the learner cannot use are errors that
// say why.
func TestNewRefuses(t *testing.T) {
	net := testnets.Cases1997[0].NetConfig(false)
	good, err := online.NewParams(net, 1)
	if err != nil {
		t.Fatal(err)
	}
	other, err := online.NewParams(testnets.Cases1997[1].NetConfig(false), 1) // another architecture
	if err != nil {
		t.Fatal(err)
	}
	missing := graph.NewParamSet()
	for _, name := range good.Names()[1:] {
		if err := missing.Add(name, good.Get(name)); err != nil {
			t.Fatal(err)
		}
	}
	extra := graph.NewParamSet()
	for _, name := range append(good.Names(), "lstm/peep/w") {
		v := good.Get(name)
		if v == nil {
			v = good.Get("out/b")
		}
		if err := extra.Add(name, v); err != nil {
			t.Fatal(err)
		}
	}
	full := net
	full.LSTM.FullGradient = true
	bad := net
	bad.LSTM.NumBlocks = 0
	for _, tc := range []struct {
		name string
		cfg  online.Config
		ps   *graph.ParamSet
		want string
	}{
		{"full gradient", online.Config{Net: full, LR: 1}, good, "FullGradient is set"},
		{"zero learning rate", online.Config{Net: net}, good, "LR must be finite and > 0, got 0"},
		{"NaN learning rate", online.Config{Net: net, LR: math.NaN()}, good, "LR must be finite and > 0, got NaN"},
		{"unknown mode", online.Config{Net: net, LR: 1, Mode: 7}, good, "unknown Mode 7"},
		{"nil params", online.Config{Net: net, LR: 1}, nil, "nil ParamSet"},
		{"invalid net", online.Config{Net: bad, LR: 1}, good, "NumBlocks must be > 0, got 0"},
		{"other architecture", online.Config{Net: net, LR: 1}, other, `parameter "lstm/cell/wx" has shape (7, 6), the net wants [2, 4]`},
		{"missing parameter", online.Config{Net: net, LR: 1}, missing, `the ParamSet has no parameter "lstm/cell/wx"`},
		{"extra parameter", online.Config{Net: net, LR: 1}, extra, `the ParamSet has parameter "lstm/peep/w", which the net does not have`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := online.New(tc.cfg, tc.ps)
			if err == nil || !strings.Contains(err.Error(), tc.want) || l != nil {
				t.Errorf("got %v, %v; want an error saying %q", l, err, tc.want)
			}
		})
	}
	if _, err := online.NewParams(full, 1); err == nil || !strings.Contains(err.Error(), "FullGradient") {
		t.Errorf("NewParams with FullGradient: %v", err)
	}
	l, err := online.New(online.Config{Net: net, LR: 1}, good)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.WriteParams(other); err == nil || !strings.Contains(err.Error(), `parameter "lstm/cell/wx" has shape`) {
		t.Errorf("WriteParams into another architecture: %v", err)
	}
	if err := l.ReadParams(other); err == nil {
		t.Error("ReadParams from another architecture: no error")
	}
	if _, err := l.Gradient("lstm/forget_gate/wx"); err == nil || !strings.Contains(err.Error(), "no parameter") {
		t.Errorf("Gradient of an unknown parameter: %v", err)
	}
}

// TestNoAllocationPerStep: after the first, steps (with and without a target, in both modes)
// and EndSequence allocate nothing.
func TestNoAllocationPerStep(t *testing.T) {
	var forgetPeep testnets.Case
	for _, c := range testnets.VariantCases {
		if c.Name == "forget gate and peepholes, big blocks" {
			forgetPeep = c
		}
	}
	for _, c := range []testnets.Case{testnets.Cases1997[1], testnets.Cases1997[4], testnets.Cases1997[9], forgetPeep} {
		for _, mode := range []online.Mode{online.PerSequence, online.PerStep} {
			net := c.NetConfig(false)
			ps, err := online.NewParams(net, 1)
			if err != nil {
				t.Fatal(err)
			}
			l, err := online.New(online.Config{Net: net, LR: 0.1, Mode: mode}, ps)
			if err != nil {
				t.Fatal(err)
			}
			x, y := make([]float64, c.In), make([]float64, c.Out)
			for i := range x {
				x[i] = 0.3
			}
			states := make([]float64, 0, c.Blocks*c.Cells)
			n := 0
			allocs := testing.AllocsPerRun(200, func() {
				var err error
				switch n % 3 {
				case 0:
					_, err = l.Step(x, nil)
				case 1:
					_, err = l.Step(x, y)
				case 2:
					err = l.Advance(x)
				}
				if err != nil {
					t.Fatal(err)
				}
				states = l.CellStates(states)
				if n%10 == 9 {
					if err := l.EndSequence(); err != nil {
						t.Fatal(err)
					}
				}
				n++
			})
			if allocs != 0 {
				t.Errorf("%s %v: %v allocations per step", c.Name, mode, allocs)
			}
		}
	}
}
