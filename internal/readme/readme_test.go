package readme

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/paper/report"
)

// root is the repository's root, from this package's directory.
const root = "../.."

// exampleFiles are the files whose Example functions the README quotes.
var exampleFiles = []string{"layers/example_test.go", "paper/example_test.go", "train/example_test.go"}

// normalize trims every line, folds runs of blanks into one and drops empty lines, so that
// indentation and gofmt's alignment of comments do not matter.
func normalize(text string) []string {
	var out []string
	blanks := regexp.MustCompile(`[ \t]+`)
	for _, line := range strings.Split(text, "\n") {
		if line = blanks.ReplaceAllString(strings.TrimSpace(line), " "); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// contains reports whether block's lines stand, one after another, in lines.
func contains(lines, block []string) bool {
	for i := 0; i+len(block) <= len(lines); i++ {
		j := 0
		for j < len(block) && lines[i+j] == block[j] {
			j++
		}
		if j == len(block) {
			return true
		}
	}
	return false
}

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTourIsQuotedFromExamples: every Go block of the README stands line for line in one of
// the Example files, whose Examples run (and check their output) with go test; so the tour
// compiles and does what it says.
func TestTourIsQuotedFromExamples(t *testing.T) {
	var examples [][]string
	for _, f := range exampleFiles {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		examples = append(examples, normalize(string(b)))
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(readme(t), -1)
	if len(blocks) < 3 {
		t.Fatalf("%d Go blocks in the README, want the tour's 3 at least", len(blocks))
	}
	for i, m := range blocks {
		block, found := normalize(m[1]), false
		for _, ex := range examples {
			found = found || contains(ex, block)
		}
		if !found {
			t.Errorf("the README's Go block %d is not quoted from an Example (%s):\n%s", i+1, strings.Join(exampleFiles, ", "), m[1])
		}
	}
}

// TestSummaryTableIsTheRecordedOne: the summary table of docs/reproducing.md is what
// `go run ./examples/paper -summary docs/results` prints from the recorded results.
func TestSummaryTableIsTheRecordedOne(t *testing.T) {
	sums, err := report.Summarize(filepath.Join(root, "docs", "results"))
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	if err := report.SummaryTable(&want, sums); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "reproducing.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), want.String()) {
		t.Errorf("the summary table of docs/reproducing.md is not the recorded one; paste the output of\n"+
			"go run ./examples/paper -summary docs/results\n%s", want.String())
	}
}

// TestReadmeIsShort: the README is a user's door, under 250 lines; detail belongs in docs/.
func TestReadmeIsShort(t *testing.T) {
	if n := strings.Count(readme(t), "\n"); n >= 250 {
		t.Errorf("README.md has %d lines, want fewer than 250", n)
	}
}
