package train_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/internal/testmodel"
	"github.com/lstm97/lstm97/train"
)

// sumModel predicts, at the last step, y = Σ_t x(t)·w + c: a linear model over an unrolled
// sequence whose parameters do not depend on the length.
func sumModel(b *graph.Builder, s graph.Shape) (*graph.Model, error) {
	w := b.Param("w", []int{s.In, s.Out}, graph.Uniform(0.1))
	c := b.Param("c", []int{1, s.Out}, graph.Uniform(0.1))
	m := &graph.Model{}
	var acc *G.Node
	for t := 0; t < s.T; t++ {
		x := b.Scope("x").Input(fmt.Sprintf("t%d", t), s.B, s.In)
		m.Inputs = append(m.Inputs, x)
		if acc == nil {
			acc = b.MatMul(x, w)
		} else {
			acc = b.Add(acc, b.MatMul(x, w))
		}
	}
	y := b.AddBias(acc, c)
	tg := b.Scope("target").Input(fmt.Sprintf("t%d", s.T-1), s.B, s.Out)
	m.Outputs, m.Targets = []*G.Node{y}, []*G.Node{tg}
	m.Loss = b.Scale(b.Sum(b.Square(b.Sub(tg, y))), 0.5/float64(s.B))
	return m, b.Err()
}

// sgd is a minimal optimizer for these tests (optim is tested on its own).
type sgd float64

func (lr sgd) Step(ps []vm.Param) error {
	for _, p := range ps {
		w, g := p.Value.Data().([]float64), p.Grad.Data().([]float64)
		for i := range w {
			w[i] -= float64(lr) * g[i]
		}
	}
	return nil
}

// sumSource yields sequences of random length 3..5 whose target is 2·Σx1 - Σx2 + 0.5.
type sumSource struct{ rng *rand.Rand }

func (s sumSource) Next() (train.Batch, error) {
	T := 3 + s.rng.Intn(3)
	seq := datasets.Sequence{Inputs: make([][]float64, T), Targets: make([][]float64, T)}
	y := 0.5
	for t := range seq.Inputs {
		x := []float64{s.rng.Float64() - 0.5, s.rng.Float64() - 0.5}
		seq.Inputs[t] = x
		y += 2*x[0] - x[1]
	}
	seq.Targets[T-1] = []float64{y}
	return train.Stack(seq)
}

