package kernel

import (
	"github.com/lstm97/lstm97/internal/gemm"
	"github.com/lstm97/lstm97/internal/par"
)

// The parts of a pass that parallel runs over a range of rows.
const (
	partProject = iota // the inputs' part of the net inputs, rows of T·B
	partSteps          // every step's recurrent part and cells, rows of the batch
	partSweep          // every step's errors, from the last step down, rows of the batch
	partGradX          // the input weights' gradient, rows of wx
	partGradH          // the recurrent weights' gradient, rows of wh
	partDX             // ∂E/∂x, rows of T·B
)

// parallel runs part over rows [0, n) on the pass's goroutines (procs; package par: the
// caller and workers that live from pass to pass, each taking the rows left by the others once
// its own are done). Each row is computed by one goroutine, in the same order as by one, so
// the results do not depend on the number of goroutines nor on which one computes a row.
// Pieces are multiples of 4 rows (the tiles of package gemm). A pass runs a few of these, not
// one per step: each one costs a handoff to the workers and a wait for the last of them.
func (k *Kernel[F]) parallel(part, n int) {
	k.loop.For(k, part, n, 4, k.procsFor(n))
}

// procsFor is the number of goroutines of a part over n rows.
func (k *Kernel[F]) procsFor(n int) int { return max(1, min(k.procs, n/4)) }

// setProcs sets the number of goroutines of the passes about to run, from GOMAXPROCS (at most
// Threads, if set) and the work of the steps pass (the largest): all parts of a layer are
// split, or none, so that rows stay on the goroutine that computed them.
func (k *Kernel[F]) setProcs() {
	k.procs = par.Procs(k.T*k.B*k.u()*(k.r()+16), k.B/4)
	if k.Threads > 0 {
		k.procs = min(k.procs, k.Threads)
	}
}

// Run runs part on rows [lo, hi) (see parallel; it is par.Runner's method).
func (k *Kernel[F]) Run(part, lo, hi int) {
	switch part {
	case partProject:
		gemm.Acc(k.opProject(), k.net, k.cur.x, k.wx, lo, hi)
	case partSteps:
		fast := k.OutGate && !k.Forget && !k.Peep && k.G.Sigmoid && k.H.Sigmoid
		for t := 0; t < k.T; t++ {
			if k.projectInSteps {
				k.project(t, lo, hi)
			}
			k.recurrent(t, lo, hi)
			if fast {
				k.cells1997(t, lo, hi)
			} else {
				k.cells(t, lo, hi)
			}
		}
	case partSweep:
		fast := k.OutGate && !k.Forget && !k.Peep && !k.Full
		for t := k.T - 1; t >= 0; t-- {
			if fast {
				k.sweep1997(t, lo, hi)
				continue
			}
			for b := lo; b < hi; b++ {
				k.sweep(t, b)
			}
			if k.Full && k.Rec && t > 0 {
				k.recErr(t, lo, hi)
			}
		}
	case partGradX:
		k.gradX(lo, hi)
	case partGradH:
		k.gradH(lo, hi)
	case partDX:
		gemm.Acc(k.opDX(), k.cur.dx, k.dnet, k.wxT, lo, hi)
	}
}
