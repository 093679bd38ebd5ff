package graph_test

import (
	"fmt"
	"strings"

	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/graph"
)

// ExampleCheckFinite finds where a value overflows: with CheckFinite, Run names the first node
// in execution order whose value is not finite (here the square of 1e200), its operation,
// shape, scope and the position of the value.
func ExampleCheckFinite() {
	b := graph.NewBuilder(graph.Config{})
	w := b.Param("w", []int{2, 1}, graph.Values(1, 1))
	x := b.Input("x", 1, 2)
	net := b.Scope("net")
	loss := b.Sum(net.Square(net.MatMul(x, w)))
	prog, err := graph.Compile(b, loss, graph.CheckFinite())
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
	// graph: run: node "square(%2)" (op square, shape (1, 1), scope "net"), step 2 of 11 in execution order, is the first with a value that is not finite: value 0 (row 0, column 0) is +Inf
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
	trainProg, err := graph.Compile(tb, tloss)
	if err != nil {
		panic(err)
	}
	defer trainProg.Close()
	evalProg, err := graph.Compile(eb, eloss, graph.ForwardOnly())
	if err != nil {
		panic(err)
	}
	defer evalProg.Close()
	_, err = graph.Compile(tb, tloss)
	fmt.Println(strings.SplitN(err.Error(), ";", 2)[0])
	if err := trainProg.Set(tx, []float64{1, 2}); err != nil {
		panic(err)
	}
	if err := evalProg.Set(ex, []float64{2, 0}); err != nil {
		panic(err)
	}
	for _, p := range []*graph.Program{trainProg, evalProg} {
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
	// graph: compile: the builder's graph (parameters "w" and inputs "x") is already compiled into a Program that is open
	// 2.25
	// 1
}
