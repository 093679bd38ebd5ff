package sweep

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// Shard is part Index of Count of a plan (0 <= Index < Count). The zero value is not a shard;
// Whole is the shard of a single-process run.
type Shard struct {
	Index, Count int
}

// Whole is the one shard of a plan run by a single process.
var Whole = Shard{Index: 0, Count: 1}

// String returns the shard as "i/n".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// name is the shard's file name stem, "i-of-n".
func (s Shard) name() string { return fmt.Sprintf("%d-of-%d", s.Index, s.Count) }

// Check returns an error unless 0 <= Index < Count.
func (s Shard) Check() error {
	if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
		return errors.Errorf("sweep: shard %d/%d: want i/n with 0 <= i < n", s.Index, s.Count)
	}
	return nil
}

// Owns reports whether the job at position k of a plan belongs to the shard.
func (s Shard) Owns(k int) bool { return s.Count > 0 && k%s.Count == s.Index }

// ParseShard reads a shard written "i/n" (0 <= i < n), as the -shard flag of examples/paper.
func ParseShard(text string) (Shard, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(text), "/")
	if !ok {
		return Shard{}, errors.Errorf("sweep: shard %q: want i/n, e.g. 0/3 for the first of three", text)
	}
	var s Shard
	var err1, err2 error
	s.Index, err1 = strconv.Atoi(i)
	s.Count, err2 = strconv.Atoi(n)
	if err1 != nil || err2 != nil {
		return Shard{}, errors.Errorf("sweep: shard %q: want i/n with whole numbers, e.g. 0/3", text)
	}
	if err := s.Check(); err != nil {
		return Shard{}, errors.Wrapf(err, "shard %q", text)
	}
	return s, nil
}

// ShardFromEnv returns the shard of the Slurm array task this process runs in, from
// SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT, SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_STEP
// (an array --array=0-2 gives the shards 0/3, 1/3 and 2/3; --array=1-3 the same). ok is false
// outside an array job. An array with gaps (--array=0,2,5) or a variable that is not a number is
// an error: the tasks would not cover the plan.
func ShardFromEnv() (s Shard, ok bool, err error) {
	return shardFromEnv(os.Getenv)
}

func shardFromEnv(getenv func(string) string) (Shard, bool, error) {
	if getenv("SLURM_ARRAY_TASK_ID") == "" || getenv("SLURM_ARRAY_TASK_COUNT") == "" {
		return Shard{}, false, nil
	}
	var err error
	num := func(name string, def int) int {
		v := getenv(name)
		if v == "" || err != nil {
			return def
		}
		n, e := strconv.Atoi(v)
		if e != nil {
			err = errors.Errorf("sweep: %s=%q is not a whole number", name, v)
		}
		return n
	}
	id, n := num("SLURM_ARRAY_TASK_ID", 0), num("SLURM_ARRAY_TASK_COUNT", 0)
	min, step, max := num("SLURM_ARRAY_TASK_MIN", 0), num("SLURM_ARRAY_TASK_STEP", 1), num("SLURM_ARRAY_TASK_MAX", -1)
	switch {
	case err != nil:
		return Shard{}, false, err
	case step < 1 || id < min || (id-min)%step != 0:
		return Shard{}, false, errors.Errorf("sweep: array task %d is not a task of an array from %d in steps of %d", id, min, step)
	case max >= 0 && (max-min)/step+1 != n:
		return Shard{}, false, errors.Errorf("sweep: an array from %d to %d in steps of %d has %d tasks, SLURM_ARRAY_TASK_COUNT says %d: an array with gaps would leave jobs unowned; use --array=0-%d",
			min, max, step, (max-min)/step+1, n, n-1)
	}
	s := Shard{Index: (id - min) / step, Count: n}
	if err := s.Check(); err != nil {
		return Shard{}, false, errors.Wrapf(err, "from SLURM_ARRAY_TASK_ID=%d, SLURM_ARRAY_TASK_COUNT=%d", id, n)
	}
	return s, true, nil
}
