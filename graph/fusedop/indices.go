package fusedop

import "github.com/pkg/errors"

// Indices checks that x holds indices, integers in [0, n), and stores them in idx (grown as
// needed, and returned). Rows r for which skip(r) is true (padding, masked rows) are not read and
// get index 0; skip may be nil. An error names the bad row and its value, called what ("index",
// "label"); batch, if > 0, is B of the packed sequence layout (row t·B+b), and the error then
// names the step and sequence of the row as well. It is the one check behind every op that reads
// symbol indices or class labels from a float tensor: the fused LSTM's one-hot input, the
// embedding and the cross-entropy's labels.
func Indices[F float32 | float64](x []F, n, batch int, what string, idx []int, skip func(r int) bool) ([]int, error) {
	if cap(idx) < len(x) {
		idx = make([]int, len(x))
	}
	idx = idx[:len(x)]
	for r, v := range x {
		if skip != nil && skip(r) {
			idx[r] = 0
			continue
		}
		i := int(v)
		if F(i) != v || i < 0 || i >= n {
			if batch > 0 {
				return idx, errors.Errorf("row %d (step %d, sequence %d) has %s %v, want an integer in [0, %d)", r, r/batch, r%batch, what, v, n)
			}
			return idx, errors.Errorf("row %d has %s %v, want an integer in [0, %d)", r, what, v, n)
		}
		idx[r] = i
	}
	return idx, nil
}
