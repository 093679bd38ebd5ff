package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/paper/report"
	"github.com/lstm97/lstm97/sweep"
)

// shardTestRows: two rows whose trials take a fraction of a second at the cap of shardTest,
// one of the six a success.
const shardTestRows = "1: 3 blocks of 2, α=0.5,2c: q=50, p=50"

func shardTest(dir string, max int) config {
	return config{rows: shardTestRows, trials: 3, max: max, workers: 1, seed: 1, checkpoint: dir, noTiming: true, every: 2000}
}

// runShards runs shards i of n (each in ids) of shardTest in dir with the cap max.
func runShards(t *testing.T, dir string, max, n int, ids ...int) {
	t.Helper()
	for _, i := range ids {
		c := shardTest(dir, max)
		c.shard, c.sharded = sweep.Shard{Index: i, Count: n}, true
		c.out = filepath.Join(dir, "shard.md")
		if err := reproduce(c, io.Discard, io.Discard); err != nil {
			t.Fatalf("shard %d/%d: %v", i, n, err)
		}
	}
}

// records reads a -jsonl file with the trials' times zeroed.
func records(t *testing.T, path string) []report.Record {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []report.Record
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r report.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		r.Seconds = 0
		out = append(out, r)
	}
	return out
}

// TestShardsMergeAsOne: the trials of three shards, merged, give the single-process run's
// report byte for byte (without times) and the same results.
func TestShardsMergeAsOne(t *testing.T) {
	dir := t.TempDir()
	single := shardTest("", 8000)
	single.workers = 2
	single.out, single.jsonl = filepath.Join(dir, "single.md"), filepath.Join(dir, "single.jsonl")
	if err := reproduce(single, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(dir, "run")
	runShards(t, runDir, 8000, 3, 2, 0, 1)
	merged := config{checkpoint: runDir, noTiming: true, out: filepath.Join(dir, "merged.md"), jsonl: filepath.Join(dir, "merged.jsonl")}
	var log bytes.Buffer
	if err := mergeShards(merged, false, io.Discard, &log); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(single.out)
	b, _ := os.ReadFile(merged.out)
	if !bytes.Equal(a, b) {
		t.Errorf("merged report differs from the single-process one:\n%s\nsingle:\n%s", b, a)
	}
	if !strings.Contains(string(a), "| 1: 3 blocks of 2, α=0.5 | 8440 | 100 % | 3 | 33 % | 7400 |") {
		t.Errorf("report without the expected success:\n%s", a)
	}
	ra, rb := records(t, single.jsonl), records(t, merged.jsonl)
	if len(ra) != 6 || len(rb) != 6 {
		t.Fatalf("%d and %d records, want 6", len(ra), len(rb))
	}
	for k := range ra {
		if ra[k] != rb[k] {
			t.Errorf("record %d: single %+v, merged %+v", k, ra[k], rb[k])
		}
	}
	if !strings.Contains(log.String(), "6 of 6 trials finished, in 3 shards") {
		t.Errorf("log: %s", log.String())
	}
}

// TestShardRefusals: what a sharded run or a merge refuses, and the error that says why.
func TestShardRefusals(t *testing.T) {
	for _, c := range []struct {
		name string
		run  func(t *testing.T, dir string) error
		want string
	}{
		{"merge before every shard finished", func(t *testing.T, dir string) error {
			runShards(t, dir, 100, 3, 0, 2)
			return mergeShards(config{checkpoint: dir}, false, io.Discard, io.Discard)
		}, `shard 1/3 has not started (2 jobs): "1: 3 blocks of 2, α=0.5#1", "2c: q=50, p=50#1"`},
		{"shard of another seed", func(t *testing.T, dir string) error {
			runShards(t, dir, 100, 2, 0)
			c := shardTest(dir, 100)
			c.seed = 2
			c.shard, c.sharded = sweep.Shard{Index: 1, Count: 2}, true
			return reproduce(c, io.Discard, io.Discard)
		}, `shard 0/2 runs another job list than this run: job 0 is "1: 3 blocks of 2, α=0.5#0" (seed=2 cap=100) in this run and "1: 3 blocks of 2, α=0.5#0" (seed=1 cap=100) in shard 0/2`},
		{"shard without a directory", func(t *testing.T, dir string) error {
			c := shardTest("", 100)
			c.shard, c.sharded = sweep.Shard{Index: 0, Count: 2}, true
			return reproduce(c, io.Discard, io.Discard)
		}, "needs -checkpoint DIR"},
		{"unsharded run in a sharded directory", func(t *testing.T, dir string) error {
			runShards(t, dir, 100, 2, 0)
			return reproduce(shardTest(dir, 100), io.Discard, io.Discard)
		}, "holds a sharded run"},
		{"shard rerun without -resume", func(t *testing.T, dir string) error {
			runShards(t, dir, 100, 2, 0)
			c := shardTest(dir, 100)
			c.shard, c.sharded = sweep.Shard{Index: 0, Count: 2}, true
			return reproduce(c, io.Discard, io.Discard)
		}, "records finished trials: use -resume"},
		{"merge with run flags", func(t *testing.T, dir string) error {
			_, err := ReproduceCommand(context.Background(), []string{"-merge", dir, "-rows", "6a"}, io.Discard, io.Discard)
			return err
		}, "-merge takes the rows, trials, cap and seed from the shards' manifests: drop -rows"},
		{"merge of nothing", func(t *testing.T, dir string) error {
			return mergeShards(config{checkpoint: dir}, false, io.Discard, io.Discard)
		}, "no shard has started"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.run(t, t.TempDir())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// TestShardStatusAndEnv: a shard taken from Slurm's variables writes its own ledger, a shard
// resumed skips its finished trials, and -status on the directory reports the finished trials
// of every shard and lists the missing ones.
func TestShardStatusAndEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SLURM_ARRAY_TASK_ID", "1")
	t.Setenv("SLURM_ARRAY_TASK_COUNT", "3")
	args := []string{"-rows", shardTestRows, "-trials", "3", "-max", "8000", "-checkpoint", dir, "-progress", "0", "-workers", "1"}
	var log bytes.Buffer
	if code, err := ReproduceCommand(context.Background(), args, io.Discard, &log); code != 0 || err != nil {
		t.Fatalf("exit %d: %v", code, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "shards", "1-of-3.jsonl")); err != nil {
		t.Fatalf("no ledger of shard 1/3: %v\n%s", err, log.String())
	}
	log.Reset()
	if code, err := ReproduceCommand(context.Background(), append(args, "-resume"), io.Discard, &log); code != 0 || err != nil {
		t.Fatalf("resumed: exit %d: %v", code, err)
	}
	if !strings.Contains(log.String(), "shard 1/3 in "+dir+": 2 trials of 2 rows on 1 workers (2 already finished)") {
		t.Errorf("resumed shard's log:\n%s", log.String())
	}
	os.Unsetenv("SLURM_ARRAY_TASK_ID")
	var out bytes.Buffer
	if code, err := ReproduceCommand(context.Background(), []string{"-status", "-checkpoint", dir, "-no-timing"}, &out, io.Discard); code != 0 || err != nil {
		t.Fatalf("-status: exit %d: %v", code, err)
	}
	if !strings.Contains(out.String(), "**Partial: 2 of the 6 trials have finished") {
		t.Errorf("-status report:\n%s", out.String())
	}
}
