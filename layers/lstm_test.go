package layers_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
)

// TestWeightCountsMatchTable10 builds every architecture of the paper's Table 10 and checks
// its weight count (LSTM layer plus output layer) against the table's "w" column.
func TestWeightCountsMatchTable10(t *testing.T) {
	for _, tc := range []struct {
		task string
		net  layers.NetConfig
		want int
	}{
		{"1-1 (4 blocks of 1)", layers.NetConfig{
			LSTM:   layers.Config{Inputs: 7, NumBlocks: 4, CellsPerBlock: 1, Biases: layers.BiasGates, OutputGateBias: []float64{-1, -2, -3, -4}, InitRange: 0.2},
			Output: output.Config{Units: 7}}, 264},
		{"1-2 (3 blocks of 2)", layers.NetConfig{
			LSTM:   layers.Config{Inputs: 7, NumBlocks: 3, CellsPerBlock: 2, Biases: layers.BiasGates, OutputGateBias: []float64{-1, -2, -3}, InitRange: 0.2},
			Output: output.Config{Units: 7}}, 276},
		{"2a/2b (p=100)", layers.NetConfig{
			LSTM: layers.Config{Inputs: 101, NumBlocks: 1, CellsPerBlock: 1, Biases: layers.BiasNone, NoOutputGate: true, NoRecurrence: true,
				G: layers.SquashLogistic, H: layers.SquashIdentity, InitRange: 0.2},
			Output: output.Config{Units: 101}, OutputFromInputs: true}, 10504},
		{"2c-1 (p=50)", layers.NetConfig{
			LSTM:   layers.Config{Inputs: 54, NumBlocks: 2, CellsPerBlock: 1, Biases: layers.BiasNone, InitRange: 0.2},
			Output: output.Config{Units: 2}}, 364},
		{"2c-5 (p=1000)", layers.NetConfig{
			LSTM:   layers.Config{Inputs: 1004, NumBlocks: 2, CellsPerBlock: 1, Biases: layers.BiasNone, InitRange: 0.2},
			Output: output.Config{Units: 2}}, 6064},
		{"3a", layers.NetConfig{
			LSTM:   layers.Config{Inputs: 1, NumBlocks: 3, CellsPerBlock: 1, InputGateBias: []float64{-1, -3, -5}, OutputGateBias: []float64{-2, -4, -6}},
			Output: output.Config{Units: 1}}, 102},
		{"4 adding", layers.NetConfig{
			LSTM:   layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 2, InputGateBias: []float64{-3, -6}},
			Output: output.Config{Units: 1, Bias: true}}, 93},
		{"6a", layers.NetConfig{
			LSTM:   layers.Config{Inputs: 8, NumBlocks: 2, CellsPerBlock: 2, InputGateBias: []float64{-2, -4}},
			Output: output.Config{Units: 4, Bias: true}}, 156},
		{"6b", layers.NetConfig{
			LSTM:   layers.Config{Inputs: 8, NumBlocks: 3, CellsPerBlock: 2, InputGateBias: []float64{-2, -4, -6}},
			Output: output.Config{Units: 8, Bias: true}}, 308},
		// Not in Table 10: the 2c-1 net without the gates' recurrent weights, 6 units · (54 + 2) + 2 · 2.
		{"2c-1 (p=50), cells-only recurrence", layers.NetConfig{
			LSTM:   layers.Config{Inputs: 54, NumBlocks: 2, CellsPerBlock: 1, Biases: layers.BiasNone, CellsOnlyRecurrence: true, InitRange: 0.2},
			Output: output.Config{Units: 2}}, 340},
	} {
		t.Run(tc.task, func(t *testing.T) {
			b := graph.NewBuilder(graph.Config{Seed: 1})
			s := graph.Shape{T: 2, B: 1, In: tc.net.LSTM.Inputs, Out: tc.net.Output.Units, TargetSteps: []int{1}}
			if _, err := layers.BuildNet(b, tc.net, s); err != nil {
				t.Fatal(err)
			}
			if got := b.ParamSet().NumWeights(); got != tc.want {
				t.Errorf("weights = %d, want %d (Table 10)", got, tc.want)
			}
		})
	}
}

func TestInitialGateBiases(t *testing.T) {
	b := graph.NewBuilder(graph.Config{Seed: 3})
	if _, err := layers.NewCell(b, layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 2, InputGateBias: []float64{-3, -6}}); err != nil {
		t.Fatal(err)
	}
	ib, _ := b.ParamSet().Float64s("lstm/in_gate/b")
	if ib[0] != -3 || ib[1] != -6 {
		t.Errorf("input gate biases = %v, want [-3 -6]", ib)
	}
	ob, _ := b.ParamSet().Float64s("lstm/out_gate/b")
	for _, v := range ob {
		if v < -0.1 || v > 0.1 {
			t.Errorf("random output gate bias %v outside [-0.1, 0.1]", v)
		}
	}
	want := []string{"lstm/cell/wx", "lstm/cell/wh", "lstm/cell/b", "lstm/in_gate/wx", "lstm/in_gate/wh", "lstm/in_gate/b",
		"lstm/out_gate/wx", "lstm/out_gate/wh", "lstm/out_gate/b"}
	if got := strings.Join(b.ParamSet().Names(), " "); got != strings.Join(want, " ") {
		t.Errorf("parameter order = %v, want %v", got, want)
	}
}

