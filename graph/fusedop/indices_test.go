package fusedop_test

import (
	"math"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/graph/fusedop"
)

// TestIndices: integers in [0, n) are stored, skipped rows are not read and get 0, and every
// bad value fails with an error naming the row (and its step and sequence when the batch is
// known) and what the value is.
func TestIndices(t *testing.T) {
	for _, tc := range []struct {
		name  string
		x     []float64
		batch int
		what  string
		skip  func(int) bool
		want  []int
		err   string
	}{
		{"valid", []float64{0, 2, 1}, 0, "index", nil, []int{0, 2, 1}, ""},
		{"too large", []float64{0, 3}, 0, "label", nil, nil, "row 1 has label 3, want an integer in [0, 3)"},
		{"negative", []float64{-1, 0}, 0, "index", nil, nil, "row 0 has index -1, want an integer in [0, 3)"},
		{"fraction", []float64{0, 0.5}, 0, "index", nil, nil, "row 1 has index 0.5"},
		{"NaN packed", []float64{0, 1, 2, math.NaN()}, 2, "index", nil, nil, "row 3 (step 1, sequence 1) has index NaN, want an integer in [0, 3)"},
		{"skipped rows not read", []float64{7, 1, -1, 2}, 2, "index", func(r int) bool { return r == 0 || r == 2 }, []int{0, 1, 0, 2}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idx := []int{9, 9, 9, 9, 9} // reused and overwritten
			got, err := fusedop.Indices(tc.x, 3, tc.batch, tc.what, idx, tc.skip)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
			if &got[0] != &idx[0] {
				t.Errorf("idx with room was not reused")
			}
		})
	}
}

// TestIndicesFloat32 checks the float32 instantiation: it stores integers and rejects fractions.
func TestIndicesFloat32(t *testing.T) {
	got, err := fusedop.Indices([]float32{1, 0}, 2, 0, "index", nil, nil)
	if err != nil || len(got) != 2 || got[0] != 1 || got[1] != 0 {
		t.Fatalf("got %v, %v, want [1 0]", got, err)
	}
	if _, err := fusedop.Indices([]float32{1.25}, 2, 0, "index", nil, nil); err == nil {
		t.Fatal("1.25 accepted as an index")
	}
}
