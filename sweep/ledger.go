package sweep

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/atomicfile"
)

// manifestFormat is the version of the manifest's layout.
const manifestFormat = 1

// manifest is a shard's record of the plan it runs (DIR/shards/<i>-of-<n>.json).
type manifest struct {
	Format int             `json:"format"`
	Shard  int             `json:"shard"`
	Count  int             `json:"count"`
	Digest string          `json:"digest"`
	Jobs   []Job           `json:"jobs"`
	Config json.RawMessage `json:"config,omitempty"`
}

// entry is a line of a shard's ledger.
type entry struct {
	Job    string          `json:"job"`
	Result json.RawMessage `json:"result"`
}

// Dir is the subdirectory of a sweep's directory that holds the shards' manifests and ledgers.
const Dir = "shards"

func manifestPath(dir string, s Shard) string {
	return filepath.Join(dir, Dir, s.name()+".json")
}

// LedgerPath is the ledger of shard s in the sweep directory dir.
func LedgerPath(dir string, s Shard) string {
	return filepath.Join(dir, Dir, s.name()+".jsonl")
}

// Ledger is a running shard: its plan, its finished jobs' results, and the file it records them
// in. It holds the shard's lock until Close.
type Ledger struct {
	plan  *Plan
	shard Shard
	path  string
	done  map[string]json.RawMessage
	lock  *os.File
}

// Open starts or resumes shard s of plan p in the sweep directory dir (created if need be):
// it writes the shard's manifest, or checks the one there, and reads the results the shard has
// recorded. It refuses a directory whose shards run another plan or another number of shards,
// and a shard that another process is running (it holds the shard's lock until Close; on file
// systems without locks, running a shard twice is not detected).
func Open(dir string, p *Plan, s Shard) (*Ledger, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, Dir), 0o755); err != nil {
		return nil, errors.WithStack(err)
	}
	others, err := readManifests(dir)
	if err != nil {
		return nil, err
	}
	for _, m := range others {
		if err := p.agrees(m, s.Count, "this run"); err != nil {
			return nil, errors.Wrapf(err, "sweep: %s holds shards of another sweep; use another directory", dir)
		}
	}
	l := &Ledger{plan: p, shard: s, path: LedgerPath(dir, s), done: map[string]json.RawMessage{}}
	if l.lock, err = lock(filepath.Join(dir, Dir, s.name()+".lock")); err != nil {
		return nil, errors.Wrapf(err, "sweep: shard %s in %s", s, dir)
	}
	if _, ok := others[s.Index]; !ok {
		m := manifest{Format: manifestFormat, Shard: s.Index, Count: s.Count, Digest: p.digest, Jobs: p.Jobs, Config: p.Config}
		b, err := json.MarshalIndent(m, "", " ")
		if err == nil {
			err = atomicfile.WriteBytes(manifestPath(dir, s), append(b, '\n'))
		}
		if err != nil {
			l.Close()
			return nil, errors.Wrapf(err, "sweep: shard %s manifest", s)
		}
	}
	if _, _, err := readLedger(l.path, p, s, l.done); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// Shard is the ledger's shard.
func (l *Ledger) Shard() Shard { return l.shard }

// Owned returns the positions in the plan of the shard's jobs.
func (l *Ledger) Owned() []int { return l.plan.Owned(l.shard) }

// Result returns the result recorded for the job key, if it has one.
func (l *Ledger) Result(key string) (json.RawMessage, bool) {
	r, ok := l.done[key]
	return r, ok
}

// Record appends the result of the shard's job key to the ledger (synced before it returns).
// A job recorded twice keeps its last result.
func (l *Ledger) Record(key string, result any) error {
	k, ok := l.plan.Position(key)
	switch {
	case !ok:
		return errors.Errorf("sweep: job %q is not in the plan", key)
	case !l.shard.Owns(k):
		return errors.Errorf("sweep: job %q (position %d) is shard %d/%d's, not %s's", key, k, k%l.shard.Count, l.shard.Count, l.shard)
	}
	b, err := json.Marshal(result)
	if err != nil {
		return errors.Wrapf(err, "sweep: result of %q", key)
	}
	if err := AppendJSON(l.path, entry{Job: key, Result: b}); err != nil {
		return err
	}
	l.done[key] = b
	return nil
}

