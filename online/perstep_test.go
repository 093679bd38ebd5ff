package online_test

import (
	"math"
	"math/rand"
	"testing"

	"github.com/lstm97/lstm97/internal/testnets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/online"
)

// tinyNet is one block of one cell with input and output gate, one input, one output unit,
// biases everywhere and full recurrence: the sources of every hidden unit are x(t), y^c(t-1),
// y^in(t-1), y^out(t-1) and the bias.
var tinyNet = layers.NetConfig{
	LSTM:   layers.Config{Inputs: 1, NumBlocks: 1, CellsPerBlock: 1},
	Output: output.Config{Units: 1, Bias: true},
}

// tinyWeights are the tiny net's weights by hidden unit (cell, in, out), each over its
// sources [x, y^c, y^in, y^out, bias], and the output unit's [w_kc, bias].
type tinyWeights struct {
	h  [3][5]float64
	wo [2]float64
}

func (w tinyWeights) params() map[string][]float64 {
	m := map[string][]float64{"out/w": {w.wo[0]}, "out/b": {w.wo[1]}}
	for u, g := range []string{"cell", "in_gate", "out_gate"} {
		m["lstm/"+g+"/wx"] = []float64{w.h[u][0]}
		m["lstm/"+g+"/wh"] = []float64{w.h[u][1], w.h[u][2], w.h[u][3]}
		m["lstm/"+g+"/b"] = []float64{w.h[u][4]}
	}
	return m
}

// handStep computes one step of the tiny net by hand from the paper's formulas, from the
// weights w, the previous activations prev = (y^c, y^in, y^out) and the carried partials
// dsIn, dsC (eqs. 25, 27; 0 at the first step). It returns the output, the weights after the
// PerStep update α·(-∂E/∂w), the step's -∂E/∂w, the activations and the partials.
func handStep(w tinyWeights, prev [3]float64, s float64, dsIn, dsC [5]float64, x, target, alpha float64) (
	y float64, next, delta tinyWeights, act [3]float64, sNext float64, dsInN, dsCN [5]float64) {
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	src := [5]float64{x, prev[0], prev[1], prev[2], 1}
	var net [3]float64
	for u := range net {
		for m := range src {
			net[u] += w.h[u][m] * src[m]
		}
	}
	yin, yout := sig(net[1]), sig(net[2])
	fin, fout := yin*(1-yin), yout*(1-yout)
	g := 4*sig(net[0]) - 2                    // eq. (5)
	gd := 4 * sig(net[0]) * (1 - sig(net[0])) // g'
	sNext = s + yin*g                         // eq. (9)
	h := 2*sig(sNext) - 1                     // eq. (4)
	hd := 2 * sig(sNext) * (1 - sig(sNext))   // h'
	yc := yout * h                            //
	y = sig(w.wo[0]*yc + w.wo[1])             // output unit, sees y^c(t)
	ek := y * (1 - y) * (target - y)          // eq. (19)
	eout := fout * h * w.wo[0] * ek           // eq. (21)
	es := yout * hd * w.wo[0] * ek            // eq. (23)
	for m := range src {
		dsInN[m] = dsIn[m] + g*fin*src[m] // eq. (25)
		dsCN[m] = dsC[m] + gd*yin*src[m]  // eq. (27)
		delta.h[0][m] = es * dsCN[m]      // eq. (28)
		delta.h[1][m] = es * dsInN[m]     // eq. (26)
		delta.h[2][m] = eout * src[m]     // eq. (22), l = out
	}
	delta.wo = [2]float64{ek * yc, ek} // eq. (22), l = k
	next = w
	for u := range next.h {
		for m := range next.h[u] {
			next.h[u][m] += alpha * delta.h[u][m]
		}
	}
	for m := range next.wo {
		next.wo[m] += alpha * delta.wo[m]
	}
	return y, next, delta, [3]float64{yc, yin, yout}, sNext, dsInN, dsCN
}

