package sweep

import (
	"bytes"
	"encoding/json"
	"os"

	"github.com/pkg/errors"
)

// AppendJSON appends v to the JSON Lines file at path as one line and syncs it, so that a line
// on disk is a finished record. A line cut short at the end of the file (the process died while
// writing it; see ReadJSONLines) is cut off first, so that the new one starts a line of its own.
func AppendJSON(path string, v any) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return errors.WithStack(err)
	}
	err = dropPartialLine(f)
	if err == nil {
		err = json.NewEncoder(f).Encode(v)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return errors.Wrapf(err, "sweep: appending to %s", path)
}

// ReadJSONLines calls fn with every line of the JSON Lines file at path and its line number
// (from 1), skipping empty lines. Text after the last newline is a line whose writing was cut
// short (AppendJSON writes a line and its newline at once), so it is not passed on: partial
// reports whether there was any. A file that does not exist has no lines (exists is false).
func ReadJSONLines(path string, fn func(line int, data []byte) error) (exists, partial bool, err error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return false, false, nil
	}
	if err != nil {
		return false, false, errors.WithStack(err)
	}
	end := bytes.LastIndexByte(data, '\n') + 1
	partial = end < len(data)
	for i, line := range bytes.Split(data[:end], []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := fn(i+1, line); err != nil {
			return true, partial, errors.Wrapf(err, "%s line %d", path, i+1)
		}
	}
	return true, partial, nil
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
