package main

import (
	"fmt"
	"io"
	"math"
	"math/rand"
	"time"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/online"
)

// symB is the index of B in datasets.ReberSymbols: the symbol after every string's E.
const symB = 0

// nQuarters is the number of parts of the training stream reported apart.
const nQuarters = 4

// figures are the stream figures of a part of a stream.
type figures struct {
	Steps   int `json:"steps"`
	Strings int `json:"strings"` // strings whose last step falls in the part
	Correct int `json:"correct"` // of those, predicted correctly
	// MeanError is the mean E(t) = ½ Σ_k (target_k - y^k(t))² per step.
	MeanError float64 `json:"mean_error"`
	// MeanAbsS and MaxAbsS are the mean and max |s_c(t)| over the cells and the steps.
	MeanAbsS float64 `json:"mean_abs_s"`
	MaxAbsS  float64 `json:"max_abs_s"`

	sumE, sumS float64
	nS         int
}

// addStep adds one step's error and cell states.
func (f *figures) addStep(e float64, s []float64) {
	f.Steps++
	f.sumE += e
	for _, v := range s {
		a := math.Abs(v)
		f.sumS += a
		f.MaxAbsS = max(f.MaxAbsS, a)
	}
	f.nS += len(s)
}

// addString adds one complete string, predicted correctly or not.
func (f *figures) addString(ok bool) {
	f.Strings++
	if ok {
		f.Correct++
	}
}

// done computes the means.
func (f *figures) done() {
	if f.Steps > 0 {
		f.MeanError = f.sumE / float64(f.Steps)
	}
	if f.nS > 0 {
		f.MeanAbsS = f.sumS / float64(f.nS)
	}
}

// fraction is the fraction of the strings predicted correctly (0 without strings).
func (f figures) fraction() float64 {
	if f.Strings == 0 {
		return 0
	}
	return float64(f.Correct) / float64(f.Strings)
}

// testResult is one test on a fresh stream with frozen weights.
type testResult struct {
	// AfterStrings is the number of training strings before the test.
	AfterStrings int `json:"after_strings"`
	// Successive is the number of test strings predicted correctly before the first error
	// (all of them if none is wrong).
	Successive int `json:"successive"`
	// RunBest is the longest run of test strings predicted correctly anywhere in the stream.
	RunBest int `json:"run_best"`
	run     int
	figures
}

// netResult is what one net's run reports.
type netResult struct {
	Net     string `json:"net"`
	Weights int    `json:"weights"`
	Steps   int    `json:"train_steps"`
	Strings int    `json:"train_strings"` // complete strings trained on
	// RunBest is the longest run of successive training strings predicted correctly (the
	// weights changing at every step), RunBestEnd the number of training strings at its end,
	// and RunLast the run at the end of training.
	RunBest    int `json:"train_run_best"`
	RunBestEnd int `json:"train_run_best_end"`
	RunLast    int `json:"train_run_last"`
	// Quarters are the figures of the four quarters of the training stream, in order.
	Quarters []figures `json:"train_quarters"`
	// Tests are the tests of -test-every, in order; Test is the one after training.
	Tests []testResult `json:"tests,omitempty"`
	Test  testResult   `json:"test"`
	// StorageBytes is the learner's StorageBytes after training; StorageConstant says that it
	// never changed.
	StorageBytes    int64 `json:"storage_bytes"`
	StorageConstant bool  `json:"storage_constant"`
	// PeakRSSKiB (VmHWM) and RSSKiB (VmRSS) are the process's after the net's test: the peak
	// is over the whole process so far, earlier nets included.
	PeakRSSKiB int64   `json:"peak_rss_kib"`
	RSSKiB     int64   `json:"rss_kib"`
	Seconds    float64 `json:"seconds"`
}

// judge decides whether a string of the stream was predicted correctly by Exp. 1's rule (at
// every step the outputs of the legal next symbols above all others), with the legal sets of
// datasets.Reber.Example and, after the string's E, the next string's B.
type judge struct {
	grammar datasets.Reber
	correct func(ex datasets.Example, outs [][]float64) bool
	legal   [][]bool
	afterE  []bool
}

func newJudge(grammar datasets.Reber, correct func(datasets.Example, [][]float64) bool) *judge {
	j := &judge{grammar: grammar, correct: correct, afterE: make([]bool, len(datasets.ReberSymbols))}
	j.afterE[symB] = true
	return j
}

