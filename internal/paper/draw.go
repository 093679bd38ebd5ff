package paper

import (
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/lstm97/lstm97/graph"
)

// drawCurve plots the window's mean squared training error and fraction of wrong sequences
// against the number of training sequences.
func drawCurve(path string, s *Spec, pts []metric) error {
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
	l1, err := plotter.NewLine(mse)
	if err != nil {
		return err
	}
	l2, err := plotter.NewLine(wrong)
	if err != nil {
		return err
	}
	l2.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(l1, l2, plotter.NewGrid())
	p.Legend.Add("mean squared error", l1)
	p.Legend.Add("fraction of sequences wrong", l2)
	p.Legend.Top = true
	w, err := p.WriterTo(8*vg.Inch, 5*vg.Inch, "png")
	if err != nil {
		return err
	}
	return graph.WriteFileAtomic(path, func(out io.Writer) error { _, err := w.WriteTo(out); return err })
}
