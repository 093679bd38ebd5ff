package checkpoint

// Saving a trained model in one call and loading it into a fresh train.Trainer without a
// batch, and the loading core that Policy.Restore shares.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/lstm97/lstm97/graph"
	"github.com/lstm97/lstm97/train"
)

// Save writes the trainer tr to dir in this package's format (the parameters as NumPy arrays,
// the rest in a JSON manifest), so that Load can continue training it or use it: its
// parameters, its optimizer's state (StatefulOf), the number of sequences it has seen, the state
// it carries from training batch to batch (Trainer.Carried), a batch shape it has built its
// model for (so that Load needs no batch), and config, any value
// encoding/json can marshal (nil: none). A failure leaves the checkpoint that dir held before,
// if any, intact: nothing is written when the parameters hold a NaN or an infinity or config
// cannot be marshalled, and both files are replaced atomically. A trainer that has built no
// model yet (Build, Step or Evaluate) has nothing to save: that is an error.
func Save(dir string, tr *train.Trainer, config any) error {
	if tr == nil {
		return errors.New("checkpoint: save: nil trainer")
	}
	if tr.Params().Len() == 0 {
		return errors.New("checkpoint: save: the trainer has no parameters yet (it has built no model: Build, Step or Evaluate first); nothing saved")
	}
	ck := snapshot(tr)
	if config != nil {
		js, err := json.Marshal(config)
		if err != nil {
			return errors.Wrapf(err, "checkpoint: save: config (%T); nothing saved", config)
		}
		ck.Config = js
	}
	return errors.Wrap(WriteData(dir, ck), "checkpoint: save")
}

// Load loads the checkpoint in dir, written by Save or Policy.Save, into tr, a trainer of
// the same model (the same ModelFunc and configuration, and Dtype): its parameters, its
// optimizer's state, its sequence count, and the state Step carries from batch to batch (a
// stream in chunks: a batch with Continue after Load continues where the saved trainer's last
// batch ended; a checkpoint without one drops it, and Evaluate's state is always dropped). If config is not nil, it must
// be a pointer, and is set to the saved configuration (as encoding/json decodes it into a zero value; a field the
// type lacks is an error). tr may be fresh: Load builds the model for the batch shape the
// checkpoint records, in a graph of its own, to learn which parameters it has, and puts the
// saved values into tr's ParamSet, which the first Step or Evaluate binds (no batch needed).
//
// The checkpoint must fit the model exactly: a parameter missing on either side, or with another
// shape or dtype, is an error naming it and both shapes; so is an optimizer state of another
// kind, or a stateful optimizer without a saved state (a trainer without an Optimizer takes
// the parameters alone, for evaluation). On any error tr and config are left unchanged. A
// checkpoint that records no shape (written before shapes were, or by SaveParams) loads into
// a trainer that has built its model (Trainer.Build). A missing checkpoint gives an error that
// errors.Is ErrNotFound.
func Load(dir string, tr *train.Trainer, config any) error {
	if tr == nil {
		return errors.New("checkpoint: load: nil trainer")
	}
	ck, err := ReadData(dir)
	if err != nil {
		return errors.Wrap(err, "checkpoint: load")
	}
	p, err := prepare(tr, ck, nil, dir)
	if err != nil {
		return errors.Wrap(err, "checkpoint: load")
	}
	set, err := decodeConfig(ck.Config, config, dir)
	if err != nil {
		return errors.Wrap(err, "checkpoint: load")
	}
	if err := p.setOptimizer(); err != nil {
		return errors.Wrap(err, "checkpoint: load")
	}
	if err := p.commit(tr); err != nil {
		return errors.Wrap(err, "checkpoint: load")
	}
	set()
	return nil
}

// LoadConfig reads the configuration saved in dir by Save into *config (as encoding/json
// decodes it into a zero value; a field the type lacks is an error), so that a script can build
// the model a checkpoint was made with before loading it. config must be a non-nil pointer.
func LoadConfig(dir string, config any) error {
	ck, err := ReadData(dir)
	if err != nil {
		return errors.Wrap(err, "checkpoint: load config")
	}
	set, err := decodeConfig(ck.Config, config, dir)
	if err != nil {
		return errors.Wrap(err, "checkpoint: load config")
	}
	set()
	return nil
}

// decodeConfig decodes raw into a new value of the type config points to and returns the
// function that stores it in *config: decoding fails or succeeds as a whole.
func decodeConfig(raw json.RawMessage, config any, dir string) (set func(), err error) {
	if config == nil {
		return func() {}, nil
	}
	v := reflect.ValueOf(config)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return nil, errors.Errorf("config must be a non-nil pointer, got %T", config)
	}
	if len(raw) == 0 || string(raw) == "null" {
		return nil, errors.Errorf("the checkpoint in %s holds no configuration", dir)
	}
	fresh := reflect.New(v.Type().Elem())
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(fresh.Interface()); err != nil {
		return nil, errors.Wrapf(err, "the configuration in %s does not decode into %T", dir, config)
	}
	return func() { v.Elem().Set(fresh.Elem()) }, nil
}

// snapshot returns what a checkpoint keeps of tr (the configuration, random sources and extra
// state are the caller's).
func snapshot(tr *train.Trainer) *Data {
	ck := &Data{Sequences: tr.Seen(), Params: tr.Params()}
	if s, ok := builtShape(tr); ok {
		ck.Shape = &s
	}
	if st, ok := StatefulOf(tr.Optimizer()); ok {
		s := st.State()
		ck.Optimizer = &s
	}
	if c, ok := tr.Carried(); ok && len(c.Values) > 0 {
		ck.Carry = &c
	}
	return ck
}

