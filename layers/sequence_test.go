package layers_test

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/internal/gradcheck"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
)

// seqCase is a layer configuration for the tests of Cell.SequenceWith.
type seqCase struct {
	name string
	cfg  layers.Config
	hot  bool // inputs as symbol indices (SeqOptions.OneHot)
	f32  bool // a float32 graph
}

func seqCases() []seqCase {
	base := layers.Config{Name: "lstm", Inputs: 3, NumBlocks: 2, CellsPerBlock: 2, InitRange: 0.5}
	with := func(f func(*layers.Config)) layers.Config { c := base; f(&c); return c }
	return []seqCase{
		{name: "default", cfg: base},
		{name: "cells-only recurrence", cfg: with(func(c *layers.Config) { c.CellsOnlyRecurrence = true })},
		{name: "no output gate, gate biases only", cfg: with(func(c *layers.Config) { c.NoOutputGate, c.Biases = true, layers.BiasGates })},
		{name: "no recurrence", cfg: with(func(c *layers.Config) { c.NoRecurrence = true })},
		{name: "full gradient", cfg: with(func(c *layers.Config) { c.FullGradient = true })},
		{name: "full gradient, cells-only", cfg: with(func(c *layers.Config) { c.FullGradient, c.CellsOnlyRecurrence = true, true })},
		{name: "h' offset", cfg: with(func(c *layers.Config) { c.HPrimeOffset = 0.2 })},
		{name: "one-hot", cfg: with(func(c *layers.Config) { c.Inputs = 5 }), hot: true},
		// The later variants of the cell: the forget gate and peepholes read the initial state.
		{name: "forget gate and peepholes", cfg: with(func(c *layers.Config) { c.ForgetGate, c.Peepholes, c.ForgetGateBias = true, true, []float64{1, 2} })},
		{name: "forget gate and peepholes, full gradient", cfg: with(func(c *layers.Config) { c.ForgetGate, c.Peepholes, c.FullGradient = true, true, true })},
		{name: "peepholes, no output gate, cells-only", cfg: with(func(c *layers.Config) { c.Peepholes, c.NoOutputGate, c.CellsOnlyRecurrence = true, true, true })},
		{name: "forget gate, no recurrence, full gradient", cfg: with(func(c *layers.Config) { c.ForgetGate, c.NoRecurrence, c.FullGradient = true, true, true })},
		{name: "forget gate and peepholes, one-hot", cfg: with(func(c *layers.Config) { c.Inputs, c.ForgetGate, c.Peepholes = 5, true, true }), hot: true},
	}
}

// seqGraph is one compiled graph of a layer over T steps of B sequences with the loss
// Σ mask·(y^c - target)² and the options' inputs.
type seqGraph struct {
	c                     seqCase
	T, B                  int
	x, lens, s0, y0, mask *G.Node
	target                *G.Node
	res                   layers.SeqResult
	p                     *vm.Program
}

// newSeqGraph builds and compiles the graph; lengths and init say which optional inputs it has.
// All graphs made with the same ps share the weights.
func newSeqGraph(t *testing.T, c seqCase, ps *graph.ParamSet, T, B int, lengths, init bool, opts ...vm.CompileOption) *seqGraph {
	t.Helper()
	gc := graph.Config{Seed: 3, Params: ps}
	if c.f32 {
		gc.Dtype = tensor.Float32
	}
	b := graph.NewBuilder(gc)
	cell, err := layers.NewCell(b, c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := cell.Config()
	g := &seqGraph{c: c, T: T, B: B}
	opt := layers.SeqOptions{OneHot: c.hot, Final: true}
	if c.hot {
		g.x = b.Input("x", T*B, 1)
	} else {
		g.x = b.Input("x", T*B, cfg.Inputs)
	}
	if lengths {
		g.lens = b.Input("lengths", B, 1)
		opt.Lengths = g.lens
	}
	if init {
		g.s0 = b.Input("init_s", B, cfg.NumCells())
		opt.InitS = g.s0
		if !cfg.NoRecurrence {
			g.y0 = b.Input("init_y", B, cfg.NumSources())
			opt.InitY = g.y0
		}
	}
	g.res = cell.SequenceWith(g.x, T, opt)
	g.mask = b.Input("mask", T*B, cfg.NumCells())
	g.target = b.Input("target", T*B, cfg.NumCells())
	loss := b.Sum(b.Mul(g.mask, b.Square(b.Sub(g.res.Cells, g.target))))
	watch := []*G.Node{g.res.Cells, g.res.FinalS}
	if g.res.FinalY != nil {
		watch = append(watch, g.res.FinalY)
	}
	if g.p, err = vm.Compile(b, loss, append(opts, vm.Watch(watch...))...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.p.Close() })
	return g
}

