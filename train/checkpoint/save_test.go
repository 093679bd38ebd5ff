package checkpoint_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/internal/testmodel"
	"github.com/lstm97/lstm97/layers"
	"github.com/lstm97/lstm97/layers/output"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/train"
	"github.com/lstm97/lstm97/train/checkpoint"
)

// runConfig is a script's configuration, saved with the model.
type runConfig struct {
	Net   layers.NetConfig
	LR    float64
	Notes map[string][]int
}

func smallNet() runConfig {
	return runConfig{
		Net:   layers.NetConfig{LSTM: layers.Config{Inputs: 2, NumBlocks: 2, CellsPerBlock: 2}, Output: output.Config{Units: 1, Bias: true}},
		LR:    0.01,
		Notes: map[string][]int{"lengths": {10, 11}},
	}
}

// adamTrainer returns a trainer of the LSTM net of cfg with Adam, its weights initialised from seed.
func adamTrainer(t testing.TB, cfg runConfig, dtype tensor.Dtype, seed int64) *train.Trainer {
	t.Helper()
	return adamTrainerParts(t, cfg, dtype, seed, 0)
}

// adamTrainerParts is adamTrainer with its batches split into replicas parts
// (train.TrainerConfig.Replicas).
func adamTrainerParts(t testing.TB, cfg runConfig, dtype tensor.Dtype, seed int64, replicas int) *train.Trainer {
	t.Helper()
	adam, err := optim.NewAdam(cfg.LR, optim.Clip{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.NewTrainer(train.TrainerConfig{Model: layers.Net(cfg.Net), Optimizer: adam, Dtype: dtype, Seed: seed, Replicas: replicas})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// addingBatches returns n adding-problem batches of one sequence, lengths 10 and 11.
func addingBatches(t testing.TB, seed int64, n int) []train.Batch {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	var out []train.Batch
	for len(out) < n {
		seq, err := datasets.Adding{T: 10}.Sample(rng)
		if err != nil {
			t.Fatal(err)
		}
		bt, err := train.Stack(seq)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, bt)
	}
	return out
}

func steps(t *testing.T, tr *train.Trainer, bts []train.Batch) {
	t.Helper()
	for _, bt := range bts {
		if _, err := tr.Step(bt); err != nil {
			t.Fatal(err)
		}
	}
}

// fingerprint prints everything Load sets in tr, bit for bit: the parameters in order, the
// sequence count and the optimizer's state.
func fingerprint(t *testing.T, tr *train.Trainer) string {
	t.Helper()
	params, err := testmodel.ParamBits(tr.Params())
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(params)
	fmt.Fprintf(&b, "seen %d\n", tr.Seen())
	if st, ok := checkpoint.StatefulOf(tr.Optimizer()); ok {
		s := st.State()
		fmt.Fprintf(&b, "optimizer %s step %d %v\n", s.Kind, s.Step, s.Slots) // maps print sorted
	}
	return b.String()
}

// TestSaveLoadRoundTrip: a trainer loaded from Save holds the same parameters, optimizer state
// and sequence count, bit for bit, and trains on exactly as the saved one does, whether it is
// fresh (no batch needed) or has built its model already.
func TestSaveLoadRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		dtype tensor.Dtype
		built bool
	}{
		{"fresh trainer", tensor.Float64, false},
		{"built trainer", tensor.Float64, true},
		{"float32", tensor.Float32, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := smallNet()
			bts := addingBatches(t, 5, 9)
			saved := adamTrainer(t, cfg, tc.dtype, 1)
			steps(t, saved, bts[:6])
			dir := t.TempDir()
			if err := checkpoint.Save(dir, saved, cfg); err != nil {
				t.Fatal(err)
			}
			loaded := adamTrainer(t, cfg, tc.dtype, 2) // other initial weights
			if tc.built {
				shape, err := bts[0].Shape()
				if err != nil {
					t.Fatal(err)
				}
				if err := loaded.Build(shape); err != nil {
					t.Fatal(err)
				}
			}
			var got runConfig
			if err := checkpoint.Load(dir, loaded, &got); err != nil {
				t.Fatal(err)
			}
			if a, b := fingerprint(t, loaded), fingerprint(t, saved); a != b {
				t.Fatalf("loaded trainer:\n%.600s\nsaved one:\n%.600s", a, b)
			}
			if a, b := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", cfg); a != b {
				t.Errorf("config %s, want %s", a, b)
			}
			// The saved trainer runs on uninterrupted; the loaded one must take the same steps.
			steps(t, saved, bts[6:])
			steps(t, loaded, bts[6:])
			if a, b := fingerprint(t, loaded), fingerprint(t, saved); a != b {
				t.Errorf("after 3 more Adam steps the loaded trainer differs from the uninterrupted one:\n%.600s\nwant\n%.600s", a, b)
			}
			ra, err := loaded.Evaluate(bts[0])
			if err != nil {
				t.Fatal(err)
			}
			rb, err := saved.Evaluate(bts[0])
			if err != nil {
				t.Fatal(err)
			}
			if ra.Loss != rb.Loss {
				t.Errorf("evaluation loss %v, the uninterrupted trainer's %v", ra.Loss, rb.Loss)
			}
		})
	}
}

