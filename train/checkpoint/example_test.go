package checkpoint_test

import (
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/train/checkpoint"
)

// ExampleSaveParams keeps the parameters of a graph built by hand, without a trainer: saved
// with SaveParams, they are loaded into the same model built again (with other initial
// values), which must hold the same parameters; another architecture is refused.
func ExampleSaveParams() {
	check := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	build := func(seed int64, hidden int) *graph.ParamSet {
		b := graph.NewBuilder(graph.Config{Seed: seed})
		b.Param("w", []int{2, hidden}, graph.Uniform(0.1))
		b.Param("c", []int{1, hidden}, graph.Uniform(0.1))
		check(b.Err())
		return b.ParamSet()
	}
	dir, err := os.MkdirTemp("", "lstm97-params")
	check(err)
	defer os.RemoveAll(dir)

	trained := build(1, 3)
	check(checkpoint.SaveParams(dir, trained))
	again := build(2, 3)
	check(checkpoint.LoadParams(dir, again))
	a, err := trained.Float64s("w")
	check(err)
	b, err := again.Float64s("w")
	check(err)
	fmt.Printf("w[4]: saved %.6f, loaded %.6f\n", a[4], b[4])
	err = checkpoint.LoadParams(dir, build(2, 4))
	_, msg, _ := strings.Cut(fmt.Sprint(err), dir+": ") // the directory differs from run to run
	fmt.Println("other architecture:", msg)
	// Output:
	// w[4]: saved -0.015073, loaded -0.015073
	// other architecture: graph: assign: parameter "w" is float64 (2, 3) in the source, float64 (2, 4) in the model
}