// seqData is the data of B streams: inputs, mask and target per step, and an initial state.
type seqData struct {
	x, mask, target [][]float64 // [b][t·width]
	s0, y0          [][]float64 // [b][width]
}

func newSeqData(c seqCase, rng *rand.Rand, lens []int) seqData {
	cfg := c.cfg
	cs, r := cfg.NumBlocks*cfg.CellsPerBlock, cfg.NumSources()
	var d seqData
	for _, n := range lens {
		var x, m, tg []float64
		for t := 0; t < n; t++ {
			if c.hot {
				x = append(x, float64(rng.Intn(cfg.Inputs)))
			} else {
				for i := 0; i < cfg.Inputs; i++ {
					x = append(x, 2*rng.Float64()-1)
				}
			}
			for i := 0; i < cs; i++ {
				m = append(m, float64(rng.Intn(2)))
				tg = append(tg, rng.Float64()-0.5)
			}
		}
		s0, y0 := make([]float64, cs), make([]float64, r)
		for i := range s0 {
			s0[i] = 4*rng.Float64() - 2
		}
		for i := range y0 {
			y0[i] = rng.Float64()
		}
		d.x, d.mask, d.target = append(d.x, x), append(d.mask, m), append(d.target, tg)
		d.s0, d.y0 = append(d.s0, s0), append(d.y0, y0)
	}
	return d
}

// set sets steps [from, from+lens[i]) of streams seqs into g, the lengths, and the initial
// state s0, y0 ([B·width] each; nil for none). Padding rows get garbage inputs, which must not
// be read, and targets that the loss counts, whose error must not reach the weights.
func (g *seqGraph) set(t *testing.T, d seqData, seqs []int, from int, lens []int, s0, y0 []float64) {
	t.Helper()
	cfg := g.c.cfg
	w, cs := cfg.Inputs, cfg.NumBlocks*cfg.CellsPerBlock
	if g.c.hot {
		w = 1
	}
	x := make([]float64, g.T*g.B*w)
	m, tg := make([]float64, g.T*g.B*cs), make([]float64, g.T*g.B*cs)
	for i := range x {
		x[i] = 1e3 // garbage, and for one-hot an index out of range
	}
	for i := range m { // padding rows enter the loss too: their outputs are constant 0
		m[i], tg[i] = 1, 0.7
	}
	for b, s := range seqs {
		for step := 0; step < lens[b]; step++ {
			r := step*g.B + b
			copy(x[r*w:(r+1)*w], d.x[s][(from+step)*w:])
			copy(m[r*cs:(r+1)*cs], d.mask[s][(from+step)*cs:])
			copy(tg[r*cs:(r+1)*cs], d.target[s][(from+step)*cs:])
		}
	}
	must(t, g.p.Set(g.x, x), g.p.Set(g.mask, m), g.p.Set(g.target, tg))
	if g.lens != nil {
		l := make([]float64, len(lens))
		for i, n := range lens {
			l[i] = float64(n)
		}
		must(t, g.p.Set(g.lens, l))
	}
	if g.s0 != nil {
		must(t, g.p.Set(g.s0, s0))
	}
	if g.y0 != nil {
		must(t, g.p.Set(g.y0, y0))
	}
}

