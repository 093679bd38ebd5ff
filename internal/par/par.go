// Package par runs the loops of the fused kernels' passes on several goroutines: the caller's
// and up to GOMAXPROCS-1 workers that live from pass to pass.
//
// A pass over n items is cut into one range per goroutine taking part, the first on the caller.
// Each goroutine computes its own range in two pieces, then takes the pieces left in the
// others' ranges, so a goroutine that started late or runs on a busier CPU holds the pass back
// less. Two pieces, not more: the kernels' products read their whole weight matrix once per
// piece (with quarters, a 256-block layer on 2 threads trained 520-666 sequences a second
// instead of 710-757; with whole ranges, a 64-block one 5,062-5,447 instead of 6,269-6,576).
//
// Each item is computed by exactly one goroutine, so a loop body whose items depend neither on
// each other nor on where the pieces are cut (that changes with the number of free workers)
// gives the same results whoever computes them, for any number of goroutines.
//
// The workers wait for the next pass spinning for a short while (spinFor) before they park, and
// a goroutine keeps the same range from pass to pass while the same workers take part: on a
// virtual machine waking a parked goroutine costs about as much as a step of a 64-block layer,
// and rows computed on one CPU are cheapest to read again on that CPU.
package par

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMinWork is the least work (multiply-adds, roughly) worth a goroutine of its own.
// Below it, the lines a pass writes on one CPU and the next reads on another cost more than the
// second goroutine saves: on this project's 2-vCPU machine (a cache line's round trip between
// the vCPUs 430-510 ns), with a threshold 512 times lower, training on 2 goroutines took the
// adding net at batch 32 from 89-122k to 58-60k sequences a second, a layer of 16 blocks (batch
// 32, T=50) from 30k to 18k and one of 32 blocks from 16-17k to 9-11k; 64 and 256 blocks
// gained. The LSTM kernel compares it with its steps pass's work (32 blocks: 17 M, 64: 64 M).
const DefaultMinWork = 1 << 24

// minWork is the threshold in force (SetMinWork).
var minWork atomic.Int64

func init() { minWork.Store(DefaultMinWork) }

// SetMinWork sets the least work worth a goroutine and returns the previous value: for tests,
// so that small shapes run on several goroutines.
func SetMinWork(n int) int { return int(minWork.Swap(int64(max(1, n)))) }

// Procs returns how many goroutines are worth splitting work among: at most GOMAXPROCS and
// units, one per DefaultMinWork (or SetMinWork's value) of work, at least 1.
func Procs(work, units int) int {
	return max(1, min(runtime.GOMAXPROCS(0), work/int(minWork.Load()), units))
}

// Runner is a loop body: Run computes items [lo, hi) of part (a number the runner gives
// meaning to). It must not call For on the Loop running it (another Loop is fine). A panic in
// Run is raised again on For's caller; runtime.Goexit in Run (t.FailNow in a test) makes For
// panic.
type Runner interface {
	Run(part, lo, hi int)
}

// spinFor is how long an idle worker looks for a new pass before it parks, and how long For's
// caller looks for the workers' end before it parks: long enough to span the serial work
// between two passes of a training step, short enough that an idle program gives its CPUs back
// at once. A program running passes less than spinFor apart keeps its workers' CPUs busy.
const spinFor = 50 * time.Microsecond

// Loop runs passes (For). A Loop serves one pass at a time; keep one per kernel so that its
// ranges stay on the same goroutines from pass to pass. The zero value is ready to use.
type Loop struct {
	// Spin, if above spinFor, is how long the workers of a pass wait spinning for the next
	// one, and the caller for the workers, before they park: for passes that come farther
	// apart, or end farther apart, than spinFor but often enough that waking a parked
	// goroutine (on this project's virtual machine, about 200 µs) costs more than the CPU
	// spent spinning. Set it before the first pass.
	Spin time.Duration

	r         Runner
	part      int
	ranges    []span
	jobs      []job
	members   []*worker      // the workers taking part in the running pass, by range - 1
	pending   atomic.Int32   // the workers' jobs not yet finished nor taken back
	done      sync.WaitGroup // the same count, to park on
	mu        sync.Mutex     // guards failure
	failure   any            // the first panic of a worker, raised again on the caller
	chunkSize int
}

// span is one goroutine's range of a pass, padded to a cache line of its own so that taking a
// piece does not slow down the others.
type span struct {
	next atomic.Int64
	end  int64
	_    [48]byte
}

// job hands range i of a loop to a worker.
type job struct {
	l *Loop
	i int
}

