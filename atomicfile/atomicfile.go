// Package atomicfile writes files atomically: the content goes to a temporary file in the same
// directory, which is synced and then renamed over the destination. A reader sees the old file
// or the new one, never a mix; a failed write leaves the old file (or none) and no temporary
// file behind. Checkpoints, reports, metrics, plots and DOT files of this module are all
// written through it. It imports nothing but the standard library and pkg/errors.
package atomicfile

import (
	"io"
	"os"
	"path/filepath"

	"github.com/pkg/errors"
)

// Write writes the file at path through write, atomically (temporary file, fsync, rename).
// The file gets mode 0644. If write (or anything after it) fails, the file at path is left as
// it was (or absent) and no temporary file is left beside it; write's error is returned as is.
func Write(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return errors.Wrapf(err, "atomicfile: writing %s", path)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return errors.Wrapf(err, "atomicfile: writing %s", path)
	}
	if err = f.Close(); err != nil {
		return errors.Wrapf(err, "atomicfile: writing %s", path)
	}
	if err = os.Chmod(f.Name(), 0o644); err != nil {
		return errors.Wrapf(err, "atomicfile: writing %s", path)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return errors.Wrapf(err, "atomicfile: writing %s", path)
	}
	return nil
}

// WriteBytes writes data to path atomically (see Write).
func WriteBytes(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
