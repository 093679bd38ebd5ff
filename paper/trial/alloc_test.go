//go:build !race

// The race detector changes allocation counts.

package trial

import (
	"testing"

	"github.com/lstm97/lstm97/paper"
	"github.com/lstm97/lstm97/train/criteria"
)

// TestReberLoopAllocatesNothing: once its programs exist, a step of an Exp. 1 trial allocates
// nothing: drawing the next string (its batch made once), training on it, judging it and
// keeping the window, and the evaluation over both sets.
func TestReberLoopAllocatesNothing(t *testing.T) {
	s, err := paper.Lookup("1", paper.Variant{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := newRunner(s, Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.tr.Close()
	crit, err := tr.criterion()
	if err != nil {
		t.Fatal(err)
	}
	observe := criteria.Until(tr.observing(crit))
	step := func() {
		bt, err := tr.data.Next()
		if err != nil {
			t.Fatal(err)
		}
		r, err := tr.tr.Step(bt)
		if err != nil {
			t.Fatal(err)
		}
		if err := observe(tr.tr.Seen(), bt, r); err != nil {
			t.Fatal(err)
		}
	}
	evaluate := func() {
		if _, err := evaluate(s, tr.tr, tr.evalChunks, nil, nil, &tr.outs); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range tr.data.stacked { // the programs of every length and batch shape
		if _, err := tr.tr.Step(e.bt); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range tr.evalChunks {
		if _, err := tr.tr.Evaluate(c.bt); err != nil {
			t.Fatal(err)
		}
	}
	if n := testing.AllocsPerRun(200, step); n != 0 {
		t.Errorf("%v allocations per step", n)
	}
	if n := testing.AllocsPerRun(10, evaluate); n != 0 {
		t.Errorf("%v allocations per evaluation", n)
	}
}
