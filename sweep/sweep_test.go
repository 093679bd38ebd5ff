package sweep

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Shard
		err  string
	}{
		{"0/3", Shard{0, 3}, ""},
		{" 2/3 ", Shard{2, 3}, ""},
		{"0/1", Whole, ""},
		{"3/3", Shard{}, "0 <= i < n"},
		{"-1/3", Shard{}, "0 <= i < n"},
		{"1/0", Shard{}, "0 <= i < n"},
		{"1", Shard{}, "want i/n"},
		{"a/3", Shard{}, "whole numbers"},
	} {
		got, err := ParseShard(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseShard(%q) = %v, %v; want an error containing %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestShardFromEnv(t *testing.T) {
	for _, c := range []struct {
		env  string // NAME=value pairs, space-separated, without the SLURM_ARRAY_TASK_ prefix
		want Shard
		ok   bool
		err  string
	}{
		{"", Shard{}, false, ""},
		{"ID=1", Shard{}, false, ""},
		{"ID=1 COUNT=3", Shard{1, 3}, true, ""},
		{"ID=1 COUNT=3 MIN=0 MAX=2 STEP=1", Shard{1, 3}, true, ""},
		{"ID=3 COUNT=3 MIN=1 MAX=3", Shard{2, 3}, true, ""},
		{"ID=4 COUNT=3 MIN=0 MAX=4 STEP=2", Shard{2, 3}, true, ""},
		{"ID=2 COUNT=3 MIN=0 MAX=5", Shard{}, false, "gaps"},
		{"ID=3 COUNT=3 MIN=0 STEP=2", Shard{}, false, "not a task"},
		{"ID=x COUNT=3", Shard{}, false, "not a whole number"},
		{"ID=5 COUNT=3", Shard{}, false, "0 <= i < n"},
	} {
		env := map[string]string{}
		for _, kv := range strings.Fields(c.env) {
			k, v, _ := strings.Cut(kv, "=")
			env["SLURM_ARRAY_TASK_"+k] = v
		}
		got, ok, err := shardFromEnv(func(k string) string { return env[k] })
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: got %v, %v, %v; want an error containing %q", c.env, got, ok, err, c.err)
			}
			continue
		}
		if err != nil || ok != c.ok || got != c.want {
			t.Errorf("%s: got %v, %v, %v; want %v, %v", c.env, got, ok, err, c.want, c.ok)
		}
	}
}

func TestMakespan(t *testing.T) {
	for _, c := range []struct {
		d           []float64
		cores       int
		span, bound float64
	}{
		{nil, 4, 0, 0},
		{[]float64{5}, 1024, 5, 5},
		{[]float64{1, 2, 3, 4}, 1, 10, 10},
		{[]float64{1, 2, 3, 4}, 0, 10, 10},
		{[]float64{1, 2, 3, 4}, 2, 5, 5},             // 4+1, 3+2
		{[]float64{3, 3, 2, 2, 2}, 2, 7, 6},          // LPT: 3+2+2, 3+2 (the best is 6: 3+3, 2+2+2)
		{[]float64{10, 1, 1, 1, 1, 1, 1}, 3, 10, 10}, // the longest job sets it
	} {
		span, bound := Makespan(c.d, c.cores)
		if span != c.span || bound != c.bound {
			t.Errorf("Makespan(%v, %d) = %g, %g; want %g, %g", c.d, c.cores, span, bound, c.span, c.bound)
		}
	}
}