func must(t *testing.T, errs ...error) {
	t.Helper()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func (g *seqGraph) value(t *testing.T, n *G.Node) []float64 {
	t.Helper()
	if n == nil {
		return nil
	}
	v, err := g.p.Value(n)
	must(t, err)
	return v
}

func (g *seqGraph) grads(t *testing.T) map[string][]float64 {
	t.Helper()
	ps, err := g.p.Params()
	must(t, err)
	out := map[string][]float64{}
	for _, q := range ps {
		out[q.Name] = graph.Float64View(q.Grad)
		if q.Grad.Dtype() != tensor.Float64 {
			t.Fatalf("%s: gradient is %v", q.Name, q.Grad.Dtype())
		}
	}
	return out
}

// rows returns the initial states of streams seqs, concatenated.
func rows(vs [][]float64, seqs []int) []float64 {
	var out []float64
	for _, s := range seqs {
		out = append(out, vs[s]...)
	}
	return out
}

// TestSequenceLengthsEqualUnpadded runs a batch of sequences of different lengths padded to T
// (after a run without padding) and each sequence alone (batch 1, its own length), from the
// reset state and from an initial state: the outputs of the valid rows and the final states must agree bit for bit, the padding
// rows must be 0, and the gradients must agree up to rounding.
func TestSequenceLengthsEqualUnpadded(t *testing.T) {
	lens := []int{6, 2, 4}
	worst := 0.0
	for _, c := range seqCases() {
		for _, init := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/init=%v", c.name, init), func(t *testing.T) {
				ps := graph.NewParamSet()
				d := newSeqData(c, rand.New(rand.NewSource(int64(len(c.name)))), []int{6, 6, 6})
				all := []int{0, 1, 2}
				var s0, y0 []float64
				if init {
					s0, y0 = rows(d.s0, all), rows(d.y0, all)
				}
				pad := newSeqGraph(t, c, ps, 6, 3, true, init)
				// A first run without padding leaves values in every row of the kernel's
				// buffers, which the padded run must not read.
				pad.set(t, d, all, 0, []int{6, 6, 6}, s0, y0)
				must(t, pad.p.Run(), pad.p.ZeroGrads())
				pad.set(t, d, all, 0, lens, s0, y0)
				must(t, pad.p.Run())
				out, fs, fy, grads := pad.value(t, pad.res.Cells), pad.value(t, pad.res.FinalS), pad.value(t, pad.res.FinalY), pad.grads(t)
				cs, r := c.cfg.NumBlocks*c.cfg.CellsPerBlock, c.cfg.NumSources()
				want := map[string][]float64{}
				for b, n := range lens {
					alone := newSeqGraph(t, c, ps, n, 1, false, init)
					if init {
						s0, y0 = rows(d.s0, []int{b}), rows(d.y0, []int{b})
					}
					alone.set(t, d, []int{b}, 0, []int{n}, s0, y0)
					must(t, alone.p.Run())
					a := alone.value(t, alone.res.Cells)
					for step := 0; step < 6; step++ {
						for i := 0; i < cs; i++ {
							got := out[(step*3+b)*cs+i]
							if step >= n {
								if got != 0 {
									t.Fatalf("sequence %d step %d (padding): output %v, want 0", b, step, got)
								}
							} else if got != a[step*cs+i] {
								t.Fatalf("sequence %d step %d cell %d: padded %v, alone %v", b, step, i, got, a[step*cs+i])
							}
						}
					}
					if fmt.Sprint(fs[b*cs:(b+1)*cs]) != fmt.Sprint(alone.value(t, alone.res.FinalS)) {
						t.Errorf("sequence %d: final s %v, alone %v", b, fs[b*cs:(b+1)*cs], alone.value(t, alone.res.FinalS))
					}
					if fy != nil && fmt.Sprint(fy[b*r:(b+1)*r]) != fmt.Sprint(alone.value(t, alone.res.FinalY)) {
						t.Errorf("sequence %d: final y %v, alone %v", b, fy[b*r:(b+1)*r], alone.value(t, alone.res.FinalY))
					}
					for name, g := range alone.grads(t) {
						if want[name] == nil {
							want[name] = make([]float64, len(g))
						}
						for i, v := range g {
							want[name][i] += v
						}
					}
				}
				size := 0.0
				for name, w := range want {
					for i, v := range w {
						size = math.Max(size, math.Abs(v))
						diff := math.Abs(grads[name][i] - v)
						worst = math.Max(worst, diff)
						if diff > 1e-12*math.Max(1, math.Abs(v)) {
							t.Errorf("%s[%d]: padded %.17g, sum of the sequences alone %.17g", name, i, grads[name][i], v)
						}
					}
				}
				if size == 0 {
					t.Fatal("all gradients are zero: the comparison would be vacuous")
				}
			})
		}
	}
	t.Logf("largest gradient difference padded vs alone: %.3g (outputs and final states: bit for bit)", worst)
}

