package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/paper"
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

// dropPartialLine truncates f after its last newline (to nothing if it has none).
func dropPartialLine(f *os.File) error {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return err
	}
	const chunk = 4096
	end := st.Size()
	for end > 0 {
		off := max(end-chunk, 0)
		buf := make([]byte, end-off)
		if _, err := f.ReadAt(buf, off); err != nil {
			return err
		}
		if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
			end = off + int64(i) + 1
			break
		}
		end = off
	}
	if end == st.Size() {
		return nil
	}
	return f.Truncate(end)
}

// ReadLedger reads the trials recorded in the ledger at path, by Key (none if the file does not
// exist). A last line cut short (the process died while writing it) is not a record.
func ReadLedger(path string) (map[string]Record, error) {
	out := map[string]Record{}
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	// Every Record ends with a newline; text after the last one is a Record whose writing was
	// cut short (the process died in it), so that trial has not finished.
	data = data[:bytes.LastIndexByte(data, '\n')+1]
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" {
			continue
		}
		var r Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, errors.Wrapf(err, "%s line %d", path, i+1)
		}
		out[r.Key()] = r
	}
	return out, nil
}

// Append appends r to the ledger at path as one line and syncs it. A Record cut short at the end of the
// file (see ReadLedger) is cut off first, so that the new one starts a line of its own.
func Append(path string, r Record) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	if err := dropPartialLine(f); err != nil {
		f.Close()
		return errors.Wrapf(err, "%s", path)
	}
	if err := json.NewEncoder(f).Encode(r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
