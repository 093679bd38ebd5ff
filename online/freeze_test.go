package online_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/online"
)

// TestFreeze: frozen parameters keep their values through updates in both modes while the
// others change, their gradient is still summed, unfreezing lets them change again, and an
// unknown name is refused.
func TestFreeze(t *testing.T) {
	for _, mode := range []online.Mode{online.PerSequence, online.PerStep} {
		ps, err := online.NewParams(tinyNet, 1)
		if err != nil {
			t.Fatal(err)
		}
		l, err := online.New(online.Config{Net: tinyNet, LR: 0.5, Mode: mode}, ps)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Freeze("out/w", "nope"); err == nil || !strings.Contains(err.Error(), `no parameter "nope"`) {
			t.Fatalf("%v: unknown name: %v", mode, err)
		}
		if err := l.Freeze("out/w", "lstm/cell/wx"); err != nil {
			t.Fatal(err)
		}
		before := map[string][]float64{}
		for _, n := range l.Names() {
			before[n], _ = l.Weights(n)
		}
		seq := func() {
			for i, x := range []float64{1, -1, 0.5} {
				if _, err := l.Step([]float64{x}, []float64{float64(i % 2)}); err != nil {
					t.Fatal(err)
				}
			}
			if err := l.EndSequence(); err != nil {
				t.Fatal(err)
			}
		}
		seq()
		for _, n := range l.Names() {
			w, _ := l.Weights(n)
			frozen := n == "out/w" || n == "lstm/cell/wx"
			if slices.Equal(w, before[n]) != frozen {
				t.Errorf("%v: %s: before %v, after %v (frozen %v)", mode, n, before[n], w, frozen)
			}
		}
		if err := l.Freeze(); err != nil {
			t.Fatal(err)
		}
		seq()
		if w, _ := l.Weights("out/w"); slices.Equal(w, before["out/w"]) {
			t.Errorf("%v: out/w did not change after Freeze()", mode)
		}
	}
}