// TestSequenceWithFullGradientMatchesFiniteDifferences checks the untruncated gradient with
// lengths and an initial state against central differences of the loss.
func TestSequenceWithFullGradientMatchesFiniteDifferences(t *testing.T) {
	lens := []int{5, 2, 4}
	for _, c := range seqCases() {
		if !c.cfg.FullGradient {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			ps := graph.NewParamSet()
			d := newSeqData(c, rand.New(rand.NewSource(5)), lens)
			g := newSeqGraph(t, c, ps, 5, 3, true, true)
			all := []int{0, 1, 2}
			g.set(t, d, all, 0, lens, rows(d.s0, all), rows(d.y0, all))
			must(t, g.p.Run())
			grads := g.grads(t)
			got := map[string][]float64{}
			for name, v := range grads {
				got[name] = append([]float64(nil), v...)
			}
			loss := func() float64 {
				must(t, g.p.Run())
				l, err := g.p.Loss()
				must(t, err)
				return l
			}
			fd := &gradcheck.Checker{T: t, Loss: loss, Tol: fdTol}
			for _, name := range ps.Names() {
				fd.Check(name, graph.Float64View(ps.Get(name)), got[name])
			}
			fd.Report(t.Name())
		})
	}
}

// TestSequenceWithInitMatchesUnrolled checks the fused layer started from an initial state
// against the unrolled form (Cell.Step from a State of input nodes), differentiated by
// gorgonia: outputs, final states and the truncated (or full) gradients.
func TestSequenceWithInitMatchesUnrolled(t *testing.T) {
	const T, B = 5, 2
	worst := 0.0
	for _, c := range seqCases() {
		if c.hot {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			ps := graph.NewParamSet()
			d := newSeqData(c, rand.New(rand.NewSource(8)), []int{T, T})
			fused := newSeqGraph(t, c, ps, T, B, false, true)
			all := []int{0, 1}
			fused.set(t, d, all, 0, []int{T, T}, rows(d.s0, all), rows(d.y0, all))
			must(t, fused.p.Run())
			fusedOut := fused.value(t, fused.res.Cells)
			fusedGrads := fused.grads(t)

			b := graph.NewBuilder(graph.Config{Params: ps})
			cell, err := layers.NewCell(b, c.cfg)
			must(t, err)
			cfg := cell.Config()
			cs := cfg.NumCells()
			prev := layers.State{S: b.Input("init_s", B, cs)}
			if !cfg.NoRecurrence {
				prev.Y = b.Input("init_y", B, cfg.NumSources())
				prev.Cells = prev.Y // read instead of Y with CellsOnlyRecurrence
			}
			var loss *G.Node
			var xs, masks, targets, outs []*G.Node
			for step := 0; step < T; step++ {
				xs = append(xs, b.Input(fmt.Sprintf("x%d", step), B, cfg.Inputs))
				masks = append(masks, b.Input(fmt.Sprintf("mask%d", step), B, cs))
				targets = append(targets, b.Input(fmt.Sprintf("target%d", step), B, cs))
				prev = cell.Step(xs[step], prev, step)
				outs = append(outs, prev.Cells)
				l := b.Sum(b.Mul(masks[step], b.Square(b.Sub(prev.Cells, targets[step]))))
				if loss == nil {
					loss = l
				} else {
					loss = b.Add(loss, l)
				}
			}
			p, err := vm.Compile(b, loss, vm.Watch(outs...))
			must(t, err)
			defer p.Close()
			for step := 0; step < T; step++ {
				var x, m, tg []float64
				for s := 0; s < B; s++ {
					x = append(x, d.x[s][step*cfg.Inputs:(step+1)*cfg.Inputs]...)
					m = append(m, d.mask[s][step*cs:(step+1)*cs]...)
					tg = append(tg, d.target[s][step*cs:(step+1)*cs]...)
				}
				must(t, p.Set(xs[step], x), p.Set(masks[step], m), p.Set(targets[step], tg))
			}
			must(t, p.Set(b.Inputs()[0], rows(d.s0, all)))
			if !cfg.NoRecurrence {
				must(t, p.Set(b.Inputs()[1], rows(d.y0, all)))
			}
			must(t, p.Run())
			for step, o := range outs {
				v, err := p.Value(o)
				must(t, err)
				for i, u := range v {
					if f := fusedOut[step*B*cs+i]; math.Abs(f-u) > 1e-14 {
						t.Fatalf("step %d value %d: fused %v, unrolled %v", step, i, f, u)
					}
				}
			}
			uparams, err := p.Params()
			must(t, err)
			for _, q := range uparams {
				for i, u := range graph.Float64View(q.Grad) {
					diff := math.Abs(fusedGrads[q.Name][i] - u)
					worst = math.Max(worst, diff)
					if diff > 1e-12*math.Max(1, math.Abs(u)) {
						t.Errorf("%s[%d]: fused %.17g, unrolled %.17g", q.Name, i, fusedGrads[q.Name][i], u)
					}
				}
			}
		})
	}
	t.Logf("largest gradient difference fused vs unrolled, from an initial state: %.3g", worst)
}

