package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/paper"
)

// Summary is one row's result: how many trials ran, how many met the row's criterion, and the
// sequences until success over the successful ones, with the paper's figures beside them.
type Summary struct {
	Row       string  `json:"row"`
	Trials    int     `json:"trials"`
	Successes int     `json:"successes"`
	Mean      float64 `json:"mean,omitempty"`   // sequences until success, over the successful trials
	Median    float64 `json:"median,omitempty"` // the same, median (0: not known)
	Cap       int     `json:"cap,omitempty"`    // the most sequences a trial could see (0: not known)
	// Source says where the figures come from: a ledger file, or an earlier run (its date and
	// command) whose trials were not kept one by one.
	Source string `json:"source"`
	// Paper is what the paper reports for the row (not in the JSON form: it comes from package
	// paper).
	Paper paper.Reported `json:"-"`
}

// EarlierName is the file of a results directory that holds the summaries of rows measured
// before their trials were kept one by one (JSON Lines of Summary).
const EarlierName = "earlier.jsonl"

// Summarize returns, for every row of paper.Rows that the paper reports a figure for, the
// summary of its trials in the results directory dir: the ledgers (every *.jsonl file but
// EarlierName, JSON Lines of Record; a row's trials are gathered from all of them, each trial
// counted once) or, for rows whose ledgers hold fewer trials than an earlier summary of the
// row, that summary from EarlierName. Rows with neither, and our diagnostic variants of rows
// (Variant.Diagnostic), are left out.
func Summarize(dir string) ([]Summary, error) {
	ledgers, err := ReadDir(dir)
	if err != nil {
		return nil, err
	}
	byRow := map[string]map[string]Record{} // row -> trial key -> record
	source := map[string][]string{}
	earlier := map[string]Summary{}
	files := len(ledgers)
	if _, err := os.Stat(filepath.Join(dir, EarlierName)); err == nil {
		files++
		if earlier, err = readEarlier(filepath.Join(dir, EarlierName)); err != nil {
			return nil, err
		}
	}
	for _, l := range ledgers {
		for key, r := range l.Records {
			if byRow[r.Row] == nil {
				byRow[r.Row] = map[string]Record{}
			}
			if _, dup := byRow[r.Row][key]; !dup && !containsString(source[r.Row], l.Name) {
				source[r.Row] = append(source[r.Row], l.Name)
			}
			byRow[r.Row][key] = r
		}
	}
	if files == 0 {
		return nil, errors.Errorf("report: no results (*.jsonl) in %s", dir)
	}
	var out []Summary
	for _, row := range paper.Rows {
		spec, err := paper.Lookup(row.ID, row.Variant)
		if err != nil {
			return nil, errors.Wrapf(err, "row %q", row.Name)
		}
		if spec.Paper.Sequences == 0 || row.Variant.Diagnostic() {
			continue // not a row of the paper's tables
		}
		s, ok := earlier[row.Name]
		if recs := byRow[row.Name]; len(recs) > 0 && len(recs) >= s.Trials {
			s, ok = summarize(row.Name, recs), true
			s.Source = strings.Join(source[row.Name], ", ")
		}
		if !ok {
			continue
		}
		s.Paper = spec.Paper
		out = append(out, s)
	}
	return out, nil
}

// summarize sums up one row's finished trials.
func summarize(row string, recs map[string]Record) Summary {
	s := Summary{Row: row}
	var seqs []float64
	for _, r := range recs {
		s.Trials++
		s.Cap = max(s.Cap, r.Cap)
		if r.Success {
			s.Successes++
			seqs = append(seqs, float64(r.Sequences))
		}
	}
	if len(seqs) > 0 {
		sort.Float64s(seqs)
		sum := 0.0
		for _, v := range seqs {
			sum += v
		}
		s.Mean, s.Median = sum/float64(len(seqs)), seqs[len(seqs)/2]
	}
	return s
}

// readEarlier reads a file of Summary lines, by row.
func readEarlier(path string) (map[string]Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]Summary{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var s Summary
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return nil, errors.Wrapf(err, "report: %s line %d", path, n)
		}
		if s.Row == "" || s.Trials <= 0 || s.Successes < 0 || s.Successes > s.Trials || (s.Successes > 0) != (s.Mean > 0) {
			return nil, errors.Errorf("report: %s line %d: row %q with %d of %d trials successful and mean %v does not add up",
				path, n, s.Row, s.Successes, s.Trials, s.Mean)
		}
		out[s.Row] = s
	}
	return out, sc.Err()
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// SummaryTable writes the summaries as a Markdown table: one line per row with our success
// rate and mean (median) sequences until success beside the paper's, and their ratio.
func SummaryTable(w io.Writer, sums []Summary) error {
	var b strings.Builder
	b.WriteString("| row | trials | success | ours: mean (median) | paper | ours / paper |\n|---|---|---|---|---|---|\n")
	for _, s := range sums {
		ours, ratio := "–", "–"
		if s.Successes > 0 {
			ours = thousands(s.Mean)
			if s.Median > 0 {
				ours += " (" + thousands(s.Median) + ")"
			}
			ratio = fmt.Sprintf("%.2g", s.Mean/s.Paper.Sequences)
		}
		rate := fmt.Sprintf("%.0f %%", 100*float64(s.Successes)/float64(s.Trials))
		if s.Successes == 0 && s.Cap > 0 {
			rate += fmt.Sprintf(" (limit %s)", thousands(float64(s.Cap)))
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %.0f %%, %s | %s |\n", s.Row, s.Trials, rate, ours,
			100*s.Paper.Success, thousands(s.Paper.Sequences), ratio)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// thousands formats a count with thousands separators: 1234567 -> "1,234,567".
func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
