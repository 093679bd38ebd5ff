package par

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// counter counts how often each item of each part is computed.
type counter struct {
	seen [2][]atomic.Int32
	bad  atomic.Int32 // pieces not a multiple of the grain (but the last)
	n    int
	gr   int
}

func newCounter(n, grain int) *counter {
	c := &counter{n: n, gr: grain}
	for p := range c.seen {
		c.seen[p] = make([]atomic.Int32, n)
	}
	return c
}

func (c *counter) Run(part, lo, hi int) {
	if lo%c.gr != 0 || (hi != c.n && (hi-lo)%c.gr != 0) || lo >= hi {
		c.bad.Add(1)
	}
	for i := lo; i < hi; i++ {
		c.seen[part][i].Add(1)
	}
}

// check reports the items of part not computed exactly once.
func (c *counter) check(t *testing.T, part int) {
	t.Helper()
	for i := range c.seen[part] {
		if got := c.seen[part][i].Load(); got != 1 {
			t.Fatalf("part %d item %d of %d computed %d times, want once", part, i, c.n, got)
		}
	}
	if b := c.bad.Load(); b != 0 {
		t.Fatalf("%d pieces not aligned to the grain %d", b, c.gr)
	}
}

func TestForComputesEveryItemOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	var l Loop
	for _, tc := range []struct{ n, grain, procs int }{
		{0, 4, 2}, {1, 4, 2}, {3, 1, 3}, {32, 4, 2}, {33, 4, 2}, {32, 4, 4}, {1600, 4, 3},
		{7, 1, 7}, {100, 8, 1}, {5, 0, 2}, {64, 4, 16},
	} {
		t.Run(fmt.Sprintf("n%d_grain%d_procs%d", tc.n, tc.grain, tc.procs), func(t *testing.T) {
			for rep := 0; rep < 50; rep++ {
				c := newCounter(tc.n, max(1, tc.grain))
				l.For(c, rep%2, tc.n, tc.grain, tc.procs)
				c.check(t, rep%2)
			}
		})
	}
}