// TestSequenceChunksEqualWhole processes two streams of 13 and 11 steps in chunks of 5 steps
// (the last chunk 3 and 1 steps long, given by the lengths), carrying the final state of each
// chunk into the initial state of the next: every output and the final state must equal those
// of the whole streams processed at once, bit for bit.
func TestSequenceChunksEqualWhole(t *testing.T) {
	streams := []int{13, 11}
	const chunk = 5
	cases := seqCases()
	f32 := cases[0]
	f32.name, f32.f32 = "float32", true
	f32fp := cases[8]
	f32fp.name, f32fp.f32 = "float32, forget gate and peepholes", true
	worst, compared := 0.0, 0
	for _, c := range append(cases, f32, f32fp) {
		t.Run(c.name, func(t *testing.T) {
			ps := graph.NewParamSet()
			d := newSeqData(c, rand.New(rand.NewSource(13)), streams)
			all := []int{0, 1}
			whole := newSeqGraph(t, c, ps, 13, 2, true, false)
			whole.set(t, d, all, 0, streams, nil, nil)
			must(t, whole.p.Run())
			want := whole.value(t, whole.res.Cells)
			cs, r := c.cfg.NumBlocks*c.cfg.CellsPerBlock, c.cfg.NumSources()
			g := newSeqGraph(t, c, ps, chunk, 2, true, true)
			s0, y0 := make([]float64, 2*cs), make([]float64, 2*r)
			n0 := compared
			for from := 0; from < 13; from += chunk {
				lens := make([]int, 2)
				for b, n := range streams {
					lens[b] = min(chunk, n-from)
				}
				g.set(t, d, all, from, lens, s0, y0)
				must(t, g.p.Run())
				out := g.value(t, g.res.Cells)
				for b, n := range lens {
					for step := 0; step < n; step++ {
						for i := 0; i < cs; i++ {
							got, w := out[(step*2+b)*cs+i], want[((from+step)*2+b)*cs+i]
							worst = math.Max(worst, math.Abs(got-w))
							if got != w {
								t.Errorf("stream %d step %d cell %d: in chunks %v, whole %v", b, from+step, i, got, w)
							}
							compared++
						}
					}
				}
				s0, y0 = g.value(t, g.res.FinalS), g.value(t, g.res.FinalY)
			}
			if compared-n0 != 24*cs {
				t.Fatalf("compared %d outputs, want %d", compared-n0, 24*cs)
			}
			if fmt.Sprint(s0) != fmt.Sprint(whole.value(t, whole.res.FinalS)) || fmt.Sprint(y0) != fmt.Sprint(whole.value(t, whole.res.FinalY)) {
				t.Errorf("final state in chunks %v %v, whole %v %v", s0, y0, whole.value(t, whole.res.FinalS), whole.value(t, whole.res.FinalY))
			}
		})
	}
	t.Logf("largest difference in chunks vs whole over %d outputs: %g (final states: bit for bit)", compared, worst)
}

