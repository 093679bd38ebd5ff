package checkpoint

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadCheckpoint feeds arbitrary manifests and data files to the reader: it must return a
// checkpoint or an error, never panic.
func FuzzLoadCheckpoint(f *testing.F) {
	maxArrayBytes = 1 << 20 // inputs that inflate to hundreds of MiB would starve the fuzzer
	m, err1 := os.ReadFile(filepath.Join("testdata", "format1", "manifest.json"))
	data, err2 := os.ReadFile(filepath.Join("testdata", "format1", "arrays.npz.golden"))
	if err1 == nil && err2 == nil {
		f.Add(m, data) // the format-1 sample
	}
	f.Add([]byte(`{"format":"lstm97-checkpoint/1","data":"arrays-000000000001.npz"}`), []byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, man, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ManifestName), man, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "arrays-000000000001.npz"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		ck, err := ReadData(dir)
		if err == nil && ck == nil {
			t.Fatal("nil checkpoint without error")
		}
		// Bypass the checksum to exercise the array decoder on every input.
		var m manifest
		m.Format, m.Data = Format, "x.npz"
		m.Params = []manifestParam{{Name: "w", Shape: []int{2}, Dtype: "float64"}}
		decodeCheckpoint(m, data)
	})
}
