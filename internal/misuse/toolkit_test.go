package misuse_test

import (
	"math"
	"math/rand"
	"os"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/dense"
	"github.com/lstm97/lstm97/layers/loss"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train"
	"github.com/lstm97/lstm97/train/checkpoint"
)

func init() { cases = append(cases, toolkitCases...) }

// toolkitCases are the misuses of the research toolkit: heads and losses, sequences with
// lengths and carried state, batches, save/load, text data.
var toolkitCases = []misuse{
	// layers/dense and layers/loss.
	{"dense: no inputs", func() error {
		_, err := dense.New(graph.NewBuilder(graph.Config{}), dense.Config{Out: 2})
		return err
	}, "In must be > 0, got 0"},
	{"dense: unknown activation", func() error {
		_, err := dense.New(graph.NewBuilder(graph.Config{}), dense.Config{In: 2, Out: 2, Activation: 9})
		return err
	}, "unknown activation"},
	{"dense: wrong input width", func() error {
		b := graph.NewBuilder(graph.Config{})
		d, err := dense.New(b, dense.Config{Name: "h", In: 2, Out: 2})
		if err != nil {
			return err
		}
		d.Apply(b.Input("x", 3, 4))
		return b.Err()
	}, `input "x" has shape (3, 4), want [rows, 2]`},
	{"dense: a layer whose New failed, applied", func() error {
		b := graph.NewBuilder(graph.Config{})
		d, err := dense.New(b, dense.Config{In: 2})
		if d.Apply(b.Input("x", 1, 2)) != nil || d.Params() != nil {
			return nil
		}
		return err
	}, "Out must be > 0"},
	{"embedding: index input not a graph input", func() error {
		b := graph.NewBuilder(graph.Config{})
		e, err := dense.NewEmbedding(b, dense.EmbeddingConfig{Vocab: 4, Dim: 2})
		if err != nil {
			return err
		}
		e.Apply(b.Param("p", []int{4, 1}, graph.Uniform(1)), 0)
		return b.Err()
	}, `index input "p" must be a graph input`},
	{"embedding: index out of range at run time", func() error {
		b := graph.NewBuilder(graph.Config{})
		e, err := dense.NewEmbedding(b, dense.EmbeddingConfig{Vocab: 4, Dim: 2})
		if err != nil {
			return err
		}
		idx := b.Input("sym", 4, 1)
		y := e.Apply(idx, 2)
		return runWith(b, b.Sum(y), map[*G.Node][]float64{idx: {0, 1, 4, 2}})
	}, "row 2 (step 1, sequence 0) has index 4"},
	{"dropout: p = 1", func() error {
		b := graph.NewBuilder(graph.Config{})
		dense.Dropout(b, b.Input("x", 2, 2), 1, rand.New(rand.NewSource(1)))
		return b.Err()
	}, "p must be in [0, 1), got 1"},
	{"dropout: nil random source", func() error {
		b := graph.NewBuilder(graph.Config{})
		dense.Dropout(b, b.Input("x", 2, 2), 0.5, nil)
		return b.Err()
	}, "nil random source"},
	{"cross-entropy: labels of the wrong shape", func() error {
		b := graph.NewBuilder(graph.Config{})
		loss.SoftmaxCrossEntropy(b, b.Input("z", 4, 3), b.Input("labels", 4, 2), b.Input("mask", 4, 1))
		return b.Err()
	}, `labels "labels" has shape (4, 2), want [4, 1]`},
	{"cross-entropy: label out of range at run time", func() error {
		b := graph.NewBuilder(graph.Config{})
		z := b.Param("z", []int{3, 3}, graph.Uniform(1))
		lab, mask := b.Input("labels", 3, 1), b.Input("mask", 3, 1)
		l := loss.SoftmaxCrossEntropy(b, z, lab, mask)
		return runWith(b, l, map[*G.Node][]float64{lab: {0, 1, 3}, mask: {1, 1, 1}})
	}, "row 2 has label 3, want an integer in [0, 3)"},
	{"mse: prediction and target differ in shape", func() error {
		b := graph.NewBuilder(graph.Config{})
		loss.MSE(b, b.Input("y", 4, 3), b.Input("t", 4, 2), b.Input("m", 4, 1))
		return b.Err()
	}, `prediction "y" (4, 3) and target "t" (4, 2) differ in shape`},

	// layers: the fused LSTM with lengths and state.
	{"lstm: lengths of the wrong batch size", func() error {
		b, c, x := lstmWith(2)
		c.SequenceWith(x, 3, layers.SeqOptions{Lengths: b.Input("l", 3, 1)})
		return b.Err()
	}, `Lengths "l" is float64 (3, 1), want float64 [2, 1]`},
	{"lstm: initial state that is not a graph input", func() error {
		b, c, x := lstmWith(2)
		c.SequenceWith(x, 3, layers.SeqOptions{InitS: b.Sigmoid(b.Input("s", 2, 2))})
		return b.Err()
	}, "must be a graph input"},
	{"lstm: initial state of the wrong width", func() error {
		b, c, x := lstmWith(2)
		c.SequenceWith(x, 3, layers.SeqOptions{InitS: b.Input("s", 2, 3)})
		return b.Err()
	}, `InitS "s" is float64 (2, 3), want float64 [2, 2]`},
	{"lstm: a length longer than T at run time", func() error {
		b, c, x := lstmWith(2)
		l := b.Input("l", 2, 1)
		y := c.SequenceWith(x, 3, layers.SeqOptions{Lengths: l}).Cells
		return runWith(b, b.Sum(y), map[*G.Node][]float64{x: make([]float64, 6), l: {3, 4}})
	}, "sequence 1 has length 4"},
	{"lstm: a length of 0 at run time", func() error {
		b, c, x := lstmWith(2)
		l := b.Input("l", 2, 1)
		y := c.SequenceWith(x, 3, layers.SeqOptions{Lengths: l}).Cells
		return runWith(b, b.Sum(y), map[*G.Node][]float64{x: make([]float64, 6), l: {0, 3}})
	}, "sequence 0 has length 0"},
	{"lstm: carried state with the unrolled form", func() error {
		_, err := layers.BuildNet(graph.NewBuilder(graph.Config{}), layers.NetConfig{
			LSTM: layers.Config{Inputs: 1, NumBlocks: 1, CellsPerBlock: 1}, Output: outputConfig(1),
			Unrolled: true, Carry: true}, graph.Shape{T: 2, B: 1, In: 1, Out: 1, TargetSteps: []int{1}})
		return err
	}, "Carry needs the fused form"},

	// train: batches.
	{"train: stack of nothing", func() error { _, err := train.Stack(); return err }, "no sequences"},
	{"train: stack of an empty sequence", func() error {
		_, err := train.Stack(datasets.Sequence{})
		return err
	}, "sequence 0 has no steps"},
	{"train: stack of Targets and Labels mixed", func() error {
		a := datasets.Sequence{Inputs: [][]float64{{1}}, Targets: [][]float64{{1}}}
		c := datasets.Sequence{Inputs: [][]float64{{1}}, Labels: []int{0}, Classes: 2}
		_, err := train.Stack(a, c)
		return err
	}, "(Targets or Labels)"},
	{"train: an empty batch", func() error { _, err := train.Batch{}.Shape(); return err }, "sequence of length 0"},
	{"train: inputs of different widths", func() error {
		_, err := train.Batch{Inputs: [][][]float64{{{1, 2}}, {{1}}}, Targets: [][][]float64{nil, {{1}}}}.Shape()
		return err
	}, "step 1 sequence 0 has 1 inputs, want 2"},
	{"train: a batch of the wrong width for the model", func() error {
		tr, err := train.NewTrainer(train.TrainerConfig{Model: tinyNet(false), Optimizer: sgd()})
		if err != nil {
			return err
		}
		defer tr.Close()
		_, err = tr.Step(train.Batch{Inputs: [][][]float64{{{1, 2}}}, Targets: [][][]float64{{{1}}}})
		return err
	}, "batch has 2 inputs per step, LSTM \"lstm\" wants 1"},
	{"train: a length longer than T", func() error {
		_, err := train.Batch{Inputs: [][][]float64{{{1}}, {{1}}}, Targets: [][][]float64{nil, {{1}}}, Lengths: []int{3}}.Shape()
		return err
	}, "sequence 0 has length 3"},
	{"train: a target in the padding", func() error {
		_, err := train.Batch{Inputs: [][][]float64{{{1}, {1}}, {{1}, {1}}}, Targets: [][][]float64{nil, {{1}, {1}}}, Lengths: []int{2, 1}}.Shape()
		return err
	}, "the step is padding"},
	{"train: a label out of range", func() error {
		_, err := train.Batch{Symbols: [][]int{{0, 1}}, Alphabet: 2, Labels: [][]int{{0, 2}}, Classes: 2}.Shape()
		return err
	}, "step 0 sequence 1 has label 2"},
	{"train: NaN in an input", func() error {
		_, err := train.Batch{Inputs: [][][]float64{{{1}}, {{math.NaN()}}}, Targets: [][][]float64{nil, {{1}}}}.Shape()
		return err
	}, "step 1 sequence 0 input 0 is NaN"},
	{"train: Continue with no state to continue", func() error {
		tr, err := train.NewTrainer(train.TrainerConfig{Model: tinyNet(true), Optimizer: sgd()})
		if err != nil {
			return err
		}
		defer tr.Close()
		_, err = tr.Step(train.Batch{Inputs: [][][]float64{{{1}}}, Targets: [][][]float64{{{1}}}, Continue: true})
		return err
	}, "there is no state to continue"},
	{"train: lengths for a model that takes none", func() error {
		tr, err := train.NewTrainer(train.TrainerConfig{Model: noLengths, Optimizer: sgd()})
		if err != nil {
			return err
		}
		defer tr.Close()
		_, err = tr.Step(train.Batch{Inputs: [][][]float64{{{1}, {1}}, {{1}, {1}}}, Targets: [][][]float64{{{1}, {1}}, {{1}, nil}}, Lengths: []int{2, 1}})
		return err
	}, "the model does not take lengths"},

	{"train: a carried state with a NaN", func() error {
		tr, err := train.NewTrainer(train.TrainerConfig{Model: tinyNet(true), Optimizer: sgd()})
		if err != nil {
			return err
		}
		defer tr.Close()
		return tr.SetCarried(train.Carried{B: 1, Values: [][]float64{{math.NaN()}}})
	}, "carry 0 value 0 is NaN"},

	// train: save and load.
	{"save: nil trainer", func() error { return checkpoint.Save("unused", nil, nil) }, "nil trainer"},
	{"save: a trainer that has built no model", func() error {
		tr, err := train.NewTrainer(train.TrainerConfig{Model: tinyNet(false), Optimizer: sgd()})
		if err != nil {
			return err
		}
		defer tr.Close()
		dir, err := tempDir()
		if err != nil {
			return err
		}
		return checkpoint.Save(dir, tr, nil)
	}, "has no parameters yet"},
	{"load: a checkpoint of another architecture", func() error {
		dir, err := tempDir()
		if err != nil {
			return err
		}
		small, err := trained(tinyNetBlocks(1), dir)
		if err != nil {
			return err
		}
		defer small.Close()
		big, err := train.NewTrainer(train.TrainerConfig{Model: tinyNetBlocks(2), Optimizer: sgd()})
		if err != nil {
			return err
		}
		defer big.Close()
		return checkpoint.Load(dir, big, nil)
	}, "in the source"},
	{"load: config into a non-pointer", func() error {
		dir, err := tempDir()
		if err != nil {
			return err
		}
		tr, err := trained(tinyNetBlocks(1), dir)
		if err != nil {
			return err
		}
		defer tr.Close()
		var cfg struct{ Blocks int }
		return checkpoint.Load(dir, tr, cfg)
	}, "config must be a non-nil pointer"},

	// graph: parameter values.
	{"params: a NaN set into a parameter", func() error {
		ps := graph.NewParamSet()
		graph.NewBuilder(graph.Config{Params: ps}).Param("w", []int{2}, graph.Uniform(1))
		return ps.SetFloat64s("w", []float64{0, math.NaN()})
	}, `parameter "w" value 1 is NaN`},

	// datasets: text.
	{"text: a character outside the vocabulary", func() error {
		v, err := datasets.NewVocabulary("abc")
		if err != nil {
			return err
		}
		_, err = v.Encode("abd")
		return err
	}, `character 'd' at position 2`},
	{"text: a streams state for other streams", func() error {
		text := make([]int, 100)
		a, err := datasets.NewStreams(text, 3, 2, 4, 8, rand.New(rand.NewSource(1)))
		if err != nil {
			return err
		}
		js, err := a.MarshalJSON()
		if err != nil {
			return err
		}
		b, err := datasets.NewStreams(text, 3, 3, 4, 8, rand.New(rand.NewSource(1)))
		if err != nil {
			return err
		}
		return b.UnmarshalJSON(js)
	}, "a state of 2 streams for 3"},
	{"text: streams longer than the text", func() error {
		_, err := datasets.NewStreams(make([]int, 17), 3, 2, 4, 8, rand.New(rand.NewSource(1)))
		return err
	}, "want at least 9"},
}

