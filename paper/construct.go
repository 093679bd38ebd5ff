package paper

// Construction is the paper's sequential network construction (Sec. 4, abuse remedy 1; Exps. 2a
// and 2b): "memory cell and input gate are added once the error has stopped decreasing". The
// net is built whole, but the cell's outgoing weights (Hold) are kept at 0 and not trained, so
// the cell has no effect and, with no error reaching it, its own weights stay as initialised:
// the net is the one without the cell. When the error has stopped decreasing, Hold gets fresh
// uniform weights in [-Init, Init] and trains from then on: the cell is added.
//
// The paper does not say how a plateau was detected (docs/paper.md §6.10). Our reading: the mean
// squared training error over the last Every sequences improved by less than MinGain (a
// fraction) on the mean over the Every sequences before. Package paper/trial carries it out,
// and keeps its progress in the trial's checkpoints.
type Construction struct {
	Hold    []string // parameters held at 0 until the cell is added, e.g. "out/w"
	Every   int
	MinGain float64
	Init    float64
}
