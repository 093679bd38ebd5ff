package paper

import (
	"fmt"
	"io"
)

// The records of a trial's outcome: what package paper/trial produces, and package paper/report
// reads back, beside what the paper reports (Reported).

// Result is one trial's outcome (trial.Run), printed as the final JSON line of the examples.
type Result struct {
	Experiment string  `json:"experiment"`
	Title      string  `json:"title"`
	Seed       int64   `json:"seed"`
	Success    bool    `json:"success"`
	Sequences  int     `json:"sequences"`
	Weights    int     `json:"weights"`
	TestSeqs   int     `json:"test_sequences"`
	TestWrong  int     `json:"test_wrong"`
	TestMSE    float64 `json:"test_mse"`
	TestMAE    float64 `json:"test_mae"`
	// TestWrongSide (Exp. 3 only) counts the test sequences whose output is on the wrong side
	// of 0.5, i.e. points to the wrong class: another reading of Tables 4-6's "fraction
	// misclassified" than TestWrong's (Correct: absolute error below 0.2, or 0.1 in 3c), which
	// counts a 3b net that outputs the class probability as wrong also where it is merely
	// unsure (docs/notes.md).
	TestWrongSide *int `json:"test_wrong_side,omitempty"`
	// Seconds is the trial's wall time; for a trial resumed from a checkpoint, the sum over
	// its runs (each counted up to its last checkpoint).
	Seconds float64 `json:"seconds"`
	Drift   *Drift  `json:"drift,omitempty"` // the trained net's, with trial.Options.Drift
	// CellAdded is the number of sequences after which the memory cell was added (Spec.Construct).
	CellAdded int `json:"cell_added,omitempty"`
}

// CurvePoint is one line of a trial's learning curve (trial.Options.Metrics writes them as JSON
// Lines, one every 1000 sequences and one at the sequence of success).
type CurvePoint struct {
	Sequences   int     `json:"sequences"`
	TrainMSE    float64 `json:"train_mse"`
	TrainWrong  int     `json:"wrong_in_window"`
	Window      int     `json:"window"`
	Criterion   string  `json:"criterion"`
	CriterionOK bool    `json:"criterion_met"`
	// The L2 norms of the updates' gradients since the previous line (before any clipping):
	// their mean, the largest, and the sequence whose update it was. Absent if there was none.
	GradNormMean  *float64 `json:"grad_norm_mean,omitempty"`
	GradNormMax   *float64 `json:"grad_norm_max,omitempty"`
	GradNormMaxAt *int     `json:"grad_norm_max_at,omitempty"`
}

// Drift describes the cell states of a network at the last step of its sequences
// (trial.MeasureDrift):
// the internal-state drift of the paper's Appendix A.2. A state that has drifted far from 0
// makes h'(s) tiny, and under the truncated gradient h'(s) is the only way errors reach the
// weights into the cell and its input gate (eqs. 23-28).
type Drift struct {
	Sequences int `json:"sequences"`
	// MedianAbsS is the median over sequences and cells of |s_c| at the sequence's last step;
	// MaxAbsS the largest.
	MedianAbsS float64 `json:"median_abs_s"`
	MaxAbsS    float64 `json:"max_abs_s"`
	// MedianHPrime is the median of h'(s_c)/h'(0) there: 1 means full error flow into the
	// cell, 0.01 means errors reach its weights scaled down a hundredfold.
	MedianHPrime float64 `json:"median_h_prime"`
	// Saturated is the fraction of (sequence, cell) pairs with h'(s_c)/h'(0) < 0.01.
	Saturated float64 `json:"saturated"`
	// States holds s_c at the last step: States[i][c] for sequence i, cell c.
	States [][]float64 `json:"-"`
}

// Print writes the report in one line.
func (d Drift) Print(w io.Writer) {
	fmt.Fprintf(w, "cell states at the last step of %d sequences: median |s| %.3g, max |s| %.3g; median h'(s)/h'(0) %.3g; %.0f %% of cells with h'(s)/h'(0) < 0.01\n",
		d.Sequences, d.MedianAbsS, d.MaxAbsS, d.MedianHPrime, 100*d.Saturated)
}