// builtShape returns a batch shape tr has a compiled program for: the smallest (T·B, then its
// printout), so that a loader's check builds a small graph; false if there is none.
func builtShape(tr *train.Trainer) (graph.Shape, bool) {
	var best graph.Shape
	found := false
	for _, s := range tr.Shapes() {
		if !found || s.T*s.B < best.T*best.B || (s.T*s.B == best.T*best.B && fmt.Sprint(s) < fmt.Sprint(best)) {
			best, found = s, true
		}
	}
	return best, found
}

// loading is a checkpoint checked against a trainer, ready to be put into it.
type loading struct {
	params *graph.ParamSet // the checkpoint's values, in the model's order and tensors of its own
	opt    Stateful
	state  OptimizerState
	seen   int
	carry  *train.Carried // checked by ReadData
}

// prepare checks ck against tr without changing either: its parameters against the model's,
// built for probe (if not nil), the checkpoint's recorded shape or one tr has built (in that
// order), or else against tr's parameters; and its optimizer state against tr's optimizer.
func prepare(tr *train.Trainer, ck *Data, probe *graph.Shape, dir string) (*loading, error) {
	shape := probe
	if shape == nil {
		shape = ck.Shape
	}
	if s, ok := builtShape(tr); shape == nil && ok {
		shape = &s
	}
	var model *graph.ParamSet
	switch {
	case shape != nil:
		var err error
		if model, err = modelParams(tr, *shape); err != nil {
			return nil, err
		}
	case tr.Params().Len() > 0:
		var err error
		if model, err = cloneParams(tr.Params()); err != nil {
			return nil, err
		}
	default:
		return nil, errors.Errorf("the checkpoint in %s records no batch shape and the trainer has no parameters yet: build its model first (Trainer.Build)", dir)
	}
	if err := model.Assign(ck.Params); err != nil {
		return nil, errors.Wrapf(err, "the checkpoint in %s (the source) does not fit the model", dir)
	}
	if tr.Params().Len() > 0 { // a dry run of commit's Assign
		own, err := cloneParams(tr.Params())
		if err != nil {
			return nil, err
		}
		if err := own.Assign(model); err != nil {
			return nil, errors.Wrap(err, "the trainer's ParamSet holds other parameters than its model builds (\"the source\" is the model)")
		}
	}
	p := &loading{params: model, seen: ck.Sequences, carry: ck.Carry}
	o := tr.Optimizer()
	if o == nil { // an evaluation-only trainer takes the parameters alone
		return p, nil
	}
	st, stateful := StatefulOf(o)
	switch {
	case !stateful && ck.Optimizer != nil:
		return nil, errors.Errorf("the checkpoint in %s holds %s optimizer state, the trainer's optimizer (%T) keeps none", dir, ck.Optimizer.Kind, o)
	case !stateful:
		return p, nil
	case ck.Optimizer == nil:
		return nil, errors.Errorf("the checkpoint in %s holds no optimizer state, the trainer's optimizer (%T) needs one", dir, o)
	}
	if kind := st.State().Kind; kind != ck.Optimizer.Kind {
		return nil, errors.Errorf("the checkpoint in %s holds %s optimizer state, the trainer's optimizer (%T) keeps %s state", dir, ck.Optimizer.Kind, o, kind)
	}
	if err := ck.Optimizer.Check(model); err != nil {
		return nil, err
	}
	p.opt, p.state = st, *ck.Optimizer
	return p, nil
}

// setOptimizer sets the optimizer's state, the one step of loading that may still fail after
// prepare (an optimizer may refuse a state for reasons of its own). A refusal changes nothing
// in the optimizers of package optim, which check before they set.
func (p *loading) setOptimizer() error {
	if p.opt == nil {
		return nil
	}
	return p.opt.SetState(p.state)
}

// commit puts the checked parameters into tr, sets its sequence count and the state Step
// carries from batch to batch to the checkpoint's (dropping it if the checkpoint has none, and
// dropping Evaluate's: Trainer.ResetState). It cannot fail on a trainer prepare accepted and a
// carried state ReadData accepted.
func (p *loading) commit(tr *train.Trainer) error {
	ps := tr.Params()
	if ps.Len() > 0 {
		if err := ps.Assign(p.params); err != nil {
			return err
		}
	} else {
		for _, name := range p.params.Names() {
			if err := ps.Add(name, p.params.Get(name)); err != nil {
				return err
			}
		}
	}
	tr.SetSeen(p.seen)
	tr.ResetState()
	if p.carry != nil {
		return tr.SetCarried(*p.carry)
	}
	return nil
}

// modelParams builds tr's model for shape s in a graph of its own and returns its parameters,
// freshly initialised: which parameters the model has, with their shapes and dtypes.
func modelParams(tr *train.Trainer, s graph.Shape) (ps *graph.ParamSet, err error) {
	defer func() {
		if r := recover(); r != nil {
			ps, err = nil, errors.Errorf("building the model for the batch shape %+v: panic: %v", s, r)
		}
	}()
	ps = graph.NewParamSet()
	b := graph.NewBuilder(graph.Config{Dtype: tr.Dtype(), Seed: tr.Seed(), Params: ps})
	if _, err := tr.Model()(b, s); err != nil {
		return nil, errors.Wrapf(err, "building the model for the batch shape %+v", s)
	}
	if err := b.Err(); err != nil {
		return nil, errors.Wrapf(err, "building the model for the batch shape %+v", s)
	}
	return ps, nil
}

// cloneParams returns a copy of ps with tensors of its own.
func cloneParams(ps *graph.ParamSet) (*graph.ParamSet, error) {
	out := graph.NewParamSet()
	for _, name := range ps.Names() {
		if err := out.Add(name, ps.Get(name).Clone().(*tensor.Dense)); err != nil {
			return nil, err
		}
	}
	return out, nil
}
