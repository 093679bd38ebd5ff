package output_test

import (
	"testing"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/layers/output"
)

// BenchmarkDenseLossRows12Cells6Units7 runs Experiment 1's output layer and masked loss on a
// string of 12 steps: 6 cell outputs, 7 logistic units, forward and backward (the cell outputs
// are a parameter here, so that their gradient is computed as in the network).
func BenchmarkDenseLossRows12Cells6Units7(b *testing.B) { benchDenseLoss(b, 12, 6, 7) }

// BenchmarkDenseLossRows1600Cells256Units8 and BenchmarkDenseLossRows1600Cells64Units8 run the
// output layer of the wide benchmark nets (layers.BenchmarkTrainBlocks256B32T50 and
// ...Blocks64...: 32 sequences of 50 steps, one cell per block, 8 units).
func BenchmarkDenseLossRows1600Cells256Units8(b *testing.B) { benchDenseLoss(b, 1600, 256, 8) }
func BenchmarkDenseLossRows1600Cells64Units8(b *testing.B)  { benchDenseLoss(b, 1600, 64, 8) }

// benchDenseLoss measures the output layer and masked loss, forward and backward, on rows rows
// of cells cell outputs, with units logistic units.
func benchDenseLoss(b *testing.B, rows, cells, units int) {
	gb := graph.NewBuilder(graph.Config{Seed: 1})
	out, err := output.New(gb, output.Config{Units: units, Cells: cells, InitRange: 0.2})
	if err != nil {
		b.Fatal(err)
	}
	h := gb.Param("h", []int{rows, cells}, graph.Uniform(1))
	y := out.Apply(h, nil)
	tg, mask := gb.Input("target", rows, units), gb.Input("mask", rows, units)
	loss := output.MaskedLoss(gb, y, tg, mask, 1)
	p, err := vm.Compile(gb, loss, vm.Watch(y))
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	t, m := make([]float64, rows*units), make([]float64, rows*units)
	for i := range m {
		m[i] = 1
		if i%units == i/units%units {
			t[i] = 1
		}
	}
	if err := p.Set(tg, t); err != nil {
		b.Fatal(err)
	}
	if err := p.Set(mask, m); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Run(); err != nil {
			b.Fatal(err)
		}
	}
}
