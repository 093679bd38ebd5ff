// Package sweep spreads a list of independent, seeded jobs over several processes (the tasks of
// a Slurm array job, or any other set of machines sharing a directory) and gathers their results
// into one: the reproduction's trials (examples/paper -shard, -merge) and a user's own sweeps,
// such as a learning rate × seed grid.
//
// A Plan is the ordered job list; every process builds the same one. A Shard (i of n) owns the
// jobs whose position k in the plan has k mod n = i, so that the shards of a plan split it
// without talking to each other, and each job keeps the seed it has in a single-process run.
// Open starts or resumes a shard in a shared directory: it records the plan in the shard's
// manifest (DIR/shards/<i>-of-<n>.json), refuses a directory that holds shards of another plan,
// and reads the shard's ledger (DIR/shards/<i>-of-<n>.jsonl, one JSON line per finished job,
// synced as it is written) so that a requeued task skips the jobs it has finished. Collect reads
// every shard's manifest and ledger and returns the results in plan order; Complete says what is
// missing, so that a merge is never a silently partial table.
//
// Makespan estimates the wall time of a set of jobs on a number of cores (longest first).
package sweep
