package vm_test

import (
	"fmt"
	"strings"

	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
)

// ExampleCompile builds loss = Σ (x·w)² with a named input and a named parameter, compiles it
// once and runs it with different inputs. Gradients (here 2·xᵀ(x·w)) add up over runs, as the
// paper's weight changes add up over the steps of a sequence, until ZeroGrads.
func ExampleCompile() {
	b := graph.NewBuilder(graph.Config{Seed: 1})
	x := b.Input("x", 1, 2)
	w := b.Param("w", []int{2, 1}, graph.Values(0.5, -1))
	loss := b.Sum(b.Square(b.MatMul(x, w)))
	prog, err := vm.Compile(b, loss)
	if err != nil {
		panic(err)
	}
	defer prog.Close()
	run := func(in []float64) {
		if err := prog.Set(x, in); err != nil {
			panic(err)
		}
		if err := prog.Run(); err != nil {
			panic(err)
		}
		l, err := prog.Loss()
		if err != nil {
			panic(err)
		}
		ps, err := prog.Params()
		if err != nil {
			panic(err)
		}
		fmt.Printf("x=%v loss=%g accumulated ∂loss/∂%s=%v\n", in, l, ps[0].Name, ps[0].Grad.Data())
	}
	run([]float64{1, 2})
	run([]float64{2, 0})
	if err := prog.ZeroGrads(); err != nil {
		panic(err)
	}
	run([]float64{2, 0})
	// Output:
	// x=[1 2] loss=2.25 accumulated ∂loss/∂w=[-3 -6]
	// x=[2 0] loss=1 accumulated ∂loss/∂w=[1 -6]
	// x=[2 0] loss=1 accumulated ∂loss/∂w=[4 0]
}

// ExampleCheckFinite finds where a value overflows: with CheckFinite, Run names the first node
// in execution order whose value is not finite (here the square of 1e200), its operation,
// shape, scope and the position of the value.
func ExampleCheckFinite() {
	b := graph.NewBuilder(graph.Config{})
	w := b.Param("w", []int{2, 1}, graph.Values(1, 1))
	x := b.Input("x", 1, 2)
	net := b.Scope("net")
	loss := b.Sum(net.Square(net.MatMul(x, w)))
	prog, err := vm.Compile(b, loss, vm.CheckFinite())
	if err != nil {
		panic(err)
	}
	defer prog.Close()
	for _, in := range [][]float64{{1, 2}, {1e200, 0}} {
		if err := prog.Set(x, in); err != nil {
			panic(err)
		}
		fmt.Println(prog.Run())
	}
	// Output:
	// <nil>
	// vm: run: node "square(%2)" (op square, shape (1, 1), scope "net"), step 2 of 11 in execution order, is the first with a value that is not finite: value 0 (row 0, column 0) is +Inf
}

// ExampleCompile_twoPrograms runs a training program and an evaluation program side by side:
// one graph each, built by the same model code, sharing the parameters through one ParamSet.
// (A second Compile of the first graph would be an error: the two programs would share its
// input tensors.)
func ExampleCompile_twoPrograms() {
	ps := graph.NewParamSet()
	model := func(eval bool) (*graph.Builder, *G.Node, *G.Node) {
		b := graph.NewBuilder(graph.Config{Params: ps, Eval: eval})
		w := b.Param("w", []int{2, 1}, graph.Values(0.5, -1))
		x := b.Input("x", 1, 2)
		return b, x, b.Sum(b.Square(b.MatMul(x, w)))
	}
	tb, tx, tloss := model(false)
	eb, ex, eloss := model(true)
	trainProg, err := vm.Compile(tb, tloss)
	if err != nil {
		panic(err)
	}
	defer trainProg.Close()
	evalProg, err := vm.Compile(eb, eloss, vm.ForwardOnly())
	if err != nil {
		panic(err)
	}
	defer evalProg.Close()
	_, err = vm.Compile(tb, tloss)
	fmt.Println(strings.SplitN(err.Error(), ";", 2)[0])
	if err := trainProg.Set(tx, []float64{1, 2}); err != nil {
		panic(err)
	}
	if err := evalProg.Set(ex, []float64{2, 0}); err != nil {
		panic(err)
	}
	for _, p := range []*vm.Program{trainProg, evalProg} {
		if err := p.Run(); err != nil {
			panic(err)
		}
		l, err := p.Loss()
		if err != nil {
			panic(err)
		}
		fmt.Println(l)
	}
	// Output:
	// vm: compile: the builder's graph (parameters "w" and inputs "x") is already compiled into a Program that is open
	// 2.25
	// 1
}
