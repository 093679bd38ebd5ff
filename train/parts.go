package train

import (
	"runtime"
	"time"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/fusedop"
)

// partsSpin is how long the goroutines of a step's parts wait spinning for the next step, and
// Step for the last part, before they park (par.Loop.Spin). Between two steps, Step spends
// 0.3-0.4 ms on its own (the sum of the gradients, the optimizer, checking the next batch),
// and a parked goroutine started its part about 0.2 ms after Step handed it over (a 64-block
// layer, batch 32, on this project's 2-vCPU virtual machine): 4 % of a step.
const partsSpin = time.Millisecond

// part is one of the parts that Step splits a training batch into (TrainerConfig.Replicas).
type part struct {
	lo, hi int       // its sequences in the batch
	progs  programs  // its programs, one per shape
	c      *compiled // the program of the step being run
	bt     Batch     // sequences [lo, hi) of the batch being run (views of its slices)
	// st holds the part's rows of the state the trainer carries (views) and its final states.
	st  carried
	r   Result
	err error
}

// split returns the number of parts a training batch of B sequences runs in.
func (tr *Trainer) split(B int) int {
	if tr.cfg.Learner != nil {
		return 1
	}
	return max(1, min(tr.cfg.Replicas, B))
}

// buildParts cuts a batch of shape s into n parts and finds (or compiles) each part's program.
func (tr *Trainer) buildParts(s graph.Shape, n int) error {
	for len(tr.parts) < n {
		tr.parts = append(tr.parts, &part{progs: programs{m: map[string]*compiled{}}})
	}
	threads := max(1, runtime.GOMAXPROCS(0)/n)
	for i, p := range tr.parts[:n] {
		p.lo, p.hi = i*s.B/n, (i+1)*s.B/n
		// A part's programs are kept by the whole batch's shape: parts of batches of other
		// sizes (4 and 5 sequences both have a part of 2) have programs of their own, so that
		// a Result's outputs, in the programs' buffers, last until the next step of its shape.
		c, err := tr.program(&p.progs, s, p.hi-p.lo, false, threads)
		if err != nil {
			return errors.Wrapf(err, "part %d (sequences %d to %d)", i, p.lo, p.hi-1)
		}
		if !c.model.Separable {
			return errors.Errorf("Replicas is %d, but the model is not Separable (graph.Model.Separable): the gradients of parts of a batch add up to the batch's only when the loss is 1/B times a sum over its sequences, each computed on its own", tr.cfg.Replicas)
		}
		p.c = c
	}
	return nil
}

// runParts runs the forward and backward passes of a training batch of shape s in n parts at
// once and leaves in part 0's program the weighted sum of their gradients (see
// TrainerConfig.Replicas), which it returns with the batch's result; the parts' final states
// go to the trainer's carried state (tr.trainState.next). The other parts' gradients are left
// as they are: each part zeroes its own before it runs (partRunner).
func (tr *Trainer) runParts(bt *Batch, s graph.Shape, n int) (*compiled, Result, error) {
	if err := tr.buildParts(s, n); err != nil {
		return nil, Result{}, err
	}
	parts := tr.parts[:n]
	st := &tr.trainState
	if bt.Continue && st.ok && st.B != s.B {
		return nil, Result{}, continueMismatch(s.B, st.B)
	}
	for _, p := range parts {
		bt.view(&p.bt, p.lo, p.hi)
		p.st.ok, p.st.B, p.st.vals = false, p.hi-p.lo, p.st.vals[:0]
		if bt.Continue && st.ok {
			p.st.ok = true
			for _, v := range st.vals {
				w := len(v) / st.B
				p.st.vals = append(p.st.vals, v[p.lo*w:p.hi*w:p.hi*w])
			}
		}
	}
	tr.runner.parts = parts
	tr.loop.For(&tr.runner, 0, n, 1, min(n, runtime.GOMAXPROCS(0)))
	c := parts[0].c
	for i, p := range parts {
		if p.err != nil {
			return c, Result{}, errors.Wrapf(p.err, "part %d (sequences %d to %d)", i, p.lo, p.hi-1)
		}
	}
	if err := sumGrads(parts, s.B); err != nil {
		return c, Result{}, err
	}
	// The batch's result: the parts' losses weighted as their gradients, their outputs side
	// by side (every part has the batch's target steps).
	m := tr.mergedFor(s)
	r := Result{TargetSteps: parts[0].r.TargetSteps, Outputs: m.outs}
	for _, p := range parts {
		r.Loss += float64(weight(p, s.B) * p.r.Loss)
		for i, rows := range p.r.Outputs {
			copy(m.outs[i][p.lo:p.hi], rows)
		}
	}
	if len(st.next) != len(parts[0].st.next) {
		st.next = make([][]float64, len(parts[0].st.next))
	}
	for j := range st.next {
		st.next[j] = st.next[j][:0]
		for _, p := range parts {
			st.next[j] = append(st.next[j], p.st.next[j]...)
		}
	}
	st.nB = s.B
	return c, r, nil
}

// merged holds the Result.Outputs of the steps of one batch shape run in parts: rows of the
// parts' programs, side by side.
type merged struct {
	shape graph.Shape
	outs  [][][]float64 // [target steps][B] rows
}