// For runs r.Run(part, lo, hi) over [0, n) in pieces of a multiple of grain items (the last
// one shorter), on up to procs goroutines (the caller and procs-1 workers; fewer when other
// loops have the workers). It returns when every item is done. A panic in r.Run is raised
// again on the caller.
func (l *Loop) For(r Runner, part, n, grain, procs int) {
	if grain < 1 {
		grain = 1
	}
	if units := (n + grain - 1) / grain; procs > units {
		procs = units
	}
	if procs <= 1 {
		if n > 0 {
			r.Run(part, 0, n)
		}
		return
	}
	l.r, l.part = r, part
	l.members = l.members[:0]
	if cap(l.jobs) < procs {
		l.jobs = make([]job, procs)
		l.ranges = make([]span, procs)
		l.members = make([]*worker, 0, procs)
	}
	ws := workers(procs - 1)
	// The ranges are cut once the number of goroutines taking part is known: claim the workers
	// first (those of other loops stay with them).
	for _, w := range ws {
		if len(l.members) == procs-1 {
			break
		}
		if w.busy.CompareAndSwap(false, true) {
			l.members = append(l.members, w)
		}
	}
	p := len(l.members) + 1
	size := ((n+p-1)/p + grain - 1) / grain * grain
	l.chunkSize = (size/grain + 1) / 2 * grain // two pieces of a range (the second may be shorter)
	for i := 0; i < p; i++ {
		s := &l.ranges[i]
		s.next.Store(int64(min(i*size, n)))
		s.end = int64(min((i+1)*size, n))
	}
	l.pending.Store(int32(p - 1))
	l.done.Add(p - 1)
	for i, w := range l.members {
		l.jobs[i+1] = job{l: l, i: i + 1}
		w.give(&l.jobs[i+1])
	}
	l.work(0, p)
	// Jobs not yet taken are taken back: their ranges are done by now.
	for i, w := range l.members {
		if w.job.CompareAndSwap(&l.jobs[i+1], nil) {
			w.busy.Store(false)
			l.pending.Add(-1)
			l.done.Done()
		}
	}
	spin(&l.pending, max(spinFor, l.Spin))
	l.done.Wait() // at once when the spin saw the end
	l.r = nil
	if f := l.failure; f != nil {
		l.failure = nil
		panic(f)
	}
}

// work runs range i of the pass, then the pieces left in the others' ranges.
func (l *Loop) work(i, p int) {
	defer func() {
		if f := recover(); f != nil {
			l.fail(f, debug.Stack())
		}
	}()
	for k := 0; k < p; k++ {
		s := &l.ranges[(i+k)%p]
		for {
			lo := s.next.Add(int64(l.chunkSize)) - int64(l.chunkSize)
			if lo >= s.end {
				break
			}
			l.r.Run(l.part, int(lo), int(min(lo+int64(l.chunkSize), s.end)))
		}
	}
}

// fail records the first panic of the pass (f, raised where stack says) and makes the other
// goroutines stop taking pieces.
func (l *Loop) fail(f any, stack []byte) {
	l.mu.Lock()
	if l.failure == nil {
		l.failure = fmt.Errorf("par: a goroutine of the pass panicked: %v\n%s", f, stack)
		if err, ok := f.(error); ok {
			l.failure = fmt.Errorf("par: a goroutine of the pass panicked: %w\n%s", err, stack)
		}
	}
	l.mu.Unlock()
	for i := range l.ranges {
		l.ranges[i].next.Store(l.ranges[i].end)
	}
}

// spin returns once *n is 0 or d has passed.
func spin(n *atomic.Int32, d time.Duration) {
	start := time.Now()
	for i := 1; n.Load() != 0; i++ {
		if i&255 == 0 && time.Since(start) > d {
			return
		}
	}
}

// worker is a goroutine of the pool, padded to a cache line of its own.
type worker struct {
	busy   atomic.Bool // claimed by a loop (cleared by the worker when done, or by the loop when it takes the job back)
	job    atomic.Pointer[job]
	parked atomic.Bool
	wake   chan struct{}
	spin   time.Duration // how long to spin for the next job (the last loop's Spin)
	_      [32]byte
}

// give hands j to w (claimed by its loop), waking w if it parked.
func (w *worker) give(j *job) {
	w.job.Store(j)
	if w.parked.Load() {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// loop is the worker's life: take a job, run its range and the rest, repeat.
func (w *worker) loop() {
	for {
		w.run(w.take())
	}
}

// run runs job j. If the loop body ends the goroutine (runtime.Goexit), the pass fails and a
// new goroutine takes the worker's place.
func (w *worker) run(j *job) {
	l, finished := j.l, false
	w.spin = max(spinFor, l.Spin)
	defer func() {
		if !finished {
			l.fail("runtime.Goexit in the loop body", debug.Stack())
			go w.loop()
		}
		w.busy.Store(false)
		l.pending.Add(-1)
		l.done.Done() // the last touch of l: the caller may reuse it at once
	}()
	l.work(j.i, len(l.members)+1)
	finished = true
}

// take waits for a job: spinning for spinFor (or the last loop's Spin), then parked until give
// wakes it.
func (w *worker) take() *job {
	for {
		start, d := time.Now(), max(spinFor, w.spin)
		for i := 0; ; i++ {
			if w.job.Load() != nil { // a plain load while waiting: no write to the line
				if j := w.job.Swap(nil); j != nil {
					return j
				}
			}
			if i&255 == 255 && time.Since(start) > d {
				break
			}
		}
		// Park, unless a job came between the last look and parked being set (give reads
		// parked after storing the job, so one of the two sees the other).
		w.parked.Store(true)
		if j := w.job.Swap(nil); j != nil {
			w.parked.Store(false)
			return j
		}
		<-w.wake
		w.parked.Store(false)
	}
}

// The pool: workers are started when first needed and never stop (a parked worker costs
// nothing but its stack).
var (
	poolMu sync.Mutex
	pool   atomic.Pointer[[]*worker]
)

// workers returns at least n workers, starting the missing ones.
func workers(n int) []*worker {
	if ws := pool.Load(); ws != nil && len(*ws) >= n {
		return *ws
	}
	poolMu.Lock()
	defer poolMu.Unlock()
	var ws []*worker
	if p := pool.Load(); p != nil {
		ws = *p
	}
	for len(ws) < n {
		w := &worker{wake: make(chan struct{}, 1)}
		go w.loop()
		ws = append(ws[:len(ws):len(ws)], w)
	}
	pool.Store(&ws)
	return ws
}