// set computes the legal next symbols of each step of string s (legal[t] after input s[t]).
func (j *judge) set(s []int) error {
	ex, err := j.grammar.Example(s)
	if err != nil {
		return err
	}
	j.legal = append(append(j.legal[:0], ex.Legal...), j.afterE)
	return nil
}

// ok judges the string of the last set from the outputs of its steps, outs[t] after input s[t].
func (j *judge) ok(outs [][]float64) bool {
	return j.correct(datasets.Example{Legal: j.legal}, outs[:len(j.legal)])
}

// buffers are one stream's step buffers, reused from step to step.
type buffers struct {
	x, target []float64
	outs      [][]float64 // a row per step of the longest string
	states    []float64
}

func newBuffers(grammar datasets.Reber, cells int) *buffers {
	n := len(datasets.ReberSymbols)
	b := &buffers{x: make([]float64, n), target: make([]float64, n), states: make([]float64, 0, cells)}
	b.outs = make([][]float64, max(grammar.MaxLength, 100))
	for t := range b.outs {
		b.outs[t] = make([]float64, n)
	}
	return b
}

// code sets the input row one-hot for symbol sym and the target row one-hot for the next
// symbol next or, if legal is not nil, to 1 for every legal next symbol.
func (b *buffers) code(sym, next int, legal []bool) {
	clear(b.x)
	clear(b.target)
	b.x[sym], b.target[next] = 1, 1
	for k, ok := range legal {
		if ok {
			b.target[k] = 1
		}
	}
}

// nextSymbol is the symbol after s[i] in the stream: s[i+1], or the next string's B.
func nextSymbol(s []int, i int) int {
	if i+1 < len(s) {
		return s[i+1]
	}
	return symB
}

// trainNet trains net on the training stream for o.steps steps, testing with frozen weights
// every o.testEvery strings and at the end.
func trainNet(o options, name string, net layers.NetConfig, correct func(datasets.Example, [][]float64) bool, stderr io.Writer) (netResult, error) {
	start := time.Now()
	params, err := online.NewParams(net, o.seed)
	if err != nil {
		return netResult{}, err
	}
	l, err := online.New(online.Config{Net: net, LR: o.lr, Mode: online.PerStep}, params)
	if err != nil {
		return netResult{}, err
	}
	grammar := datasets.Reber{Embedded: true}
	res := netResult{Net: name, Weights: l.NumWeights(), Quarters: make([]figures, nQuarters), StorageBytes: l.StorageBytes(), StorageConstant: true}
	cells := net.LSTM.NumCells()
	te := &tester{net: net, lr: o.lr, params: params, seed: o.testSeed, n: o.testStrings, legalTargets: o.legalTargets,
		judge: newJudge(grammar, correct), buf: newBuffers(grammar, cells)}
	jd, buf := newJudge(grammar, correct), newBuffers(grammar, cells)
	rng := rand.New(datasets.NewSource(o.seed))
	var win figures // since the last progress line
	last, lastStep := time.Now(), 0
	for res.Steps < o.steps {
		s := grammar.String(rng)
		if err := jd.set(s); err != nil {
			return res, err
		}
		q, n := &res.Quarters[0], min(len(s), o.steps-res.Steps)
		for i, sym := range s[:n] {
			var legal []bool
			if o.legalTargets {
				legal = jd.legal[i]
			}
			buf.code(sym, nextSymbol(s, i), legal)
			y, err := l.Step(buf.x, buf.target)
			if err != nil {
				return res, errors.Wrapf(err, "training step %d (string %d)", res.Steps, res.Strings)
			}
			copy(buf.outs[i], y)
			buf.states = l.CellStates(buf.states)
			q = &res.Quarters[res.Steps*nQuarters/o.steps]
			q.addStep(l.StepError(), buf.states)
			win.addStep(l.StepError(), buf.states)
			res.Steps++
		}
		if n < len(s) {
			break // the stream ends inside this string: it is not judged
		}
		ok := jd.ok(buf.outs)
		q.addString(ok)
		win.addString(ok)
		res.Strings++
		res.RunLast++
		if !ok {
			res.RunLast = 0
		}
		if res.RunLast > res.RunBest {
			res.RunBest, res.RunBestEnd = res.RunLast, res.Strings
		}
		if o.testEvery > 0 && res.Strings%o.testEvery == 0 {
			t, err := te.run(l, res.Strings)
			if err != nil {
				return res, err
			}
			res.Tests = append(res.Tests, t)
			fmt.Fprintf(stderr, "continual: %s test after %d strings: %d in a row correct, %d/%d correct, mean|s|=%.3g max|s|=%.3g\n",
				name, res.Strings, t.Successive, t.Correct, t.Strings, t.MeanAbsS, t.MaxAbsS)
		}
		if o.progress > 0 && time.Since(last) >= o.progress {
			res.StorageConstant = res.StorageConstant && l.StorageBytes() == res.StorageBytes
			now := time.Now()
			if err := progress(stderr, &res, o.steps, &win, l.StorageBytes(), float64(res.Steps-lastStep)/now.Sub(last).Seconds()); err != nil {
				return res, err
			}
			last, lastStep = now, res.Steps
		}
	}
	for i := range res.Quarters {
		res.Quarters[i].done()
	}
	res.StorageConstant = res.StorageConstant && l.StorageBytes() == res.StorageBytes
	res.StorageBytes = l.StorageBytes()
	if res.Test, err = te.run(l, res.Strings); err != nil {
		return res, err
	}
	res.Seconds = time.Since(start).Seconds()
	res.RSSKiB, res.PeakRSSKiB, err = memory()
	return res, err
}

