package main

import (
	"fmt"
	"math/rand"
	"runtime"
	"strings"
	"time"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/internal/benchnets"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/paper"
	"github.com/lstm97/lstm97/paper/trial"
	"github.com/lstm97/lstm97/train"
)

// A meter measures one side of a comparison: ours in one setting, or a peer.
type meter interface {
	// rate trains for at least seconds (and at least one step) and returns the throughput in
	// sequences per second.
	rate(seconds float64) (float64, error)
	close()
}

// A side makes a meter. A nil meter with a nil error means the side is not available here
// (a missing peer); the side has said why on stderr.
type side func(e *env) (meter, error)

// peer is one comparison of a config: the peer's name as printed, and how to measure it.
type peer struct {
	name string
	make side
}

// config is one named configuration: our training in one setting, measured against each of
// its peers.
type config struct {
	name  string
	ours  side
	peers []peer
}

// family is the first word of a config's name ("adding", "exp1", "wide64", ...): -configs
// selects a family's configs by it.
func (c *config) family() string { return strings.Fields(c.name)[0] }

// Sizes of the wide nets (internal/benchnets: blocks of one cell fed by 32 inputs, 8 logistic
// output units at every step): batches of wideB sequences of wideT steps.
const (
	wideB, wideT = 32, 50
	wideLR       = 0.1
	addingLR     = 0.5
)

// allConfigs lists every configuration in the order they are measured and printed.
func allConfigs() []*config {
	var cs []*config
	for _, sh := range []struct{ T, B int }{{100, 1}, {1000, 1}, {100, 32}} {
		T, B := sh.T, sh.B
		cs = append(cs, &config{
			name: fmt.Sprintf("adding T%d B%d", T, B),
			ours: func(e *env) (meter, error) { return addingMeter(T, B, e.o.dtype) },
			peers: []peer{
				{"torch lstm97", torchSide(torchRequest{Model: "adding", Impl: "lstm97", T: T, B: B}, "", 1)},
				{"torch nn.LSTM", torchSide(torchRequest{Model: "adding", Impl: "nnlstm", T: T, B: B}, "", 1)},
				{"c", cSide("adding", T)},
			},
		})
	}
	cs = append(cs,
		&config{name: "exp1 train", ours: func(*env) (meter, error) { return exp1TrainMeter() },
			peers: []peer{{"c", cSide("reber", 0)}}},
		&config{name: "exp1 trial", ours: func(e *env) (meter, error) { return &trialMeter{seqs: e.o.trialSeqs}, nil },
			peers: []peer{{"c", cSide("reber", 0)}}})
	for _, n := range []int{64, 256} {
		n := n
		wide := func(dt tensor.Dtype, threads, replicas int) side {
			return func(*env) (meter, error) { return wideMeter(n, dt, threads, replicas) }
		}
		torch := func(impl, dtype string, threads int) side {
			return torchSide(torchRequest{Model: "wide", Impl: impl, T: wideT, B: wideB, Blocks: n, Inputs: benchnets.WideInputs, Outputs: benchnets.WideOutputs}, dtype, threads)
		}
		name := fmt.Sprintf("wide%d B%d T%d", n, wideB, wideT)
		cs = append(cs,
			&config{name: name, ours: wide(tensor.Float64, 1, 1), peers: []peer{
				{"torch nn.LSTM", torch("nnlstm", "float64", 1)},
				{"torch lstm97", torch("lstm97", "float64", 1)},
			}},
			&config{name: name + " 2 threads", ours: wide(tensor.Float64, 2, 2), peers: []peer{
				{"ours 1 thread", wide(tensor.Float64, 1, 1)},
				{"ours 2 threads, split passes", wide(tensor.Float64, 2, 1)},
				{"torch nn.LSTM 2 threads", torch("nnlstm", "float64", 2)},
			}},
			&config{name: name + " float32", ours: wide(tensor.Float32, 1, 1), peers: []peer{
				{"ours float64", wide(tensor.Float64, 1, 1)},
				{"torch nn.LSTM", torch("nnlstm", "float32", 1)},
			}})
	}
	return cs
}

// selectConfigs returns the configs that the comma-separated list s names, in allConfigs'
// order. An entry is a config's name or a family (its first word), in any case, with any
// spacing.
func selectConfigs(s string) ([]*config, error) {
	all := allConfigs()
	chosen := make([]bool, len(all))
	named := false
	for _, f := range strings.Split(s, ",") {
		want := strings.Join(strings.Fields(f), " ")
		if want == "" {
			continue
		}
		found := false
		for i, c := range all {
			if strings.EqualFold(want, c.name) || strings.EqualFold(want, c.family()) {
				chosen[i], found, named = true, true, true
			}
		}
		if !found {
			return nil, errors.Errorf("unknown config %q in -configs (want a name or a family, comma-separated: %s)", strings.TrimSpace(f), configNames(all))
		}
	}
	if !named {
		return nil, errors.Errorf("-configs %q names no config (want a name or a family, comma-separated: %s)", s, configNames(all))
	}
	var out []*config
	for i, c := range all {
		if chosen[i] {
			out = append(out, c)
		}
	}
	return out, nil
}

// configNames lists the families and the names, for error messages.
func configNames(all []*config) string {
	var fams, names []string
	for _, c := range all {
		if len(fams) == 0 || fams[len(fams)-1] != c.family() {
			fams = append(fams, c.family())
		}
		names = append(names, c.name)
	}
	return strings.Join(fams, ", ") + "; " + strings.Join(names, ", ")
}