func TestTrainerLearnsAndCachesPerLength(t *testing.T) {
	tr, err := train.NewTrainer(train.TrainerConfig{Model: sumModel, Optimizer: sgd(0.1), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var last []float64
	steps := 0
	n, err := tr.Run(sumSource{rand.New(rand.NewSource(2))}, 3000, func(seen int, _ train.Batch, r train.Result) error {
		steps++
		if seen > 2900 {
			last = append(last, r.Loss)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 3000 || steps != 3000 || tr.Seen() != 3000 {
		t.Errorf("seen %d, hook calls %d", n, steps)
	}
	for _, l := range last {
		if l > 1e-6 {
			t.Fatalf("loss %v after 2900 sequences, want ~0", l)
		}
	}
	w, _ := tr.Params().Float64s("w")
	c, _ := tr.Params().Float64s("c")
	if math.Abs(w[0]-2) > 1e-3 || math.Abs(w[1]+1) > 1e-3 || math.Abs(c[0]-0.5) > 1e-3 {
		t.Errorf("learned w=%v c=%v, want [2 -1] 0.5", w, c)
	}
	if got := tr.Programs(); got != 3 {
		t.Errorf("%d programs cached, want one per length (3)", got)
	}
	if got := tr.Compiles(); got != 3 {
		t.Errorf("%d programs compiled, want one per length (3)", got)
	}
}

// TestTrainerRecompilesBeyondMaxPrograms: with fewer programs kept than the stream has lengths,
// the cache stays within its bound and the evicted lengths are compiled again when they come
// back (which Compiles shows); the numbers learned are the same either way.
func TestTrainerRecompilesBeyondMaxPrograms(t *testing.T) {
	run := func(max int) *train.Trainer {
		tr, err := train.NewTrainer(train.TrainerConfig{Model: sumModel, Optimizer: sgd(0.1), Seed: 1, MaxPrograms: max})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Run(sumSource{rand.New(rand.NewSource(2))}, 300, nil); err != nil {
			t.Fatal(err)
		}
		return tr
	}
	all, two := run(3), run(2)
	defer all.Close()
	defer two.Close()
	if all.Compiles() != 3 || two.Programs() != 2 || two.Compiles() <= 3 {
		t.Errorf("3 kept: %d compiled; 2 kept: %d cached, %d compiled (want 3; 2 and more than 3)", all.Compiles(), two.Programs(), two.Compiles())
	}
	for _, name := range []string{"w", "c"} {
		a, _ := all.Params().Float64s(name)
		b, _ := two.Params().Float64s(name)
		for i := range a {
			if a[i] != b[i] {
				t.Errorf("%s[%d]: %v with 3 programs kept, %v with 2", name, i, a[i], b[i])
			}
		}
	}
}

// TestPackedLayoutsMustAgree: a packed model's targets, outputs and mask have a row per step or
// all three a row per target step; a model mixing the two is refused with an error that names
// both shapes.
func TestPackedLayoutsMustAgree(t *testing.T) {
	mixed := func(b *graph.Builder, s graph.Shape) (*graph.Model, error) {
		w := b.Param("w", []int{s.In, s.Out}, graph.Uniform(0.1))
		x := b.Input("x", s.T*s.B, s.In)
		y := b.MatMul(x, w) // a row per step
		k := len(s.TargetSteps) * s.B
		tg, mask := b.Input("target", k, s.Out), b.Input("mask", k, s.Out) // a row per target step
		m := &graph.Model{Packed: true, Inputs: []*G.Node{x}, Outputs: []*G.Node{y}, Targets: []*G.Node{tg}, Mask: mask}
		m.Loss = b.Sum(b.Square(y))
		return m, b.Err()
	}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: mixed, Optimizer: sgd(0.1)})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	bt, err := sumSource{rand.New(rand.NewSource(2))}.Next()
	if err != nil {
		t.Fatal(err)
	}
	s, _ := bt.Shape()
	_, err = tr.Step(bt)
	for _, want := range []string{
		fmt.Sprintf("packed model output has shape (%d, %d)", s.T*s.B, s.Out),
		fmt.Sprintf("want (%d, %d) (a row per step)", s.T*s.B, s.Out),
		fmt.Sprintf("(%d, %d) (a row per target step)", len(s.TargetSteps)*s.B, s.Out),
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("mixed layouts: %v, want an error saying %q", err, want)
		}
	}
}

func TestTrainerStopsOnErrStopAndHookError(t *testing.T) {
	tr, _ := train.NewTrainer(train.TrainerConfig{Model: sumModel, Optimizer: sgd(0.1)})
	defer tr.Close()
	n, err := tr.Run(sumSource{rand.New(rand.NewSource(2))}, 0, func(seen int, _ train.Batch, _ train.Result) error {
		if seen == 5 {
			return train.ErrStop
		}
		return nil
	})
	if err != nil || n != 5 {
		t.Errorf("ErrStop: n=%d err=%v", n, err)
	}
	boom := errors.New("boom")
	_, err = tr.Run(sumSource{rand.New(rand.NewSource(2))}, 0, func(int, train.Batch, train.Result) error { return boom })
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "hook after 6 sequences") {
		t.Errorf("hook error: %v", err)
	}
}

func TestEvaluateDoesNotTrain(t *testing.T) {
	tr, _ := train.NewTrainer(train.TrainerConfig{Model: sumModel, Optimizer: sgd(0.1), Seed: 4})
	defer tr.Close()
	bt, _ := sumSource{rand.New(rand.NewSource(3))}.Next()
	r1, err := tr.Evaluate(bt)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := tr.Params().Float64s("w")
	r2, _ := tr.Evaluate(bt)
	after, _ := tr.Params().Float64s("w")
	if r1.Loss != r2.Loss || before[0] != after[0] || tr.Seen() != 0 {
		t.Errorf("evaluate changed something: %v %v %v %v", r1.Loss, r2.Loss, before, after)
	}
	r3, err := tr.Step(bt)
	if err != nil {
		t.Fatal(err)
	}
	if r3.Loss != r1.Loss {
		t.Errorf("train step loss %v, evaluate loss %v: the same weights should give the same loss", r3.Loss, r1.Loss)
	}
}

// countingOpt counts its calls: bad batches must never reach it.
type countingOpt struct{ calls int }

func (o *countingOpt) Step([]vm.Param) error { o.calls++; return nil }

func TestBadBatches(t *testing.T) {
	opt := &countingOpt{}
	tr, _ := train.NewTrainer(train.TrainerConfig{Model: sumModel, Optimizer: opt})
	defer tr.Close()
	good := train.Batch{Inputs: [][][]float64{{{1, 2}}, {{3, 4}}}, Targets: [][][]float64{nil, {{1}}}}
	for _, tc := range []struct {
		name string
		bt   train.Batch
		want string
	}{
		{"empty", train.Batch{}, "sequence of length 0"},
		{"no targets", train.Batch{Inputs: good.Inputs}, "no step has a target"},
		{"ragged width", train.Batch{Inputs: [][][]float64{{{1, 2}}, {{3}}}, Targets: good.Targets}, "step 1 sequence 0 has 1 inputs, want 2"},
		{"ragged batch", train.Batch{Inputs: [][][]float64{{{1, 2}}, {{3, 4}, {5, 6}}}, Targets: good.Targets}, "step 1 has 2 sequences"},
		{"NaN input", train.Batch{Inputs: [][][]float64{{{1, math.NaN()}}, {{3, 4}}}, Targets: good.Targets}, "step 0 sequence 0 input 1 is NaN"},
		{"Inf target", train.Batch{Inputs: good.Inputs, Targets: [][][]float64{nil, {{math.Inf(1)}}}}, "target 0 is +Inf"},
		{"inputs and symbols", train.Batch{Inputs: good.Inputs, Symbols: [][]int{{0}, {1}}, Alphabet: 2, Targets: good.Targets}, "both Inputs and Symbols"},
		{"symbol out of range", train.Batch{Symbols: [][]int{{0}, {2}}, Alphabet: 2, Targets: good.Targets}, "step 1 sequence 0 has symbol 2, want one in [0, 2)"},
		{"negative symbol", train.Batch{Symbols: [][]int{{-1}, {0}}, Alphabet: 2, Targets: good.Targets}, "step 0 sequence 0 has symbol -1"},
		{"no alphabet", train.Batch{Symbols: [][]int{{0}, {0}}, Targets: good.Targets}, "alphabet of 0"},
		{"ragged symbols", train.Batch{Symbols: [][]int{{0}, {0, 1}}, Alphabet: 2, Targets: good.Targets}, "step 1 has 2 sequences"},
		{"empty symbols", train.Batch{Symbols: [][]int{}, Alphabet: 2}, "sequence of length 0"},
		{"symbols without targets", train.Batch{Symbols: [][]int{{0}, {1}}, Alphabet: 2}, "no step has a target"},
	} {
		if _, err := tr.Step(tc.bt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	if opt.calls != 0 {
		t.Errorf("optimizer called %d times on bad batches", opt.calls)
	}
	// Huge inputs overflow the loss to +Inf: the step is refused and nothing changes.
	huge := train.Batch{Inputs: [][][]float64{{{1e300, 1e300}}, {{1e300, 1e300}}}, Targets: good.Targets}
	if _, err := tr.Evaluate(good); err != nil { // builds the parameters
		t.Fatal(err)
	}
	before, _ := tr.Params().Float64s("w")
	if _, err := tr.Step(huge); err == nil || !strings.Contains(err.Error(), "not finite") {
		t.Errorf("overflow: err = %v", err)
	}
	after, _ := tr.Params().Float64s("w")
	if opt.calls != 0 || before[0] != after[0] {
		t.Error("a non-finite step reached the optimizer")
	}
}

func TestStack(t *testing.T) {
	a := datasets.Sequence{Inputs: [][]float64{{1}, {2}}, Targets: [][]float64{nil, {3}}}
	b := datasets.Sequence{Inputs: [][]float64{{4}, {5}}, Targets: [][]float64{nil, {6}}}
	bt, err := train.Stack(a, b)
	if err != nil {
		t.Fatal(err)
	}
	s, err := bt.Shape()
	if err != nil || s.T != 2 || s.B != 2 || s.In != 1 || s.Out != 1 || fmt.Sprint(s.TargetSteps) != "[1]" {
		t.Errorf("shape %+v err %v", s, err)
	}
	if bt.Inputs[1][1][0] != 5 || bt.Targets[1][1][0] != 6 {
		t.Errorf("batch %+v", bt)
	}
	if bt.Lengths != nil {
		t.Errorf("sequences of equal length: Lengths %v, want nil", bt.Lengths)
	}
	// Sequences may have targets at different steps: a step's target is nil for the others.
	d := datasets.Sequence{Inputs: [][]float64{{1}, {2}}, Targets: [][]float64{{0}, {3}}}
	bt, err = train.Stack(a, d)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(bt.Targets); got != "[[[] [0]] [[3] [3]]]" || bt.Targets[0][0] != nil {
		t.Errorf("targets at different steps: %v", got)
	}
}

func TestStackSymbols(t *testing.T) {
	a := datasets.Sequence{Symbols: []int{0, 2}, Alphabet: 3, Targets: [][]float64{nil, {3}}}
	b := datasets.Sequence{Symbols: []int{1, 1}, Alphabet: 3, Targets: [][]float64{nil, {6}}}
	bt, err := train.Stack(a, b)
	if err != nil {
		t.Fatal(err)
	}
	s, err := bt.Shape()
	if err != nil || s.T != 2 || s.B != 2 || s.In != 3 || s.Out != 1 || !s.OneHot || fmt.Sprint(s.TargetSteps) != "[1]" {
		t.Errorf("shape %+v err %v", s, err)
	}
	if fmt.Sprint(bt.Symbols) != "[[0 1] [2 1]]" || bt.Inputs != nil || bt.Targets[1][1][0] != 6 {
		t.Errorf("batch %+v", bt)
	}
	for _, tc := range []struct {
		name string
		seqs []datasets.Sequence
		want string
	}{
		{"rows and symbols", []datasets.Sequence{a, {Inputs: [][]float64{{1}, {2}}, Targets: a.Targets}}, "code their inputs differently"},
		{"symbols and rows", []datasets.Sequence{{Inputs: [][]float64{{1}, {2}}, Targets: a.Targets}, a}, "code their inputs differently"},
		{"both in one", []datasets.Sequence{a, {Symbols: []int{0, 1}, Alphabet: 3, Inputs: [][]float64{{1}, {2}}, Targets: a.Targets}}, "sequence 1 has both Inputs and Symbols"},
		{"alphabets", []datasets.Sequence{a, {Symbols: []int{0, 1}, Alphabet: 4, Targets: a.Targets}}, "alphabet of 4 symbols, sequence 0 of 3"},
		{"empty", []datasets.Sequence{a, {Symbols: []int{}, Alphabet: 3}}, "sequence 1 has no steps"},
	} {
		if _, err := train.Stack(tc.seqs...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestStepAfterClose: Close releases the programs, and a later step or evaluation of a shape
// seen before compiles it anew instead of running a closed program.
func TestStepAfterClose(t *testing.T) {
	tr, err := train.NewTrainer(train.TrainerConfig{Model: testmodel.Linear, Optimizer: sgd(0.01), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	bt := linearBatch(t, rand.New(rand.NewSource(1)), 1, 1)
	for round := 0; round < 2; round++ {
		if _, err := tr.Step(bt); err != nil {
			t.Fatalf("round %d: step: %v", round, err)
		}
		if _, err := tr.Evaluate(bt); err != nil {
			t.Fatalf("round %d: evaluate: %v", round, err)
		}
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if got := tr.Compiles(); got != 4 {
		t.Errorf("%d programs compiled, want 4 (training and evaluation, twice)", got)
	}
}

// filtering is an optimizer that drops the first parameter from its slice in place (the
// keep := ps[:0] idiom) and records the names it was given.
type filtering struct{ seen []string }

func (f *filtering) Step(ps []vm.Param) error {
	names := ""
	for _, p := range ps {
		names += p.Name + " "
	}
	f.seen = append(f.seen, names)
	keep := ps[:0]
	keep = append(keep, ps[1:]...)
	_ = keep
	return nil
}

// TestOptimizerCannotChangeTheNextStepsParameters: whatever an optimizer does with its slice,
// the next step hands it every parameter again, in order.
func TestOptimizerCannotChangeTheNextStepsParameters(t *testing.T) {
	f := &filtering{}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: sumModel, Optimizer: f, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	src := sumSource{rand.New(rand.NewSource(1))}
	bt, err := src.Next()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := tr.Step(bt); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.seen) != 3 || f.seen[0] != "w c " {
		t.Fatalf("the optimizer saw %q, want 3 steps of \"w c \"", f.seen)
	}
	for i, names := range f.seen {
		if names != f.seen[0] {
			t.Fatalf("step %d: the optimizer got %q, at step 0 %q", i, names, f.seen[0])
		}
	}
}
