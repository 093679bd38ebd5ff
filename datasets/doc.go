// Package datasets generates the tasks of Hochreiter & Schmidhuber (1997), Sec. 5, exactly as
// the paper specifies them (see PAPER.md §5 and §6 for the readings chosen where the paper is
// ambiguous). Every generator takes an explicit *rand.Rand: the same seed gives the same
// sequences. It returns plain Go values and imports no graph package.
//
// A Sequence holds the inputs of every time step and the targets of the steps that have one.
// graph.Sequence has the same fields, so a Sequence converts to it directly.
package datasets

// Sequence is one training sequence.
type Sequence struct {
	// Inputs is [T][features].
	Inputs [][]float64
	// Targets is [T][outputs], nil at steps without a target (the paper's tasks 2c-6 have a
	// target only at the last step).
	Targets [][]float64
}
