package layers_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/internal/testnets"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenHash is the SHA-256 of a run's numbers (outputs, loss, final states, gradients), bit
// for bit, with the first value for a reader.
type goldenHash struct {
	Values int     `json:"values"`
	First  float64 `json:"first"`
	SHA256 string  `json:"sha256"`
}

func hashOf(vs []float64) goldenHash {
	h := sha256.New()
	var buf [8]byte
	for _, v := range vs {
		binary.LittleEndian.PutUint64(buf[:], math.Float64bits(v))
		h.Write(buf[:])
	}
	g := goldenHash{Values: len(vs), SHA256: fmt.Sprintf("%x", h.Sum(nil))}
	if len(vs) > 0 {
		g.First = vs[0]
	}
	return g
}

// TestLSTM97BitIdentical keeps the paper's 1997 cell (every Config option that adds a later
// variant at its zero value) computing bit for bit what it computed before the forget gate and
// peepholes were added: the outputs, loss and gradients of every oracle test network in both
// forms, truncated and full, and the fused layer with lengths, an initial state and the final
// state, in float64 and float32. testdata/lstm97.json holds their hashes (go test -update
// rewrites it, which only a deliberate change of the 1997 numbers may do).
func TestLSTM97BitIdentical(t *testing.T) {
	got := map[string]goldenHash{}
	for ci, c := range testnets.Cases1997 {
		bt := c.Batch(rand.New(rand.NewSource(int64(1000 + ci))))
		for _, form := range forms {
			for _, full := range []bool{false, true} {
				ps, outs, loss := graphGrads(t, c, form.unrolled, full, int64(ci), bt)
				vs := []float64{loss}
				for _, o := range outs {
					vs = append(vs, o...)
				}
				for _, p := range ps {
					vs = append(vs, p.Grad.Data().([]float64)...)
				}
				got[fmt.Sprintf("net %s/%s/full=%v", c.Name, form.name, full)] = hashOf(vs)
			}
		}
	}
	lens := []int{5, 2, 4}
	all := []int{0, 1, 2}
	cases := seqCases()
	f32 := cases[0]
	f32.name, f32.f32 = "float32", true
	f32full := cases[4]
	f32full.name, f32full.f32 = "float32 full gradient", true
	for _, c := range append(cases, f32, f32full) {
		if c.cfg.ForgetGate || c.cfg.Peepholes {
			continue // not the 1997 cell
		}
		ps := graph.NewParamSet()
		d := newSeqData(c, rand.New(rand.NewSource(21)), lens)
		g := newSeqGraph(t, c, ps, 5, 3, true, true)
		g.set(t, d, all, 0, lens, rows(d.s0, all), rows(d.y0, all))
		must(t, g.p.Run())
		var vs []float64
		vs = append(vs, g.value(t, g.res.Cells)...)
		vs = append(vs, g.value(t, g.res.FinalS)...)
		vs = append(vs, g.value(t, g.res.FinalY)...)
		qs, err := g.p.Params()
		must(t, err)
		for _, q := range qs {
			switch d := q.Grad.Data().(type) {
			case []float64:
				vs = append(vs, d...)
			case []float32:
				for _, v := range d {
					vs = append(vs, float64(v))
				}
			}
		}
		got["sequence "+c.name] = hashOf(vs)
	}
	path := filepath.Join("testdata", "lstm97.json")
	if *update {
		b, err := json.MarshalIndent(got, "", "\t")
		must(t, err)
		must(t, os.WriteFile(path, append(b, '\n'), 0o644))
		return
	}
	b, err := os.ReadFile(path)
	must(t, err)
	var want map[string]goldenHash
	must(t, json.Unmarshal(b, &want))
	if len(got) != len(want) {
		t.Errorf("%d runs, the golden file has %d", len(got), len(want))
	}
	for name, w := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("%s: not run", name)
		} else if g != w {
			t.Errorf("%s: %d values, first %v, hash %s; want %d values, first %v, hash %s", name, g.Values, g.First, g.SHA256, w.Values, w.First, w.SHA256)
		}
	}
}
