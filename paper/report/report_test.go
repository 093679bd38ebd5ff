package report

import (
	"strings"
	"testing"
	"time"

	"github.com/lstm97/lstm97/paper"
)

// TestReportWrongSide: an Exp. 3 row's test-wrong cell gives the mean count on the wrong side of
// 0.5 when every tested trial has it, and leaves it out when one was recorded without it.
func TestReportWrongSide(t *testing.T) {
	var r paper.Row
	for _, x := range paper.Rows {
		if x.Name == "3b: T=100, N=1" {
			r = x
		}
	}
	spec, err := paper.Lookup(r.ID, r.Variant)
	if err != nil {
		t.Fatal(err)
	}
	result := func(wrong int, side *int) Trial {
		return Trial{Row: r, Spec: spec, Result: paper.Result{Success: true, Sequences: 1000, TestSeqs: 2560, TestWrong: wrong, TestWrongSide: side}}
	}
	three, five := 3, 5
	for _, tc := range []struct {
		results []Trial
		want    string
	}{
		{[]Trial{result(50, &three), result(60, &five)}, "| 55.0 of 2560 (wrong side of 0.5: 4.0) |"},
		{[]Trial{result(50, &three), result(60, nil)}, "| 55.0 of 2560 |"},
	} {
		report := Markdown([]paper.Row{r}, tc.results, Run{Took: time.Second})
		if !strings.Contains(report, tc.want) {
			t.Errorf("report lacks %q:\n%s", tc.want, report)
		}
		if sided := strings.Contains(tc.want, "side"); strings.Contains(report, "\"Wrong side of 0.5\" counts") != sided {
			t.Errorf("the footnote on the wrong side should be there: %v\n%s", sided, report)
		}
	}
}
