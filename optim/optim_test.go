package optim_test

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train"
)

func param(name string, w, g []float64) vm.Param {
	return vm.Param{Name: name,
		Value: tensor.New(tensor.WithShape(len(w)), tensor.WithBacking(append([]float64(nil), w...))),
		Grad:  tensor.New(tensor.WithShape(len(g)), tensor.WithBacking(append([]float64(nil), g...)))}
}

func param32(name string, w, g []float32) vm.Param {
	return vm.Param{Name: name,
		Value: tensor.New(tensor.WithShape(len(w)), tensor.WithBacking(append([]float32(nil), w...))),
		Grad:  tensor.New(tensor.WithShape(len(g)), tensor.WithBacking(append([]float32(nil), g...)))}
}

func near(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol {
			t.Errorf("%s[%d] = %.15g, want %.15g", what, i, got[i], want[i])
		}
	}
}

// Hand-computed steps. w = [1, -2], g = [0.5, -4], then g' = [1, 1] for the second step.
func TestHandComputedSteps(t *testing.T) {
	w0, g1, g2 := []float64{1, -2}, []float64{0.5, -4}, []float64{1, 1}
	sgd, _ := optim.NewSGD(0.1, optim.Clip{})
	mom, _ := optim.NewMomentum(0.1, 0.9, optim.Clip{})
	adam, _ := optim.NewAdam(0.01, optim.Clip{})
	sgdClipN, _ := optim.NewSGD(1, optim.Clip{Norm: 1})
	sgdClipV, _ := optim.NewSGD(1, optim.Clip{Value: 1})
	for _, tc := range []struct {
		name           string
		opt            train.Optimizer
		after1, after2 []float64
	}{
		// w - 0.1 g
		{"sgd", sgd, []float64{0.95, -1.6}, []float64{0.85, -1.7}},
		// v1 = -0.1 g1 = [-0.05, 0.4]; v2 = 0.9 v1 - 0.1 g2 = [-0.145, 0.26]
		{"momentum", mom, []float64{0.95, -1.6}, []float64{0.805, -1.34}},
		// step 1: m̂ = g, v̂ = g², update = lr·sign(g) (up to ε); step 2 worked out below.
		{"adam", adam, []float64{1 - 0.01*0.5/(0.5+1e-8), -2 + 0.01*4/(4+1e-8)}, adamTwo(w0, g1, g2, 0.01)},
		// ‖g1‖ = √16.25 ≈ 4.0311; scaled g = g/4.0311; ‖g2‖ = √2 → scaled by 1/√2
		{"sgd clip norm", sgdClipN, []float64{1 - 0.5/math.Sqrt(16.25), -2 + 4/math.Sqrt(16.25)},
			[]float64{1 - 0.5/math.Sqrt(16.25) - 1/math.Sqrt2, -2 + 4/math.Sqrt(16.25) - 1/math.Sqrt2}},
		// g clamped to [-1, 1]: [0.5, -1], then [1, 1]
		{"sgd clip value", sgdClipV, []float64{0.5, -1}, []float64{-0.5, -2}},
	} {
		p := param("w", w0, g1)
		if err := tc.opt.Step([]vm.Param{p}); err != nil {
			t.Fatal(err)
		}
		near(t, tc.name+" step 1", p.Value.Data().([]float64), tc.after1, 1e-12)
		copy(p.Grad.Data().([]float64), g2)
		if err := tc.opt.Step([]vm.Param{p}); err != nil {
			t.Fatal(err)
		}
		near(t, tc.name+" step 2", p.Value.Data().([]float64), tc.after2, 1e-12)
	}
}

// adamTwo computes two Adam steps by the textbook formulas, written out independently.
func adamTwo(w0, g1, g2 []float64, lr float64) []float64 {
	out := make([]float64, len(w0))
	for i := range w0 {
		m1, v1 := 0.1*g1[i], 0.001*g1[i]*g1[i]
		w1 := w0[i] - lr*(m1/0.1)/(math.Sqrt(v1/0.001)+1e-8)
		m2 := 0.9*m1 + 0.1*g2[i]
		v2 := 0.999*v1 + 0.001*g2[i]*g2[i]
		out[i] = w1 - lr*(m2/(1-0.81))/(math.Sqrt(v2/(1-0.999*0.999))+1e-8)
	}
	return out
}

func TestFloat32(t *testing.T) {
	sgd, _ := optim.NewSGD(0.5, optim.Clip{})
	p := param32("w", []float32{1, 2}, []float32{2, -2})
	if err := sgd.Step([]vm.Param{p}); err != nil {
		t.Fatal(err)
	}
	if got := p.Value.Data().([]float32); got[0] != 0 || got[1] != 3 {
		t.Errorf("float32 sgd = %v, want [0 3]", got)
	}
}

