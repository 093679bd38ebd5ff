package layers

import (
	"math"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/layers/internal/kernel"
)

// Squash selects a squashing function.
type Squash int

const (
	// SquashDefault is the paper's choice for the role: g in [-2,2] for the cell input, h in
	// [-1,1] for the cell output (eqs. 4-5).
	SquashDefault Squash = iota
	// SquashLogistic is f(x) = 1/(1+exp(-x)), range [0,1] ("g1" in Table 10, Exp. 2a).
	SquashLogistic
	// SquashSym1 is 2σ(x)-1, range [-1,1] (the paper's h, "h1").
	SquashSym1
	// SquashSym2 is 4σ(x)-2, range [-2,2] (the paper's g, "g2").
	SquashSym2
	// SquashIdentity is x ("id" in Table 10, h of Exp. 2a).
	SquashIdentity
)

func (s Squash) String() string {
	switch s {
	case SquashDefault:
		return "default"
	case SquashLogistic:
		return "logistic[0,1]"
	case SquashSym1:
		return "2σ-1[-1,1]"
	case SquashSym2:
		return "4σ-2[-2,2]"
	case SquashIdentity:
		return "identity"
	}
	return "unknown"
}

// scaleShift returns (a, c) such that the squash is a·σ(x)+c; identity reports ok=false.
func (s Squash) scaleShift() (a, c float64, sigmoid bool) {
	switch s {
	case SquashLogistic:
		return 1, 0, true
	case SquashSym1:
		return 2, -1, true
	case SquashSym2:
		return 4, -2, true
	}
	return 1, 0, false
}

// kernel returns the squash as the fused kernel's numbers.
func (s Squash) kernel() kernel.Squash {
	a, c, sig := s.scaleShift()
	return kernel.Squash{Scale: a, Shift: c, Sigmoid: sig}
}

// Biases says which hidden units of the LSTM layer have bias weights (Table 10, column "bias").
type Biases int

const (
	// BiasAll gives every cell and gate a bias ("b1" and "all" in Table 10). The default.
	BiasAll Biases = iota
	// BiasGates gives only the input and output gates a bias ("ga", Exp. 1).
	BiasGates
	// BiasNone gives no unit a bias (Exps. 2a-2c).
	BiasNone
)

func (b Biases) String() string {
	switch b {
	case BiasAll:
		return "all"
	case BiasGates:
		return "gates"
	case BiasNone:
		return "none"
	}
	return "unknown"
}

// Config describes one LSTM layer. The zero value of every field but Inputs, NumBlocks and
// CellsPerBlock is a documented default.
type Config struct {
	// Name is the scope of the layer's parameters and nodes. Default "lstm".
	Name string
	// Inputs is the width of x(t). Must be > 0.
	Inputs int
	// NumBlocks is the number of memory cell blocks (C in the paper). Must be > 0.
	NumBlocks int
	// CellsPerBlock is the block size (S). Must be > 0.
	CellsPerBlock int
	// Biases says which units have bias weights. Default BiasAll.
	Biases Biases
	// InputGateBias, if not nil, holds one initial bias per block for the input gates (e.g.
	// -3, -6 for the adding problem); nil means random like the other weights. Needs biased
	// gates.
	InputGateBias []float64
	// OutputGateBias is the same for the output gates (e.g. -1, -2, -3 for Exp. 1).
	OutputGateBias []float64
	// NoOutputGate removes the output gates: y^c = h(s_c) (Exp. 2a).
	NoOutputGate bool
	// NoRecurrence removes the connections from y(t-1) into cells and gates: they see only
	// x(t) (Exp. 2a's weight count has none).
	NoRecurrence bool
	// G squashes the cell input. Default (SquashDefault) is 4σ-2 in [-2,2].
	G Squash
	// H squashes the cell state. Default (SquashDefault) is 2σ-1 in [-1,1].
	H Squash
	// InitRange is the half-width a of the uniform initialisation in [-a, a]. Default 0.1
	// (Exps. 3-6; the paper uses 0.2 for Exps. 1 and 2).
	InitRange float64
	// FullGradient leaves the recurrent connections untruncated, so the gradient is the full
	// backpropagation-through-time gradient instead of the paper's truncated one.
	FullGradient bool
	// CellsOnlyRecurrence makes the cell outputs y^c(t-1) the only recurrent inputs of cells
	// and gates, as in later LSTMs: the gates' activations are not fed back. Not the paper's
	// net (Table 10's weight counts include the gates' outgoing weights), but without it the
	// unbiased nets of Exp. 2c drift into saturation: the gates' activations, about 0.5, act
	// on every cell like biases (see docs/notes.md).
	CellsOnlyRecurrence bool
	// HPrimeOffset, if > 0, is added to h'(s) where the output error enters the cell state
	// (eq. 23): e_s = y^out (h'(s) + HPrimeOffset) Σ_k w_kc e_k. The forward pass is
	// unchanged. Not the paper's algorithm: it is Fahlman's (1988) "flat spot elimination",
	// common in the connectionist software of the time, and a diagnostic here. A cell whose
	// state has drifted into h's flat ends (App. A.2) receives almost no error under the
	// paper's truncation, since h'(s) is the only path by which errors reach the weights of
	// the cell and its input gate; with the offset it keeps learning (Exp. 2c; see the
	// README). With FullGradient the offset also applies to the error carried through y^c.
	HPrimeOffset float64
	// ForgetGate adds one forget gate φ_j per block (Gers, Schmidhuber & Cummins 2000,
	// "Learning to forget"), a logistic unit with the same sources as the block's input gate
	// (x(t), y(t-1) and a bias where the gates have one): y^φ_j(t) = f(net_φ_j(t)), and the
	// CEC of eq. (9) becomes s_c(t) = y^φ_j(t) s_c(t-1) + y^in_j(t) g(net_c(t)). With
	// recurrence the forget gates' activations are recurrent sources too (see NumUnits). Not
	// the 1997 cell, which has no forget gate: false keeps the paper's cell, bit for bit.
	ForgetGate bool
	// ForgetGateBias, if not nil, holds one initial bias per block for the forget gates; nil
	// means random like the other weights. Gers et al. (2000) initialise them positive (e.g.
	// +1, +2, ... for blocks 1, 2, ...) so that the gates start open (y^φ near 1, the 1997 CEC)
	// and learn to close. Needs ForgetGate and biased gates.
	ForgetGateBias []float64
	// Peepholes adds peephole connections (Gers, Schraudolph & Schmidhuber 2002): a weight
	// from each cell c of block j to each of the block's gates, from s_c(t-1) into the input
	// gate and the forget gate, and from the current state s_c(t) into the output gate, which
	// is then computed after s_c(t). Under truncation no error flows back through a peephole
	// into s; the peephole weights are trained like any gate weight whose source is s, and
	// initialised like the other weights (uniform in [-InitRange, InitRange]). Without an
	// output gate (NoOutputGate) the output gate's peepholes are absent too.
	Peepholes bool
}