// progress prints a progress line of net res after steps of the stream's total, with the
// figures of window win since the last line (then cleared), the learner's storage and the
// rate in steps per second.
func progress(w io.Writer, res *netResult, total int, win *figures, storage int64, rate float64) error {
	rss, _, err := memory()
	if err != nil {
		return err
	}
	win.done()
	fmt.Fprintf(w, "continual: %s steps=%d (%.0f%%) strings=%d err=%.4f correct=%.3f mean|s|=%.3g max|s|=%.3g storage=%dB rss=%.1fMiB %.3g steps/s\n",
		res.Net, res.Steps, 100*float64(res.Steps)/float64(total), res.Strings, win.MeanError, win.fraction(), win.MeanAbsS, win.MaxAbsS,
		storage, float64(rss)/1024, rate)
	*win = figures{}
	return nil
}

// tester runs a fresh test stream through a frozen copy of a learner.
type tester struct {
	net    layers.NetConfig
	lr     float64
	params *graph.ParamSet // the weights' way from the trained learner to the copy
	seed   int64
	n      int
	// legalTargets: the error is measured against the legal next symbols' code.
	legalTargets bool
	judge        *judge
	buf          *buffers
	l            *online.Learner // the frozen copy
}

// run tests the weights of trained on n strings of the test stream (drawn anew from the seed
// each time), from a zero state: the copy is stepped with a nil target, which computes the
// outputs and changes no weight. after is the number of training strings so far.
func (t *tester) run(trained *online.Learner, after int) (testResult, error) {
	if err := trained.WriteParams(t.params); err != nil {
		return testResult{}, err
	}
	if t.l == nil {
		l, err := online.New(online.Config{Net: t.net, LR: t.lr, Mode: online.PerStep}, t.params)
		if err != nil {
			return testResult{}, err
		}
		t.l = l
	} else if err := t.l.ReadParams(t.params); err != nil {
		return testResult{}, err
	}
	t.l.Reset()
	grammar, buf := t.judge.grammar, t.buf
	rng := rand.New(datasets.NewSource(t.seed))
	r := testResult{AfterStrings: after}
	for k := 0; k < t.n; k++ {
		s := grammar.String(rng)
		if err := t.judge.set(s); err != nil {
			return r, err
		}
		for i, sym := range s {
			var legal []bool
			if t.legalTargets {
				legal = t.judge.legal[i]
			}
			buf.code(sym, nextSymbol(s, i), legal)
			y, err := t.l.Step(buf.x, nil)
			if err != nil {
				return r, errors.Wrapf(err, "test step %d (string %d)", r.Steps, k)
			}
			copy(buf.outs[i], y)
			e := 0.0
			for u, v := range y {
				d := buf.target[u] - v
				e += 0.5 * d * d
			}
			buf.states = t.l.CellStates(buf.states)
			r.addStep(e, buf.states)
		}
		ok := t.judge.ok(buf.outs)
		r.addString(ok)
		if ok && r.Successive == k {
			r.Successive++
		}
		r.run++
		if !ok {
			r.run = 0
		}
		r.RunBest = max(r.RunBest, r.run)
	}
	r.done()
	return r, nil
}