// TestFinalStateCarriesNoGradient adds the final states to the loss: the gradients must not
// change, and gorgonia's TapeMachine must compute the same final states as the executor.
func TestFinalStateCarriesNoGradient(t *testing.T) {
	c := seqCases()[0]
	lens := []int{4, 3}
	d := newSeqData(c, rand.New(rand.NewSource(2)), lens)
	all := []int{0, 1}
	var got [3][]float64
	for k, opts := range [][]vm.CompileOption{nil, {vm.UseTapeMachine()}} {
		b := graph.NewBuilder(graph.Config{Seed: 1})
		cell, err := layers.NewCell(b, c.cfg)
		must(t, err)
		x, l := b.Input("x", 8, 3), b.Input("lengths", 2, 1)
		s0, y0 := b.Input("s0", 2, 4), b.Input("y0", 2, 8)
		res := cell.SequenceWith(x, 4, layers.SeqOptions{Lengths: l, InitS: s0, InitY: y0, Final: true})
		loss := b.Sum(b.Square(res.Cells))
		if k == 0 {
			loss = b.Add(loss, b.Add(b.Sum(res.FinalS), b.Sum(res.FinalY)))
		}
		p, err := vm.Compile(b, loss, append(opts, vm.Watch(res.FinalS, res.FinalY))...)
		must(t, err)
		defer p.Close()
		xs := make([]float64, 24)
		for i := range xs {
			xs[i] = float64(i%5) / 5
		}
		must(t, p.Set(x, xs), p.Set(l, []float64{4, 3}), p.Set(s0, rows(d.s0, all)), p.Set(y0, rows(d.y0, all)), p.Run())
		ps, err := p.Params()
		must(t, err)
		var g []float64
		for _, q := range ps {
			g = append(g, graph.Float64View(q.Grad)...)
		}
		fs, err := p.Value(res.FinalS)
		must(t, err)
		fy, err := p.Value(res.FinalY)
		must(t, err)
		if k == 0 {
			got[0], got[1] = g, append(fs, fy...)
		} else {
			got[2] = g
			if fmt.Sprint(got[1]) != fmt.Sprint(append(fs, fy...)) {
				t.Errorf("final state: executor %v, TapeMachine %v", got[1], append(fs, fy...))
			}
		}
	}
	if fmt.Sprint(got[0]) != fmt.Sprint(got[2]) {
		t.Errorf("gradients with the final states in the loss %v, without %v", got[0], got[2])
	}
}

