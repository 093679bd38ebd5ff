package checkpoint

// The file format: WriteData and ReadData of a Data, SaveParams and LoadParams of a ParamSet.

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/atomicfile"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/train"
)

// Format names the checkpoint format in the manifest. The manifest's "shape" (Data.Shape) came
// later as an optional field: checkpoints without it load as before, and readers that predate it
// ignore it.
const Format = "lstm97-checkpoint/1"

// ManifestName is the name of a checkpoint's manifest file in its directory.
const ManifestName = "checkpoint.json"

// ErrNotFound is returned (wrapped) by ReadData (and so by Load, LoadConfig, LoadParams and
// Policy.Restore) when the directory holds no checkpoint.
var ErrNotFound = errors.New("checkpoint: no checkpoint")

// OptimizerState is an optimizer's state: named slots (such as Adam's "m" and "v") holding one
// vector per parameter, and a step count.
type OptimizerState struct {
	Kind  string                          `json:"kind"`
	Step  int                             `json:"step"`
	Slots map[string]map[string][]float64 `json:"-"` // slot -> parameter -> values
}

// Stateful is a train.Optimizer whose state a checkpoint keeps (package optim's Momentum and
// Adam); StatefulOf finds it inside a Wrapper.
type Stateful interface {
	State() OptimizerState
	SetState(OptimizerState) error
}

// Data is what a training run needs to continue exactly where it stopped.
type Data struct {
	// Sequences is the number of training sequences seen.
	Sequences int
	// Params are the parameters, by name.
	Params *graph.ParamSet
	// Shape is a batch shape the model was built for, nil if unknown: a loader builds the model
	// for it to learn which parameters the model has (so that Load needs no batch).
	Shape *graph.Shape
	// Optimizer is the optimizer's state (nil for a stateless optimizer such as SGD).
	Optimizer *OptimizerState
	// RNG holds named random-source states (e.g. datasets.Source.MarshalBinary).
	RNG map[string][]byte
	// Config is the run's configuration, as JSON.
	Config json.RawMessage
	// Extra is anything else the run keeps (e.g. a stopping criterion's window), as JSON.
	Extra json.RawMessage
	// Carry is the state the trainer carries from one training batch to the next (a stream
	// processed in chunks, train.Trainer.Carried), nil if none.
	Carry *train.Carried
}

type manifestParam struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
	Dtype string `json:"dtype"`
}

type manifest struct {
	Format     string            `json:"format"`
	Created    string            `json:"created"`
	Sequences  int               `json:"sequences"`
	Data       string            `json:"data"`
	DataSHA256 string            `json:"data_sha256"`
	Params     []manifestParam   `json:"params"`
	Shape      *graph.Shape      `json:"shape,omitempty"`
	Optimizer  *OptimizerState   `json:"optimizer,omitempty"`
	OptSlots   []string          `json:"optimizer_slots,omitempty"`
	RNG        map[string][]byte `json:"rng,omitempty"`
	Config     json.RawMessage   `json:"config,omitempty"`
	Extra      json.RawMessage   `json:"extra,omitempty"`
	Carry      *train.Carried    `json:"carry,omitempty"`
}