// Close releases the shard's lock.
func (l *Ledger) Close() error {
	if l.lock == nil {
		return nil
	}
	err := l.lock.Close()
	l.lock = nil
	return err
}

// lock takes an exclusive lock on the file at path, or fails at once if another process holds
// it. File systems that do not support locks (ENOLCK, ENOTSUP) give no lock and no error.
func lock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, errors.WithStack(err)
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	switch {
	case err == nil:
		return f, nil
	case errors.Is(err, syscall.EWOULDBLOCK):
		f.Close()
		return nil, errors.New("another process is running this shard (it holds " + path + ")")
	case errors.Is(err, syscall.ENOLCK), errors.Is(err, syscall.ENOTSUP):
		return f, nil
	default:
		f.Close()
		return nil, errors.Wrapf(err, "locking %s", path)
	}
}

// readManifests reads every shard manifest in dir, by shard index.
func readManifests(dir string) (map[int]*manifest, error) {
	files, err := filepath.Glob(filepath.Join(dir, Dir, "*-of-*.json"))
	if err != nil {
		return nil, errors.WithStack(err)
	}
	sort.Strings(files)
	out := map[int]*manifest{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, errors.WithStack(err)
		}
		m := &manifest{}
		if err := json.Unmarshal(b, m); err != nil {
			return nil, errors.Wrapf(err, "sweep: manifest %s", f)
		}
		s := Shard{Index: m.Shard, Count: m.Count}
		switch {
		case m.Format != manifestFormat:
			return nil, errors.Errorf("sweep: manifest %s has format %d, this program reads %d", f, m.Format, manifestFormat)
		case s.Check() != nil || filepath.Base(f) != s.name()+".json":
			return nil, errors.Errorf("sweep: manifest %s says it is shard %s", f, s)
		}
		if prev, ok := out[m.Shard]; ok && prev.Count == m.Count {
			return nil, errors.Errorf("sweep: two manifests of shard %s in %s", s, dir)
		}
		if prev, ok := out[m.Shard]; ok {
			return nil, errors.Errorf("sweep: %s holds shard %d of %d and shard %d of %d: the shards of two sweeps with different shard counts",
				dir, prev.Shard, prev.Count, m.Shard, m.Count)
		}
		out[m.Shard] = m
	}
	return out, nil
}

// agrees returns an error unless the manifest m is of plan p split into count shards; self
// names p and count ("this run", "shard 0/3").
func (p *Plan) agrees(m *manifest, count int, self string) error {
	other := fmt.Sprintf("shard %d/%d", m.Shard, m.Count)
	switch {
	case m.Count != count:
		return errors.Errorf("%s splits the jobs into %d shards, %s into %d", other, m.Count, self, count)
	case m.Digest != p.digest:
		return errors.Errorf("%s runs another job list than %s: %s", other, self, p.differ(&Plan{Jobs: m.Jobs}, self, other))
	}
	return nil
}

// readLedger reads the ledger of shard s of plan p at path into done. Every job it records
// must be one of the shard's.
func readLedger(path string, p *Plan, s Shard, done map[string]json.RawMessage) (exists, partial bool, err error) {
	return ReadJSONLines(path, func(_ int, line []byte) error {
		var e entry
		if err := json.Unmarshal(line, &e); err != nil {
			return errors.Wrap(err, "sweep: ledger")
		}
		k, ok := p.Position(e.Job)
		switch {
		case !ok:
			return errors.Errorf("sweep: ledger of shard %s records job %q, which is not in the plan", s, e.Job)
		case !s.Owns(k):
			return errors.Errorf("sweep: ledger of shard %s records job %q, which is shard %d/%d's: two shards claim it", s, e.Job, k%s.Count, s.Count)
		case len(e.Result) == 0:
			return errors.Errorf("sweep: ledger of shard %s records job %q without a result", s, e.Job)
		}
		done[e.Job] = e.Result
		return nil
	})
}