// TestSequenceWithMisuse checks the errors of malformed calls: recorded in the builder when
// building, returned by the run for bad lengths.
func TestSequenceWithMisuse(t *testing.T) {
	cfg := layers.Config{Name: "lstm0", Inputs: 2, NumBlocks: 2, CellsPerBlock: 2}
	type env struct {
		b    *graph.Builder
		cell *layers.Cell
		x    *G.Node // [3·2, 2]: T = 3, B = 2
	}
	fresh := func(t *testing.T, cfg layers.Config) env {
		b := graph.NewBuilder(graph.Config{})
		cell, err := layers.NewCell(b, cfg)
		must(t, err)
		return env{b, cell, b.Input("x", 6, 2)}
	}
	for _, tc := range []struct {
		name string
		cfg  func(*layers.Config)
		opt  func(e env) layers.SeqOptions
		want string
	}{
		{"lengths of another batch", nil, func(e env) layers.SeqOptions { return layers.SeqOptions{Lengths: e.b.Input("l", 3, 1)} },
			`Lengths "l" is float64 (3, 1), want float64 [2, 1]`},
		{"lengths not an input", nil, func(e env) layers.SeqOptions {
			return layers.SeqOptions{Lengths: e.b.Fixed("l", []int{2, 1}, []float64{3, 3})}
		}, `Lengths "l" must be a graph input`},
		{"init s of the wrong width", nil, func(e env) layers.SeqOptions { return layers.SeqOptions{InitS: e.b.Input("s", 2, 3)} },
			`InitS "s" is float64 (2, 3), want float64 [2, 4]`},
		{"init s not an input", nil, func(e env) layers.SeqOptions {
			return layers.SeqOptions{InitS: e.b.Sigmoid(e.b.Input("s", 2, 4))}
		}, `InitS "sigmoid(%a)" must be a graph input`},
		{"init y as wide as the cells", nil, func(e env) layers.SeqOptions { return layers.SeqOptions{InitY: e.b.Input("y", 2, 4)} },
			`InitY "y" is float64 (2, 4), want float64 [2, 8]`},
		{"init y with cells-only recurrence", func(c *layers.Config) { c.CellsOnlyRecurrence = true },
			func(e env) layers.SeqOptions { return layers.SeqOptions{InitY: e.b.Input("y", 2, 8)} }, `want float64 [2, 4]`},
		{"init y without recurrence", func(c *layers.Config) { c.NoRecurrence = true },
			func(e env) layers.SeqOptions { return layers.SeqOptions{InitY: e.b.Input("y", 2, 8)} }, `InitY "y" set but the layer has NoRecurrence`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			if tc.cfg != nil {
				tc.cfg(&c)
			}
			e := fresh(t, c)
			r := e.cell.SequenceWith(e.x, 3, tc.opt(e))
			err := e.b.Err()
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `LSTM "lstm0"`) {
				t.Errorf("err = %v, want it to contain %q and the layer", err, tc.want)
			}
			if r.Cells != nil || r.FinalS != nil {
				t.Error("nodes returned despite the error")
			}
		})
	}

	e := fresh(t, cfg)
	l := e.b.Input("lengths", 2, 1)
	r := e.cell.SequenceWith(e.x, 3, layers.SeqOptions{Lengths: l, Final: true})
	p, err := vm.Compile(e.b, nil, vm.ForwardOnly(), vm.Watch(r.Cells, r.FinalS))
	must(t, err)
	defer p.Close()
	must(t, p.Set(e.x, make([]float64, 12)))
	for _, tc := range []struct {
		lens []float64
		want string
	}{
		{[]float64{3, 0}, "lengths: sequence 1 has length 0, want an integer in [1, 3]"},
		{[]float64{4, 1}, "lengths: sequence 0 has length 4, want an integer in [1, 3]"},
		{[]float64{2.5, 1}, "lengths: sequence 0 has length 2.5"},
		{[]float64{-1, 1}, "sequence 0 has length -1"},
	} {
		must(t, p.Set(l, tc.lens))
		if err := p.Run(); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "lstm0") {
			t.Errorf("lengths %v: %v, want %q", tc.lens, err, tc.want)
		}
	}
	must(t, p.Set(l, []float64{1, 3}), p.Run())

	_, err = layers.BuildNet(graph.NewBuilder(graph.Config{}), layers.NetConfig{LSTM: cfg, Output: output.Config{Units: 1}, Unrolled: true, Carry: true},
		graph.Shape{T: 3, B: 1, In: 2, Out: 1, TargetSteps: []int{2}})
	if err == nil || !strings.Contains(err.Error(), "Carry needs the fused form") {
		t.Errorf("net with Carry, unrolled: %v", err)
	}
}

