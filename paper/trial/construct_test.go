package trial

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/graph/vm"
	"github.com/lstm97/lstm97/optim"
	"github.com/lstm97/lstm97/paper"
	"github.com/lstm97/lstm97/train/checkpoint"
)

func TestConstructionHoldsThenAddsTheCell(t *testing.T) {
	b := graph.NewBuilder(graph.Config{Seed: 1})
	b.Param("out/w", []int{1, 3}, graph.Uniform(0.2))
	b.Param("lstm/w", []int{2, 2}, graph.Uniform(0.2))
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	ps := b.ParamSet()
	c := &paper.Construction{Hold: []string{"out/w"}, Every: 2, MinGain: 0.1, Init: 0.2}
	sgd, err := optim.New("sgd", 1, optim.Clip{})
	if err != nil {
		t.Fatal(err)
	}
	h := optim.NewHold(sgd, c.Hold...)
	opt := h
	st := &constructState{}
	if err := startConstruction(c, ps, st, h); err != nil {
		t.Fatal(err)
	}
	values := func(name string) []float64 {
		v, err := ps.Float64s(name)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, v := range values("out/w") {
		if v != 0 {
			t.Fatalf("held weights not zeroed: %v", values("out/w"))
		}
	}
	step := func() { // a gradient of 1 on every weight
		var gs []vm.Param
		for _, name := range ps.Names() {
			g := tensor.New(tensor.WithShape(ps.Get(name).Shape().Clone()...), tensor.Of(tensor.Float64))
			for i := range g.Data().([]float64) {
				g.Data().([]float64)[i] = 1
			}
			gs = append(gs, vm.Param{Name: name, Value: ps.Get(name), Grad: g})
		}
		if err := opt.Step(gs); err != nil {
			t.Fatal(err)
		}
	}
	before := values("lstm/w")
	step()
	if values("out/w")[0] != 0 || values("lstm/w")[0] == before[0] {
		t.Fatalf("held weights trained or free ones not: out/w %v, lstm/w %v -> %v", values("out/w"), before, values("lstm/w"))
	}

	// The error falls by 50 % per block of 2 sequences, then by 5 %: the cell comes after the
	// first block that gains less than 10 %.
	errs := []float64{1, 1, 0.5, 0.5, 0.25, 0.25, 0.24, 0.24, 0.1, 0.1}
	added := 0
	for i, e := range errs {
		ok, err := observeConstruction(c, e, i+1, 3, ps, st, h)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			if added != 0 {
				t.Fatalf("cell added twice, after %d and %d sequences", added, i+1)
			}
			added = i + 1
		}
	}
	if added != 8 || st.Added != 8 {
		t.Fatalf("cell added after %d sequences (state %d), want 8", added, st.Added)
	}
	w := values("out/w")
	for _, v := range w {
		if v == 0 || math.Abs(v) > 0.2 {
			t.Fatalf("added weights not in [-0.2, 0.2] \\ {0}: %v", w)
		}
	}
	step()
	if got := values("out/w"); got[0] == w[0] {
		t.Errorf("the added weights do not train: %v", got)
	}
}

// TestConstructionSurvivesResume: a 2a trial interrupted before its cell is added and resumed
// ends exactly like the uninterrupted trial (same sequence count, same step of construction,
// same weights, compared through the trained net's cell states).
func TestConstructionSurvivesResume(t *testing.T) {
	s, err := paper.Lookup("2a", paper.Variant{P: 10})
	if err != nil {
		t.Fatal(err)
	}
	const max = 2500
	run := func(dir string, max int, resume bool) paper.Result {
		r, err := Run(s, Options{Seed: 4, Max: max, Test: -1, Drift: 3,
			Checkpoints: checkpoint.Policy{Dir: dir, Every: 1000, Resume: resume}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	whole := run("", max, false)
	if whole.CellAdded == 0 || whole.CellAdded <= 300 || whole.CellAdded >= whole.Sequences {
		t.Fatalf("the test wants the cell added after the interruption at 300 and before the end: %+v", whole)
	}
	dir := filepath.Join(t.TempDir(), "ck")
	run(dir, 300, false)
	resumed := run(dir, max, true)
	if resumed.Sequences != whole.Sequences || resumed.CellAdded != whole.CellAdded || resumed.Success != whole.Success {
		t.Fatalf("resumed %+v, uninterrupted %+v", resumed, whole)
	}
	for i := range whole.Drift.States {
		for c, v := range whole.Drift.States[i] {
			if resumed.Drift.States[i][c] != v {
				t.Errorf("sequence %d cell %d: state %v after resuming, %v without", i, c, resumed.Drift.States[i][c], v)
			}
		}
	}
}

// TestConstructionIsPartOfTheCheckpointConfig: a checkpoint of a run with the cell from the start
// is refused by a run that would add it (which would zero the trained cell's weights).
func TestConstructionIsPartOfTheCheckpointConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ck")
	for i, v := range []paper.Variant{{P: 10, NoConstruct: true}, {P: 10}} {
		s, err := paper.Lookup("2a", v)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Run(s, Options{Seed: 1, Max: 100, Test: -1, Checkpoints: checkpoint.Policy{Dir: dir, Resume: i == 1}})
		if i == 0 && err != nil {
			t.Fatal(err)
		}
		if i == 1 && (err == nil || !strings.Contains(err.Error(), "config")) {
			t.Errorf("resuming with construction from a checkpoint without: %v", err)
		}
	}
}