// mlp is y = σ(x(T-1)·w)·v (+ c) (+ z) with hidden units: variants of one architecture.
func mlp(hidden int, withC, withZ bool) graph.ModelFunc {
	return func(b *graph.Builder, s graph.Shape) (*graph.Model, error) {
		w := b.Param("w", []int{s.In, hidden}, graph.Uniform(0.5))
		v := b.Param("v", []int{hidden, s.Out}, graph.Uniform(0.5))
		m := &graph.Model{}
		for t := 0; t < s.T; t++ {
			m.Inputs = append(m.Inputs, b.Scope("x").Input(fmt.Sprintf("t%d", t), s.B, s.In))
		}
		y := b.MatMul(b.Sigmoid(b.MatMul(m.Inputs[s.T-1], w)), v)
		if withC {
			y = b.AddBias(y, b.Param("c", []int{1, s.Out}, graph.Uniform(0.5)))
		}
		if withZ {
			y = b.AddBias(y, b.Param("z", []int{1, s.Out}, graph.Uniform(0.5)))
		}
		tg := b.Scope("target").Input(fmt.Sprintf("t%d", s.T-1), s.B, s.Out)
		m.Outputs, m.Targets = []*G.Node{y}, []*G.Node{tg}
		m.Loss = b.Scale(b.Sum(b.Square(b.Sub(tg, y))), 0.5)
		return m, b.Err()
	}
}

type mlpConfig struct{ Hidden int }

