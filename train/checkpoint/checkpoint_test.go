package checkpoint_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/train/checkpoint"
)

func sampleCheckpoint(t *testing.T) *checkpoint.Data {
	t.Helper()
	b := graph.NewBuilder(graph.Config{Seed: 3})
	b.Scope("lstm").Scope("cell").Param("wx", []int{2, 4}, graph.Uniform(0.1))
	b.Scope("out").Param("b", []int{1, 1}, graph.Values(0.25))
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	return &checkpoint.Data{
		Sequences: 1234,
		Params:    b.ParamSet(),
		Optimizer: &checkpoint.OptimizerState{Kind: "adam", Step: 7, Slots: map[string]map[string][]float64{
			"m": {"lstm/cell/wx": make([]float64, 8), "out/b": {0.5}},
			"v": {"lstm/cell/wx": {1, 2, 3, 4, 5, 6, 7, 8}, "out/b": {0.125}},
		}},
		RNG:    map[string][]byte{"train": {1, 2, 3}},
		Config: json.RawMessage(`{"T":100}`),
		Extra:  json.RawMessage(`{"window":[1,2]}`),
	}
}

var update = flag.Bool("update", false, "rewrite testdata (the format-1 sample, also the fuzz seed)")

// The sample checkpoint of format 1 is kept under neutral names (a test fixture, not a run
// output): testdata/format1/manifest.json and arrays.npz.golden, laid out as a checkpoint
// directory by sampleDir.
var sampleFiles = [2]string{filepath.Join("testdata", "format1", "manifest.json"), filepath.Join("testdata", "format1", "arrays.npz.golden")}

