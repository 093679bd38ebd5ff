package report

import (
	"bufio"
	"encoding/json"
	"io"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/paper"
)

// PlotCurve draws a learning curve read from JSON Lines (as trial.Run writes them) to a PNG.
func PlotCurve(path string, s *paper.Spec, r io.Reader) error {
	var pts []paper.CurvePoint
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var m paper.CurvePoint
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return errors.Wrap(err, "plot: reading the curve")
		}
		pts = append(pts, m)
	}
	if len(pts) == 0 {
		return errors.New("plot: the curve is empty")
	}
	return errors.Wrapf(drawCurve(path, s, pts), "plot: drawing %s", path) // nil stays nil
}
