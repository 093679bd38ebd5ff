package checkpoint

// Checkpoints every N sequences and at the end, resuming from them, and a final checkpoint when
// a run is interrupted by SIGINT or SIGTERM: what a training script needs around
// train.Trainer.Run.

import (
	"context"
	"encoding/json"
	"os"
	"os/signal"
	"reflect"
	"sync/atomic"
	"syscall"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/train"
)

// Wrapper is a train.Optimizer that wraps another (a gradient meter, a hold on some
// parameters): checkpoints look through wrappers for the Stateful optimizer inside.
type Wrapper interface {
	Unwrap() train.Optimizer
}

// StatefulOf returns the Stateful optimizer o is, or wraps (through Wrapper), if any.
func StatefulOf(o train.Optimizer) (Stateful, bool) {
	for o != nil {
		if st, ok := o.(Stateful); ok {
			return st, true
		}
		w, ok := o.(Wrapper)
		if !ok {
			return nil, false
		}
		o = w.Unwrap()
	}
	return nil, false
}

// ErrInterrupted is returned by Policy.Hook's hook after SIGINT or SIGTERM, or when the
// Policy's Context is done (the run saves and stops).
var ErrInterrupted = errors.New("interrupted")

// State is what a checkpoint of a training run keeps: the trainer (its parameters, optimizer
// and sequence count), the random sources, the configuration and any extra state.
type State struct {
	Trainer *train.Trainer
	// RNGs are the run's random sources, by name (e.g. "train").
	RNGs map[string]*datasets.Source
	// Config is the run's configuration; a resumed run must have the same.
	Config any
	// Extra is saved as JSON and restored with json.Unmarshal (e.g. a *criteria.ST3); may be nil.
	Extra any
}

// Policy says where and how often a training run saves its checkpoints, whether it resumes
// from one, and what interrupts it. The zero value does nothing.
type Policy struct {
	Dir    string // "" disables checkpoints
	Every  int    // save every Every sequences (0: only at the end)
	Resume bool   // continue from the checkpoint in Dir
	// Optional makes Resume start afresh when Dir holds no checkpoint yet (for runs of many
	// trials, some of which never started).
	Optional bool
	// Context, if not nil, interrupts the run when it is done, in place of the hook's own
	// SIGINT/SIGTERM handler. A program running several trials one after another uses it
	// (e.g. from signal.NotifyContext), so that a signal also stops the trials not yet started.
	Context context.Context
}

// Save writes a checkpoint of the run.
func (c Policy) Save(r State) error {
	if c.Dir == "" {
		return nil
	}
	ck := snapshot(r.Trainer)
	ck.RNG = map[string][]byte{}
	for name, src := range r.RNGs {
		b, err := src.MarshalBinary()
		if err != nil {
			return errors.Wrapf(err, "checkpoint: save: random source %q", name)
		}
		ck.RNG[name] = b
	}
	var err error
	if ck.Config, err = json.Marshal(r.Config); err != nil {
		return errors.Wrap(err, "checkpoint: save: config")
	}
	if r.Extra != nil {
		if ck.Extra, err = json.Marshal(r.Extra); err != nil {
			return errors.Wrap(err, "checkpoint: save: extra state")
		}
	}
	return WriteData(c.Dir, ck)
}

// Restore loads the checkpoint in Dir into the run if Resume is set, as Load does (the
// parameters, the optimizer's state, the sequence count) and the random sources' states and
// the extra state. It fails if the checkpoint was made with another configuration or does not
// fit the model (see Load), and then leaves the trainer, its optimizer and the random sources
// unchanged. It returns whether a checkpoint was loaded.
//
// No batch shape is needed: the checkpoint records one. shape, at most one, is a batch shape of
// the model to build it for instead, needed only for checkpoints that record none (written
// before shapes were recorded) when the trainer has not built its model yet.
func (c Policy) Restore(r State, shape ...graph.Shape) (bool, error) {
	if len(shape) > 1 {
		return false, errors.Errorf("checkpoint: resume: %d batch shapes given, want at most one", len(shape))
	}
	if !c.Resume {
		return false, nil
	}
	if c.Dir == "" {
		return false, errors.New("checkpoint: resume: no checkpoint directory given")
	}
	ck, err := ReadData(c.Dir)
	if c.Optional && errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, errors.Wrap(err, "checkpoint: resume")
	}
	var saved, now any
	if err := json.Unmarshal(ck.Config, &saved); err != nil {
		return false, errors.Wrap(err, "checkpoint: resume: checkpoint config")
	}
	js, err := json.Marshal(r.Config)
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(js, &now); err != nil {
		return false, err
	}
	if !reflect.DeepEqual(saved, now) {
		return false, errors.Errorf("checkpoint: resume: the checkpoint in %s was made with config %s, this run has %s", c.Dir, ck.Config, js)
	}
	var probe *graph.Shape
	if len(shape) == 1 {
		probe = &shape[0]
	}
	p, err := prepare(r.Trainer, ck, probe, c.Dir)
	if err != nil {
		return false, errors.Wrap(err, "checkpoint: resume")
	}
	for name := range r.RNGs { // a dry run of the random sources' states
		b, ok := ck.RNG[name]
		if !ok {
			return false, errors.Errorf("checkpoint: resume: the checkpoint has no state for random source %q", name)
		}
		if err := datasets.NewSource(0).UnmarshalBinary(b); err != nil {
			return false, errors.Wrapf(err, "checkpoint: resume: random source %q", name)
		}
	}
	undo := func() error { return nil }
	if p.opt != nil {
		before := p.opt.State()
		undo = func() error { return p.opt.SetState(before) }
	}
	if err := p.setOptimizer(); err != nil {
		return false, errors.Wrap(err, "checkpoint: resume")
	}
	if r.Extra != nil {
		if err := json.Unmarshal(ck.Extra, r.Extra); err != nil {
			if uerr := undo(); uerr != nil {
				return false, errors.Wrapf(err, "checkpoint: resume: extra state (and restoring the optimizer: %v)", uerr)
			}
			return false, errors.Wrap(err, "checkpoint: resume: extra state")
		}
	}
	if err := p.commit(r.Trainer); err != nil {
		return false, errors.Wrap(err, "checkpoint: resume")
	}
	for name, src := range r.RNGs {
		if err := src.UnmarshalBinary(ck.RNG[name]); err != nil { // checked above
			return false, errors.Wrapf(err, "checkpoint: resume: random source %q", name)
		}
	}
	return true, nil
}

// Hook returns a training hook that saves every Every sequences and returns ErrInterrupted
// once SIGINT or SIGTERM has arrived, or Context is done (after which the caller saves a final
// checkpoint). stop releases the signal handler.
func (c Policy) Hook(r State) (hook train.Hook, stop func()) {
	interrupted, stop := c.interrupted()
	last := r.Trainer.Seen()
	hook = func(seen int, _ train.Batch, _ train.Result) error {
		if interrupted() {
			return ErrInterrupted
		}
		if c.Every > 0 && seen/c.Every != last/c.Every {
			if err := c.Save(r); err != nil {
				return err
			}
		}
		last = seen
		return nil
	}
	return hook, stop
}

// interrupted reports whether the run must stop: Context is done, or (without a Context) a
// SIGINT or SIGTERM has arrived since the call.
func (c Policy) interrupted() (interrupted func() bool, stop func()) {
	if ctx := c.Context; ctx != nil {
		return func() bool { return ctx.Err() != nil }, func() {}
	}
	var got atomic.Bool
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
			got.Store(true)
		case <-done:
		}
	}()
	return got.Load, func() { signal.Stop(sig); close(done) }
}
