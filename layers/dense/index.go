package dense

import "github.com/pkg/errors"

// indices checks that x holds symbol indices, integers in [0, n), and stores them in idx
// (grown as needed, returned). batch, if > 0, is B of the packed layout, and an error then
// names the step and sequence of the bad row as well. It is the check of the LSTM's one-hot
// path (layers.Cell.SequenceOneHot).
func indices[F float32 | float64](x []F, n, batch int, idx []int) ([]int, error) {
	if cap(idx) < len(x) {
		idx = make([]int, len(x))
	}
	idx = idx[:len(x)]
	for r, v := range x {
		i := int(v)
		if F(i) != v || i < 0 || i >= n {
			if batch > 0 {
				return idx, errors.Errorf("row %d (step %d, sequence %d) has index %v, want an integer in [0, %d)", r, r/batch, r%batch, v, n)
			}
			return idx, errors.Errorf("row %d has index %v, want an integer in [0, %d)", r, v, n)
		}
		idx[r] = i
	}
	return idx, nil
}