// TestLoadRefusesMismatch: a checkpoint that does not fit the trainer's model, optimizer or
// the config type is refused with an error naming what differs, and leaves the trainer (fresh
// or built) and the config unchanged.
func TestLoadRefusesMismatch(t *testing.T) {
	batch, err := train.Stack(datasets.Sequence{Inputs: [][]float64{{1, 2}, {3, 4}}, Targets: [][]float64{nil, {1}}})
	if err != nil {
		t.Fatal(err)
	}
	shape, err := batch.Shape()
	if err != nil {
		t.Fatal(err)
	}
	newTr := func(model graph.ModelFunc, opt string, dtype tensor.Dtype) *train.Trainer {
		var o train.Optimizer
		if opt != "" {
			if o, err = optim.New(opt, 0.1, optim.Clip{}); err != nil {
				t.Fatal(err)
			}
		}
		tr, err := train.NewTrainer(train.TrainerConfig{Model: model, Optimizer: o, Dtype: dtype, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tr.Close() })
		return tr
	}
	// The checkpoints: an Adam-trained mlp(3, c) with its config; its parameters alone; and a
	// built mlp(3, c) without an optimizer, saved without a config.
	adamDir, paramsDir, bareDir := t.TempDir(), t.TempDir(), t.TempDir()
	saver := newTr(mlp(3, true, false), "adam", tensor.Float64)
	for range 3 {
		if _, err := saver.Step(batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := checkpoint.Save(adamDir, saver, mlpConfig{Hidden: 3}); err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.SaveParams(paramsDir, saver.Params()); err != nil {
		t.Fatal(err)
	}
	bare := newTr(mlp(3, true, false), "", tensor.Float64)
	if err := bare.Build(shape); err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.Save(bareDir, bare, nil); err != nil {
		t.Fatal(err)
	}
	var wrongType struct{ Width int }
	for _, tc := range []struct {
		name   string
		dir    string
		model  graph.ModelFunc
		opt    string
		dtype  tensor.Dtype
		config any
		want   string
	}{
		{"other shape", adamDir, mlp(4, true, false), "adam", tensor.Float64, nil,
			`parameter "w" is float64 (2, 3) in the source, float64 (2, 4) in the model`},
		{"missing parameter", adamDir, mlp(3, true, true), "adam", tensor.Float64, nil, `parameter "z" is missing from the source`},
		{"extra parameter", adamDir, mlp(3, false, false), "adam", tensor.Float64, nil, `the source has parameter "c", the model does not`},
		{"other dtype", adamDir, mlp(3, true, false), "adam", tensor.Float32, nil,
			`parameter "w" is float64 (2, 3) in the source, float32 (2, 3) in the model`},
		{"stateless optimizer", adamDir, mlp(3, true, false), "sgd", tensor.Float64, nil, "holds adam optimizer state, the trainer's optimizer (*optim.SGD) keeps none"},
		{"other optimizer", adamDir, mlp(3, true, false), "momentum", tensor.Float64, nil, "holds adam optimizer state, the trainer's optimizer (*optim.Momentum) keeps momentum state"},
		{"no optimizer state", bareDir, mlp(3, true, false), "adam", tensor.Float64, nil, "holds no optimizer state, the trainer's optimizer (*optim.Adam) needs one"},
		{"no shape, fresh trainer", paramsDir, mlp(3, true, false), "", tensor.Float64, nil, "records no batch shape and the trainer has no parameters yet"},
		{"config not a pointer", adamDir, mlp(3, true, false), "adam", tensor.Float64, mlpConfig{}, "config must be a non-nil pointer, got checkpoint_test.mlpConfig"},
		{"config of another type", adamDir, mlp(3, true, false), "adam", tensor.Float64, &wrongType, `json: unknown field "Hidden"`},
		{"no config saved", bareDir, mlp(3, true, false), "", tensor.Float64, &mlpConfig{}, "holds no configuration"},
		{"no checkpoint", t.TempDir(), mlp(3, true, false), "adam", tensor.Float64, nil, "checkpoint: no checkpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, built := range []bool{false, true} {
				tr := newTr(tc.model, tc.opt, tc.dtype)
				if built {
					if err := tr.Build(shape); err != nil {
						t.Fatal(err)
					}
					if tc.name == "no shape, fresh trainer" {
						continue // loads: checked below
					}
				}
				before, cfgBefore := fingerprint(t, tr), fmt.Sprintf("%+v", tc.config)
				err := checkpoint.Load(tc.dir, tr, tc.config)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("built %v: err = %v, want %q", built, err, tc.want)
				}
				if after := fingerprint(t, tr); after != before {
					t.Errorf("built %v: the failed Load changed the trainer:\n%s\nwas\n%s", built, after, before)
				}
				if got := fmt.Sprintf("%+v", tc.config); got != cfgBefore {
					t.Errorf("built %v: the failed Load changed the config to %s", built, got)
				}
				if !built {
					t.Logf("%v", err)
				}
			}
		})
	}
	if err := checkpoint.Load(t.TempDir(), newTr(mlp(3, true, false), "", tensor.Float64), nil); !errors.Is(err, checkpoint.ErrNotFound) {
		t.Errorf("empty directory: err = %v, want one that errors.Is ErrNotFound", err)
	}
	if err := checkpoint.Load(adamDir, nil, nil); err == nil || !strings.Contains(err.Error(), "nil trainer") {
		t.Errorf("nil trainer: err = %v", err)
	}
	// A checkpoint without a shape loads into a built trainer, and without an optimizer the
	// parameters alone are taken (evaluation).
	tr := newTr(mlp(3, true, false), "", tensor.Float64)
	if err := tr.Build(shape); err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.Load(paramsDir, tr, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := fingerprint(t, tr), strings.Replace(fingerprint(t, saver), "seen 3", "seen 0", 1); !strings.HasPrefix(want, got) {
		t.Errorf("parameters loaded into a built trainer:\n%s\nwant\n%s", got, want)
	}
}

