package layers_test

import (
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/layers"
)

// TestStepNotes checks the notes Cell.Step gives the state, cell output and y(t) nodes, which
// package dot draws: the CEC keeps its cell-state note when h is the identity (then y_c, without
// an output gate, is the state node itself), and y(t) names the parts actually concatenated.
func TestStepNotes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   layers.Config
		cells string // the note of the cell output node
		y     string
	}{
		{"paper's cell", layers.Config{Inputs: 2, NumBlocks: 1, CellsPerBlock: 2}, "y_c = y_out · h(s)", "y(t) = [y_c, y_in, y_out]"},
		{"Exp. 2a: h identity, no output gate", layers.Config{Inputs: 2, NumBlocks: 1, CellsPerBlock: 1, Biases: layers.BiasNone,
			NoOutputGate: true, NoRecurrence: true, G: layers.SquashLogistic, H: layers.SquashIdentity}, "s(t) = s(t-1) + y_in·g", "y(t) = [y_c, y_in]"},
		{"no output gate", layers.Config{Inputs: 2, NumBlocks: 1, CellsPerBlock: 1, NoOutputGate: true}, "h(s)", "y(t) = [y_c, y_in]"},
		{"h identity, output gate", layers.Config{Inputs: 2, NumBlocks: 1, CellsPerBlock: 1, H: layers.SquashIdentity}, "y_c = y_out · h(s)", "y(t) = [y_c, y_in, y_out]"},
		{"h' offset, no output gate", layers.Config{Inputs: 2, NumBlocks: 1, CellsPerBlock: 1, NoOutputGate: true, H: layers.SquashIdentity,
			HPrimeOffset: 0.1}, "h(s), h' offset", "y(t) = [y_c, y_in]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := graph.NewBuilder(graph.Config{Seed: 1})
			c, err := layers.NewCell(b, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			x0, x1 := b.Input("x/t0", 1, 2), b.Input("x/t1", 1, 2)
			st0 := c.Step(x0, layers.State{}, 0)
			st1 := c.Step(x1, st0, 1)
			if err := b.Err(); err != nil {
				t.Fatal(err)
			}
			notes := map[*G.Node]graph.Note{}
			for _, n := range b.Inspect() {
				notes[n.Node] = n.Note
			}
			if got := notes[st1.S]; got.Label != "s(t) = s(t-1) + y_in·g" || got.Role != graph.RoleCellState {
				t.Errorf("s(1) note %+v, want the CEC's with role cell state", got)
			}
			if got := notes[st0.S]; got.Label != "s(t) = y_in·g  (s(t-1) = 0)" || got.Role != graph.RoleCellState {
				t.Errorf("s(0) note %+v, want the CEC's with role cell state", got)
			}
			if got := notes[st1.Cells].Label; got != tc.cells {
				t.Errorf("y_c note %q, want %q", got, tc.cells)
			}
			if got := notes[st1.Y].Label; got != tc.y {
				t.Errorf("y(t) note %q, want %q", got, tc.y)
			}
		})
	}
}

// TestNilCell: every method of a nil *Cell returns nil or zero results without panicking.
func TestNilCell(t *testing.T) {
	var c *layers.Cell
	b := graph.NewBuilder(graph.Config{})
	x := b.Input("x", 4, 2)
	if p := c.Params(); p != nil {
		t.Errorf("Params() = %v, want nil", p)
	}
	if n := c.NumWeights(); n != 0 {
		t.Errorf("NumWeights() = %d, want 0", n)
	}
	if cfg := c.Config(); cfg.Inputs != 0 || cfg.Name != "" {
		t.Errorf("Config() = %+v, want the zero Config", cfg)
	}
	if st := c.Step(x, layers.State{}, 0); st != (layers.State{}) {
		t.Errorf("Step = %+v, want the zero State", st)
	}
	if sts := c.Unroll([]*G.Node{x}); sts != nil {
		t.Errorf("Unroll = %v, want nil", sts)
	}
	if y := c.Sequence(x, 2); y != nil {
		t.Errorf("Sequence = %v, want nil", y)
	}
	if y := c.SequenceOneHot(x, 2); y != nil {
		t.Errorf("SequenceOneHot = %v, want nil", y)
	}
	if r := c.SequenceWith(x, 2, layers.SeqOptions{Final: true}); r != (layers.SeqResult{}) {
		t.Errorf("SequenceWith = %+v, want the zero SeqResult", r)
	}
	if err := b.Err(); err != nil {
		t.Errorf("builder error %v after calls on a nil Cell, want none (there is no builder of the cell's)", err)
	}
}