// Merged is what Collect found in a sweep directory.
type Merged struct {
	Plan  *Plan
	Count int // shards
	// Results holds the recorded result of every job of the plan, by position (nil: none yet).
	Results []json.RawMessage
	// Started lists the shards that have written their manifest; NoLedger those of them
	// without a ledger (they have finished no job, or it was deleted); Partial those whose
	// ledger ends in a line cut short (the process died writing it; that job counts as
	// unfinished).
	Started, NoLedger, Partial []int
}

// Collect reads the manifests and ledgers of every shard in the sweep directory dir. The
// shards must agree on the plan and the number of shards, and each ledger may record only its
// shard's jobs; anything else is an error. Missing results are not an error here: Complete
// checks for them.
func Collect(dir string) (*Merged, error) {
	ms, err := readManifests(dir)
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, errors.Errorf("sweep: no shard has started in %s (no %s)", dir, filepath.Join(dir, Dir, "<i>-of-<n>.json"))
	}
	idx := make([]int, 0, len(ms))
	for i := range ms {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	first := ms[idx[0]]
	plan, err := NewPlan(first.Jobs, nil)
	if err != nil {
		return nil, errors.Wrapf(err, "sweep: manifest of shard %d/%d", first.Shard, first.Count)
	}
	plan.Config = first.Config
	if plan.digest != first.Digest {
		return nil, errors.Errorf("sweep: manifest of shard %d/%d: its jobs do not match its digest (edited?)", first.Shard, first.Count)
	}
	m := &Merged{Plan: plan, Count: first.Count, Results: make([]json.RawMessage, len(plan.Jobs))}
	for _, i := range idx {
		if err := plan.agrees(ms[i], first.Count, fmt.Sprintf("shard %d/%d", first.Shard, first.Count)); err != nil {
			return nil, errors.Wrapf(err, "sweep: %s", dir)
		}
		s := Shard{Index: i, Count: first.Count}
		done := map[string]json.RawMessage{}
		exists, partial, err := readLedger(LedgerPath(dir, s), plan, s, done)
		if err != nil {
			return nil, err
		}
		if !exists {
			m.NoLedger = append(m.NoLedger, i)
		}
		for key, r := range done {
			k, _ := plan.Position(key)
			m.Results[k] = r
		}
		m.Started = append(m.Started, i)
		if partial {
			m.Partial = append(m.Partial, i)
		}
	}
	return m, nil
}

// Missing returns the positions of the jobs without a result.
func (m *Merged) Missing() []int {
	var out []int
	for k, r := range m.Results {
		if r == nil {
			out = append(out, k)
		}
	}
	return out
}

// Complete returns nil if every job of the plan has a result, or else an error that names the
// shards that have not started and, by shard, the jobs without a result (the first few).
func (m *Merged) Complete() error {
	missing := m.Missing()
	if len(missing) == 0 {
		return nil
	}
	started := map[int]bool{}
	for _, i := range m.Started {
		started[i] = true
	}
	partial, noLedger := map[int]bool{}, map[int]bool{}
	for _, i := range m.Partial {
		partial[i] = true
	}
	for _, i := range m.NoLedger {
		noLedger[i] = true
	}
	byShard := map[int][]string{}
	for _, k := range missing {
		byShard[k%m.Count] = append(byShard[k%m.Count], fmt.Sprintf("%q", m.Plan.Jobs[k].Key))
	}
	var parts []string
	for i := 0; i < m.Count; i++ {
		keys := byShard[i]
		if len(keys) == 0 {
			continue
		}
		s := Shard{Index: i, Count: m.Count}
		what := fmt.Sprintf("shard %s has not finished %d of its jobs", s, len(keys))
		switch {
		case !started[i]:
			what = fmt.Sprintf("shard %s has not started (%d jobs)", s, len(keys))
		case noLedger[i]:
			what = fmt.Sprintf("shard %s has finished none of its %d jobs (it has no ledger yet)", s, len(keys))
		case partial[i]:
			what += " (its ledger ends in a line cut short)"
		}
		if len(keys) > 3 {
			keys = append(keys[:3], "...")
		}
		parts = append(parts, what+": "+strings.Join(keys, ", "))
	}
	return errors.Errorf("sweep: %d of %d jobs have no result: %s", len(missing), len(m.Plan.Jobs), strings.Join(parts, "; "))
}
