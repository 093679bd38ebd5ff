package layers

import (
	"fmt"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/layers/output"
)

// NetConfig is the paper's network (Sec. 4): an input layer, one LSTM layer and a layer of
// output units, trained with the paper's error (Loss).
type NetConfig struct {
	LSTM Config
	// Output configures the output layer. Its Cells field is set from LSTM, and its Inputs
	// from LSTM.Inputs when OutputFromInputs is true.
	Output output.Config
	// OutputFromInputs connects the inputs to the output units too (connectivity "B").
	OutputFromInputs bool
	// Unrolled builds the LSTM as one group of gorgonia nodes per time step (Cell.Unroll), with
	// every gate, state and truncation visible as a node, instead of the default: one fused
	// node for the whole sequence (Cell.Sequence) and the packed model layout. Both compute
	// the same numbers; the fused form is orders of magnitude faster.
	Unrolled bool
	// Carry makes the LSTM's state carry over from one batch to the next, for streams
	// processed in chunks (graph.Model.Carry): graph inputs "<LSTM.Name>/init/s" [B, NumCells]
	// and "<LSTM.Name>/init/y" [B, NumSources()] (no y with NoRecurrence) are the state before
	// step 0, and the final-state nodes of Cell.SequenceWith the state after each sequence's
	// last step. No gradient crosses a chunk boundary (see SequenceWith). Needs the fused form.
	Carry bool
}

// NetModel is what Net builds for one batch shape, for callers that want the nodes.
type NetModel struct {
	graph.Model
	Cell   *Cell
	Out    *output.Layer
	States []State
}

// Net returns a graph.ModelFunc that builds the network for a batch shape. By default that is
// the packed layout: one input node "x" [T·B, Inputs] (for a batch of symbols, graph.Shape.OneHot,
// "x" [T·B, 1] holding the symbol indices; see Cell.SequenceOneHot), an input "lengths" [B, 1]
// (graph.Model.Lengths: steps after a sequence's length are padding), the fused LSTM, the
// output units and a masked loss. The output units are computed at the target steps only
// when there are fewer target steps than steps (output.Layer.ApplyRows): the output, "target" and
// "mask" nodes then have a row per target step and sequence, [len(TargetSteps)·B, Units], in
// graph.Model's second packed layout; otherwise [T·B, Units]. With Unrolled it is input nodes
// "x/t<step>" [B, Inputs], the unrolled LSTM, output units at the target steps and target
// nodes "target/t<step>" [B, Units], and the loss.
func Net(cfg NetConfig) graph.ModelFunc {
	return func(b *graph.Builder, s graph.Shape) (*graph.Model, error) {
		m, err := BuildNet(b, cfg, s)
		if err != nil {
			return nil, err
		}
		return &m.Model, nil
	}
}