// Loops on several goroutines at once share the workers; each still computes all its items.
func TestForConcurrentLoops(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var l Loop
			for rep := 0; rep < 200; rep++ {
				n := 40 + g + rep%7
				c := newCounter(n, 4)
				l.For(c, 0, n, 4, 3)
				for i := range c.seen[0] {
					if got := c.seen[0][i].Load(); got != 1 {
						errs <- fmt.Sprintf("loop %d rep %d: item %d computed %d times", g, rep, i, got)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// panicker panics on the item bad.
type panicker struct{ bad int }

func (p panicker) Run(_, lo, hi int) {
	if lo <= p.bad && p.bad < hi {
		panic(fmt.Sprintf("item %d", p.bad))
	}
}

func TestForRaisesAPanicOnTheCaller(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	var l Loop
	for _, bad := range []int{0, 31, 63} { // the caller's range, the middle, the worker's
		got := func() (msg string) {
			defer func() { msg = fmt.Sprint(recover()) }()
			l.For(panicker{bad}, 0, 64, 4, 2)
			return "no panic"
		}()
		if want := fmt.Sprintf("item %d", bad); !strings.Contains(got, want) {
			t.Errorf("bad item %d: panic %q, want it to name %q", bad, got, want)
		}
		if !strings.Contains(got, "par_test.go") {
			t.Errorf("bad item %d: panic %q, want the stack of the panic site", bad, got)
		}
		c := newCounter(64, 4) // the loop and the workers still work afterwards
		l.For(c, 0, 64, 4, 2)
		c.check(t, 0)
	}
}

// goid returns the running goroutine's number (from its stack's first line).
func goid() string {
	buf := make([]byte, 64)
	return strings.Fields(string(buf[:runtime.Stack(buf, false)]))[1]
}

// exiter calls runtime.Goexit, as t.FailNow would, on the items from bad on when it runs on a
// worker; on the caller (the goroutine caller) it only waits a little in its first piece, so
// that the worker takes its range.
type exiter struct {
	bad    int
	caller string
}

func (e exiter) Run(_, lo, hi int) {
	if goid() == e.caller {
		if lo == 0 {
			time.Sleep(20 * time.Millisecond)
		}
		return
	}
	if hi > e.bad {
		runtime.Goexit()
	}
}

// A loop body that ends a worker's goroutine makes For panic instead of waiting forever, and
// the pool goes on working.
func TestForWithGoexitOnAWorker(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	var l Loop
	exits := 0
	for rep := 0; rep < 5; rep++ {
		got := func() (msg string) {
			defer func() { msg = fmt.Sprint(recover()) }()
			l.For(exiter{48, goid()}, 0, 64, 4, 2) // the worker's range is [32, 64)
			return "no panic"
		}()
		switch {
		case strings.Contains(got, "Goexit"):
			exits++
		case got != "no panic": // no panic: the caller did the worker's range itself
			t.Fatalf("panic %q, want it to name runtime.Goexit", got)
		}
		c := newCounter(64, 4)
		l.For(c, 0, 64, 4, 2)
		c.check(t, 0)
	}
	if exits == 0 {
		t.Fatal("no worker ran the items that call runtime.Goexit in 5 passes")
	}
}

// pieces records the pieces of a pass.
type pieces struct {
	mu  sync.Mutex
	got [][2]int
}

func (p *pieces) Run(_, lo, hi int) {
	p.mu.Lock()
	p.got = append(p.got, [2]int{lo, hi})
	p.mu.Unlock()
}

// Each goroutine's range is cut in at most two pieces (the products read their weights once a
// piece).
func TestForCutsEachRangeInTwo(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	var l Loop
	for _, tc := range []struct{ n, grain, procs int }{{24, 4, 2}, {40, 4, 2}, {32, 4, 3}, {32, 4, 2}, {1600, 4, 2}, {3, 1, 3}} {
		for rep := 0; rep < 20; rep++ {
			var p pieces
			l.For(&p, 0, tc.n, tc.grain, tc.procs)
			if len(p.got) > 2*tc.procs {
				t.Fatalf("n %d grain %d on %d goroutines: %d pieces %v, want at most %d", tc.n, tc.grain, tc.procs, len(p.got), p.got, 2*tc.procs)
			}
		}
	}
}

// sink is a loop body of little work per item.
type sink struct{ v []float64 }

func (s *sink) Run(_, lo, hi int) {
	for i := lo; i < hi; i++ {
		s.v[i] = s.v[i]*0.5 + 1
	}
}

// serial is about 20 µs of work on the caller between two passes, as in a training step.
func serial(v []float64) {
	for r := 0; r < 10; r++ {
		for i := range v {
			v[i] = v[i]*0.5 + 1
		}
	}
}

// benchPasses measures passes of little work on 2 goroutines, mostly the cost of handing a
// range to another goroutine and waiting for it: with a Loop (pool) or a goroutine started per
// pass, with or without serial work between the passes (then a worker is still spinning when
// the next pass comes, and a goroutine started per pass may need a thread woken).
func benchPasses(b *testing.B, pool, between bool) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	s := &sink{v: make([]float64, 4096)}
	var l Loop
	b.ReportAllocs()
	for b.Loop() {
		if between {
			serial(s.v)
		}
		if pool {
			l.For(s, 0, len(s.v), 64, 2)
			continue
		}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Run(0, 2048, 4096)
		}()
		s.Run(0, 0, 2048)
		wg.Wait()
	}
}

func BenchmarkFor(b *testing.B)                         { benchPasses(b, true, false) }
func BenchmarkGoStatements(b *testing.B)                { benchPasses(b, false, false) }
func BenchmarkForAfterSerialWork(b *testing.B)          { benchPasses(b, true, true) }
func BenchmarkGoStatementsAfterSerialWork(b *testing.B) { benchPasses(b, false, true) }

// TestSpinKeepsTheWorkersAwake: after a pass of a Loop with Spin, its workers wait for the next
// one spinning (not parked) for Spin; after a pass of a Loop without, they park once spinFor
// has passed.
func TestSpinKeepsTheWorkersAwake(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, tc := range []struct {
		spin   time.Duration
		parked bool
	}{{200 * time.Millisecond, false}, {0, true}} {
		l := Loop{Spin: tc.spin}
		var b meet
		l.For(&b, 0, 2, 1, 2) // the caller waits in its item for the worker to run the other
		if b.n.Load() != 2 {
			t.Fatalf("Spin %v: the worker did not run its item within 5 s", tc.spin)
		}
		if len(l.members) != 1 {
			t.Fatalf("Spin %v: %d workers took part, want 1", tc.spin, len(l.members))
		}
		w := l.members[0]
		// Less than Spin after the pass, the worker cannot have parked; well after spinFor,
		// one without Spin has (it parks at once when it runs again, so give it time to).
		deadline := time.Now().Add(20 * time.Millisecond)
		if tc.parked {
			deadline = time.Now().Add(5 * time.Second)
		}
		for time.Now().Before(deadline) && w.parked.Load() != tc.parked {
			time.Sleep(time.Millisecond)
		}
		if got := w.parked.Load(); got != tc.parked && tc.parked {
			t.Errorf("Spin %v: the worker had not parked 5 s after the pass", tc.spin)
		} else if !tc.parked && got {
			t.Errorf("Spin %v: the worker parked within 20 ms of the pass", tc.spin)
		}
	}
}

// meet is a loop body whose items wait (up to 5 s) until two items have begun.
type meet struct{ n atomic.Int32 }

func (m *meet) Run(_, lo, hi int) {
	m.n.Add(int32(hi - lo))
	for end := time.Now().Add(5 * time.Second); m.n.Load() < 2 && time.Now().Before(end); {
	}
}
