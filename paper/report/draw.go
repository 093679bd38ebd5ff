package report

import (
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/lstm97/lstm97/atomicfile"
	"github.com/lstm97/lstm97/paper"
)

// drawCurve plots the window's mean squared training error and fraction of wrong sequences
// against the number of training sequences and, below them on a log scale, the largest and the
// mean gradient norm of each interval, where single outlying updates stand out.
func drawCurve(path string, s *paper.Spec, pts []paper.CurvePoint) error {
	top, err := errorPlot(s, pts)
	if err != nil {
		return err
	}
	bottom, err := gradPlot(pts)
	if err != nil {
		return err
	}
	if bottom == nil { // a curve written before the norms were recorded
		w, err := top.WriterTo(8*vg.Inch, 5*vg.Inch, "png")
		if err != nil {
			return err
		}
		return atomicfile.Write(path, func(out io.Writer) error { _, err := w.WriteTo(out); return err })
	}
	top.X.Label.Text = ""
	img := vgimg.New(8*vg.Inch, 8*vg.Inch)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Millimeter, PadBottom: vg.Millimeter,
		PadLeft: vg.Millimeter, PadRight: vg.Millimeter, PadY: 2 * vg.Millimeter}
	canvases := plot.Align([][]*plot.Plot{{top}, {bottom}}, tiles, draw.New(img))
	top.Draw(canvases[0][0])
	bottom.Draw(canvases[1][0])
	png := vgimg.PngCanvas{Canvas: img}
	return atomicfile.Write(path, func(out io.Writer) error { _, err := png.WriteTo(out); return err })
}

// errorPlot is the learning curve proper: the window's error and fraction wrong.
func errorPlot(s *paper.Spec, pts []paper.CurvePoint) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Experiment " + s.ID + ": " + s.Title
	p.X.Label.Text = "training sequences"
	p.Y.Label.Text = "error over the recent window"
	mse := make(plotter.XYs, len(pts))
	wrong := make(plotter.XYs, len(pts))
	for i, m := range pts {
		mse[i].X, mse[i].Y = float64(m.Sequences), m.TrainMSE
		w := 0.0
		if m.Window > 0 {
			w = float64(m.TrainWrong) / float64(m.Window)
		}
		wrong[i].X, wrong[i].Y = float64(m.Sequences), w
	}
	if err := addPair(p, mse, wrong, "mean squared error", "fraction of sequences wrong"); err != nil {
		return nil, err
	}
	return p, nil
}

// gradPlot draws the intervals' largest and mean gradient norms on a log scale, or returns
// nil if the curve has no positive norms to draw.
func gradPlot(pts []paper.CurvePoint) (*plot.Plot, error) {
	var max, mean plotter.XYs
	for _, m := range pts {
		if m.GradNormMax != nil && *m.GradNormMax > 0 {
			max = append(max, plotter.XY{X: float64(m.Sequences), Y: *m.GradNormMax})
		}
		if m.GradNormMean != nil && *m.GradNormMean > 0 {
			mean = append(mean, plotter.XY{X: float64(m.Sequences), Y: *m.GradNormMean})
		}
	}
	if len(max) == 0 || len(mean) == 0 {
		return nil, nil
	}
	p := plot.New()
	p.X.Label.Text = "training sequences"
	p.Y.Label.Text = "gradient L2 norm per update"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	if err := addPair(p, max, mean, "largest in the interval", "mean over the interval"); err != nil {
		return nil, err
	}
	return p, nil
}

// addPair draws a solid and a dashed line on p, with a grid and a legend at the top.
func addPair(p *plot.Plot, solid, dashed plotter.XYs, solidName, dashedName string) error {
	l1, err := plotter.NewLine(solid)
	if err != nil {
		return err
	}
	l2, err := plotter.NewLine(dashed)
	if err != nil {
		return err
	}
	l2.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(l1, l2, plotter.NewGrid())
	p.Legend.Add(solidName, l1)
	p.Legend.Add(dashedName, l2)
	p.Legend.Top = true
	return nil
}