// WriteData writes ck into dir (created if needed). The arrays go to a NumPy .npz file named after
// the sequence count and the start of its SHA-256 (parameter "lstm/cell/wx" is array
// "lstm/cell/wx"; optimizer slot "m" of it is "optimizer/m/lstm/cell/wx"), the rest to
// checkpoint.json, which also holds the .npz file's SHA-256. Both are written atomically and the
// manifest last, so a failure or a crash at any moment leaves the previous checkpoint or the new
// one, never a mix (also when both have the same sequence count: the data file names differ);
// older data files are removed afterwards. A parameter with a NaN or infinite value is refused
// before anything is written, as ReadData would refuse it.
func WriteData(dir string, ck *Data) error {
	if ck == nil || ck.Params == nil {
		return errors.New("checkpoint: nothing to save (nil checkpoint or parameters)")
	}
	if ck.Sequences < 0 {
		return errors.Errorf("checkpoint: negative sequence count %d", ck.Sequences)
	}
	if err := checkShape(ck.Shape); err != nil {
		return err
	}
	if err := checkCarry(ck.Carry); err != nil {
		return errors.Wrapf(err, "checkpoint: nothing saved in %s", dir)
	}
	for _, name := range ck.Params.Names() {
		if err := checkFinite(ck.Params.Get(name), name); err != nil {
			return errors.Wrapf(err, "checkpoint: nothing saved in %s", dir)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errors.Wrap(err, "checkpoint: checkpoint")
	}
	m := manifest{Format: Format, Created: time.Now().UTC().Format(time.RFC3339), Sequences: ck.Sequences,
		Shape: ck.Shape, RNG: ck.RNG, Config: ck.Config, Extra: ck.Extra, Optimizer: ck.Optimizer, Carry: ck.Carry}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(key string, t *tensor.Dense) error {
		w, err := zw.Create(key + ".npy")
		if err != nil {
			return err
		}
		return t.WriteNpy(w)
	}
	for _, name := range ck.Params.Names() {
		t := ck.Params.Get(name)
		if err := add(name, t); err != nil {
			return errors.Wrapf(err, "checkpoint: parameter %q", name)
		}
		m.Params = append(m.Params, manifestParam{Name: name, Shape: append([]int(nil), t.Shape()...), Dtype: t.Dtype().String()})
	}
	if ck.Optimizer != nil {
		for slot := range ck.Optimizer.Slots {
			m.OptSlots = append(m.OptSlots, slot)
		}
		sort.Strings(m.OptSlots)
		for _, slot := range m.OptSlots {
			vals := ck.Optimizer.Slots[slot]
			names := make([]string, 0, len(vals))
			for n := range vals {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				t := tensor.New(tensor.WithShape(len(vals[n])), tensor.WithBacking(append([]float64(nil), vals[n]...)))
				if err := add("optimizer/"+slot+"/"+n, t); err != nil {
					return errors.Wrapf(err, "checkpoint: optimizer slot %q of %q", slot, n)
				}
			}
		}
	}
	if err := zw.Close(); err != nil {
		return errors.Wrap(err, "checkpoint: checkpoint")
	}
	sum := sha256.Sum256(buf.Bytes())
	m.DataSHA256 = hex.EncodeToString(sum[:])
	m.Data = fmt.Sprintf("arrays-%012d-%s.npz", ck.Sequences, m.DataSHA256[:12])
	if err := atomicfile.Write(filepath.Join(dir, m.Data), func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err }); err != nil {
		return err
	}
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return errors.Wrap(err, "checkpoint: manifest")
	}
	if err := beforeManifest(); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, ManifestName), func(w io.Writer) error { _, err := w.Write(append(js, '\n')); return err }); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(dir, "arrays-*.npz"))
	for _, f := range old {
		if filepath.Base(f) != m.Data {
			os.Remove(f)
		}
	}
	return nil
}

