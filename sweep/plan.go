package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/pkg/errors"
)

// Job is one entry of a plan.
type Job struct {
	// Key names the job, unique within its plan: "4: T=100#3", "lr=0.1 seed=2".
	Key string `json:"key"`
	// Params is everything else that decides the job's result, written out ("seed=4 cap=30000"):
	// two plans with the same keys but other seeds or caps are different plans.
	Params string `json:"params,omitempty"`
}

// Plan is an ordered list of jobs, the same in every process of a sweep.
type Plan struct {
	Jobs []Job
	// Config is the driver's own description of the sweep (its flags, say), kept in every
	// shard's manifest for the merge; it is not part of the plan's identity (Digest).
	Config json.RawMessage

	index  map[string]int
	digest string
}

// NewPlan makes a plan of jobs, in their order, with config (any JSON-encodable value, or nil)
// as its Config. Keys must be non-empty and unique.
func NewPlan(jobs []Job, config any) (*Plan, error) {
	p := &Plan{Jobs: append([]Job(nil), jobs...), index: make(map[string]int, len(jobs))}
	h := sha256.New()
	for k, j := range p.Jobs {
		if j.Key == "" {
			return nil, errors.Errorf("sweep: job %d of %d has no key", k, len(jobs))
		}
		if first, dup := p.index[j.Key]; dup {
			return nil, errors.Errorf("sweep: jobs %d and %d are both %q: keys must be unique", first, k, j.Key)
		}
		p.index[j.Key] = k
		b, _ := json.Marshal(j) // strings only: cannot fail
		h.Write(append(b, '\n'))
	}
	p.digest = hex.EncodeToString(h.Sum(nil)[:16])
	if config != nil {
		b, err := json.Marshal(config)
		if err != nil {
			return nil, errors.Wrap(err, "sweep: plan config")
		}
		p.Config = b
	}
	return p, nil
}

// Digest identifies the plan's jobs (keys and params, in order).
func (p *Plan) Digest() string { return p.digest }

// Position returns the job's position in the plan.
func (p *Plan) Position(key string) (int, bool) {
	k, ok := p.index[key]
	return k, ok
}

// Owned returns the positions of the jobs that shard s owns, in plan order.
func (p *Plan) Owned(s Shard) []int {
	var out []int
	for k := range p.Jobs {
		if s.Owns(k) {
			out = append(out, k)
		}
	}
	return out
}

// differ says how plan q differs from p, naming them pName and qName: the first job that
// differs, or the number of jobs.
func (p *Plan) differ(q *Plan, pName, qName string) string {
	for k := 0; k < min(len(p.Jobs), len(q.Jobs)); k++ {
		a, b := p.Jobs[k], q.Jobs[k]
		if a != b {
			return fmt.Sprintf("job %d is %q (%s) in %s and %q (%s) in %s", k, a.Key, a.Params, pName, b.Key, b.Params, qName)
		}
	}
	return fmt.Sprintf("%s has %d jobs and %s %d", pName, len(p.Jobs), qName, len(q.Jobs))
}
