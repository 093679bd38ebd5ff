// Package datasets generates the tasks of Hochreiter & Schmidhuber (1997), Sec. 5, exactly as
// the paper specifies them (see docs/paper.md §4 and §6 for the readings chosen where the paper is
// ambiguous). Every generator takes an explicit *rand.Rand: the same seed gives the same
// sequences. It returns plain Go values and imports no graph package.
//
// A Sequence holds the inputs of every time step and the targets of the steps that have one.
// datasets.Sequence has the same fields, so a Sequence converts to it directly.
package datasets

// Sequence is one training sequence.
type Sequence struct {
	// Inputs is [T][features]; nil when Symbols is set.
	Inputs [][]float64
	// Symbols, when set instead of Inputs, codes the inputs one-hot by symbol index: step t is
	// the row of Alphabet values that is 1 at Symbols[t] and 0 elsewhere. Generators give it
	// on request (VeryLongLag.Symbols), for long sequences over large alphabets: T numbers
	// instead of T·Alphabet. Rows gives the rows either way.
	Symbols  []int
	Alphabet int
	// Targets is [T][outputs], nil at steps without a target (the paper's tasks 2c-6 have a
	// target only at the last step). It may be shorter than the sequence when its last steps
	// have no target.
	Targets [][]float64
	// Labels, when set instead of Targets, gives class targets by class index: Labels[t] is
	// the class in [0, Classes) that step t should output, or -1 at a step without a target
	// (a language model's next symbol, for instance). It may be shorter than the sequence when
	// its last steps have no target. A model takes them as indices (graph.Shape.Labels), one
	// number per step instead of a row of Classes values.
	Labels  []int
	Classes int
}

// Len is the number of steps.
func (s Sequence) Len() int {
	if s.Symbols != nil {
		return len(s.Symbols)
	}
	return len(s.Inputs)
}

// Rows returns the inputs as [T][features]: Inputs, or the one-hot rows of Symbols (made anew).
func (s Sequence) Rows() [][]float64 {
	if s.Symbols == nil {
		return s.Inputs
	}
	return oneHots(s.Alphabet, s.Symbols)
}
