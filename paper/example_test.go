package paper_test

import (
	"fmt"
	"log"

	"github.com/lstm97/lstm97/paper"
	"github.com/lstm97/lstm97/paper/trial"
)

// ExampleLookup reruns a row of the paper's Table 9 from a script and varies it: Lookup gives
// the row's spec (architecture, initialisation, learning rate, data, stopping criterion and
// test, as Tables 10 and 11 give them), any field of which may be changed before trial.Run
// trains and tests a network of it. The README quotes its body.
func ExampleLookup() {
	check := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	spec, err := paper.Lookup("6a", paper.Variant{}) // temporal order, 2 relevant symbols
	check(err)
	spec.Max = 100_000 // give up earlier than the paper's 5,000,000 sequences
	res, err := trial.Run(spec, trial.Options{Seed: 1, Test: 500})
	check(err)
	fmt.Printf("%s: %d weights, success %v\n", spec.Title, res.Weights, res.Success)
	fmt.Printf("test: %d of %d wrong\n", res.TestWrong, res.TestSeqs)
	fmt.Printf("the paper (Table %s): %.0f sequences\n", spec.Paper.Table, spec.Paper.Sequences)
	// Output:
	// temporal order, 2 relevant symbols: 156 weights, success true
	// test: 0 of 500 wrong
	// the paper (Table 9): 31390 sequences
}