func TestBadConfigs(t *testing.T) {
	ok := layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 2}
	for _, tc := range []struct {
		name string
		edit func(c *layers.Config)
		want string
	}{
		{"zero inputs", func(c *layers.Config) { c.Inputs = 0 }, "Inputs must be > 0, got 0"},
		{"zero blocks", func(c *layers.Config) { c.NumBlocks = 0 }, "NumBlocks must be > 0, got 0"},
		{"negative cells", func(c *layers.Config) { c.CellsPerBlock = -2 }, "CellsPerBlock must be > 0, got -2"},
		{"bias count", func(c *layers.Config) { c.InputGateBias = []float64{-3} }, "InputGateBias has 1 values for 2 blocks"},
		{"bias without gate", func(c *layers.Config) { c.NoOutputGate = true; c.OutputGateBias = []float64{1, 2} }, "OutputGateBias set but NoOutputGate"},
		{"bias with BiasNone", func(c *layers.Config) { c.Biases = layers.BiasNone; c.InputGateBias = []float64{1, 2} }, "Biases is none"},
		{"NaN bias", func(c *layers.Config) { c.InputGateBias = []float64{-3, nan()} }, "InputGateBias[1] is NaN"},
		{"negative range", func(c *layers.Config) { c.InitRange = -1 }, "InitRange must be finite and > 0"},
		{"unknown squash", func(c *layers.Config) { c.G = 42 }, "unknown G 42"},
		{"cells-only without recurrence", func(c *layers.Config) { c.NoRecurrence, c.CellsOnlyRecurrence = true, true }, "CellsOnlyRecurrence set but NoRecurrence"},
		{"negative h' offset", func(c *layers.Config) { c.HPrimeOffset = -0.1 }, "HPrimeOffset must be finite and >= 0"},
		{"NaN h' offset", func(c *layers.Config) { c.HPrimeOffset = math.NaN() }, "HPrimeOffset must be finite and >= 0"},
	} {
		c := ok
		tc.edit(&c)
		_, err := layers.NewCell(graph.NewBuilder(graph.Config{}), c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestBadInputsNameLayerAndStep(t *testing.T) {
	b := graph.NewBuilder(graph.Config{})
	cell, err := layers.NewCell(b, layers.Config{Name: "lstm0", Inputs: 2, NumBlocks: 1, CellsPerBlock: 1})
	if err != nil {
		t.Fatal(err)
	}
	xs := []*G.Node{b.Input("x0", 1, 2), b.Input("x1", 1, 3)}
	cell.Unroll(xs)
	if err := b.Err(); err == nil || !strings.Contains(err.Error(), `LSTM "lstm0" step 1: input "x1" has shape (1, 3), want [batch, 2]`) {
		t.Errorf("err = %v", err)
	}

	b = graph.NewBuilder(graph.Config{})
	cell, _ = layers.NewCell(b, layers.Config{Inputs: 2, NumBlocks: 1, CellsPerBlock: 1})
	cell.Unroll(nil)
	if err := b.Err(); err == nil || !strings.Contains(err.Error(), "sequence of length 0") {
		t.Errorf("empty sequence: err = %v", err)
	}

	b = graph.NewBuilder(graph.Config{})
	layers.NewCell(b, layers.Config{Inputs: 2, NumBlocks: 1, CellsPerBlock: 1})
	if _, err := layers.NewCell(b, layers.Config{Inputs: 2, NumBlocks: 1, CellsPerBlock: 1}); !errors.Is(err, graph.ErrDuplicateName) {
		t.Errorf("two layers with the same name: err = %v", err)
	}

	b = graph.NewBuilder(graph.Config{})
	_, err = layers.BuildNet(b, layers.NetConfig{LSTM: layers.Config{Inputs: 2, NumBlocks: 1, CellsPerBlock: 1}, Output: output.Config{Units: 1}},
		graph.Shape{T: 3, B: 1, In: 3, Out: 1, TargetSteps: []int{2}})
	if err == nil || !strings.Contains(err.Error(), `batch has 3 inputs per step, LSTM "lstm" wants 2`) {
		t.Errorf("mismatched width: err = %v", err)
	}
}

func nan() float64 { z := 0.0; return z / z }
