package misuse_test

import (
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train/checkpoint"
)

// misuse is one wrong use of the public API. do returns the error the API gave; it must not be
// nil and must contain want, and do must not panic.
type misuse struct {
	name string
	do   func() error
	want string
}

// cases is the table. Add rows (for layers, train, losses, ...) at the end of a group or in a
// new group; every row builds what it needs, so rows are independent.
var cases = []misuse{
	// graph: Builder.
	{"builder: nil builder makes no nodes", func() error {
		var b *graph.Builder
		if b.Input("x", 1, 2) != nil {
			return nil
		}
		return b.Err()
	}, "nil or zero Builder"},
	{"builder: zero builder", func() error {
		b := &graph.Builder{}
		b.Param("w", []int{2}, graph.Uniform(1))
		return b.Err()
	}, "make one with NewBuilder"},
	{"builder: duplicate name", func() error {
		b := graph.NewBuilder(graph.Config{})
		b.Input("x", 1, 2)
		b.Input("x", 1, 2)
		return b.Err()
	}, `name "x": graph: duplicate name`},
	{"builder: nil operand left by an earlier error", func() error {
		b := graph.NewBuilder(graph.Config{})
		b.Sigmoid(nil)
		return b.Err()
	}, "sigmoid: operand 0 is nil"},
	{"builder: operand from another graph", func() error {
		other := graph.NewBuilder(graph.Config{}).Input("x", 1, 2)
		b := graph.NewBuilder(graph.Config{})
		b.Sigmoid(other)
		return b.Err()
	}, `operand 0 ("x") belongs to another graph`},
	{"builder: op with a nil function", func() error {
		b := graph.NewBuilder(graph.Config{})
		b.Op("mine", nil, b.Input("x", 1, 2))
		return b.Err()
	}, "mine: nil function"},
	{"builder: fixed values with a NaN", func() error {
		b := graph.NewBuilder(graph.Config{})
		b.Fixed("e", []int{1, 2}, []float64{1, math.NaN()})
		return b.Err()
	}, `fixed "e": value 1 is NaN`},
	{"builder: initial values with an Inf", func() error {
		b := graph.NewBuilder(graph.Config{})
		b.Param("w", []int{2}, graph.Values(0, math.Inf(1)))
		return b.Err()
	}, "value 1 is +Inf"},
	{"builder: override with a NaN", func() error {
		b := graph.NewBuilder(graph.Config{})
		b.Param("b", []int{2}, graph.Override(graph.Uniform(0.1), map[int]float64{1: math.NaN()}))
		return b.Err()
	}, "override init: value 1 is NaN"},
	{"builder: parameter shape differs from the ParamSet", func() error {
		ps := graph.NewParamSet()
		graph.NewBuilder(graph.Config{Params: ps}).Param("w", []int{2, 3}, graph.Uniform(1))
		b := graph.NewBuilder(graph.Config{Params: ps})
		b.Param("w", []int{3, 2}, graph.Uniform(1))
		return b.Err()
	}, `param "w" has shape (2, 3) in the ParamSet`},
	{"builder: gorgonia rewrites -(-x) to x", func() error {
		b := graph.NewBuilder(graph.Config{})
		neg := func(n ...*G.Node) (*G.Node, error) { return G.Neg(n[0]) }
		b.Op("neg", neg, b.Op("neg", neg, b.Input("x", 1, 2)))
		return b.Err()
	}, "gorgonia's rewrites"},
	{"builder: log of a softmax", func() error {
		b := graph.NewBuilder(graph.Config{})
		b.Log(b.Softmax(b.Input("x", 2, 3)))
		return b.Err()
	}, "use LogSoftmax"},
	{"builder: concat of nothing", func() error {
		b := graph.NewBuilder(graph.Config{})
		b.Concat(0)
		return b.Err()
	}, "concat: no nodes"},
	{"builder: input added after Compile", func() error {
		n := newTiny()
		if _, err := n.compile(); err != nil {
			return err
		}
		n.b.Input("x2", 1, 2)
		return n.b.Err()
	}, `add "x2": the graph is compiled and its Program is open`},
	{"builder: operation added after Compile", func() error {
		n := newTiny()
		if _, err := n.compile(); err != nil {
			return err
		}
		n.b.Sigmoid(n.y)
		return n.b.Err()
	}, "sigmoid: the graph is compiled"},

	// graph: Compile.
	{"compile: nil builder", func() error { _, err := vm.Compile(nil, nil); return err }, "nil or zero Builder"},
	{"compile: second program on one graph", func() error {
		n := newTiny()
		if _, err := n.compile(); err != nil {
			return err
		}
		_, err := n.compile(vm.ForwardOnly())
		return err
	}, "already compiled into a Program that is open"},
	{"compile: the builder has an error", func() error {
		b := graph.NewBuilder(graph.Config{})
		b.Input("", 1)
		_, err := vm.Compile(b, nil, vm.ForwardOnly())
		return err
	}, "the builder has an error"},
	{"compile: nil loss left by a builder error", func() error {
		n := newTiny()
		_, err := vm.Compile(n.b, nil)
		return err
	}, "nil loss"},
	{"compile: nothing to compute", func() error {
		n := newTiny()
		_, err := vm.Compile(n.b, nil, vm.ForwardOnly())
		return err
	}, "no loss and no watched node"},
	{"compile: loss not a scalar", func() error {
		n := newTiny()
		_, err := vm.Compile(n.b, n.y)
		return err
	}, "must be a scalar"},
	{"compile: nil watched node", func() error {
		n := newTiny()
		_, err := n.compile(vm.Watch(n.y, nil))
		return err
	}, "watched node 2 is nil"},
	{"compile: watched node of another graph", func() error {
		n, m := newTiny(), newTiny()
		_, err := n.compile(vm.Watch(m.y))
		return err
	}, "belongs to another graph"},
	{"compile: nil option", func() error { _, err := newTiny().compile(nil); return err }, "option 0 is nil"},
	{"compile: CheckFinite with the TapeMachine", func() error {
		_, err := newTiny().compile(vm.CheckFinite(), vm.UseTapeMachine())
		return err
	}, "cannot be combined with UseTapeMachine"},
	{"compile: a loss without parameters", func() error {
		b := graph.NewBuilder(graph.Config{})
		loss := b.Sum(b.Input("x", 1, 2))
		_, err := vm.Compile(b, loss)
		return err
	}, "no parameters to differentiate"},

	// graph/vm: Program.
	{"program: run with an input never set", func() error {
		p, err := newTiny().compile()
		if err != nil {
			return err
		}
		return p.Run()
	}, `input "x" never set`},
	{"program: nil program from a failed Compile", func() error {
		var p *vm.Program
		return p.Run()
	}, "nil Program"},
	{"program: zero program", func() error { return (&vm.Program{}).Run() }, "not made by Compile"},
	{"program: run after Close", func() error {
		p, n, err := ran()
		if err != nil {
			return err
		}
		p.Close()
		return p.Set(n.x, []float64{1, 1})
	}, "program is closed"},
	{"program: set a nil node", func() error {
		p, err := newTiny().compile()
		if err != nil {
			return err
		}
		return p.Set(nil, []float64{1, 2})
	}, "nil node is not an input"},
	{"program: set a node that is not an input", func() error {
		n := newTiny()
		p, err := n.compile()
		if err != nil {
			return err
		}
		return p.Set(n.y, []float64{1})
	}, "is not an input of this program"},
	{"program: set another program's input", func() error {
		n, m := newTiny(), newTiny()
		p, err := n.compile()
		if err != nil {
			return err
		}
		return p.Set(m.x, []float64{1, 2})
	}, `"x" is not an input of this program`},
	{"program: set the wrong number of values", func() error {
		n := newTiny()
		p, err := n.compile()
		if err != nil {
			return err
		}
		return p.Set(n.x, []float64{1, 2, 3})
	}, "got 3 values, want 2"},
	{"program: set a NaN", func() error {
		n := newTiny()
		p, err := n.compile()
		if err != nil {
			return err
		}
		return p.Set(n.x, []float64{1, math.NaN()})
	}, `input "x" value 1 is NaN`},
	{"program: value of a nil node", func() error {
		p, _, err := ran()
		if err != nil {
			return err
		}
		_, err = p.Value(nil)
		return err
	}, "value: nil node"},
	{"program: value of a node the program does not compute", func() error {
		n := newTiny()
		z := n.b.Sigmoid(n.y)
		p, err := n.compile(vm.ForwardOnly())
		if err != nil {
			return err
		}
		if err := p.Set(n.x, []float64{1, 1}); err != nil {
			return err
		}
		if err := p.Run(); err != nil {
			return err
		}
		_, err = p.Value(z)
		return err
	}, "is not computed by this program"},
	{"program: value before the first run", func() error {
		n := newTiny()
		p, err := n.compile(vm.Watch(n.y))
		if err != nil {
			return err
		}
		_, err = p.Value(n.y)
		return err
	}, "program has not run"},
	{"program: loss before the first run", func() error {
		p, err := newTiny().compile()
		if err != nil {
			return err
		}
		_, err = p.Loss()
		return err
	}, "loss: program has not run"},
	{"program: loss of a program without one", func() error {
		n := newTiny()
		p, err := vm.Compile(n.b, nil, vm.ForwardOnly(), vm.Watch(n.y))
		if err != nil {
			return err
		}
		_, err = p.Loss()
		return err
	}, "program has no loss"},
	{"program: gradients of a forward-only program", func() error {
		p, err := newTiny().compile(vm.ForwardOnly())
		if err != nil {
			return err
		}
		_, err = p.Params()
		return err
	}, "compiled ForwardOnly"},
	{"program: CheckFinite finds a NaN weight", func() error {
		n := newTiny()
		n.b.ParamSet().Get("w").Float64s()[1] = math.NaN()
		p, err := n.compile(vm.CheckFinite())
		if err != nil {
			return err
		}
		if err := p.Set(n.x, []float64{1, 1}); err != nil {
			return err
		}
		return p.Run()
	}, `parameter "w" value 1 (row 1, column 0) is NaN`},
	{"program: CheckFinite finds the first overflowing node", func() error {
		n := newTiny()
		p, err := n.compile(vm.CheckFinite())
		if err != nil {
			return err
		}
		if err := p.Set(n.x, []float64{1e200, 1e200}); err != nil {
			return err
		}
		return p.Run()
	}, "(op square, shape (1, 1)), step 2 of"},

	// graph: ParamSet.
	{"paramset: set an unknown parameter", func() error {
		return graph.NewParamSet().SetFloat64s("w", []float64{1})
	}, `no parameter "w"`},
	{"paramset: assign from nil", func() error { return graph.NewParamSet().Assign(nil) }, "nil parameter set"},

	// optim: constructors and configuration.
	{"optim: unknown optimizer", func() error { _, err := optim.New("rmsprop", 0.1, optim.Clip{}); return err }, `unknown optimizer "rmsprop"`},
	{"optim: NaN learning rate", func() error { _, err := optim.NewSGD(math.NaN(), optim.Clip{}); return err }, "learning rate must be finite and > 0, got NaN"},
	{"optim: momentum of 1", func() error { _, err := optim.NewMomentum(0.1, 1, optim.Clip{}); return err }, "momentum must be in [0, 1)"},
	{"optim: negative clip", func() error { _, err := optim.NewAdam(0.1, optim.Clip{Value: -1}); return err }, "Clip.Value must be finite and >= 0"},
	{"optim: SGD literal without a learning rate", func() error {
		return (&optim.SGD{}).Step(params(param("w", []float64{1}, []float64{1})))
	}, "SGD learning rate must be finite and > 0, got 0"},
	{"optim: Momentum literal without state", func() error {
		o := &optim.Momentum{LearningRate: 0.1, Momentum: 1.5}
		return o.Step(params(param("w", []float64{1}, []float64{1})))
	}, "momentum must be in [0, 1), got 1.5"},
	{"optim: Adam literal without epsilon", func() error {
		return (&optim.Adam{LearningRate: 0.1}).Step(params(param("w", []float64{1}, []float64{1})))
	}, "Adam epsilon must be finite and > 0, got 0"},
	{"optim: SetState of another kind", func() error {
		o, _ := optim.NewAdam(0.1, optim.Clip{})
		return o.SetState(checkpoint.OptimizerState{Kind: "momentum"})
	}, `Adam cannot load "momentum" state`},
	{"optim: SetState with a NaN", func() error {
		o, _ := optim.NewMomentum(0.1, 0.9, optim.Clip{})
		return o.SetState(checkpoint.OptimizerState{Kind: "momentum", Slots: map[string]map[string][]float64{"v": {"w": {math.NaN()}}}})
	}, `slot v of parameter "w" value 0 is NaN`},

	// optim: Step.
	{"optim: SGD with a NaN weight", func() error {
		o, _ := optim.NewSGD(0.1, optim.Clip{})
		return o.Step(params(param("a", []float64{1}, []float64{1}), param("w", []float64{1, math.NaN()}, []float64{1, 1})))
	}, `parameter "w" value 1 is NaN; no parameter changed`},
	{"optim: SGD with an infinite gradient", func() error {
		o, _ := optim.NewSGD(0.1, optim.Clip{Norm: 1})
		return o.Step(params(param("w", []float64{1, 1}, []float64{math.Inf(1), 1})))
	}, `parameter "w" gradient 0 is +Inf`},
	{"optim: momentum with a NaN gradient", func() error {
		o, _ := optim.NewMomentum(0.1, 0.9, optim.Clip{})
		return o.Step(params(param("w", []float64{1}, []float64{math.NaN()})))
	}, `parameter "w" gradient 0 is NaN`},
	{"optim: Adam with a NaN weight", func() error {
		o, _ := optim.NewAdam(0.1, optim.Clip{})
		return o.Step(params(param("w", []float64{math.NaN()}, []float64{1})))
	}, `parameter "w" value 0 is NaN`},
	{"optim: an update that overflows", func() error {
		o, _ := optim.NewSGD(10, optim.Clip{})
		return o.Step(params(param("w", []float64{0, math.MaxFloat64}, []float64{0, -math.MaxFloat64})))
	}, `parameter "w" value 1 would not be finite after the update`},
	{"optim: a parameter given twice", func() error {
		o, _ := optim.NewAdam(0.1, optim.Clip{})
		return o.Step(params(param("w", []float64{1}, []float64{1}), param("w", []float64{1}, []float64{1})))
	}, `parameter "w" is given twice`},
	{"optim: value and gradient shapes differ", func() error {
		o, _ := optim.NewSGD(0.1, optim.Clip{})
		return o.Step(params(param("w", []float64{1, 2}, []float64{1})))
	}, `parameter "w": value (2) float64 and gradient (1) float64 differ`},
	{"optim: no gradient", func() error {
		o, _ := optim.NewSGD(0.1, optim.Clip{})
		p := param("w", []float64{1}, []float64{1})
		p.Grad = nil
		return o.Step(params(p))
	}, `parameter "w" has no value or gradient`},
	{"optim: hold of a misspelt name", func() error {
		o, _ := optim.NewSGD(0.1, optim.Clip{})
		return optim.NewHold(o, "out/W").Step(params(param("out/w", []float64{1}, []float64{1})))
	}, `held parameter "out/W" is not among the 1 parameters`},
	{"optim: hold with a NaN in a held gradient", func() error {
		o, _ := optim.NewSGD(0.1, optim.Clip{})
		return optim.NewHold(o, "h").Step(params(param("h", []float64{0}, []float64{math.NaN()})))
	}, `parameter "h" gradient 0 is NaN`},
	{"optim: zero Meter", func() error {
		return (&optim.Meter{}).Step(params(param("w", []float64{1}, []float64{1})))
	}, "meter: no inner optimizer"},
	{"optim: zero Hold", func() error {
		return (&optim.Hold{}).Step(params(param("w", []float64{1}, []float64{1})))
	}, "hold: no inner optimizer"},
	{"optim: meter around a refusing optimizer", func() error {
		o, _ := optim.NewSGD(0.1, optim.Clip{})
		return optim.NewMeter(o).Step(params(param("w", []float64{1}, []float64{math.Inf(-1)})))
	}, `parameter "w" gradient 0 is -Inf`},
	{"optim: gradient norm without a gradient", func() error {
		_, err := optim.GradNorm([]vm.Param{{Name: "w"}})
		return err
	}, `parameter "w" has no gradient`},
}

