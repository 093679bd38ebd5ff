package report

import (
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/paper"
)

// ListRows prints every row of paper.Rows with the paper's trial count, limit and figure, and
// whether it is one of paper.QuickRows.
func ListRows(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "row\ttrials\tlimit\tpaper: sequences\tquick")
	quick := map[string]bool{}
	for _, name := range paper.QuickRows {
		quick[name] = true
	}
	for _, r := range paper.Rows {
		s, err := paper.Lookup(r.ID, r.Variant)
		if err != nil {
			return errors.Wrapf(err, "row %q", r.Name)
		}
		figure := "–"
		if s.Paper.Sequences > 0 {
			figure = fmt.Sprintf("%.0f", s.Paper.Sequences)
		}
		q := ""
		if quick[r.Name] {
			q = "yes"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", r.Name, s.Paper.Trials, s.Max, figure, q)
	}
	return tw.Flush()
}

// Trial is a finished trial of a reproduction: its row, the row's spec (for the paper's
// figure), its number within the row and its result. Earlier marks a trial finished in an
// earlier run and read from the ledger.
type Trial struct {
	Row     paper.Row
	Spec    *paper.Spec
	Index   int
	Result  paper.Result
	Earlier bool
}

// Run describes the run a report is of.
type Run struct {
	// Took is the run's wall time, or negative for a report of ledgers (-status, -merge).
	Took    time.Duration
	Quick   bool // the run's mode
	Max     int  // the run's cap on sequences per trial (0: the paper's limits)
	Planned int  // the trials the run planned (more than are reported in a partial report)
	// NoTiming leaves every date and time out (the report's date, the run's and the trials'
	// times), so that two reports of the same trials compare byte for byte: the merge of a
	// sharded run's ledgers and the single-process run of the same rows and seeds.
	NoTiming bool
}