// mergedFor returns the output buffers of shape s (kept for at most MaxPrograms shapes, as
// the programs).
func (tr *Trainer) mergedFor(s graph.Shape) *merged {
	if m := tr.lastMerged; m != nil && sameShape(m.shape, s) {
		return m
	}
	var buf [256]byte
	kb := appendKey(buf[:0], s)
	if m, ok := tr.merged[string(kb)]; ok {
		tr.lastMerged = m
		return m
	}
	if tr.merged == nil {
		tr.merged = map[string]*merged{}
	}
	if len(tr.merged) >= tr.cfg.MaxPrograms {
		for k := range tr.merged { // evict any one, as the programs
			delete(tr.merged, k)
			break
		}
	}
	s.TargetSteps = append([]int(nil), s.TargetSteps...)
	rows := make([][]float64, len(s.TargetSteps)*s.B)
	m := &merged{shape: s, outs: make([][][]float64, len(s.TargetSteps))}
	for i := range m.outs {
		m.outs[i] = rows[i*s.B : (i+1)*s.B : (i+1)*s.B]
	}
	tr.merged[string(kb)] = m
	tr.lastMerged = m
	return m
}

// partRunner runs parts (a par.Runner): each part's program on its rows of the batch.
type partRunner struct{ parts []*part }

func (pr *partRunner) Run(_, lo, hi int) {
	for i, p := range pr.parts[lo:hi] {
		if lo+i > 0 { // part 0's gradients are zeroed after the optimizer step (Step)
			if p.err = p.c.prog.ZeroGrads(); p.err != nil {
				continue
			}
		}
		p.r, p.err = p.c.run(&p.bt, &p.st)
		if p.err == nil && p.c.params == nil {
			p.c.params, p.err = p.c.prog.Params()
		}
	}
}

// weight is the share of part p in a batch of B sequences.
func weight(p *part, B int) float64 { return float64(p.hi-p.lo) / float64(B) }

// sumGrads sets the gradients of part 0's program to Σ_i w_i·g_i over the parts, w_i being
// part i's share of the batch, summed part after part.
func sumGrads(parts []*part, B int) error {
	for j, q := range parts[0].c.params {
		for i, p := range parts[1:] {
			if len(p.c.params) != len(parts[0].c.params) || p.c.params[j].Name != q.Name {
				return errors.Errorf("part %d: its program's parameter %d is not %q: the model built different parameters for batches of %d and %d sequences", i+1, j, q.Name, p.hi-p.lo, parts[0].hi-parts[0].lo)
			}
		}
		var err error
		if q.Grad.Dtype() == tensor.Float32 {
			err = addScaled[float32](parts, j, B)
		} else {
			err = addScaled[float64](parts, j, B)
		}
		if err != nil {
			return errors.Wrapf(err, "gradient of %q", q.Name)
		}
	}
	return nil
}

// addScaled sets the gradient of parameter j of part 0 to the parts' weighted sum. Each
// product is rounded before it is added (the conversions forbid a fused multiply-add), so the
// sum is the same on every architecture.
func addScaled[F float32 | float64](parts []*part, j, B int) error {
	dst, ok := fusedop.Floats[F](parts[0].c.params[j].Grad)
	if !ok {
		return errors.Errorf("part 0: gradient is not a dense tensor of %T", F(0))
	}
	w := F(weight(parts[0], B))
	for k, v := range dst {
		dst[k] = F(w * v)
	}
	for i, p := range parts[1:] {
		src, ok := fusedop.Floats[F](p.c.params[j].Grad)
		if !ok || len(src) != len(dst) {
			return errors.Errorf("part %d: gradient is not a dense tensor of %d %T", i+1, len(dst), F(0))
		}
		w := F(weight(p, B))
		src = src[:len(dst)]
		for k, v := range src {
			dst[k] += F(w * v)
		}
	}
	return nil
}

// view sets dst to sequences [lo, hi) of bt, its slices views of bt's (dst's outer slices are
// reused from call to call).
func (bt *Batch) view(dst *Batch, lo, hi int) {
	dst.Alphabet, dst.Classes, dst.Continue = bt.Alphabet, bt.Classes, bt.Continue
	dst.Inputs = viewSteps(dst.Inputs, bt.Inputs, lo, hi)
	dst.Targets = viewSteps(dst.Targets, bt.Targets, lo, hi)
	dst.Symbols = viewSteps(dst.Symbols, bt.Symbols, lo, hi)
	dst.Labels = viewSteps(dst.Labels, bt.Labels, lo, hi)
	dst.Lengths = nil
	if bt.Lengths != nil {
		dst.Lengths = bt.Lengths[lo:hi:hi]
	}
}

// viewSteps returns, in dst's storage, steps [T][B]E cut to the sequences [lo, hi) (a nil step
// stays nil; nil steps give nil).
func viewSteps[E any](dst, steps [][]E, lo, hi int) [][]E {
	if steps == nil {
		return nil
	}
	dst = dst[:0]
	for _, step := range steps {
		if step != nil {
			step = step[lo:hi:hi]
		}
		dst = append(dst, step)
	}
	return dst
}