// runWith compiles loss forward-only, sets the inputs and runs once.
func runWith(b *graph.Builder, l *G.Node, in map[*G.Node][]float64) error {
	if err := b.Err(); err != nil {
		return err
	}
	p, err := vm.Compile(b, l, vm.ForwardOnly())
	if err != nil {
		return err
	}
	defer p.Close()
	for n, v := range in {
		if err := p.Set(n, v); err != nil {
			return err
		}
	}
	return p.Run()
}

// lstmWith returns a builder, an LSTM of 2 blocks of 1 cell on 1 input, and an input x [3·B, 1].
func lstmWith(B int) (*graph.Builder, *layers.Cell, *G.Node) {
	b := graph.NewBuilder(graph.Config{Seed: 1})
	c, _ := layers.NewCell(b, layers.Config{Name: "lstm0", Inputs: 1, NumBlocks: 2, CellsPerBlock: 1})
	return b, c, b.Input("x", 3*B, 1)
}

func sgd() *optim.SGD {
	o, _ := optim.NewSGD(0.1, optim.Clip{})
	return o
}

func outputConfig(units int) output.Config { return output.Config{Units: units} }

// tinyNetBlocks is the paper's net with n blocks of 1 cell on 1 input, 1 output unit.
func tinyNetBlocks(n int) graph.ModelFunc {
	return layers.Net(layers.NetConfig{LSTM: layers.Config{Inputs: 1, NumBlocks: n, CellsPerBlock: 1}, Output: outputConfig(1)})
}

