// Command paper reproduces the tables of Hochreiter & Schmidhuber (1997): it runs trials of
// every selected table row (the paper's trial counts by default), spreads them over all cores
// (each trial is an independent graph), and writes a Markdown report with, for every row, the
// paper's figure next to our mean, median and range of sequences until success, success rate and
// test errors (to standard output, or to -out FILE). With -checkpoint DIR every finished trial's
// result is recorded in DIR/trials.jsonl, and -status reports on them without running anything.
// In a Slurm array job each task runs its shard of the trials (examples/paper/slurm/paper.sbatch),
// and -merge writes the report once all have finished.
//
// The flags and the driver are package paper/cli's; the experiments are package paper's.
//
// Usage:
//
//	go run ./examples/paper -quick                 # short-lag rows, 3 trials each, minutes; report on stdout
//	go run ./examples/paper -rows 1,4,6a -out results.md
//	go run ./examples/paper -rows all -trials 0     # every row, the paper's trial counts (hours)
//	go run ./examples/paper -rows all -checkpoint /tmp/runs/all [-resume]   # interruptible
//	go run ./examples/paper -rows 4 -max 2000000 -checkpoint /tmp/runs/4
//	go run ./examples/paper -rows 4 -checkpoint /tmp/runs/4 -resume   # the failures, on to the paper's limit
//	go run ./examples/paper -rows all -checkpoint /tmp/runs/all -status   # the table so far, running nothing
//	go run ./examples/paper -rows all -checkpoint /scratch/all -resume -shard 3/64   # one of 64 shards (docs/cluster.md)
//	go run ./examples/paper -merge /scratch/all -out report.md   # the report of every shard's trials
//	go run ./examples/paper -plan 2,64,1024 -recorded docs/results   # expected wall time of the rest
package main

import "github.com/lstm97/lstm97/paper/cli"

func main() { cli.Reproduce() }