// ReadData reads the checkpoint in dir. A missing checkpoint gives ErrNotFound; a
// truncated or corrupted one (bad manifest, wrong checksum, unreadable or missing arrays) gives
// an error saying what is wrong, and nothing is loaded.
func ReadData(dir string) (ck *Data, err error) {
	js, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if os.IsNotExist(err) {
		return nil, errors.Wrapf(ErrNotFound, "in %s", dir)
	}
	if err != nil {
		return nil, errors.Wrap(err, "checkpoint: checkpoint")
	}
	var m manifest
	if err := json.Unmarshal(js, &m); err != nil {
		return nil, errors.Wrapf(err, "checkpoint: %s is truncated or corrupted", filepath.Join(dir, ManifestName))
	}
	if m.Format != Format {
		return nil, errors.Errorf("checkpoint: format %q, want %q", m.Format, Format)
	}
	if m.Data == "" || filepath.Base(m.Data) != m.Data {
		return nil, errors.Errorf("checkpoint: bad data file name %q", m.Data)
	}
	data, err := os.ReadFile(filepath.Join(dir, m.Data))
	if err != nil {
		return nil, errors.Wrap(err, "checkpoint: checkpoint")
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != m.DataSHA256 {
		return nil, errors.Errorf("checkpoint: %s is corrupted or truncated (SHA-256 does not match the manifest)", m.Data)
	}
	return decodeCheckpoint(m, data)
}

// decodeCheckpoint builds a Checkpoint from a manifest and the bytes of its .npz file.
func decodeCheckpoint(m manifest, data []byte) (ck *Data, err error) {
	defer func() {
		if r := recover(); r != nil {
			ck, err = nil, errors.Errorf("checkpoint: unreadable arrays: %v", r)
		}
	}()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, errors.Wrap(err, "checkpoint: arrays")
	}
	arrays := map[string]*tensor.Dense{}
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".npy") {
			continue
		}
		if f.UncompressedSize64 > uint64(maxArrayBytes) {
			return nil, errors.Errorf("checkpoint: array %q is too large", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, errors.Wrapf(err, "checkpoint: array %q", f.Name)
		}
		raw, err := io.ReadAll(io.LimitReader(rc, int64(maxArrayBytes)+1))
		rc.Close()
		if err != nil {
			return nil, errors.Wrapf(err, "checkpoint: array %q", f.Name)
		}
		// Check the declared shape against the bytes present before tensor allocates it.
		if err := checkNpy(raw); err != nil {
			return nil, errors.Wrapf(err, "checkpoint: array %q", f.Name)
		}
		t := new(tensor.Dense)
		if err := t.ReadNpy(bytes.NewReader(raw)); err != nil {
			return nil, errors.Wrapf(err, "checkpoint: array %q", f.Name)
		}
		arrays[strings.TrimSuffix(f.Name, ".npy")] = t
	}
	ck = &Data{Sequences: m.Sequences, Params: graph.NewParamSet(), Shape: m.Shape, RNG: m.RNG, Config: m.Config, Extra: m.Extra, Carry: m.Carry}
	if m.Sequences < 0 {
		return nil, errors.Errorf("checkpoint: negative sequence count %d", m.Sequences)
	}
	if err := checkShape(m.Shape); err != nil {
		return nil, err
	}
	if err := checkCarry(m.Carry); err != nil {
		return nil, err
	}
	for _, p := range m.Params {
		t, ok := arrays[p.Name]
		if !ok {
			return nil, errors.Errorf("checkpoint: parameter %q is listed but has no array", p.Name)
		}
		if !t.Shape().Eq(tensor.Shape(p.Shape)) || t.Dtype().String() != p.Dtype {
			return nil, errors.Errorf("checkpoint: parameter %q is %v %v, the manifest says %v %s", p.Name, t.Dtype(), t.Shape(), p.Shape, p.Dtype)
		}
		if err := checkFinite(t, p.Name); err != nil {
			return nil, errors.Wrap(err, "checkpoint")
		}
		if err := ck.Params.Add(p.Name, t); err != nil {
			return nil, err
		}
	}
	if m.Optimizer != nil {
		st := *m.Optimizer
		st.Slots = map[string]map[string][]float64{}
		for _, slot := range m.OptSlots {
			st.Slots[slot] = map[string][]float64{}
			prefix := "optimizer/" + slot + "/"
			for key, t := range arrays {
				if strings.HasPrefix(key, prefix) {
					st.Slots[slot][strings.TrimPrefix(key, prefix)] = append([]float64(nil), graph.Float64View(t)...)
				}
			}
		}
		ck.Optimizer = &st
	}
	return ck, nil
}

// beforeManifest runs between writing the data file and writing the manifest; tests make it
// fail to check that the previous checkpoint survives.
var beforeManifest = func() error { return nil }

// checkCarry checks a carried state (nil: none; see train.Carried.Check).
func checkCarry(c *train.Carried) error {
	if c == nil {
		return nil
	}
	return errors.Wrap(c.Check(), "checkpoint")
}

// checkShape checks a recorded batch shape (nil: none recorded).
func checkShape(s *graph.Shape) error {
	if s == nil {
		return nil
	}
	if s.T <= 0 || s.B <= 0 || s.In <= 0 || s.Out <= 0 || len(s.TargetSteps) > s.T {
		return errors.Errorf("checkpoint: bad batch shape %+v", *s)
	}
	for i, t := range s.TargetSteps {
		if t < 0 || t >= s.T || (i > 0 && t <= s.TargetSteps[i-1]) {
			return errors.Errorf("checkpoint: bad batch shape %+v: target steps must ascend in [0, %d)", *s, s.T)
		}
	}
	return nil
}