// TestSaveFailureKeepsCheckpoint: a Save that fails (a config that does not marshal, a NaN
// weight) leaves the checkpoint saved before it, which still loads.
func TestSaveFailureKeepsCheckpoint(t *testing.T) {
	cfg := smallNet()
	bts := addingBatches(t, 3, 2)
	tr := adamTrainer(t, cfg, tensor.Float64, 1)
	steps(t, tr, bts[:1])
	dir := t.TempDir()
	if err := checkpoint.Save(dir, tr, cfg); err != nil {
		t.Fatal(err)
	}
	want := fingerprint(t, tr)
	steps(t, tr, bts[1:])
	for _, tc := range []struct {
		name   string
		spoil  func()
		config any
		want   string
	}{
		{"config that does not marshal", func() {}, map[string]any{"f": func() {}}, "checkpoint: save: config (map[string]interface {}); nothing saved: json: unsupported type"},
		{"NaN weight", func() { tr.Params().Get("lstm/cell/wx").Float64s()[3] = math.NaN() }, cfg,
			`checkpoint: nothing saved in ` + dir + `: parameter "lstm/cell/wx" value 3 is NaN`},
		{"nil trainer", func() {}, cfg, "checkpoint: save: nil trainer"},
	} {
		tc.spoil()
		var err error
		if tc.name == "nil trainer" {
			err = checkpoint.Save(dir, nil, tc.config)
		} else {
			err = checkpoint.Save(dir, tr, tc.config)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
		fresh := adamTrainer(t, cfg, tensor.Float64, 9)
		if err := checkpoint.Load(dir, fresh, nil); err != nil {
			t.Fatalf("%s: the earlier checkpoint: %v", tc.name, err)
		}
		if got := fingerprint(t, fresh); got != want {
			t.Errorf("%s: the checkpoint changed:\n%.400s\nwant\n%.400s", tc.name, got, want)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 2 {
		t.Errorf("files left: %v, want the manifest and one data file", files)
	}
}

// TestLoadConfig: the configuration comes back alone, before a model is built, into a zero
// value (fields absent from the file are zeroed, not merged).
func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := smallNet()
	tr := adamTrainer(t, cfg, tensor.Float64, 1)
	steps(t, tr, addingBatches(t, 1, 3))
	if err := checkpoint.Save(dir, tr, cfg); err != nil {
		t.Fatal(err)
	}
	got := runConfig{LR: 5, Notes: map[string][]int{"stale": {1}}}
	if err := checkpoint.LoadConfig(dir, &got); err != nil {
		t.Fatal(err)
	}
	if a, b := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", cfg); a != b {
		t.Errorf("config %s, want %s", a, b)
	}
	var raw map[string]json.RawMessage
	if err := checkpoint.LoadConfig(dir, &raw); err != nil || len(raw) != 3 {
		t.Errorf("as a map: %v, %v", raw, err)
	}
}

// TestRestoreNeedsNoProbe: Policy.Restore into a fresh trainer needs no batch shape; a
// checkpoint of format 1 without a recorded shape needs one (or a built trainer), and loads
// with it.
func TestRestoreNeedsNoProbe(t *testing.T) {
	cfg := smallNet()
	bts := addingBatches(t, 4, 3)
	saved := adamTrainer(t, cfg, tensor.Float64, 1)
	steps(t, saved, bts)
	rs := datasets.NewSource(11)
	rs.Uint64()
	dir := t.TempDir()
	ck := checkpoint.Policy{Dir: dir, Resume: true}
	if err := ck.Save(checkpoint.State{Trainer: saved, RNGs: map[string]*datasets.Source{"data": rs}, Config: cfg}); err != nil {
		t.Fatal(err)
	}
	loaded, rs2 := adamTrainer(t, cfg, tensor.Float64, 2), datasets.NewSource(0)
	ok, err := ck.Restore(checkpoint.State{Trainer: loaded, RNGs: map[string]*datasets.Source{"data": rs2}, Config: cfg})
	if err != nil || !ok {
		t.Fatalf("restore: %v, %v", ok, err)
	}
	if a, b := fingerprint(t, loaded), fingerprint(t, saved); a != b {
		t.Errorf("restored:\n%.400s\nwant\n%.400s", a, b)
	}
	if a, b := rs2.Uint64(), rs.Uint64(); a != b {
		t.Errorf("random source restored to %x, want %x", a, b)
	}

	// The format-1 sample: parameters lstm/cell/wx (2, 4) and out/b (1, 1), Adam state, config {"T":100}.
	fmt1 := t.TempDir()
	man, err := os.ReadFile(filepath.Join("testdata", "format1", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("testdata", "format1", "arrays.npz.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fmt1, checkpoint.ManifestName), man, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fmt1, "arrays-000000001234.npz"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	sample := func(b *graph.Builder, s graph.Shape) (*graph.Model, error) {
		wx := b.Scope("lstm").Scope("cell").Param("wx", []int{2, 4}, graph.Uniform(0.1))
		ob := b.Scope("out").Param("b", []int{1, 1}, graph.Uniform(0.1))
		x := b.Input("x", s.B, s.In)
		y := b.MatMul(x, wx)
		tg := b.Input("target", s.B, s.Out)
		return &graph.Model{Inputs: []*G.Node{x}, Outputs: []*G.Node{y}, Targets: []*G.Node{tg},
			Loss: b.Add(b.Sum(b.Square(b.Sub(tg, y))), b.Sum(ob))}, b.Err()
	}
	probe := graph.Shape{T: 1, B: 1, In: 2, Out: 4, TargetSteps: []int{0}}
	newTr := func() *train.Trainer {
		adam, err := optim.NewAdam(0.1, optim.Clip{})
		if err != nil {
			t.Fatal(err)
		}
		tr, err := train.NewTrainer(train.TrainerConfig{Model: sample, Optimizer: adam})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tr.Close() })
		return tr
	}
	state := checkpoint.State{Trainer: newTr(), Config: map[string]int{"T": 100}, RNGs: map[string]*datasets.Source{"train": datasets.NewSource(0)}}
	old := checkpoint.Policy{Dir: fmt1, Resume: true}
	if _, err := old.Restore(state); err == nil || !strings.Contains(err.Error(), "records no batch shape") {
		t.Errorf("format 1 without a probe: err = %v", err)
	}
	if _, err := old.Restore(state, probe, probe); err == nil || !strings.Contains(err.Error(), "2 batch shapes given") {
		t.Errorf("two probes: err = %v", err)
	}
	// The sample's random state is 3 bytes, which no source takes: restoring fails, and leaves
	// the trainer unchanged.
	if _, err := old.Restore(state, probe); err == nil || !strings.Contains(err.Error(), `random source "train"`) || state.Trainer.Params().Len() != 0 {
		t.Errorf("format 1 with a bad random state: err = %v, %d parameters", err, state.Trainer.Params().Len())
	}
	state.RNGs = nil
	if ok, err := old.Restore(state, probe); err != nil || !ok || state.Trainer.Seen() != 1234 {
		t.Fatalf("format 1 with a probe: %v, %v, seen %d", ok, err, state.Trainer.Seen())
	}
	tr := newTr()
	if err := tr.Build(probe); err != nil {
		t.Fatal(err)
	}
	var fcfg struct{ T int }
	if err := checkpoint.Load(fmt1, tr, &fcfg); err != nil || fcfg.T != 100 {
		t.Fatalf("Load of format 1 into a built trainer: %v, config %+v", err, fcfg)
	}
	if a, b := fingerprint(t, tr), fingerprint(t, state.Trainer); a != b || !strings.Contains(a, "optimizer adam step 7") {
		t.Errorf("Load and Restore of format 1 differ:\n%s\n%s", a, b)
	}
}
