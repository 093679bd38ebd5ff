package sweep_test

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/lstm97/lstm97/paper"
	"github.com/lstm97/lstm97/paper/trial"
	"github.com/lstm97/lstm97/sweep"
)

// A learning rate × seed grid run as three shards (three tasks of a Slurm array job, each
// running this program with its own shard: sweep.ShardFromEnv), then merged.
func Example_grid() {
	dir, err := os.MkdirTemp("", "sweep")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	// Experiment 1 (embedded Reber grammar, 3 blocks of 2 cells) at three learning rates, two
	// seeds each, at most 8,000 training sequences per trial.
	type point struct {
		LR   float64
		Seed int64
	}
	var grid []point
	var jobs []sweep.Job
	for _, lr := range []float64{0.1, 0.5, 1} {
		for seed := int64(1); seed <= 2; seed++ {
			grid = append(grid, point{lr, seed})
			jobs = append(jobs, sweep.Job{Key: fmt.Sprintf("lr=%g seed=%d", lr, seed), Params: "max=8000"})
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
			spec, err := paper.Lookup("1", paper.Variant{Blocks: 3, LR: grid[k].LR})
			if err != nil {
				fmt.Println(err)
				return
			}
			spec.Max = 8000
			res, err := trial.Run(spec, trial.Options{Seed: grid[k].Seed, Test: -1})
			if err != nil {
				fmt.Println(err)
				return
			}
			if err := ledger.Record(plan.Jobs[k].Key, res); err != nil {
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
		var res paper.Result
		if err := json.Unmarshal(raw, &res); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%-14s shard %d/3  success %-5v after %d sequences\n", plan.Jobs[k].Key, k%3, res.Success, res.Sequences)
	}
	// Output:
	// lr=0.1 seed=1  shard 0/3  success false after 8000 sequences
	// lr=0.1 seed=2  shard 1/3  success false after 8000 sequences
	// lr=0.5 seed=1  shard 2/3  success false after 8000 sequences
	// lr=0.5 seed=2  shard 0/3  success true  after 7400 sequences
	// lr=1 seed=1    shard 1/3  success false after 8000 sequences
	// lr=1 seed=2    shard 2/3  success false after 8000 sequences
}
