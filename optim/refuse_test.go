package optim_test

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train"
	"github.com/lstm97/lstm97/train/checkpoint"
)

// optimizers makes one of each optimizer and wrapper, fresh for every call.
var optimizers = []struct {
	name string
	make func() (train.Optimizer, error)
}{
	{"sgd", func() (train.Optimizer, error) { return optim.NewSGD(0.1, optim.Clip{}) }},
	{"sgd clip norm", func() (train.Optimizer, error) { return optim.NewSGD(0.1, optim.Clip{Norm: 0.5}) }},
	{"momentum", func() (train.Optimizer, error) { return optim.NewMomentum(0.1, 0.9, optim.Clip{}) }},
	{"momentum clip value", func() (train.Optimizer, error) { return optim.NewMomentum(0.1, 0.9, optim.Clip{Value: 0.2}) }},
	{"adam", func() (train.Optimizer, error) { return optim.NewAdam(0.01, optim.Clip{}) }},
	{"meter around adam", func() (train.Optimizer, error) {
		o, err := optim.NewAdam(0.01, optim.Clip{Norm: 1})
		return optim.NewMeter(o), err
	}},
	{"hold around momentum", func() (train.Optimizer, error) {
		o, err := optim.NewMomentum(0.1, 0.5, optim.Clip{})
		return optim.NewHold(o, "c"), err
	}},
}

// three returns parameters a [2], b [3], c [1] with fixed values and the given gradients.
func three(ga, gb []float64) []vm.Param {
	return []vm.Param{
		param("a", []float64{0.5, -1}, ga),
		param("b", []float64{2, 0, -3}, gb),
		param("c", []float64{1}, []float64{0.25}),
	}
}

func values(ps []vm.Param) [][]float64 {
	var out [][]float64
	for _, p := range ps {
		out = append(out, append([]float64(nil), p.Value.Float64s()...))
	}
	return out
}

func state(opt train.Optimizer) any {
	if s, ok := checkpoint.StatefulOf(opt); ok {
		return s.State()
	}
	return nil
}

// TestStepRefusesNonFinite: every optimizer refuses a step with a value or a gradient that is
// not finite, or whose result would not be finite, with an error naming the parameter and the
// index; nothing changes: the parameters keep their values bit for bit, the optimizer its
// state, and the next good step gives what it gives without the refused one.
func TestStepRefusesNonFinite(t *testing.T) {
	good := [][2][]float64{{{1, -2}, {0.5, 0, 3}}, {{-1, 1}, {2, 2, -0.5}}}
	for _, bad := range []struct {
		name string
		set  func(ps []vm.Param)
		want string
	}{
		{"NaN value", func(ps []vm.Param) { ps[1].Value.Float64s()[2] = math.NaN() }, `parameter "b" value 2 is NaN`},
		{"infinite gradient", func(ps []vm.Param) { ps[1].Grad.Float64s()[1] = math.Inf(-1) }, `parameter "b" gradient 1 is -Inf`},
		{"NaN gradient of the last", func(ps []vm.Param) { ps[2].Grad.Float64s()[0] = math.NaN() }, `parameter "c" gradient 0 is NaN`},
		{"overflowing result", func(ps []vm.Param) {
			ps[1].Value.Float64s()[0] = math.MaxFloat64
			ps[1].Grad.Float64s()[0] = -math.MaxFloat64
		}, `parameter "b" value 0 would not be finite after the update`},
	} {
		for _, o := range optimizers {
			if bad.name == "overflowing result" && (strings.Contains(o.name, "clip") || strings.Contains(o.name, "adam")) {
				continue // clipping and Adam's normalised step keep this update finite
			}
			t.Run(bad.name+"/"+o.name, func(t *testing.T) {
				opt, err := o.make()
				if err != nil {
					t.Fatal(err)
				}
				ref, _ := o.make() // the same optimizer without the refused step
				ps, rs := three(good[0][0], good[0][1]), three(good[0][0], good[0][1])
				for _, s := range []struct {
					o  train.Optimizer
					ps []vm.Param
				}{{opt, ps}, {ref, rs}} {
					if err := s.o.Step(s.ps); err != nil {
						t.Fatal(err)
					}
				}
				before, st := values(ps), state(opt)
				bp := three(good[1][0], good[1][1])
				for i := range bp {
					copy(bp[i].Value.Float64s(), ps[i].Value.Float64s())
				}
				bad.set(bp)
				vb := values(bp)
				err = opt.Step(bp)
				if err == nil || !strings.Contains(err.Error(), bad.want) {
					t.Fatalf("err = %v, want it to contain %q", err, bad.want)
				}
				if got := values(bp); !sameBits(got, vb) {
					t.Errorf("a refused step changed the parameters: %v, had %v", got, vb)
				}
				if got := state(opt); !reflect.DeepEqual(got, st) {
					t.Errorf("a refused step changed the state: %v, had %v", got, st)
				}
				// The next good step, from the values before the refused one.
				for _, s := range [][]vm.Param{ps, rs} {
					copy(s[0].Grad.Float64s(), good[1][0])
					copy(s[1].Grad.Float64s(), good[1][1])
				}
				if err := opt.Step(ps); err != nil {
					t.Fatal(err)
				}
				if err := ref.Step(rs); err != nil {
					t.Fatal(err)
				}
				if got, want := values(ps), values(rs); !sameBits(got, want) || sameBits(got, before) {
					t.Errorf("after the refused step the next one gives %v, want %v", got, want)
				}
			})
		}
	}
}

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

