// Package cli is the command line of the example programs: Trial, the body of the programs that
// run one trial of an experiment (examples/adding, reber, longlag, verylonglag, twoseq,
// multiplication, temporal), whose flags are those of its experiments only, so that a knob of
// another experiment is an error; and Reproduce, the body of examples/paper, which runs trials
// of many table rows on all cores, keeps a ledger of finished trials, resumes interrupted runs
// and writes the report and the summary figure (package paper/report). Reproduce also splits a
// run into shards for the tasks of a Slurm array job (-shard, package sweep), merges their
// ledgers into the report (-merge), and plans a run's wall time on many cores (-plan).
//
// Exit status: 0 success, 1 no success within the limit (Trial), 2 an error, 130 interrupted by
// SIGINT or SIGTERM after saving the checkpoints.
package cli
