package sweep_test

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"

	"github.com/lstm97/lstm97/sweep"
)

// minimize is a stand-in for a user's training run: gradient descent on (w-3)² from a seeded
// start, returning the loss after 20 steps.
func minimize(lr float64, seed int64) float64 {
	w := rand.New(rand.NewSource(seed)).Float64() * 10
	for i := 0; i < 20; i++ {
		w -= lr * 2 * (w - 3)
	}
	return (w - 3) * (w - 3)
}

// A learning rate × seed grid run as three shards (three tasks of a Slurm array job, each
// running this program with its own shard: sweep.ShardFromEnv), then merged.
func Example_grid() {
	dir, err := os.MkdirTemp("", "sweep")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	type point struct {
		LR   float64 `json:"lr"`
		Seed int64   `json:"seed"`
	}
	var grid []point
	var jobs []sweep.Job
	for _, lr := range []float64{0.01, 0.1, 0.5} {
		for seed := int64(1); seed <= 2; seed++ {
			grid = append(grid, point{lr, seed})
			jobs = append(jobs, sweep.Job{Key: fmt.Sprintf("lr=%g seed=%d", lr, seed)})
		}
	}
	plan, err := sweep.NewPlan(jobs, nil)
	if err != nil {
		fmt.Println(err)
		return
	}

	// Each task: open its shard, run the jobs it owns that are not recorded yet, record them.
	for i := 0; i < 3; i++ {
		ledger, err := sweep.Open(dir, plan, sweep.Shard{Index: i, Count: 3})
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, k := range ledger.Owned() {
			if _, done := ledger.Result(plan.Jobs[k].Key); done {
				continue // a requeued task skips what it has finished
			}
			loss := minimize(grid[k].LR, grid[k].Seed)
			if err := ledger.Record(plan.Jobs[k].Key, loss); err != nil {
				fmt.Println(err)
				return
			}
		}
		ledger.Close()
	}

	// The merge: every job's result, in plan order, or an error naming what is missing.
	merged, err := sweep.Collect(dir)
	if err == nil {
		err = merged.Complete()
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	for k, raw := range merged.Results {
		var loss float64
		if err := json.Unmarshal(raw, &loss); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%-16s shard %d/3  loss %.3g\n", plan.Jobs[k].Key, k%3, loss)
	}
	// Output:
	// lr=0.01 seed=1   shard 0/3  loss 4.14
	// lr=0.01 seed=2   shard 1/3  loss 0.785
	// lr=0.1 seed=1    shard 2/3  loss 0.00123
	// lr=0.1 seed=2    shard 0/3  loss 0.000234
	// lr=0.5 seed=1    shard 1/3  loss 0
	// lr=0.5 seed=2    shard 2/3  loss 0
}
