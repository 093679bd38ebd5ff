package report

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/paper"
)

// curveLines writes n learning-curve lines, with gradient norms if grads is set (an outlier
// of 5 at the middle line's sequence 4,321).
func curveLines(n int, grads bool) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `{"sequences":%d,"train_mse":%g,"wrong_in_window":%d,"window":2000,"criterion":"eval","criterion_met":false`,
			1000*i, 0.25/float64(i), 2000/i)
		if grads {
			max, at := 0.05, 1000*i-500
			if i == n/2 {
				max, at = 5, 4321
			}
			fmt.Fprintf(&b, `,"grad_norm_mean":%g,"grad_norm_max":%g,"grad_norm_max_at":%d`, 0.01, max, at)
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// TestPlotCurve: the curve is drawn as a PNG; with gradient norms a second panel is added
// below (a taller image whose lower half has a drawing on it), without them the plot is the
// error curve alone; empty and malformed curves are errors.
func TestPlotCurve(t *testing.T) {
	s, err := paper.Lookup("3a", paper.Variant{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		curve  string
		aspect float64 // width / height; 0: an error is expected
	}{
		{"errors only", curveLines(9, false), 8.0 / 5},
		{"with gradient norms", curveLines(9, true), 1},
		{"empty", "", 0},
		{"malformed", "{\"sequences\":\n", 0},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".png")
		err := PlotCurve(path, s, strings.NewReader(tc.curve))
		if tc.aspect == 0 {
			if err == nil {
				t.Errorf("%s: no error", tc.name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		b := img.Bounds()
		if got := float64(b.Dx()) / float64(b.Dy()); got < tc.aspect*0.99 || got > tc.aspect*1.01 {
			t.Errorf("%s: %v, aspect %.3f, want %.3f", tc.name, b, got, tc.aspect)
		}
		if tc.aspect != 1 {
			continue
		}
		ink := 0 // dark pixels in the lower half: the gradient panel
		for y := b.Min.Y + b.Dy()/2; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if r, g, bl, _ := img.At(x, y).RGBA(); r+g+bl < 3*0x8000 {
					ink++
				}
			}
		}
		if ink < 1000 {
			t.Errorf("%s: %d dark pixels in the lower half, want a panel", tc.name, ink)
		}
	}
}