// TestMisuse runs the table: every row must return an error containing its want, without
// panicking.
func TestMisuse(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] || c.want == "" || c.do == nil {
			t.Errorf("row %q: duplicate name, empty want or no func", c.name)
			continue
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			p, err := call(c.do)
			switch {
			case p != nil:
				t.Fatalf("panicked: %v", p)
			case err == nil:
				t.Fatalf("no error: the misuse went by silently (want an error containing %q)", c.want)
			case !strings.Contains(err.Error(), c.want):
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

// call runs f, turning a panic into p.
func call(f func() error) (p any, err error) {
	defer func() { p = recover() }()
	return nil, f()
}

// tiny is a small model: loss = Σ (x·w)², x [1, 2] an input, w [2, 1] = [1, 2] a parameter.
type tiny struct {
	b          *graph.Builder
	x, y, loss *G.Node
}

func newTiny() tiny {
	b := graph.NewBuilder(graph.Config{Seed: 1})
	w := b.Param("w", []int{2, 1}, graph.Values(1, 2))
	x := b.Input("x", 1, 2)
	y := b.MatMul(x, w)
	return tiny{b: b, x: x, y: y, loss: b.Sum(b.Square(y))}
}

// compile compiles n's loss (with the builder's error, if any).
func (n tiny) compile(opts ...vm.CompileOption) (*vm.Program, error) {
	if err := n.b.Err(); err != nil {
		return nil, err
	}
	return vm.Compile(n.b, n.loss, opts...)
}

// ran returns a compiled tiny model that has run once.
func ran() (*vm.Program, tiny, error) {
	n := newTiny()
	p, err := n.compile(vm.Watch(n.y))
	if err != nil {
		return nil, n, err
	}
	if err := p.Set(n.x, []float64{1, 1}); err != nil {
		return nil, n, err
	}
	return p, n, p.Run()
}

// param is a float64 parameter with the given values and gradient.
func param(name string, w, g []float64) vm.Param {
	return vm.Param{Name: name,
		Value: tensor.New(tensor.WithShape(len(w)), tensor.WithBacking(append([]float64(nil), w...))),
		Grad:  tensor.New(tensor.WithShape(len(g)), tensor.WithBacking(append([]float64(nil), g...)))}
}

func params(ps ...vm.Param) []vm.Param { return ps }