func testPlan(t *testing.T, n int, params string) *Plan {
	t.Helper()
	jobs := make([]Job, n)
	for k := range jobs {
		jobs[k] = Job{Key: fmt.Sprintf("job%d", k), Params: params}
	}
	p, err := NewPlan(jobs, map[string]int{"n": n})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// runShard opens shard s of p in dir and records every owned job's position (all but skip).
func runShard(t *testing.T, dir string, p *Plan, s Shard, skip map[int]bool) {
	t.Helper()
	l, err := Open(dir, p, s)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, k := range l.Owned() {
		if !skip[k] {
			if err := l.Record(p.Jobs[k].Key, k); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestPlanRefusesBadJobs(t *testing.T) {
	if _, err := NewPlan([]Job{{Key: "a"}, {Key: "b"}, {Key: "a"}}, nil); err == nil || !strings.Contains(err.Error(), `jobs 0 and 2 are both "a"`) {
		t.Errorf("duplicate keys: %v", err)
	}
	if _, err := NewPlan([]Job{{Key: ""}}, nil); err == nil || !strings.Contains(err.Error(), "no key") {
		t.Errorf("empty key: %v", err)
	}
}

// TestMerge runs the shards of a plan and collects them, and checks each way a merge can go
// wrong: a shard not started, a shard not finished, a ledger cut short, a shard of another plan
// or shard count, a job claimed by two shards, a shard run twice at once.
func TestMerge(t *testing.T) {
	p := testPlan(t, 10, "seed=1")
	for _, c := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		err   string // from Collect, or else from Complete ("": complete)
	}{
		{"complete", func(t *testing.T, dir string) {
			for i := 0; i < 3; i++ {
				runShard(t, dir, p, Shard{i, 3}, nil)
			}
		}, ""},
		{"resumed shard records a job again", func(t *testing.T, dir string) {
			for i := 0; i < 3; i++ {
				runShard(t, dir, p, Shard{i, 3}, nil)
			}
			runShard(t, dir, p, Shard{1, 3}, nil)
		}, ""},
		{"shard not started", func(t *testing.T, dir string) {
			runShard(t, dir, p, Shard{0, 3}, nil)
			runShard(t, dir, p, Shard{2, 3}, nil)
		}, `shard 1/3 has not started (3 jobs): "job1", "job4", "job7"`},
		{"shard not finished", func(t *testing.T, dir string) {
			for i := 0; i < 3; i++ {
				runShard(t, dir, p, Shard{i, 3}, map[int]bool{5: true, 8: true})
			}
		}, `2 of 10 jobs have no result: shard 2/3 has not finished 2 of its jobs: "job5", "job8"`},
		{"ledger cut short", func(t *testing.T, dir string) {
			for i := 0; i < 3; i++ {
				runShard(t, dir, p, Shard{i, 3}, nil)
			}
			path := LedgerPath(dir, Shard{0, 3})
			b, _ := os.ReadFile(path)
			if err := os.WriteFile(path, b[:len(b)-5], 0o644); err != nil {
				t.Fatal(err)
			}
		}, `shard 0/3 has not finished 1 of its jobs (its ledger ends in a line cut short): "job9"`},
		{"ledger missing", func(t *testing.T, dir string) {
			for i := 0; i < 3; i++ {
				runShard(t, dir, p, Shard{i, 3}, nil)
			}
			if err := os.Remove(LedgerPath(dir, Shard{1, 3})); err != nil {
				t.Fatal(err)
			}
		}, `shard 1/3 has finished none of its 3 jobs (it has no ledger yet): "job1", "job4", "job7"`},
		{"ledger damaged", func(t *testing.T, dir string) {
			runShard(t, dir, p, Shard{0, 2}, nil)
			runShard(t, dir, p, Shard{1, 2}, nil)
			path := LedgerPath(dir, Shard{1, 2})
			b, _ := os.ReadFile(path)
			if err := os.WriteFile(path, append([]byte("{not json\n"), b...), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "1-of-2.jsonl line 1"},
		{"job claimed by two shards", func(t *testing.T, dir string) {
			runShard(t, dir, p, Shard{0, 2}, nil)
			runShard(t, dir, p, Shard{1, 2}, nil)
			if err := AppendJSON(LedgerPath(dir, Shard{1, 2}), entry{Job: "job4", Result: []byte("4")}); err != nil {
				t.Fatal(err)
			}
		}, `ledger of shard 1/2 records job "job4", which is shard 0/2's: two shards claim it`},
		{"shard of another job list", func(t *testing.T, dir string) {
			runShard(t, dir, p, Shard{0, 2}, nil)
			other := testPlan(t, 10, "seed=2")
			m := manifest{Format: manifestFormat, Shard: 1, Count: 2, Digest: other.digest, Jobs: other.Jobs}
			writeManifest(t, dir, m)
		}, `shard 1/2 runs another job list than shard 0/2: job 0 is "job0" (seed=1) in shard 0/2 and "job0" (seed=2) in shard 1/2`},
		{"shards of another count", func(t *testing.T, dir string) {
			runShard(t, dir, p, Shard{0, 2}, nil)
			writeManifest(t, dir, manifest{Format: manifestFormat, Shard: 2, Count: 3, Digest: p.digest, Jobs: p.Jobs})
		}, "shard 2/3 splits the jobs into 3 shards, shard 0/2 into 2"},
		{"nothing started", func(t *testing.T, dir string) {}, "no shard has started"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			c.setup(t, dir)
			m, err := Collect(dir)
			if err == nil {
				err = m.Complete()
			}
			if c.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				for k, r := range m.Results {
					if string(r) != fmt.Sprint(k) {
						t.Errorf("job %d: result %s", k, r)
					}
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("got %v, want an error containing %q", err, c.err)
			}
		})
	}
}

func writeManifest(t *testing.T, dir string, m manifest) {
	t.Helper()
	b := fmt.Sprintf(`{"format":%d,"shard":%d,"count":%d,"digest":%q,"jobs":[`, m.Format, m.Shard, m.Count, m.Digest)
	for k, j := range m.Jobs {
		if k > 0 {
			b += ","
		}
		b += fmt.Sprintf(`{"key":%q,"params":%q}`, j.Key, j.Params)
	}
	if err := os.WriteFile(manifestPath(dir, Shard{m.Shard, m.Count}), []byte(b+"]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOpenRefuses: a shard of another plan or shard count cannot start in a directory that has
// shards, and a shard cannot run twice at once; a ledger job of another shard is refused.
func TestOpenRefuses(t *testing.T) {
	p := testPlan(t, 6, "seed=1")
	dir := t.TempDir()
	l, err := Open(dir, p, Shard{0, 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, p, Shard{0, 2}); err == nil || !strings.Contains(err.Error(), "another process is running this shard") {
		t.Errorf("shard opened twice: %v", err)
	}
	if err := l.Record("job1", 1); err == nil || !strings.Contains(err.Error(), `job "job1" (position 1) is shard 1/2's, not 0/2's`) {
		t.Errorf("recording another shard's job: %v", err)
	}
	if err := l.Record("job9", 1); err == nil || !strings.Contains(err.Error(), "not in the plan") {
		t.Errorf("recording a job not in the plan: %v", err)
	}
	if err := l.Record("job2", 2); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if _, err := Open(dir, testPlan(t, 6, "seed=2"), Shard{1, 2}); err == nil || !strings.Contains(err.Error(), "another job list") {
		t.Errorf("another plan: %v", err)
	}
	if _, err := Open(dir, p, Shard{1, 3}); err == nil || !strings.Contains(err.Error(), "shard 0/2 splits the jobs into 2 shards, this run into 3") {
		t.Errorf("another shard count: %v", err)
	}
	// Resuming reads what the shard recorded.
	l, err = Open(dir, p, Shard{0, 2})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if r, ok := l.Result("job2"); !ok || string(r) != "2" {
		t.Errorf("resumed ledger: job2 = %s, %v", r, ok)
	}
	if _, ok := l.Result("job0"); ok {
		t.Errorf("resumed ledger has job0, never recorded")
	}
	if got := filepath.Base(LedgerPath(dir, Shard{0, 2})); got != "0-of-2.jsonl" {
		t.Errorf("ledger file %s", got)
	}
}