// withDefaults returns c with defaults filled in, or an error naming the first invalid field.
func (c Config) withDefaults() (Config, error) {
	if c.Name == "" {
		c.Name = "lstm"
	}
	if c.G == SquashDefault {
		c.G = SquashSym2
	}
	if c.H == SquashDefault {
		c.H = SquashSym1
	}
	if c.InitRange == 0 {
		c.InitRange = 0.1
	}
	switch {
	case c.Inputs <= 0:
		return c, errors.Errorf("layers: LSTM %q: Inputs must be > 0, got %d", c.Name, c.Inputs)
	case c.NumBlocks <= 0:
		return c, errors.Errorf("layers: LSTM %q: NumBlocks must be > 0, got %d", c.Name, c.NumBlocks)
	case c.CellsPerBlock <= 0:
		return c, errors.Errorf("layers: LSTM %q: CellsPerBlock must be > 0, got %d", c.Name, c.CellsPerBlock)
	case c.Biases < BiasAll || c.Biases > BiasNone:
		return c, errors.Errorf("layers: LSTM %q: unknown Biases %d", c.Name, c.Biases)
	case c.G < SquashDefault || c.G > SquashIdentity:
		return c, errors.Errorf("layers: LSTM %q: unknown G %d", c.Name, c.G)
	case c.H < SquashDefault || c.H > SquashIdentity:
		return c, errors.Errorf("layers: LSTM %q: unknown H %d", c.Name, c.H)
	case !(c.InitRange > 0) || math.IsInf(c.InitRange, 0):
		return c, errors.Errorf("layers: LSTM %q: InitRange must be finite and > 0, got %v", c.Name, c.InitRange)
	case c.CellsOnlyRecurrence && c.NoRecurrence:
		return c, errors.Errorf("layers: LSTM %q: CellsOnlyRecurrence set but NoRecurrence", c.Name)
	case !(c.HPrimeOffset >= 0) || math.IsInf(c.HPrimeOffset, 0):
		return c, errors.Errorf("layers: LSTM %q: HPrimeOffset must be finite and >= 0, got %v", c.Name, c.HPrimeOffset)
	}
	for _, gb := range []struct {
		name, without string
		v             []float64
		gate          bool
	}{{"InputGateBias", "", c.InputGateBias, true}, {"OutputGateBias", "NoOutputGate", c.OutputGateBias, !c.NoOutputGate},
		{"ForgetGateBias", "ForgetGate false", c.ForgetGateBias, c.ForgetGate}} {
		if gb.v == nil {
			continue
		}
		if !gb.gate {
			return c, errors.Errorf("layers: LSTM %q: %s set but %s", c.Name, gb.name, gb.without)
		}
		if c.Biases == BiasNone {
			return c, errors.Errorf("layers: LSTM %q: %s set but Biases is none", c.Name, gb.name)
		}
		if len(gb.v) != c.NumBlocks {
			return c, errors.Errorf("layers: LSTM %q: %s has %d values for %d blocks", c.Name, gb.name, len(gb.v), c.NumBlocks)
		}
		for i, x := range gb.v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return c, errors.Errorf("layers: LSTM %q: %s[%d] is %v", c.Name, gb.name, i, x)
			}
		}
	}
	return c, nil
}

// NumSources returns the number of recurrent inputs of each cell and gate (the rows of wh): 0
// with NoRecurrence, NumCells with CellsOnlyRecurrence, NumUnits otherwise.
func (c Config) NumSources() int {
	switch {
	case c.NoRecurrence:
		return 0
	case c.CellsOnlyRecurrence:
		return c.NumCells()
	}
	return c.NumUnits()
}

// NumCells returns NumBlocks·CellsPerBlock.
func (c Config) NumCells() int { return c.NumBlocks * c.CellsPerBlock }

// NumUnits returns the number of hidden units, in the order of State.Y and of the rows of the
// recurrent weights wh: the cells (block by block), the input gates, the output gates (unless
// NoOutputGate), then the forget gates (with ForgetGate). The 1997 cell's units come first in
// the same order with or without the later variant.
func (c Config) NumUnits() int {
	n := c.NumCells() + c.NumBlocks
	if !c.NoOutputGate {
		n += c.NumBlocks
	}
	if c.ForgetGate {
		n += c.NumBlocks
	}
	return n
}
