package dot_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/lstm97/lstm97/dot"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
)

// ExampleWrite draws one time step of the model a user trains: layers.Net builds the LSTM as
// one fused node, and the step view draws that node's step as the unrolled model would have
// it, the memory cell of the paper's Fig. 1.
func ExampleWrite() {
	b := graph.NewBuilder(graph.Config{Seed: 1})
	net := layers.NetConfig{
		LSTM:   layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 2},
		Output: output.Config{Units: 1, Bias: true},
	}
	if _, err := layers.BuildNet(b, net, graph.Shape{T: 100, B: 1, In: 2, Out: 1, TargetSteps: []int{99}}); err != nil {
		fmt.Println(err)
		return
	}
	var buf bytes.Buffer
	if err := dot.Write(&buf, b, dot.Config{View: dot.ViewStep, Step: 50, Name: "adding"}); err != nil {
		fmt.Println(err)
		return
	}
	s := buf.String()
	fmt.Println(strings.Count(s, " [shape="), "nodes,", strings.Count(s, " -> "), "edges")
	for _, m := range regexp.MustCompile(`\n *n\d+ \[[^\n]*label="([^"\\]*)`).FindAllStringSubmatch(s, -1) {
		if strings.Contains(m[1], "=") {
			fmt.Println(m[1])
		}
	}
	// Output:
	// 22 nodes, 27 edges
	// y(t) = [y_c, y_in, y_out]
	// net_in = x(t)·wx + y(t-1)·wh + b
	// y_in = f(net_in)
	// net_out = x(t)·wx + y(t-1)·wh + b
	// y_out = f(net_out)
	// net_c = x(t)·wx + y(t-1)·wh + b
	// g(net_c) = 4σ(net_c) - 2
	// s(t) = s(t-1) + y_in·g
	// h(s) = 2σ(s(t)) - 1
	// y_c = y_out · h(s)
}