// Check checks that the state fits the parameters ps: every slot holds vectors of parameters
// of ps only, each as long as its parameter. The error names the slot and the parameter.
func (s *OptimizerState) Check(ps *graph.ParamSet) error {
	slots := make([]string, 0, len(s.Slots))
	for slot := range s.Slots {
		slots = append(slots, slot)
	}
	sort.Strings(slots)
	for _, slot := range slots {
		names := make([]string, 0, len(s.Slots[slot]))
		for n := range s.Slots[slot] {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			t := ps.Get(n)
			if t == nil {
				return errors.Errorf("checkpoint: %s optimizer slot %q holds parameter %q, which the model does not have", s.Kind, slot, n)
			}
			if got, want := len(s.Slots[slot][n]), t.Shape().TotalSize(); got != want {
				return errors.Errorf("checkpoint: %s optimizer slot %q of parameter %q has %d values, the parameter %d (shape %v)", s.Kind, slot, n, got, want, t.Shape())
			}
		}
	}
	return nil
}

// SaveParams writes the parameters ps alone as a checkpoint in dir (see WriteData), for a user of
// package graph without a training loop.
func SaveParams(dir string, ps *graph.ParamSet) error {
	return WriteData(dir, &Data{Params: ps})
}

// LoadParams copies the parameters of the checkpoint in dir into ps, which must hold exactly
// the same parameters (build the model first): a parameter missing on either side or with
// another shape or dtype is an error naming it and both shapes, and nothing is copied. The
// checkpoint may hold more (an optimizer's state, a configuration), which LoadParams ignores.
func LoadParams(dir string, ps *graph.ParamSet) error {
	if ps == nil {
		return errors.New("checkpoint: load parameters: nil parameter set")
	}
	ck, err := ReadData(dir)
	if err != nil {
		return err
	}
	return errors.Wrapf(ps.Assign(ck.Params), "checkpoint: load parameters from %s", dir)
}

// maxArrayBytes bounds one array of a checkpoint (256 MiB). The fuzz test lowers it.
var maxArrayBytes = 1 << 28

// checkNpy parses a .npy header and checks that its data type is float64 or float32 and that
// the data the shape declares is present.
func checkNpy(b []byte) error {
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		return errors.New("not a .npy array")
	}
	var hlen, off int
	switch b[6] {
	case 1:
		hlen, off = int(b[8])|int(b[9])<<8, 10
	case 2, 3:
		if len(b) < 12 {
			return errors.New("truncated .npy header")
		}
		hlen, off = int(b[8])|int(b[9])<<8|int(b[10])<<16|int(b[11])<<24, 12
	default:
		return errors.Errorf("unknown .npy version %d", b[6])
	}
	if hlen < 0 || off+hlen > len(b) {
		return errors.New("truncated .npy header")
	}
	h := string(b[off : off+hlen])
	size := 0
	switch {
	case strings.Contains(h, "'<f8'"):
		size = 8
	case strings.Contains(h, "'<f4'"):
		size = 4
	default:
		return errors.Errorf(".npy data type is not float64 or float32: %q", h)
	}
	i := strings.Index(h, "'shape': (")
	if i < 0 {
		return errors.Errorf(".npy header has no shape: %q", h)
	}
	rest := h[i+len("'shape': ("):]
	j := strings.IndexByte(rest, ')')
	if j < 0 {
		return errors.Errorf(".npy header has a bad shape: %q", h)
	}
	n := 1
	for _, f := range strings.Split(rest[:j], ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil || d < 0 || d > maxArrayBytes {
			return errors.Errorf(".npy header has a bad dimension %q", f)
		}
		n *= d
		if n > maxArrayBytes {
			return errors.New(".npy array is too large")
		}
	}
	if need := off + hlen + n*size; need > len(b) {
		return errors.Errorf(".npy array declares %d values but holds %d bytes of data", n, len(b)-off-hlen)
	}
	return nil
}

// checkFinite checks that the parameter name, t, holds no NaN or infinite value.
func checkFinite(t *tensor.Dense, name string) error {
	vs := graph.Float64View(t)
	if i := graph.FirstNonFinite(vs); i >= 0 {
		return errors.Errorf("parameter %q value %d is %v", name, i, vs[i])
	}
	return nil
}
