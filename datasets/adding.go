package datasets

import (
	"fmt"
	"math/rand"
)

// Adding is the adding problem of Experiment 4 (Sec. 5.4). Each element of a sequence is a
// pair (value, marker): the value is uniform in [-1, 1]; the marker is 1.0 for the two marked
// pairs, -1.0 for the first and the final pair, and 0.0 otherwise. The sequence length is
// uniform in [T, T+T/10]. The first marked pair (value X1) is one of the first ten pairs; the
// second (value X2) is one of the first T/2-1 pairs still unmarked (docs/paper.md §6.8: read as the
// first T/2-1 pairs other than X1's, so the minimal time lag is T/2). If the first pair is
// marked (by either mark), its marker is 1.0 and its value is 0. The target, at the last step only, is
// 0.5 + (X1 + X2)/4 in [0, 1]; a sequence counts as correct if the absolute error there is
// below 0.04.
type Adding struct {
	// T is the minimal sequence length. Must be >= 4.
	T int
}

// MaxLength bounds the sequence lengths the generators accept (10 million steps).
const MaxLength = 10_000_000

// Validate reports whether the configuration can generate sequences.
func (a Adding) Validate() error {
	if a.T < 4 || a.T > MaxLength {
		return fmt.Errorf("datasets: adding: T must be in [4, %d], got %d", MaxLength, a.T)
	}
	return nil
}

// Length draws a sequence length uniformly from [T, T+T/10].
func (a Adding) Length(rng *rand.Rand) int { return a.T + rng.Intn(a.T/10+1) }

// Sample draws a sequence of random length.
func (a Adding) Sample(rng *rand.Rand) (Sequence, error) {
	if err := a.Validate(); err != nil {
		return Sequence{}, err
	}
	return a.SampleLength(rng, a.Length(rng))
}

// SampleLength draws a sequence of the given length (at least T), for batches of equal length.
func (a Adding) SampleLength(rng *rand.Rand, length int) (Sequence, error) {
	seq, pos, err := a.sample(rng, length, -1, 1, 0)
	if err != nil {
		return Sequence{}, err
	}
	seq.Targets[length-1] = []float64{AddingTarget(seq.Inputs[pos[0]][0], seq.Inputs[pos[1]][0])}
	return seq, nil
}

// sample draws a sequence whose values are uniform in [lo, hi]; firstX1 is the value of the
// first pair when it is marked. It returns the two marked positions.
func (a Adding) sample(rng *rand.Rand, length int, lo, hi, firstX1 float64) (Sequence, [2]int, error) {
	if err := a.Validate(); err != nil {
		return Sequence{}, [2]int{}, err
	}
	if length < a.T || length > MaxLength {
		return Sequence{}, [2]int{}, fmt.Errorf("datasets: adding: length %d is outside [T=%d, %d]", length, a.T, MaxLength)
	}
	in, pairs := make([][]float64, length), make([]float64, 2*length) // one allocation for all pairs
	for t := range in {
		in[t] = pairs[2*t : 2*t+2 : 2*t+2]
		in[t][0] = lo + (hi-lo)*rng.Float64()
	}
	in[0][1], in[length-1][1] = -1, -1
	firstTen := min(10, a.T/2)
	p1 := rng.Intn(firstTen)
	// The first T/2-1 positions other than p1.
	k := rng.Intn(a.T/2 - 1)
	p2 := k
	if k >= p1 {
		p2 = k + 1
	}
	if p1 == 0 || p2 == 0 {
		in[0][0] = firstX1
	}
	in[p1][1], in[p2][1] = 1, 1
	seq := Sequence{Inputs: in, Targets: make([][]float64, length)}
	return seq, [2]int{p1, p2}, nil
}

// AddingTarget returns the adding problem's target for the marked values x1 and x2.
func AddingTarget(x1, x2 float64) float64 { return 0.5 + (x1+x2)/4 }