// sampleDir copies the format-1 sample into a checkpoint directory and returns it.
func sampleDir(t *testing.T) string {
	t.Helper()
	man, err := os.ReadFile(sampleFiles[0])
	if err != nil {
		t.Fatalf("%v (go test -update rewrites it)", err)
	}
	var m struct{ Data string }
	if err := json.Unmarshal(man, &m); err != nil || m.Data == "" {
		t.Fatalf("%s names no data file (%v)", sampleFiles[0], err)
	}
	data, err := os.ReadFile(sampleFiles[1])
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, checkpoint.ManifestName), man, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, m.Data), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSeedCheckpoint keeps the format-1 sample, written by an earlier version and the fuzz
// seed, loadable.
func TestSeedCheckpoint(t *testing.T) {
	if *update {
		dir := t.TempDir()
		if err := checkpoint.WriteData(dir, sampleCheckpoint(t)); err != nil {
			t.Fatal(err)
		}
		data, _ := filepath.Glob(filepath.Join(dir, "arrays-*.npz"))
		for i, from := range []string{filepath.Join(dir, checkpoint.ManifestName), data[0]} {
			b, err := os.ReadFile(from)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(sampleFiles[i], b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	ck, err := checkpoint.ReadData(sampleDir(t))
	if err != nil {
		t.Fatalf("%v (go test -update rewrites it)", err)
	}
	if ck.Sequences != 1234 || ck.Params.NumWeights() != 9 {
		t.Errorf("seed checkpoint: %d sequences, %d weights", ck.Sequences, ck.Params.NumWeights())
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	dir := t.TempDir()
	ck := sampleCheckpoint(t)
	if err := checkpoint.WriteData(dir, ck); err != nil {
		t.Fatal(err)
	}
	got, err := checkpoint.ReadData(dir)
	if err != nil {
		t.Fatal(err)
	}
	compact := func(raw json.RawMessage) string {
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	if got.Sequences != 1234 || compact(got.Config) != `{"T":100}` || compact(got.Extra) != `{"window":[1,2]}` || string(got.RNG["train"]) != "\x01\x02\x03" {
		t.Errorf("round trip: %+v", got)
	}
	for _, name := range ck.Params.Names() {
		a, _ := ck.Params.Float64s(name)
		b, err := got.Params.Float64s(name)
		if err != nil {
			t.Fatal(err)
		}
		for i := range a {
			if a[i] != b[i] {
				t.Errorf("%s[%d]: %v, want %v", name, i, b[i], a[i])
			}
		}
	}
	if got.Optimizer == nil || got.Optimizer.Kind != "adam" || got.Optimizer.Step != 7 ||
		got.Optimizer.Slots["v"]["lstm/cell/wx"][7] != 8 || got.Optimizer.Slots["m"]["out/b"][0] != 0.5 {
		t.Errorf("optimizer state: %+v", got.Optimizer)
	}
	// A second save replaces the data file.
	ck.Sequences = 2000
	if err := checkpoint.WriteData(dir, ck); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "arrays-*.npz"))
	if len(files) != 1 || !strings.Contains(files[0], "000000002000") {
		t.Errorf("data files after the second save: %v", files)
	}
}

func TestCheckpointRefusesDamage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(dir string) error
		want   string
	}{
		{"flipped byte in the arrays", func(dir string) error {
			f, _ := filepath.Glob(filepath.Join(dir, "arrays-*.npz"))
			b, err := os.ReadFile(f[0])
			if err != nil {
				return err
			}
			b[len(b)/2] ^= 0x40
			return os.WriteFile(f[0], b, 0o644)
		}, "corrupted or truncated (SHA-256"},
		{"truncated arrays", func(dir string) error {
			f, _ := filepath.Glob(filepath.Join(dir, "arrays-*.npz"))
			b, _ := os.ReadFile(f[0])
			return os.WriteFile(f[0], b[:len(b)/3], 0o644)
		}, "SHA-256 does not match"},
		{"truncated manifest", func(dir string) error {
			p := filepath.Join(dir, checkpoint.ManifestName)
			b, _ := os.ReadFile(p)
			return os.WriteFile(p, b[:len(b)/2], 0o644)
		}, "truncated or corrupted"},
		{"missing arrays", func(dir string) error {
			f, _ := filepath.Glob(filepath.Join(dir, "arrays-*.npz"))
			return os.Remove(f[0])
		}, "no such file"},
		{"other format", func(dir string) error {
			p := filepath.Join(dir, checkpoint.ManifestName)
			b, _ := os.ReadFile(p)
			return os.WriteFile(p, []byte(strings.Replace(string(b), checkpoint.Format, "other/9", 1)), 0o644)
		}, `format "other/9"`},
	} {
		dir := t.TempDir()
		if err := checkpoint.WriteData(dir, sampleCheckpoint(t)); err != nil {
			t.Fatal(err)
		}
		if err := tc.damage(dir); err != nil {
			t.Fatal(err)
		}
		if _, err := checkpoint.ReadData(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := checkpoint.ReadData(t.TempDir()); !errors.Is(err, checkpoint.ErrNotFound) {
		t.Errorf("empty directory: err = %v, want ErrNotFound", err)
	}
}

func TestAssignNamesFirstMismatch(t *testing.T) {
	mk := func(shape []int, extra bool) *graph.ParamSet {
		b := graph.NewBuilder(graph.Config{})
		b.Param("a", []int{2}, graph.Uniform(1))
		b.Param("w", shape, graph.Uniform(1))
		if extra {
			b.Param("z", []int{1}, graph.Uniform(1))
		}
		return b.ParamSet()
	}
	model := mk([]int{2, 3}, false)
	for _, tc := range []struct {
		from *graph.ParamSet
		want string
	}{
		{mk([]int{3, 2}, false), `parameter "w" is float64 (3, 2) in the source, float64 (2, 3) in the model`},
		{mk([]int{2, 3}, true), `the source has parameter "z"`},
		{graph.NewParamSet(), `parameter "a" is missing`},
	} {
		before, _ := model.Float64s("a")
		if err := model.Assign(tc.from); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
		after, _ := model.Float64s("a")
		if before[0] != after[0] {
			t.Error("a failed Assign changed the model")
		}
	}
	src := mk([]int{2, 3}, false)
	if err := model.Assign(src); err != nil {
		t.Fatal(err)
	}
	a, _ := model.Float64s("w")
	b, _ := src.Float64s("w")
	if a[5] != b[5] {
		t.Error("Assign did not copy")
	}
}

// TestCheckpointReadableByNumPy loads the .npz with NumPy when /usr/bin/python3 has it.
func TestCheckpointReadableByNumPy(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import numpy").Run(); err != nil {
		t.Skip("no NumPy on /usr/bin/python3")
	}
	dir := t.TempDir()
	ck := sampleCheckpoint(t)
	if err := checkpoint.WriteData(dir, ck); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "arrays-*.npz"))
	out, err := exec.Command("/usr/bin/python3", "-c", `
import json, sys, numpy as np
z = np.load(sys.argv[1])
print(json.dumps({k: z[k].tolist() for k in ["lstm/cell/wx", "out/b", "optimizer/v/lstm/cell/wx"]}))`, files[0]).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	wx, _ := ck.Params.Float64s("lstm/cell/wx")
	if row := got["lstm/cell/wx"].([]any)[1].([]any); row[3].(float64) != wx[7] {
		t.Errorf("NumPy reads %v, want %v", row[3], wx[7])
	}
	if v := got["optimizer/v/lstm/cell/wx"].([]any); v[7].(float64) != 8 {
		t.Errorf("NumPy reads optimizer slot %v", v)
	}
}