// BuildNet builds the network of Net and returns all its parts.
func BuildNet(b *graph.Builder, cfg NetConfig, s graph.Shape) (*NetModel, error) {
	if cfg.LSTM.Name == "" {
		cfg.LSTM.Name = "lstm"
	}
	if s.In != cfg.LSTM.Inputs {
		return nil, errors.Errorf("layers: net: batch has %d inputs per step, LSTM %q wants %d", s.In, cfg.LSTM.Name, cfg.LSTM.Inputs)
	}
	if s.Out != cfg.Output.Units {
		return nil, errors.Errorf("layers: net: batch has %d targets per step, output layer has %d units", s.Out, cfg.Output.Units)
	}
	if s.T <= 0 || s.B <= 0 {
		return nil, errors.Errorf("layers: net: invalid shape T=%d B=%d", s.T, s.B)
	}
	cell, err := NewCell(b, cfg.LSTM)
	if err != nil {
		return nil, err
	}
	oc := cfg.Output
	oc.Cells = cell.cfg.NumCells()
	if cfg.OutputFromInputs {
		oc.Inputs = cfg.LSTM.Inputs
	}
	out, err := output.New(b, oc)
	if err != nil {
		return nil, err
	}
	m := &NetModel{Cell: cell, Out: out}
	if cfg.Carry && cfg.Unrolled {
		return nil, errors.Errorf("layers: net: Carry needs the fused form, but Unrolled is set")
	}
	if !cfg.Unrolled {
		var x *G.Node
		opt := SeqOptions{OneHot: s.OneHot, Final: cfg.Carry}
		if s.OneHot {
			if cfg.OutputFromInputs {
				return nil, errors.Errorf("layers: net: a batch of symbols (one-hot inputs) cannot feed the output units directly (OutputFromInputs); give it as Inputs")
			}
			x = b.Input("x", s.T*s.B, 1)
		} else {
			x = b.Input("x", s.T*s.B, s.In)
		}
		m.Lengths = b.Input("lengths", s.B, 1)
		opt.Lengths = m.Lengths
		if cfg.Carry {
			ib := b.Scope(cell.cfg.Name).Scope("init")
			opt.InitS = ib.Input("s", s.B, cell.cfg.NumCells())
			if !cell.cfg.NoRecurrence {
				opt.InitY = ib.Input("y", s.B, cell.cfg.NumSources())
			}
		}
		seq := cell.SequenceWith(x, s.T, opt)
		y := seq.Cells
		if cfg.Carry && y != nil {
			m.Carry = []graph.Carry{{Init: opt.InitS, Final: seq.FinalS}}
			if opt.InitY != nil {
				m.Carry = append(m.Carry, graph.Carry{Init: opt.InitY, Final: seq.FinalY})
			}
		}
		var xo *G.Node // the inputs as seen by the output units (connectivity B)
		if cfg.OutputFromInputs {
			xo = x
		}
		m.Packed = true
		m.Inputs = []*G.Node{x}
		n := s.T * s.B // rows of the outputs, targets and mask
		if len(s.TargetSteps) > 0 && len(s.TargetSteps) < s.T {
			// Outputs at the target steps only (graph.Model's second packed layout): most
			// of the paper's tasks have a target at the last step alone.
			var rows []int
			for _, t := range s.TargetSteps {
				if t < 0 || t >= s.T {
					return nil, errors.Errorf("layers: net: target step %d outside [0,%d)", t, s.T)
				}
				for i := 0; i < s.B; i++ {
					rows = append(rows, t*s.B+i)
				}
			}
			n = len(rows)
			m.Outputs = []*G.Node{out.ApplyRows(y, xo, rows)}
		} else {
			m.Outputs = []*G.Node{out.Apply(y, xo)}
		}
		m.Targets = []*G.Node{b.Input("target", n, s.Out)}
		m.Mask = b.Input("mask", n, s.Out)
		m.Loss = output.MaskedLoss(b, m.Outputs[0], m.Targets[0], m.Mask, s.B)
		m.Separable = true // 1/B · Σ over the sequences, each computed on its own
		if err := b.Err(); err != nil {
			return nil, err
		}
		return m, nil
	}
	xs := b.Scope("x")
	for t := 0; t < s.T; t++ {
		m.Inputs = append(m.Inputs, xs.Input(fmt.Sprintf("t%d", t), s.B, s.In))
	}
	m.States = cell.Unroll(m.Inputs)
	ts := b.Scope("target")
	for _, t := range s.TargetSteps {
		if t < 0 || t >= s.T {
			return nil, errors.Errorf("layers: net: target step %d outside [0,%d)", t, s.T)
		}
		var x *G.Node
		if cfg.OutputFromInputs {
			x = m.Inputs[t]
		}
		if m.States == nil {
			break
		}
		m.Outputs = append(m.Outputs, out.Apply(m.States[t].Cells, x))
		m.Targets = append(m.Targets, ts.Input(fmt.Sprintf("t%d", t), s.B, s.Out))
	}
	m.Loss = output.Loss(b, m.Outputs, m.Targets)
	m.Separable = true
	if err := b.Err(); err != nil {
		return nil, err
	}
	return m, nil
}