func TestStateIsPerName(t *testing.T) {
	mom, _ := optim.NewMomentum(1, 0.5, optim.Clip{})
	a := param("a", []float64{0}, []float64{1})
	b := param("b", []float64{0}, []float64{-1})
	if err := mom.Step([]vm.Param{a, b}); err != nil {
		t.Fatal(err)
	}
	// The same parameters in the other order (as from another program) keep their velocity.
	a.Grad.Data().([]float64)[0], b.Grad.Data().([]float64)[0] = 0, 0
	if err := mom.Step([]vm.Param{b, a}); err != nil {
		t.Fatal(err)
	}
	if av, bv := a.Value.Data().([]float64)[0], b.Value.Data().([]float64)[0]; av != -1.5 || bv != 1.5 {
		t.Errorf("a = %v, b = %v, want -1.5, 1.5", av, bv)
	}
}

func TestBadConfigs(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func() error
		want string
	}{
		{"zero lr", func() error { _, err := optim.NewSGD(0, optim.Clip{}); return err }, "SGD learning rate must be finite and > 0, got 0"},
		{"NaN lr", func() error { _, err := optim.NewAdam(math.NaN(), optim.Clip{}); return err }, "got NaN"},
		{"momentum 1", func() error { _, err := optim.NewMomentum(0.1, 1, optim.Clip{}); return err }, "momentum must be in [0, 1), got 1"},
		{"negative clip", func() error { _, err := optim.NewSGD(0.1, optim.Clip{Norm: -1}); return err }, "Clip.Norm must be finite and >= 0"},
		{"unknown name", func() error { _, err := optim.New("rmsprop", 0.1, optim.Clip{}); return err }, `unknown optimizer "rmsprop"`},
	} {
		if err := tc.make(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	sgd, _ := optim.NewSGD(0.1, optim.Clip{})
	bad := param("w", []float64{1, 2}, []float64{1})
	if err := sgd.Step([]vm.Param{bad}); err == nil || !strings.Contains(err.Error(), `parameter "w"`) {
		t.Errorf("shape mismatch: err = %v", err)
	}
	for _, name := range optim.Names {
		if _, err := optim.New(name, 0.1, optim.Clip{}); err != nil {
			t.Errorf("New(%q): %v", name, err)
		}
	}
}

// TestSGDWithoutClippingMatchesTheGeneralRule: plain SGD's update of float64 parameters (a
// pass that checks, a pass that updates, from its second step on) gives, bit for bit, what
// the clipping path gives with a clamp no gradient reaches, over steps with random values and
// gradients; and a later step that lists a name twice is still refused.
func TestSGDWithoutClippingMatchesTheGeneralRule(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	plain, _ := optim.NewSGD(0.37, optim.Clip{})
	clamped, _ := optim.NewSGD(0.37, optim.Clip{Value: math.MaxFloat64})
	sizes := []int{7, 1, 12, 3}
	mk := func() []vm.Param {
		var ps []vm.Param
		for i, n := range sizes {
			w := make([]float64, n)
			for j := range w {
				w[j] = rng.NormFloat64()
			}
			ps = append(ps, param(fmt.Sprintf("p%d", i), w, make([]float64, n)))
		}
		return ps
	}
	a := mk()
	b := make([]vm.Param, len(a))
	for i, p := range a {
		b[i] = param(p.Name, p.Value.Float64s(), p.Grad.Float64s())
	}
	for step := 0; step < 5; step++ {
		for i := range a {
			g := a[i].Grad.Float64s()
			for j := range g {
				g[j] = rng.NormFloat64() * math.Pow(10, float64(rng.Intn(7)-3))
			}
			copy(b[i].Grad.Float64s(), g)
		}
		if err := plain.Step(a); err != nil {
			t.Fatal(err)
		}
		if err := clamped.Step(b); err != nil {
			t.Fatal(err)
		}
		for i := range a {
			wa, wb := a[i].Value.Float64s(), b[i].Value.Float64s()
			for j := range wa {
				if math.Float64bits(wa[j]) != math.Float64bits(wb[j]) {
					t.Fatalf("step %d: %s[%d] = %v, the general rule gives %v", step, a[i].Name, j, wa[j], wb[j])
				}
			}
		}
	}
	twice := append([]vm.Param(nil), a...)
	twice[2] = param("p1", make([]float64, sizes[2]), make([]float64, sizes[2]))
	if err := plain.Step(twice); err == nil || !strings.Contains(err.Error(), `parameter "p1" is given twice`) {
		t.Errorf("a step with a name twice: err = %v", err)
	}
}

// TestSGDScalarParameter: a parameter of shape () is updated at every step (its values are
// not a view of the tensor's storage, so the fast path leaves it to the general rule).
func TestSGDScalarParameter(t *testing.T) {
	opt, err := optim.NewSGD(0.5, optim.Clip{})
	if err != nil {
		t.Fatal(err)
	}
	w, g := tensor.New(tensor.FromScalar(1.0)), tensor.New(tensor.FromScalar(0.1))
	for i, want := range []float64{0.95, 0.9, 0.85} {
		if err := opt.Step([]vm.Param{{Name: "w", Value: w, Grad: g}}); err != nil {
			t.Fatal(err)
		}
		if got := w.ScalarValue().(float64); math.Abs(got-want) > 1e-15 {
			t.Fatalf("step %d: w = %v, want %v", i, got, want)
		}
	}
}

// TestSGDRefusesAtEveryPosition: plain SGD's step from its second on (which updates as it
// checks, and puts the values back when one is bad) refuses a NaN value, an infinite gradient
// or an overflowing update at any position of a parameter (the loop takes four values at a
// time, then the rest), of the first parameter or of a later one, naming it as the general
// path does; no parameter changes, those updated before the bad one included.
func TestSGDRefusesAtEveryPosition(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(w, g []float64, i int)
		want string
	}{
		{"NaN value", func(w, _ []float64, i int) { w[i] = math.NaN() }, "value %d is NaN"},
		{"infinite gradient", func(_, g []float64, i int) { g[i] = math.Inf(1) }, "gradient %d is +Inf"},
		{"overflow", func(w, g []float64, i int) { w[i], g[i] = -math.MaxFloat64, math.MaxFloat64 }, "value %d would not be finite after the update"},
	} {
		for _, bad := range []int{0, 1} { // the parameter made bad
			for i := 0; i < 9; i++ {
				opt, _ := optim.NewSGD(1, optim.Clip{})
				mk := func() []vm.Param {
					return []vm.Param{
						param("a", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}, []float64{9, 8, 7, 6, 5, 4, 3, 2, 1}),
						param("b", []float64{-1, -2, -3, -4, -5, -6, -7, -8, -9}, []float64{1, 1, 1, 1, 1, 1, 1, 1, 1}),
						param("c", []float64{0.5, 0.25}, []float64{1, 1}),
					}
				}
				if err := opt.Step(mk()); err != nil {
					t.Fatal(err)
				}
				ps := mk()
				tc.set(ps[bad].Value.Float64s(), ps[bad].Grad.Float64s(), i)
				before := values(ps)
				err := opt.Step(ps)
				want := fmt.Sprintf(`parameter %q `+tc.want, ps[bad].Name, i)
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("%s at %s[%d]: err = %v, want it to contain %q", tc.name, ps[bad].Name, i, err, want)
				}
				if got := values(ps); !sameBits(got, before) {
					t.Errorf("%s at %s[%d]: the refused step changed the parameters to %v", tc.name, ps[bad].Name, i, got)
				}
			}
		}
	}
}