// TestFailedSaveKeepsPrevious: a save that fails after writing its data file and before its
// manifest (as a crash there would) leaves the previous checkpoint loadable and unchanged,
// also when both have the same sequence count; a parameter with a NaN is refused before
// anything is written.
func TestFailedSaveKeepsPrevious(t *testing.T) {
	for _, tc := range []struct {
		name  string
		seqs  int
		spoil func(ck *checkpoint.Data)
		crash bool
		want  string
	}{
		{"crash before the manifest, later count", 2000, func(*checkpoint.Data) {}, true, "boom"},
		{"crash before the manifest, same count", 1234, func(*checkpoint.Data) {}, true, "boom"},
		{"NaN parameter", 2000, func(ck *checkpoint.Data) { ck.Params.Get("out/b").Float64s()[0] = math.NaN() }, false,
			`parameter "out/b" value 0 is NaN`},
		{"bad shape", 2000, func(ck *checkpoint.Data) { ck.Shape = &graph.Shape{T: 2, B: 1, In: 1, Out: 1, TargetSteps: []int{2}} }, false,
			"bad batch shape"},
		{"negative count", -1, func(*checkpoint.Data) {}, false, "negative sequence count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := checkpoint.WriteData(dir, sampleCheckpoint(t)); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(filepath.Join(dir, checkpoint.ManifestName))
			next := sampleCheckpoint(t)
			next.Sequences = tc.seqs
			if err := next.Params.SetFloat64s("out/b", []float64{-7}); err != nil {
				t.Fatal(err)
			}
			tc.spoil(next)
			if tc.crash {
				defer checkpoint.FailBeforeManifest(errors.New("boom"))()
			}
			if err := checkpoint.WriteData(dir, next); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			after, _ := os.ReadFile(filepath.Join(dir, checkpoint.ManifestName))
			if !bytes.Equal(after, before) {
				t.Error("the manifest changed")
			}
			got, err := checkpoint.ReadData(dir)
			if err != nil {
				t.Fatalf("the previous checkpoint: %v", err)
			}
			if b, _ := got.Params.Float64s("out/b"); got.Sequences != 1234 || b[0] != 0.25 {
				t.Errorf("the previous checkpoint holds %d sequences, out/b %v", got.Sequences, b)
			}
		})
	}
}

