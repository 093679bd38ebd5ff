package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/internal/paper"
)

// record is one finished trial in DIR/trials.jsonl and in -jsonl.
type record struct {
	Row   string `json:"row"`
	Trial int    `json:"trial"`
	// Cap is the most sequences the trial was allowed (the row's limit, or -max below it); 0
	// in records written before it was kept.
	Cap int `json:"cap,omitempty"`
	paper.Result
}

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

// finished reads the trials recorded in path (none if it does not exist).
func finished(path string) (map[string]record, error) {
	out := map[string]record{}
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	// Every record ends with a newline; text after the last one is a record whose writing was
	// cut short (the process died in it), so that trial has not finished.
	data = data[:bytes.LastIndexByte(data, '\n')+1]
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" {
			continue
		}
		var r record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, errors.Wrapf(err, "%s line %d", path, i+1)
		}
		out[fmt.Sprintf("%s#%d", r.Row, r.Trial)] = r
	}
	return out, nil
}

// appendRecord appends one line to path and syncs it. A record cut short at the end of the
// file (see finished) is cut off first, so that the new one starts a line of its own.
func appendRecord(path string, r record) error {
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