// TestNetLengthsAndCarry checks the nodes Net adds for lengths and carried state, and runs the
// net with Carry over a stream in two chunks against the whole stream.
func TestNetLengthsAndCarry(t *testing.T) {
	lstm := layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 2, InitRange: 0.5}
	for _, tc := range []struct {
		name   string
		mod    func(*layers.Config)
		widths []int // of the carried states
	}{
		{"all units recurrent", func(*layers.Config) {}, []int{4, 8}},
		{"cells-only recurrence", func(c *layers.Config) { c.CellsOnlyRecurrence = true }, []int{4, 4}},
		{"no recurrence", func(c *layers.Config) { c.NoRecurrence = true }, []int{4}},
		{"forget gate and peepholes", func(c *layers.Config) {
			c.ForgetGate, c.Peepholes, c.ForgetGateBias = true, true, []float64{1, 2}
		}, []int{4, 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := layers.NetConfig{LSTM: lstm, Output: output.Config{Units: 1, Bias: true, InitRange: 0.5}, Carry: true}
			tc.mod(&cfg.LSTM)
			ps := graph.NewParamSet()
			build := func(T int, carry bool) (*layers.NetModel, *vm.Program) {
				b := graph.NewBuilder(graph.Config{Seed: 1, Params: ps})
				c := cfg
				c.Carry = carry
				m, err := layers.BuildNet(b, c, graph.Shape{T: T, B: 2, In: 2, Out: 1, TargetSteps: seqSteps(T)})
				must(t, err)
				var watch []*G.Node
				for _, cr := range m.Carry {
					watch = append(watch, cr.Final)
				}
				p, err := vm.Compile(b, m.Loss, vm.Watch(append(watch, m.Outputs...)...))
				must(t, err)
				t.Cleanup(func() { p.Close() })
				if m.Lengths == nil || m.Lengths.Name() != "lengths" || !m.Lengths.Shape().Eq(tensor.Shape{2, 1}) {
					t.Fatalf("lengths node %v", m.Lengths)
				}
				return m, p
			}
			whole, wp := build(6, false)
			if whole.Carry != nil {
				t.Fatalf("carry without NetConfig.Carry: %v", whole.Carry)
			}
			part, pp := build(3, true)
			if len(part.Carry) != len(tc.widths) {
				t.Fatalf("%d carried states, want %d", len(part.Carry), len(tc.widths))
			}
			for i, cr := range part.Carry {
				want := tensor.Shape{2, tc.widths[i]}
				if !cr.Init.Shape().Eq(want) || !cr.Final.Shape().Eq(want) || !strings.HasPrefix(cr.Init.Name(), "lstm/init/") {
					t.Errorf("carry %d: init %q %v, final %v, want %v", i, cr.Init.Name(), cr.Init.Shape(), cr.Final.Shape(), want)
				}
			}
			rng := rand.New(rand.NewSource(4))
			xs := make([]float64, 6*2*2)
			for i := range xs {
				xs[i] = 2*rng.Float64() - 1
			}
			setRun := func(m *layers.NetModel, p *vm.Program, x []float64, T int) []float64 {
				must(t, p.Set(m.Inputs[0], x), p.Set(m.Lengths, []float64{float64(T), float64(T)}),
					p.Set(m.Targets[0], make([]float64, T*2)), p.Set(m.Mask, make([]float64, T*2)), p.Run())
				v, err := p.Value(m.Outputs[0])
				must(t, err)
				return v
			}
			want := setRun(whole, wp, xs, 6)
			for _, cr := range part.Carry {
				must(t, pp.Set(cr.Init, make([]float64, cr.Init.Shape().TotalSize())))
			}
			got := append([]float64(nil), setRun(part, pp, xs[:12], 3)...)
			for _, cr := range part.Carry {
				v, err := pp.Value(cr.Final)
				must(t, err)
				must(t, pp.Set(cr.Init, v))
			}
			got = append(got, setRun(part, pp, xs[12:], 3)...)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("outputs in two chunks %v, whole %v", got, want)
			}
		})
	}
}

// seqSteps returns 0, 1, ..., T-1.
func seqSteps(T int) []int {
	s := make([]int, T)
	for i := range s {
		s[i] = i
	}
	return s
}