// TestShapeRoundTrip: the batch shape a model was built for comes back; one that no model
// can have is refused on loading.
func TestShapeRoundTrip(t *testing.T) {
	dir := t.TempDir()
	ck := sampleCheckpoint(t)
	ck.Shape = &graph.Shape{T: 3, B: 2, In: 4, Out: 1, TargetSteps: []int{0, 2}, OneHot: true}
	if err := checkpoint.WriteData(dir, ck); err != nil {
		t.Fatal(err)
	}
	got, err := checkpoint.ReadData(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Shape == nil || fmt.Sprintf("%+v", *got.Shape) != fmt.Sprintf("%+v", *ck.Shape) {
		t.Errorf("shape %+v, want %+v", got.Shape, *ck.Shape)
	}
	if old, err := checkpoint.ReadData(sampleDir(t)); err != nil || old.Shape != nil {
		t.Errorf("format-1 sample: shape %v, err %v; want none", old.Shape, err)
	}
	// A manifest whose shape is damaged (the checksum covers the arrays only).
	p := filepath.Join(dir, checkpoint.ManifestName)
	b, _ := os.ReadFile(p)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []map[string]any{
		{"T": 0, "B": 1, "In": 1, "Out": 1},
		{"T": 3, "B": 1, "In": 1, "Out": 1, "TargetSteps": []int{2, 1}},
		{"T": 3, "B": -1, "In": 1, "Out": 1},
	} {
		m["shape"] = bad
		js, _ := json.Marshal(m)
		if err := os.WriteFile(p, js, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := checkpoint.ReadData(dir); err == nil || !strings.Contains(err.Error(), "bad batch shape") {
			t.Errorf("shape %v: err = %v", bad, err)
		}
	}
}

// TestParams: SaveParams and LoadParams keep a ParamSet alone; loading into another
// architecture is refused and copies nothing.
func TestParams(t *testing.T) {
	dir := t.TempDir()
	src := sampleCheckpoint(t).Params
	if err := checkpoint.SaveParams(dir, src); err != nil {
		t.Fatal(err)
	}
	build := func(wx []int, extra bool) *graph.ParamSet {
		b := graph.NewBuilder(graph.Config{Seed: 9})
		b.Scope("lstm").Scope("cell").Param("wx", wx, graph.Uniform(0.1))
		b.Scope("out").Param("b", []int{1, 1}, graph.Values(0))
		if extra {
			b.Param("z", []int{1}, graph.Values(0))
		}
		if err := b.Err(); err != nil {
			t.Fatal(err)
		}
		return b.ParamSet()
	}
	for _, tc := range []struct {
		name string
		ps   *graph.ParamSet
		want string
	}{
		{"same", build([]int{2, 4}, false), ""},
		{"other shape", build([]int{4, 2}, false), `parameter "lstm/cell/wx" is float64 (2, 4) in the source, float64 (4, 2) in the model`},
		{"extra in the model", build([]int{2, 4}, true), `parameter "z" is missing from the source`},
		{"nil", nil, "nil parameter set"},
	} {
		var before string
		if tc.ps != nil {
			before = fmt.Sprint(tc.ps.Float64s("out/b"))
		}
		err := checkpoint.LoadParams(dir, tc.ps)
		if tc.want == "" {
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			for _, name := range src.Names() {
				a, _ := src.Float64s(name)
				b, _ := tc.ps.Float64s(name)
				if fmt.Sprint(a) != fmt.Sprint(b) {
					t.Errorf("%s: %s = %v, want %v", tc.name, name, b, a)
				}
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
		if tc.ps != nil && fmt.Sprint(tc.ps.Float64s("out/b")) != before {
			t.Errorf("%s: a refused load changed the parameters", tc.name)
		}
	}
}

// TestOptimizerStateCheck: an optimizer state must hold vectors of the model's parameters
// only, each as long as its parameter.
func TestOptimizerStateCheck(t *testing.T) {
	ps := sampleCheckpoint(t).Params
	for _, tc := range []struct {
		name  string
		slots map[string]map[string][]float64
		want  string
	}{
		{"fits", map[string]map[string][]float64{"m": {"lstm/cell/wx": make([]float64, 8)}, "v": {"out/b": {1}}}, ""},
		{"unknown parameter", map[string]map[string][]float64{"m": {"lstm/cell/wy": {1}}}, `adam optimizer slot "m" holds parameter "lstm/cell/wy", which the model does not have`},
		{"wrong length", map[string]map[string][]float64{"v": {"out/b": {1, 2}}}, `adam optimizer slot "v" of parameter "out/b" has 2 values, the parameter 1 (shape (1, 1))`},
	} {
		st := checkpoint.OptimizerState{Kind: "adam", Slots: tc.slots}
		err := st.Check(ps)
		if (tc.want == "" && err != nil) || (tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want))) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}