// TestPerStepMatchesHandComputation runs two steps with targets in PerStep mode and compares
// the outputs, the weights after each step and the summed gradient with handStep: the second
// step runs with the weights the first changed and the partials the first carried.
func TestPerStepMatchesHandComputation(t *testing.T) {
	const alpha = 0.7
	rng := rand.New(rand.NewSource(3))
	var w0 tinyWeights
	for u := range w0.h {
		for m := range w0.h[u] {
			w0.h[u][m] = 2*rng.Float64() - 1
		}
	}
	w0.wo = [2]float64{2.5, -0.3} // large enough that the cell matters
	ps, err := online.NewParams(tinyNet, 1)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range w0.params() {
		if err := ps.SetFloat64s(name, v); err != nil {
			t.Fatal(err)
		}
	}
	xs, targets := []float64{0.9, -0.4}, []float64{0.8, 0.1}
	for _, mode := range []online.Mode{online.PerStep, online.PerSequence} {
		t.Run(mode.String(), func(t *testing.T) {
			l, err := online.New(online.Config{Net: tinyNet, LR: alpha, Mode: mode}, ps)
			if err != nil {
				t.Fatal(err)
			}
			w, prev, s := w0, [3]float64{}, 0.0
			var dsIn, dsC [5]float64
			var sum tinyWeights // Σ_t -∂E(t)/∂w
			worst := 0.0
			for step, x := range xs {
				y, next, delta, act, sN, dsInN, dsCN := handStep(w, prev, s, dsIn, dsC, x, targets[step], alpha)
				got, err := l.Step([]float64{x}, []float64{targets[step]})
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(got[0]-y) > 1e-15 {
					t.Errorf("step %d: output %v, by hand %v", step, got[0], y)
				}
				for u := range sum.h {
					for m := range sum.h[u] {
						sum.h[u][m] += delta.h[u][m]
					}
				}
				sum.wo[0] += delta.wo[0]
				sum.wo[1] += delta.wo[1]
				want := w0 // PerSequence: the weights do not change within the sequence
				if mode == online.PerStep {
					want, w = next, next
				}
				for name, v := range want.params() {
					gotW, err := l.Weights(name)
					if err != nil {
						t.Fatal(err)
					}
					for i := range v {
						worst = math.Max(worst, math.Abs(gotW[i]-v[i]))
						if math.Abs(gotW[i]-v[i]) > 1e-15 {
							t.Errorf("step %d: %s[%d] = %v, by hand %v", step, name, i, gotW[i], v[i])
						}
					}
				}
				prev, s, dsIn, dsC = act, sN, dsInN, dsCN
				if st := l.CellStates(nil); math.Abs(st[0]-s) > 1e-15 {
					t.Errorf("step %d: cell state %v, by hand %v", step, st[0], s)
				}
			}
			for name, v := range sum.params() {
				g, err := l.Gradient(name)
				if err != nil {
					t.Fatal(err)
				}
				for i := range v {
					if math.Abs(g[i]+v[i]) > 1e-15 {
						t.Errorf("summed gradient %s[%d] = %v, by hand %v", name, i, g[i], -v[i])
					}
				}
			}
			if mode == online.PerSequence {
				if err := l.EndSequence(); err != nil {
					t.Fatal(err)
				}
				for name, v := range w0.params() {
					gotW, _ := l.Weights(name)
					d := sum.params()[name]
					for i := range v {
						if want := v[i] + alpha*d[i]; math.Abs(gotW[i]-want) > 1e-15 {
							t.Errorf("after EndSequence: %s[%d] = %v, by hand %v", name, i, gotW[i], want)
						}
					}
				}
			}
			t.Logf("largest difference of a weight to the hand computation: %.3g", worst)
		})
	}
}

// TestPerStepEqualsPerSequenceWithOneTarget: with a target at the last step only, the two
// modes make the same single update; with targets at every step they differ (the second
// step of PerStep sees changed weights).
func TestPerStepEqualsPerSequenceWithOneTarget(t *testing.T) {
	c := testnets.Cases1997[0] // adding-like
	for _, every := range []bool{false, true} {
		c.Targets = "end"
		if every {
			c.Targets = "every"
		}
		net := c.NetConfig(false)
		ps, err := online.NewParams(net, 5)
		if err != nil {
			t.Fatal(err)
		}
		bt := c.Batch(rand.New(rand.NewSource(5)))
		var ws [2]map[string][]float64
		for i, mode := range []online.Mode{online.PerSequence, online.PerStep} {
			l, err := online.New(online.Config{Net: net, LR: 0.5, Mode: mode}, ps)
			if err != nil {
				t.Fatal(err)
			}
			runLearner(t, l, bt, 0)
			if err := l.EndSequence(); err != nil {
				t.Fatal(err)
			}
			ws[i] = map[string][]float64{}
			for _, name := range l.Names() {
				ws[i][name], _ = l.Weights(name)
			}
		}
		diff := 0.0
		for name, v := range ws[0] {
			diff = math.Max(diff, testnets.RelDiff(ws[1][name], v))
		}
		if every && diff < 1e-6 {
			t.Errorf("targets at every step: the modes agree to %g", diff)
		}
		if !every && diff != 0 {
			t.Errorf("target at the end only: the modes differ by %g", diff)
		}
	}
}
