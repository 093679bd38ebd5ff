package criteria_test

import (
	"fmt"

	"github.com/lstm97/lstm97/train/criteria"
)

// ExampleST3 feeds the paper's stopping criterion ST3(0.01) a synthetic error stream: a window
// of 5 sequences (the paper's is 2000) must all be within 0.04 and average below 0.01.
func ExampleST3() {
	st, err := criteria.NewST3(0.01, 0.04, 5, criteria.MeanSquared)
	if err != nil {
		panic(err)
	}
	for i, maxAbs := range []float64{0.2, 0.03, 0.01, 0.02, 0.01, 0.03, 0.01} {
		st.Add(criteria.SeqError{MaxAbs: maxAbs, SqErr: maxAbs * maxAbs})
		fmt.Printf("sequence %d: wrong in window %d, met %v\n", i+1, st.Wrong(), st.Met())
	}
	// Output:
	// sequence 1: wrong in window 1, met false
	// sequence 2: wrong in window 1, met false
	// sequence 3: wrong in window 1, met false
	// sequence 4: wrong in window 1, met false
	// sequence 5: wrong in window 1, met false
	// sequence 6: wrong in window 0, met true
	// sequence 7: wrong in window 0, met true
}
