package kernel

import (
	"runtime"
	"sync"

	"github.com/lstm97/lstm97/internal/gemm"
)

// minWork is the least work (multiply-adds, roughly) worth a goroutine of its own: below it,
// starting and waiting for one costs more than it saves.
const minWork = 1 << 15

// The parts of a pass that parallel runs over a range of rows.
const (
	partProject = iota // the inputs' part of the net inputs, rows of T·B
	partSteps          // every step's recurrent part and cells, rows of the batch
	partSweep          // every step's errors, from the last step down, rows of the batch
	partGradX          // the input weights' gradient, rows of wx
	partGradH          // the recurrent weights' gradient, rows of wh
	partDX             // ∂E/∂x, rows of T·B
)

// parallel runs part over rows [0, n), split among up to GOMAXPROCS goroutines when the
// work is large enough. Each row is computed by one goroutine, in the same order as by one, so
// the results do not depend on the number of goroutines. Chunks are multiples of 4 rows (the
// tiles of package gemm). A pass starts a few of these, not one per step: waking a goroutine
// costs tens of microseconds on a virtual machine, as much as a step of a 64-block layer.
func (k *Kernel[F]) parallel(part, n, work int) {
	procs := k.procs
	if w := work / minWork; w < procs {
		procs = w
	}
	if procs > n/4 {
		procs = n / 4
	}
	if procs <= 1 {
		k.run(part, 0, n)
		return
	}
	chunk := (n + procs - 1) / procs
	chunk = (chunk + 3) / 4 * 4
	var wg sync.WaitGroup
	for lo := chunk; lo < n; lo += chunk {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			k.run(part, lo, hi)
		}(lo, min(lo+chunk, n))
	}
	k.run(part, 0, min(chunk, n))
	wg.Wait()
}

// setProcs reads GOMAXPROCS for the pass about to run.
func (k *Kernel[F]) setProcs() { k.procs = runtime.GOMAXPROCS(0) }

// run runs part on rows [lo, hi) (see parallel).
func (k *Kernel[F]) run(part, lo, hi int) {
	switch part {
	case partProject:
		gemm.Acc(k.opProject(), k.net, k.cur.x, k.wx, lo, hi)
	case partSteps:
		fast := k.OutGate && !k.Forget && !k.Peep && k.G.Sigmoid && k.H.Sigmoid
		for t := 0; t < k.T; t++ {
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
