package report

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/paper"
	"github.com/lstm97/lstm97/sweep"
)

// Record is one finished trial, as a line of a ledger (a JSON Lines file such as a
// reproduction's DIR/trials.jsonl).
type Record struct {
	Row   string `json:"row"`
	Trial int    `json:"trial"`
	// Cap is the most sequences the trial was allowed (the row's limit, or -max below it); 0
	// in records written before it was kept.
	Cap int `json:"cap,omitempty"`
	paper.Result
}

// Key identifies a trial in a ledger: its row and trial number.
func (r Record) Key() string { return Key(r.Row, r.Trial) }

// Key identifies trial k of the row named row in a ledger.
func Key(row string, k int) string { return fmt.Sprintf("%s#%d", row, k) }

// ReadLedger reads the trials recorded in the ledger at path, by Key (none if the file does not
// exist). A last line cut short (the process died while writing it) is not a record.
func ReadLedger(path string) (map[string]Record, error) {
	out := map[string]Record{}
	_, _, err := sweep.ReadJSONLines(path, func(_ int, line []byte) error {
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			return err
		}
		out[r.Key()] = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Append appends r to the ledger at path as one line and syncs it (sweep.AppendJSON).
func Append(path string, r Record) error { return sweep.AppendJSON(path, r) }

// LedgerFile is a ledger of a results directory.
type LedgerFile struct {
	Name    string            // its file name
	Records map[string]Record // by Key
}

// ReadDir reads the ledgers of the results directory dir (such as docs/results): every *.jsonl
// file but EarlierName, in file name order.
func ReadDir(dir string) ([]LedgerFile, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, errors.WithStack(err)
	}
	sort.Strings(files)
	var out []LedgerFile
	for _, f := range files {
		if filepath.Base(f) == EarlierName {
			continue
		}
		recs, err := ReadLedger(f)
		if err != nil {
			return nil, err
		}
		out = append(out, LedgerFile{Name: filepath.Base(f), Records: recs})
	}
	return out, nil
}