// trainerMeter trains with a train.Trainer on batches made beforehand, cycling over them, with
// runtime.GOMAXPROCS set to threads while it trains.
type trainerMeter struct {
	tr      *train.Trainer
	data    []train.Batch
	seqs    int // sequences per batch
	threads int
	next    int
}

// newTrainerMeter makes the trainer (its batches split into replicas parts,
// train.TrainerConfig.Replicas) and runs warmup untimed steps (compiling the programs).
func newTrainerMeter(net layers.NetConfig, lr float64, dt tensor.Dtype, data []train.Batch, threads, replicas, warmup int) (*trainerMeter, error) {
	opt, err := optim.NewSGD(lr, optim.Clip{})
	if err != nil {
		return nil, err
	}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(net), Optimizer: opt, Seed: 1, Dtype: dt, MaxPrograms: trial.MaxPrograms, Replicas: replicas})
	if err != nil {
		return nil, err
	}
	sh, err := data[0].Shape()
	if err != nil {
		tr.Close()
		return nil, err
	}
	m := &trainerMeter{tr: tr, data: data, seqs: sh.B, threads: threads}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
	for i := 0; i < warmup; i++ {
		if err := m.step(); err != nil {
			tr.Close()
			return nil, err
		}
	}
	return m, nil
}

func (m *trainerMeter) step() error {
	_, err := m.tr.Step(m.data[m.next%len(m.data)])
	m.next++
	if err != nil { // not Wrapf(err, ...) alone: its arguments would be boxed, an allocation a step
		return errors.Wrapf(err, "training step %d", m.next)
	}
	return nil
}

func (m *trainerMeter) rate(seconds float64) (float64, error) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(m.threads))
	start, n := time.Now(), 0
	for n == 0 || time.Since(start).Seconds() < seconds {
		if err := m.step(); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n*m.seqs) / time.Since(start).Seconds(), nil
}

func (m *trainerMeter) close() { m.tr.Close() }

// addingNet is Experiment 4's net (93 weights), as paper's row 4 builds it.
func addingNet() layers.NetConfig {
	return layers.NetConfig{
		LSTM:   layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 2, InputGateBias: []float64{-3, -6}},
		Output: output.Config{Units: 1, Bias: true},
	}
}

// addingBatches returns n batches of B adding sequences of length exactly T.
func addingBatches(n, T, B int, seed int64) ([]train.Batch, error) {
	rng := rand.New(rand.NewSource(seed))
	var out []train.Batch
	for i := 0; i < n; i++ {
		seqs := make([]datasets.Sequence, B)
		for j := range seqs {
			q, err := datasets.Adding{T: T}.SampleLength(rng, T)
			if err != nil {
				return nil, err
			}
			seqs[j] = datasets.Sequence(q)
		}
		bt, err := train.Stack(seqs...)
		if err != nil {
			return nil, err
		}
		out = append(out, bt)
	}
	return out, nil
}

// addingMeter trains the adding net on 16 batches of B sequences of T steps, SGD α = 0.5, one
// thread.
func addingMeter(T, B int, dt tensor.Dtype) (meter, error) {
	data, err := addingBatches(16, T, B, 1)
	if err != nil {
		return nil, err
	}
	return newTrainerMeter(addingNet(), addingLR, dt, data, 1, 1, 3)
}

// exp1TrainMeter trains Exp. 1's default row (the net and α of examples/reber's default,
// paper.Lookup("1")) by per-sequence SGD on 1000 random embedded Reber strings drawn
// beforehand, one thread, float64: training only, no evaluation, as the C peer's "reber".
func exp1TrainMeter() (meter, error) {
	spec, err := paper.Lookup("1", paper.Variant{})
	if err != nil {
		return nil, err
	}
	data, err := benchnets.ReberBatches(1000, 1)
	if err != nil {
		return nil, err
	}
	return newTrainerMeter(spec.Net, spec.LR, tensor.Float64, data, 1, 1, len(data))
}

// trialMeter runs the paper harness's Exp. 1 trials (trial.Run at the default row, its
// success evaluation every 100 sequences included, no test after success) with seeds 1, 2, ...
// until seqs sequences are trained in all, and counts them per second of the trials' wall
// time. It ignores rate's seconds: the work is fixed.
type trialMeter struct{ seqs int }

func (m *trialMeter) rate(float64) (float64, error) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	seen, secs := 0, 0.0
	for seed := int64(1); seen < m.seqs; seed++ {
		spec, err := paper.Lookup("1", paper.Variant{})
		if err != nil {
			return 0, err
		}
		res, err := trial.Run(spec, trial.Options{Seed: seed, Max: m.seqs - seen, Test: -1})
		if err != nil {
			return 0, errors.Wrapf(err, "exp1 trial, seed %d", seed)
		}
		if res.Sequences <= 0 {
			return 0, errors.Errorf("exp1 trial, seed %d: trained %d sequences", seed, res.Sequences)
		}
		seen += res.Sequences
		secs += res.Seconds
	}
	return float64(seen) / secs, nil
}

func (m *trialMeter) close() {}

// wideMeter trains benchnets.Wide(blocks) on one batch of 32 sequences of 50 steps, SGD α = 0.1,
// on threads threads, the batch split into replicas parts (train.TrainerConfig.Replicas).
func wideMeter(blocks int, dt tensor.Dtype, threads, replicas int) (meter, error) {
	bt, err := benchnets.WideBatch(wideT, wideB)
	if err != nil {
		return nil, err
	}
	return newTrainerMeter(benchnets.Wide(blocks), wideLR, dt, []train.Batch{bt}, threads, replicas, 3)
}