// TestSGDSharedTensor: two parameters of one step that share a value tensor are updated one
// after the other, from their second step on as on the first (the general path) and as a
// hand computation says; a refused step leaves the tensor as it was.
func TestSGDSharedTensor(t *testing.T) {
	opt, _ := optim.NewSGD(0.5, optim.Clip{})
	w := param("w", []float64{1, 2, 3, 4, 5}, []float64{1, 1, 1, 1, 1})
	alias := vm.Param{Name: "alias", Value: w.Value, Grad: param("g", []float64{2, 2, 2, 2, 2}, []float64{2, 2, 2, 2, 2}).Grad}
	for step, want := range [][]float64{{-0.5, 0.5, 1.5, 2.5, 3.5}, {-2, -1, 0, 1, 2}} { // w − 0.5·1 − 0.5·2 per step
		if err := opt.Step([]vm.Param{w, alias}); err != nil {
			t.Fatal(err)
		}
		if got := w.Value.Float64s(); !sameBits([][]float64{got}, [][]float64{want}) {
			t.Errorf("step %d: w = %v, want %v", step, got, want)
		}
	}
	alias.Grad.Float64s()[3] = math.NaN()
	before := values([]vm.Param{w})
	if err := opt.Step([]vm.Param{w, alias}); err == nil || !strings.Contains(err.Error(), `parameter "alias" gradient 3 is NaN`) {
		t.Errorf("NaN gradient of the second: err = %v", err)
	}
	if got := values([]vm.Param{w}); !sameBits(got, before) {
		t.Errorf("the refused step changed the shared tensor to %v, had %v", got, before)
	}
}
