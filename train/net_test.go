package train_test

import (
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/train"
)

// TestNetLengthsAndCarry runs the paper's network (layers.Net) through the trainer: a
// sequence padded in a batch gives the outputs it gives alone, and a sequence cut into chunks
// that continue one another (Batch.Continue) gives the outputs it gives whole.
func TestNetLengthsAndCarry(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	seq := func(n int) datasets.Sequence {
		s := datasets.Sequence{Inputs: make([][]float64, n), Targets: make([][]float64, n)}
		for i := range s.Inputs {
			s.Inputs[i] = []float64{rng.Float64() - 0.5, rng.Float64() - 0.5}
			s.Targets[i] = []float64{0.5}
		}
		return s
	}
	cfg := layers.NetConfig{LSTM: layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 2}, Output: output.Config{Units: 1, Bias: true}, Carry: true}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(cfg), Optimizer: sgd(0.1), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	eval := func(cont bool, seqs ...datasets.Sequence) train.Result {
		t.Helper()
		bt, err := train.Stack(seqs...)
		if err != nil {
			t.Fatal(err)
		}
		bt.Continue = cont
		r, err := tr.Evaluate(bt)
		if err != nil {
			t.Fatal(err)
		}
		// The next evaluation of the same shape reuses r's rows (Result.Outputs): keep a copy.
		outs := make([][][]float64, len(r.Outputs))
		for k, rows := range r.Outputs {
			for _, y := range rows {
				if y != nil {
					y = slices.Clone(y)
				}
				outs[k] = append(outs[k], y)
			}
		}
		r.Outputs = outs
		return r
	}
	worst := 0.0
	same := func(what string, got, want []float64) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %v, want %v", what, got, want)
		}
		for i := range got {
			d := math.Abs(got[i] - want[i])
			worst = math.Max(worst, d)
			if d > 1e-12 {
				t.Errorf("%s: %v, want %v", what, got, want)
			}
		}
	}
	seqs := []datasets.Sequence{seq(5), seq(2), seq(4)}
	padded := eval(false, seqs...)
	for b, s := range seqs {
		alone := eval(false, s)
		for k := range alone.Outputs {
			same("padded vs alone", padded.Outputs[k][b], alone.Outputs[k][0])
		}
		for k := s.Len(); k < len(padded.Outputs); k++ {
			if padded.Outputs[k][b] != nil {
				t.Errorf("sequence %d of length %d has an output at padded step %d", b, s.Len(), k)
			}
		}
	}
	whole := seq(6)
	first := datasets.Sequence{Inputs: whole.Inputs[:3], Targets: whole.Targets[:3]}
	second := datasets.Sequence{Inputs: whole.Inputs[3:], Targets: whole.Targets[3:]}
	w := eval(false, whole)
	a, b := eval(false, first), eval(true, second)
	for k := 0; k < 6; k++ {
		r, j := a, k
		if k >= 3 {
			r, j = b, k-3
		}
		same("chunks vs whole", r.Outputs[j][0], w.Outputs[k][0])
	}
	t.Logf("largest difference %g", worst)
}