// Markdown returns the report of the finished trials of rows, as a Markdown table with the
// paper's figures beside ours.
func Markdown(rows []paper.Row, trials []Trial, run Run) string {
	results := trials
	var b strings.Builder
	mode := "full"
	if run.Quick {
		mode = "quick"
	}
	fmt.Fprintf(&b, "Reproduction of Hochreiter & Schmidhuber (1997), %s mode", mode)
	if !run.NoTiming {
		fmt.Fprintf(&b, ", %s", time.Now().UTC().Format("2006-01-02"))
		if run.Took >= 0 {
			fmt.Fprintf(&b, ", %v on %d cores", run.Took.Round(time.Second), runtime.NumCPU())
		}
	}
	if run.Max > 0 {
		fmt.Fprintf(&b, ", at most %d sequences per trial", run.Max)
	}
	b.WriteString(".")
	if len(results) < run.Planned {
		fmt.Fprintf(&b, " **Partial: %d of the %d trials have finished; the table counts those only.**", len(results), run.Planned)
	}
	total, earlier := 0.0, 0
	for _, o := range results {
		total += o.Result.Seconds
		if o.Earlier {
			earlier++
		}
	}
	if run.NoTiming {
		b.WriteString("\n\n")
		b.WriteString("| row | paper: sequences | paper: success | trials | success | mean | median | range | test wrong (mean) | paper: test |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	} else {
		fmt.Fprintf(&b, " The %d trials took %v in all (the sum of their times", len(results), seconds(total))
		if earlier > 0 && run.Took >= 0 { // a -status report has only earlier runs' trials
			fmt.Fprintf(&b, "; %d of them finished in earlier runs, resumed from the checkpoint directory", earlier)
		}
		b.WriteString(").\n\n")
		b.WriteString("| row | paper: sequences | paper: success | trials | success | mean | median | range | test wrong (mean) | paper: test | trials' time |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	}
	anySided := false
	for _, r := range rows {
		var seqs []float64
		n, ok, wrong, tested := 0, 0, 0.0, 0
		side, sided := 0.0, 0 // Exp. 3: test sequences on the wrong side of 0.5, and trials that count them
		var paperRow paper.Reported
		rowTime := 0.0
		for _, o := range results {
			if o.Row.Name != r.Name {
				continue
			}
			paperRow = o.Spec.Paper
			rowTime += o.Result.Seconds
			n++
			if o.Result.Success {
				ok++
				seqs = append(seqs, float64(o.Result.Sequences))
				if o.Result.TestSeqs > 0 {
					wrong += float64(o.Result.TestWrong)
					tested = o.Result.TestSeqs
					if o.Result.TestWrongSide != nil {
						side += float64(*o.Result.TestWrongSide)
						sided++
					}
				}
			}
		}
		if n == 0 {
			continue
		}
		mean, median, rng := "–", "–", "–"
		if len(seqs) > 0 {
			sort.Float64s(seqs)
			sum := 0.0
			for _, v := range seqs {
				sum += v
			}
			mean = fmt.Sprintf("%.0f", sum/float64(len(seqs)))
			median = fmt.Sprintf("%.0f", seqs[len(seqs)/2])
			rng = fmt.Sprintf("%.0f–%.0f", seqs[0], seqs[len(seqs)-1])
		}
		testWrong := "–"
		if ok > 0 && tested > 0 {
			testWrong = fmt.Sprintf("%.1f of %d", wrong/float64(ok), tested)
			if sided == ok { // not for trials recorded before the count existed
				testWrong += fmt.Sprintf(" (wrong side of 0.5: %.1f)", side/float64(ok))
				anySided = true
			}
		}
		pSeq, pSucc := "–", "–"
		if paperRow.Sequences > 0 {
			pSeq = fmt.Sprintf("%.0f", paperRow.Sequences)
			pSucc = fmt.Sprintf("%.0f %%", 100*paperRow.Success)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %.0f %% | %s | %s | %s | %s | %s |", r.Name, pSeq, pSucc, n, 100*float64(ok)/float64(n), mean, median, rng, testWrong, orDash(paperRow.Wrong))
		if !run.NoTiming {
			fmt.Fprintf(&b, " %v |", seconds(rowTime))
		}
		b.WriteString("\n")
	}
	b.WriteString("\nSequences are counted until the row's stopping criterion (Table 11) was met, over successful trials only;\n")
	b.WriteString("a trial that does not meet it within the cap counts as a failure.")
	if !run.NoTiming {
		b.WriteString(" A row's trials' time is the sum of its trials' wall\n")
		b.WriteString("times (a resumed trial's over all its runs); trials run side by side on the workers.")
	}
	b.WriteString("\n")
	if anySided {
		b.WriteString("\"Wrong side of 0.5\" counts the Exp. 3 test sequences whose output points to the wrong class, another\n")
		b.WriteString("reading of the paper's \"fraction misclassified\" than the absolute-error rule of the test-wrong column.\n")
	}
	return b.String()
}

// Unfinished is a trial that has checkpointed but not finished.
type Unfinished struct {
	Row       string
	Trial     int
	Cap       int     // the most sequences it may see
	Sequences int     // seen at its checkpoint
	Seconds   float64 // its time up to the checkpoint, over all its runs
	Err       error   // the checkpoint could not be read
}

// MarkdownUnfinished lists the trials that have checkpointed but not finished ("" if none).
func MarkdownUnfinished(going []Unfinished) string {
	if len(going) == 0 {
		return ""
	}
	var b strings.Builder
	total := 0.0
	for _, u := range going {
		total += u.Seconds
	}
	fmt.Fprintf(&b, "\nUnfinished, as of their last checkpoints: %d trials, %v so far.\n\n", len(going), seconds(total))
	b.WriteString("| row | trial | sequences | cap | time so far |\n|---|---|---|---|---|\n")
	for _, u := range going {
		if u.Err != nil {
			msg := strings.NewReplacer("|", "/", "\n", " ").Replace(u.Err.Error()) // one table cell
			fmt.Fprintf(&b, "| %s | %d | checkpoint unreadable: %s | %d | – |\n", u.Row, u.Trial, msg, u.Cap)
			continue
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %v |\n", u.Row, u.Trial, u.Sequences, u.Cap, seconds(u.Seconds))
	}
	return b.String()
}

// seconds rounds a time in seconds for the report.
func seconds(s float64) time.Duration {
	return (time.Duration(s * float64(time.Second))).Round(time.Second)
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
