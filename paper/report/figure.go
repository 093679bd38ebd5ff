package report

import (
	"fmt"
	"image/color"
	"io"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/lstm97/lstm97/atomicfile"
)

// labelX is where the success rates stand, right of every count.
const labelX = 1e7

var (
	paperColor = color.RGBA{A: 255}
	oursColor  = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	failColor  = color.RGBA{R: 214, G: 39, B: 40, A: 255}
	linkColor  = color.RGBA{R: 170, G: 170, B: 170, A: 255}
)

// Figure draws the summaries as a PNG at path: one line per row, top to bottom in the order
// given, with the paper's mean number of sequences until success (open circle) and ours
// (filled dot, labelled with our success rate) on a log scale, joined by a grey line. A row none
// of whose trials succeeded gets a red cross at its limit, labelled "0 %".
func Figure(path string, sums []Summary) error {
	if len(sums) == 0 {
		return errors.New("report: figure: no rows to draw")
	}
	p := plot.New()
	p.Title.Text = "Hochreiter & Schmidhuber (1997), Tables 1-9: ours against the paper"
	p.X.Label.Text = "training sequences until success (mean over the successful trials; log scale)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = countTicks{}
	p.X.Min, p.X.Max = 3e3, labelX*3 // the success rates stand in a column of their own at labelX
	n := len(sums)
	names := make([]string, n)
	var paperPts, oursPts, failPts, oursAt, failAt plotter.XYs
	var oursLabels, failLabels []string
	for i, s := range sums {
		y := float64(n - 1 - i)
		names[n-1-i] = s.Row
		paperPts = append(paperPts, plotter.XY{X: s.Paper.Sequences, Y: y})
		rate := fmt.Sprintf("%.0f %% of %d", 100*float64(s.Successes)/float64(s.Trials), s.Trials)
		var at float64
		switch {
		case s.Successes > 0:
			at = s.Mean
			oursPts = append(oursPts, plotter.XY{X: at, Y: y})
			oursLabels = append(oursLabels, rate)
			oursAt = append(oursAt, plotter.XY{X: labelX, Y: y})
		case s.Cap > 0:
			at = float64(s.Cap)
			failPts = append(failPts, plotter.XY{X: at, Y: y})
			failLabels = append(failLabels, rate)
			failAt = append(failAt, plotter.XY{X: labelX, Y: y})
		default:
			continue
		}
		link, err := plotter.NewLine(plotter.XYs{{X: s.Paper.Sequences, Y: y}, {X: at, Y: y}})
		if err != nil {
			return err
		}
		link.Color = linkColor
		p.Add(link)
	}
	p.NominalY(names...)
	p.Add(plotter.NewGrid())
	for _, set := range []struct {
		pts, labelAt plotter.XYs
		labels       []string
		glyph        draw.GlyphDrawer
		color        color.Color
		legend       string
	}{
		{paperPts, nil, nil, draw.RingGlyph{}, paperColor, "the paper (mean; every row 97-100 % successful)"},
		{oursPts, oursAt, oursLabels, draw.CircleGlyph{}, oursColor, "ours (mean); right: our success rate and trials"},
		{failPts, failAt, failLabels, draw.CrossGlyph{}, failColor, "ours: no trial succeeded; drawn at the limit"},
	} {
		if len(set.pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(set.pts)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Shape, sc.GlyphStyle.Color, sc.GlyphStyle.Radius = set.glyph, set.color, vg.Points(3.5)
		p.Add(sc)
		p.Legend.Add(set.legend, sc)
		if set.labels != nil {
			lb, err := plotter.NewLabels(plotter.XYLabels{XYs: set.labelAt, Labels: set.labels})
			if err != nil {
				return err
			}
			for i := range lb.TextStyle {
				lb.TextStyle[i].Color = set.color
				lb.TextStyle[i].YAlign = -0.5
			}
			p.Add(lb)
		}
	}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Y.Max = float64(n) + 1.5 // room for the legend above the first row
	w, err := p.WriterTo(10*vg.Inch, vg.Length(1.5+0.28*float64(n))*vg.Inch, "png")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, func(out io.Writer) error { _, err := w.WriteTo(out); return err })
}

// countTicks marks the decades of a count axis as 1k, 10k, 100k, 1M, 10M.
type countTicks struct{}

// Ticks returns a labelled tick at every decade from min to max and unlabelled ones between.
func (countTicks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for d := 1e3; d <= max; d *= 10 {
		for k := 1.0; k < 10; k++ {
			v := k * d
			if v < min || v > max {
				continue
			}
			t := plot.Tick{Value: v}
			if k == 1 && v < labelX {
				t.Label = map[float64]string{1e3: "1k", 1e4: "10k", 1e5: "100k", 1e6: "1M", 1e7: "10M"}[d]
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}