// TestStepRefusesFloat32Overflow: a float32 value that the update would push past the float32
// range is refused.
func TestStepRefusesFloat32Overflow(t *testing.T) {
	sgd, err := optim.NewSGD(1, optim.Clip{})
	if err != nil {
		t.Fatal(err)
	}
	p := param32("w", []float32{1, math.MaxFloat32}, []float32{1, -math.MaxFloat32})
	if err := sgd.Step([]vm.Param{p}); err == nil || !strings.Contains(err.Error(), `parameter "w" value 1 would not be finite`) {
		t.Errorf("err = %v", err)
	}
	if got := p.Value.Float32s(); got[0] != 1 || got[1] != math.MaxFloat32 {
		t.Errorf("values changed to %v", got)
	}
}

// TestClipLeavesGradients: clipping applies to the update, not to the gradient tensors, and
// huge finite gradients (whose squares overflow) are still rescaled to the norm.
func TestClipLeavesGradients(t *testing.T) {
	sgd, err := optim.NewSGD(1, optim.Clip{Norm: 1})
	if err != nil {
		t.Fatal(err)
	}
	p := param("w", []float64{0, 0}, []float64{3e300, 4e300})
	if err := sgd.Step([]vm.Param{p}); err != nil {
		t.Fatal(err)
	}
	near(t, "w", p.Value.Float64s(), []float64{-0.6, -0.8}, 1e-15)
	if g := p.Grad.Float64s(); g[0] != 3e300 || g[1] != 4e300 {
		t.Errorf("gradient changed to %v", g)
	}
}

// TestMeterSkipsRefusedSteps: a step the inner optimizer refuses is not measured.
func TestMeterSkipsRefusedSteps(t *testing.T) {
	sgd, err := optim.NewSGD(0.1, optim.Clip{})
	if err != nil {
		t.Fatal(err)
	}
	m := optim.NewMeter(sgd)
	if err := m.Step([]vm.Param{param("w", []float64{0}, []float64{math.Inf(1)})}); err == nil {
		t.Fatal("an infinite gradient was accepted")
	}
	if err := m.Step([]vm.Param{param("w", []float64{0}, []float64{2})}); err != nil {
		t.Fatal(err)
	}
	if mean, max, at, ok := m.Take(7); !ok || mean != 2 || max != 2 || at != 7 {
		t.Errorf("take: mean %v, max %v at %d (%v); want 2, 2 at 7 from the one good step", mean, max, at, ok)
	}
}

// TestSetStateRefusesNonFinite: a checkpointed state with a NaN is refused.
func TestSetStateRefusesNonFinite(t *testing.T) {
	adam, _ := optim.NewAdam(0.1, optim.Clip{})
	mom, _ := optim.NewMomentum(0.1, 0.5, optim.Clip{})
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"adam", adam.SetState(checkpoint.OptimizerState{Kind: "adam", Step: 3, Slots: map[string]map[string][]float64{
			"m": {"w": {0, 1}}, "v": {"w": {1, math.NaN()}}}}), `slot v of parameter "w" value 1 is NaN`},
		{"momentum", mom.SetState(checkpoint.OptimizerState{Kind: "momentum", Slots: map[string]map[string][]float64{
			"v": {"w": {math.Inf(1)}}}}), `slot v of parameter "w" value 0 is +Inf`},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.name, tc.err, tc.want)
		}
	}
}

// TestStepAllocatesNothing: a float64 step allocates nothing once the state exists.
func TestStepAllocatesNothing(t *testing.T) {
	for _, o := range optimizers {
		if strings.Contains(o.name, "hold") {
			continue // Hold copies the parameter list
		}
		opt, err := o.make()
		if err != nil {
			t.Fatal(err)
		}
		ps := three([]float64{1, -2}, []float64{0.5, 0, 3})
		if err := opt.Step(ps); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(20, func() {
			if err := opt.Step(ps); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s: %v allocations per step", o.name, n)
		}
	}
}

// TestFloat32StepAllocatesNothing: the float32 path checks and updates in place too.
func TestFloat32StepAllocatesNothing(t *testing.T) {
	adam, err := optim.NewAdam(0.01, optim.Clip{Norm: 1, Value: 2})
	if err != nil {
		t.Fatal(err)
	}
	ps := []vm.Param{param32("w", []float32{1, -2, 3}, []float32{0.5, 4, -1})}
	if err := adam.Step(ps); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(20, func() {
		if err := adam.Step(ps); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per float32 step", n)
	}
	p := param32("w", []float32{1, float32(math.NaN())}, []float32{0, 0})
	if err := adam.Step([]vm.Param{p}); err == nil || !strings.Contains(err.Error(), `parameter "w" value 1 is NaN`) {
		t.Errorf("float32 NaN: err = %v", err)
	}
}
