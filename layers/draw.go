package layers

import (
	"fmt"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/graph"
)

// The fused LSTM node (Cell.Sequence) is a graph.Unfolder: package dot draws one time step of
// a fused model (the memory cell of the paper's Fig. 1) from the nodes Cell.Step builds for it,
// so the model a user trains can be drawn without building it a second time unrolled.

// Unfold describes the fused LSTM's time steps (graph.Unfolder): T steps whose input x(t) is
// [B, Inputs], one-hot rows for SequenceOneHot.
func (op *seqOp) Unfold() graph.UnfoldInfo {
	info := graph.UnfoldInfo{Steps: op.T, Batch: op.B, Width: op.cell.cfg.Inputs}
	if op.hot {
		info.Label = "x(t) one-hot"
	}
	return info
}

// UnfoldStep builds time step step of the fused LSTM in b as Cell.Step builds it in an
// unrolled net (graph.Unfolder): the parameters of a cell of the same Config (the same names,
// "<Name>/cell/wx", ...), and the step's nodes reading x [B, Inputs] and, after step 0, the
// previous step's state from inputs "<Name>/t<step-1>/cell/s" (s(t-1) [B, NumCells]) and
// "<Name>/t<step-1>/y" (y(t-1) [B, NumSources()], absent with NoRecurrence). It returns the
// cell outputs y^c(t) [B, NumCells] (eq. 9's y^c = y^out h(s)). Step 0 starts from the reset
// state, as Sequence without an initial state does.
func (op *seqOp) UnfoldStep(b *graph.Builder, x *G.Node, step int) (*G.Node, error) {
	if step < 0 || step >= op.T {
		return nil, errors.Errorf("layers: %v: step %d outside [0,%d)", op, step, op.T)
	}
	cfg := op.cell.cfg
	c, err := NewCell(b, cfg)
	if err != nil {
		return nil, errors.Wrapf(err, "layers: %v: step %d", op, step)
	}
	var prev State
	if step > 0 {
		pb := c.b.Scope(fmt.Sprintf("t%d", step-1))
		prev.S = pb.Scope("cell").Input("s", op.B, cfg.NumCells())
		b.Annotate(prev.S, "s(t-1)", graph.RoleCellState)
		if !cfg.NoRecurrence {
			prev.Y = pb.Input("y", op.B, cfg.NumSources())
			label := "y(t-1)"
			if cfg.CellsOnlyRecurrence {
				label = "y_c(t-1)"
			}
			b.Annotate(prev.Y, label, graph.RoleNone)
			prev.Cells = prev.Y // read instead of Y with CellsOnlyRecurrence, where Y is y^c
		}
	}
	st := c.Step(x, prev, step)
	if err := b.Err(); err != nil {
		return nil, errors.Wrapf(err, "layers: %v: step %d", op, step)
	}
	return st.Cells, nil
}
