package trial

import (
	"math"
	"math/rand"
	"sort"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/paper"
)

// MeasureDrift runs the network of spec s forward over n sequences of its task and reports the
// cell states at their last steps. The weights are ps, or with ps nil the untrained weights
// that trial seed starts from. The sequences come from a source of their own, drawn from seed
// (for Experiment 1, n strings of the grammar).
// It uses the unrolled graph, whose nodes expose the states; sequences are padded to the
// longest, which does not change the states up to each one's last step.
func MeasureDrift(s *paper.Spec, seed int64, n int, ps *graph.ParamSet) (paper.Drift, error) {
	var d paper.Drift
	if n <= 0 {
		return d, errors.Errorf("trial: drift: %d sequences, want at least 1", n)
	}
	exs, err := driftSequences(s, seed, n)
	if err != nil {
		return d, err
	}
	T := 0
	for _, ex := range exs {
		T = max(T, ex.Len())
	}
	cfg := s.Net
	cfg.Unrolled = true
	in, out := cfg.LSTM.Inputs, cfg.Output.Units
	b := graph.NewBuilder(graph.Config{Seed: seed, Params: ps})
	m, err := layers.BuildNet(b, cfg, graph.Shape{T: T, B: n, In: in, Out: out, TargetSteps: []int{T - 1}})
	if err != nil {
		return d, errors.Wrap(err, "trial: drift")
	}
	last := map[int]bool{}
	for _, ex := range exs {
		last[ex.Len()-1] = true
	}
	var watch []*G.Node
	for t := range last {
		watch = append(watch, m.States[t].S)
	}
	p, err := vm.Compile(b, m.Loss, vm.Watch(watch...), vm.ForwardOnly())
	if err != nil {
		return d, errors.Wrap(err, "trial: drift")
	}
	defer p.Close()
	for t := 0; t < T; t++ {
		x := make([]float64, n*in)
		for i, ex := range exs {
			switch {
			case t >= ex.Len():
			case ex.Symbols != nil:
				x[i*in+ex.Symbols[t]] = 1
			default:
				copy(x[i*in:], ex.Inputs[t])
			}
		}
		if err := p.Set(m.Inputs[t], x); err != nil {
			return d, errors.Wrapf(err, "trial: drift: step %d", t)
		}
	}
	if err := p.Set(m.Targets[0], make([]float64, n*out)); err != nil {
		return d, errors.Wrap(err, "trial: drift")
	}
	if err := p.Run(); err != nil {
		return d, errors.Wrap(err, "trial: drift")
	}
	cs := cfg.LSTM.NumBlocks * cfg.LSTM.CellsPerBlock
	hp := func(s float64) float64 { // h'(s)/h'(0): 4σ(s)(1-σ(s)) for every sigmoid-shaped h
		if cfg.LSTM.H == layers.SquashIdentity {
			return 1
		}
		p := 1 / (1 + math.Exp(-s))
		return 4 * p * (1 - p)
	}
	var abs, ratio []float64
	saturated := 0
	for i, ex := range exs {
		v, err := p.Value(m.States[ex.Len()-1].S)
		if err != nil {
			return d, errors.Wrap(err, "trial: drift")
		}
		st := append([]float64(nil), v[i*cs:(i+1)*cs]...)
		d.States = append(d.States, st)
		for _, sc := range st {
			abs = append(abs, math.Abs(sc))
			r := hp(sc)
			ratio = append(ratio, r)
			if r < 0.01 {
				saturated++
			}
			d.MaxAbsS = math.Max(d.MaxAbsS, math.Abs(sc))
		}
	}
	d.Sequences = n
	d.MedianAbsS, d.MedianHPrime = median(abs), median(ratio)
	d.Saturated = float64(saturated) / float64(len(abs))
	return d, nil
}

// driftSequences draws n sequences of the spec's task from a source of their own.
func driftSequences(s *paper.Spec, seed int64, n int) ([]datasets.Example, error) {
	rng := rand.New(datasets.NewSource(seed + 4_000_037))
	if s.Reber != nil {
		train, _, err := s.Reber.Sets(rng, n, 0)
		if err != nil {
			return nil, err
		}
		return train[:n], nil
	}
	var out []datasets.Example
	for i := 0; i < n; i++ {
		ex, err := s.Sample(rng)
		if err != nil {
			return nil, err
		}
		out = append(out, ex)
	}
	return out, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	v = append([]float64(nil), v...)
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