// tinyNet is tinyNetBlocks(1), with the state carried if carry.
func tinyNet(carry bool) graph.ModelFunc {
	return layers.Net(layers.NetConfig{LSTM: layers.Config{Inputs: 1, NumBlocks: 1, CellsPerBlock: 1}, Output: outputConfig(1), Carry: carry})
}

// noLengths is a packed model without Model.Lengths: y = x·w, a masked squared error.
func noLengths(b *graph.Builder, s graph.Shape) (*graph.Model, error) {
	x := b.Input("x", s.T*s.B, s.In)
	w := b.Param("w", []int{s.In, s.Out}, graph.Uniform(0.1))
	y := b.MatMul(x, w)
	t, m := b.Input("target", s.T*s.B, s.Out), b.Input("mask", s.T*s.B, s.Out)
	l := loss.MSE(b, y, t, m)
	return &graph.Model{Inputs: []*G.Node{x}, Targets: []*G.Node{t}, Outputs: []*G.Node{y}, Mask: m, Loss: l, Packed: true}, b.Err()
}

// trained makes a trainer of model, trains it one step and saves it in dir.
func trained(model graph.ModelFunc, dir string) (*train.Trainer, error) {
	tr, err := train.NewTrainer(train.TrainerConfig{Model: model, Optimizer: sgd()})
	if err != nil {
		return nil, err
	}
	if _, err := tr.Step(train.Batch{Inputs: [][][]float64{{{1}}, {{0}}}, Targets: [][][]float64{nil, {{1}}}}); err != nil {
		tr.Close()
		return nil, err
	}
	if err := checkpoint.Save(dir, tr, nil); err != nil {
		tr.Close()
		return nil, err
	}
	return tr, nil
}

// tempDir makes a directory that TestMain removes.
func tempDir() (string, error) { return os.MkdirTemp(scratch, "ck-") }

// scratch holds the checkpoints rows write; TestMain removes it.
var scratch string

func TestMain(m *testing.M) {
	var err error
	if scratch, err = os.MkdirTemp("", "misuse-"); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(scratch)
	os.Exit(code)
}
