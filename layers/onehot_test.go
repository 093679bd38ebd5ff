package layers_test

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/internal/testnets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/train"
)

// symbolBatch returns a batch of random symbols for case c and the same batch with the
// symbols coded as one-hot rows.
func symbolBatch(c testnets.Case, rng *rand.Rand) (symbols, rows train.Batch) {
	dense := c.Batch(rng) // for its targets
	symbols = train.Batch{Alphabet: c.In, Targets: dense.Targets}
	rows = train.Batch{Targets: dense.Targets}
	for t := 0; t < c.T; t++ {
		ks := make([]int, c.B)
		xs := make([][]float64, c.B)
		for b := range ks {
			ks[b] = rng.Intn(c.In)
			xs[b] = make([]float64, c.In)
			xs[b][ks[b]] = 1
		}
		symbols.Symbols = append(symbols.Symbols, ks)
		rows.Inputs = append(rows.Inputs, xs)
	}
	return symbols, rows
}

// TestSymbolsEqualOneHotRows checks that a batch of symbols (train.Batch.Symbols, taken by the
// fused LSTM as indices: Cell.SequenceOneHot) gives bit for bit the outputs, loss and gradients
// of the same batch given as one-hot rows, in both forms, with and without truncation.
func TestSymbolsEqualOneHotRows(t *testing.T) {
	tested := 0
	for ci, c := range testnets.Cases1997 {
		if c.OutFromInputs {
			continue // refused; see TestSymbolsRefused
		}
		for _, form := range forms {
			for _, full := range []bool{false, true} {
				seed := int64(500 + ci)
				symbols, rows := symbolBatch(c, rand.New(rand.NewSource(seed)))
				ps, outs, loss := graphGrads(t, c, form.unrolled, full, seed, symbols)
				wantPs, wantOuts, wantLoss := graphGrads(t, c, form.unrolled, full, seed, rows)
				name := c.Name + "/" + form.name
				if full {
					name += "/full gradient"
				}
				if loss != wantLoss {
					t.Errorf("%s: loss %v with symbols, %v with rows", name, loss, wantLoss)
				}
				for k := range wantOuts {
					for i := range wantOuts[k] {
						if outs[k][i] != wantOuts[k][i] {
							t.Fatalf("%s: output %d value %d: %v with symbols, %v with rows", name, k, i, outs[k][i], wantOuts[k][i])
						}
					}
				}
				nonzero := false
				for pi, p := range wantPs {
					got, want := ps[pi].Grad.Data().([]float64), p.Grad.Data().([]float64)
					for i := range want {
						nonzero = nonzero || want[i] != 0
						if got[i] != want[i] {
							t.Fatalf("%s: gradient of %s [%d]: %v with symbols, %v with rows", name, p.Name, i, got[i], want[i])
						}
					}
				}
				if !nonzero || math.IsNaN(loss) {
					t.Fatalf("%s: all gradients zero or loss NaN: the comparison would be vacuous", name)
				}
				tested++
			}
		}
	}
	if tested < 40 {
		t.Errorf("only %d comparisons", tested)
	}
}

// TestSymbolsRefused checks the errors for symbol batches and one-hot inputs that cannot work.
func TestSymbolsRefused(t *testing.T) {
	c := testnets.Cases1997[4] // no output gate, exp 2a: the output units see the inputs
	if !c.OutFromInputs {
		t.Fatal("case 4 should feed the inputs to the output units")
	}
	symbols, _ := symbolBatch(c, rand.New(rand.NewSource(1)))
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(c.NetConfig(false)), Optimizer: &testnets.CaptureOpt{}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.Step(symbols); err == nil || !strings.Contains(err.Error(), "OutputFromInputs") {
		t.Errorf("symbols into a net whose outputs see the inputs: %v", err)
	}

	b := graph.NewBuilder(graph.Config{Seed: 1})
	cell, err := layers.NewCell(b, layers.Config{Name: "l", Inputs: 3, NumBlocks: 1, CellsPerBlock: 1})
	if err != nil {
		t.Fatal(err)
	}
	x := b.Input("x", 4, 3)
	if cell.SequenceOneHot(x, 2); b.Err() == nil || !strings.Contains(b.Err().Error(), "want [T·batch, 1]") {
		t.Errorf("index input of width 3: %v", b.Err())
	}

	// Indices that reach the op without Batch.Shape's check: the run fails and names the row.
	b = graph.NewBuilder(graph.Config{Seed: 1})
	m, err := layers.BuildNet(b, layers.NetConfig{LSTM: layers.Config{Inputs: 3, NumBlocks: 1, CellsPerBlock: 1}, Output: output.Config{Units: 1}},
		graph.Shape{T: 2, B: 2, In: 3, Out: 1, TargetSteps: []int{1}, OneHot: true})
	if err != nil {
		t.Fatal(err)
	}
	p, err := vm.Compile(b, m.Loss)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Set(m.Lengths, []float64{2, 2}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		idx  []float64
		want string
	}{
		{[]float64{0, 1, 2, 3}, "row 3 (step 1, sequence 1) has index 3, want an integer in [0, 3)"},
		{[]float64{0, 1.5, 2, 0}, "row 1 (step 0, sequence 1) has index 1.5"},
		{[]float64{-1, 0, 0, 0}, "row 0 (step 0, sequence 0) has index -1"},
	} {
		if err := p.Set(m.Inputs[0], tc.idx); err != nil {
			t.Fatal(err)
		}
		// A row per target step (step 1 of the two sequences): see Net.
		if err := p.Set(m.Targets[0], make([]float64, 2)); err != nil {
			t.Fatal(err)
		}
		if err := p.Set(m.Mask, []float64{1, 1}); err != nil {
			t.Fatal(err)
		}
		if err := p.Run(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("indices %v: %v, want %q", tc.idx, err, tc.want)
		}
	}
	if err := p.Set(m.Inputs[0], []float64{0, 1, 2, 0}); err != nil {
		t.Fatal(err)
	}
	if err := p.Run(); err != nil {
		t.Errorf("valid indices after bad ones: %v", err)
	}
}
