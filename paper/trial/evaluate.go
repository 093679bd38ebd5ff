package trial

import (
	"math"
	"math/rand"
	"sort"

	"github.com/pkg/errors"

	"github.com/lstm97/lstm97/datasets"
	"github.com/lstm97/lstm97/paper"
	"github.com/lstm97/lstm97/train"
	"github.com/lstm97/lstm97/train/criteria"
)

// evaluate runs the periodic evaluation of a paper.StopEval experiment: the paper's criteria
// that a test decides (Table 11). For Exp. 1 every string of the training and test sets predicted
// correctly; for Exp. 3 ST1 (at most ST1Wrong misclassified test sequences) and ST2 (mean
// absolute test error below Beta); for Exp. 2 ABS over EvalN successive random sequences.
// For Exp. 1, chunks holds the two sets' strings in padded batches (chunkAll), and outs is a
// buffer for a string's outputs (nil: none); the other experiments draw theirs.
func evaluate(s *paper.Spec, tr *train.Trainer, chunks []chunk, testSet []datasets.Example, rng *rand.Rand, outs *[][]float64) (bool, error) {
	switch {
	case s.Reber != nil: // Exp. 1: every string of both sets predicted correctly
		if len(chunks) == 0 {
			return false, errors.New("trial: Exp. 1 evaluation without its test sets")
		}
		if outs == nil {
			outs = new([][]float64)
		}
		for _, c := range chunks {
			r, err := tr.Evaluate(c.bt)
			if err != nil {
				return false, err
			}
			for i, ex := range c.ex {
				if *outs = outputsOf((*outs)[:0], r, i); !s.Correct(ex, *outs) {
					return false, nil
				}
			}
		}
		return true, nil
	case s.ST1(): // Exp. 3: ST1 (misclassifications) and ST2 (mean absolute error)
		if s.FreshTestSets {
			var err error
			if testSet, err = drawST1(s, rng); err != nil {
				return false, err
			}
		}
		wrong, sum := 0, 0.0
		for _, ex := range testSet {
			outs, bt, err := Evaluate(tr, ex)
			if err != nil {
				return false, err
			}
			if !s.Correct(ex, outs) {
				if wrong++; wrong > s.ST1Wrong {
					return false, nil
				}
			}
			tg := bt.Targets[len(bt.Targets)-1][0][0]
			if ex.Clean != nil {
				tg = ex.Clean[0]
			}
			sum += math.Abs(outs[len(outs)-1][0] - tg)
		}
		return sum/float64(len(testSet)) < s.Beta, nil
	default: // Exp. 2: correct on EvalN successive random sequences
		return allCorrect(s, tr, s.EvalN, func(int) (datasets.Example, error) { return s.Sample(rng) })
	}
}

// drawST1 draws an ST1/ST2 test set of s.EvalN sequences.
func drawST1(s *paper.Spec, rng *rand.Rand) ([]datasets.Example, error) {
	set := make([]datasets.Example, s.EvalN)
	for i := range set {
		ex, err := s.Sample(rng)
		if err != nil {
			return nil, errors.Wrapf(err, "%s: ST1 test sequence %d", s.ID, i)
		}
		set[i] = ex
	}
	return set, nil
}

// allCorrect reports whether the n examples next(0), ..., next(n-1) are all judged correct,
// stopping at the first that is not.
func allCorrect(s *paper.Spec, tr *train.Trainer, n int, next func(int) (datasets.Example, error)) (bool, error) {
	for i := 0; i < n; i++ {
		ex, err := next(i)
		if err != nil {
			return false, err
		}
		outs, _, err := Evaluate(tr, ex)
		if err != nil {
			return false, err
		}
		if !s.Correct(ex, outs) {
			return false, nil
		}
	}
	return true, nil
}

// stacked is an example with its batch of one (train.Stack), made once for a set that is
// trained on many times.
type stacked struct {
	ex datasets.Example
	bt train.Batch
}

// stackAll stacks every example of the sets, in order.
func stackAll(sets ...[]datasets.Example) ([]stacked, error) {
	var out []stacked
	for _, set := range sets {
		for _, ex := range set {
			bt, err := train.Stack(ex.Sequence)
			if err != nil {
				return nil, err
			}
			out = append(out, stacked{ex, bt})
		}
	}
	return out, nil
}

// chunk is a batch of examples evaluated together, padded to the longest (train.Stack). The
// rows of a batch do not interact and padding changes no output, so each example's outputs
// are those of its evaluation alone, bit for bit.
type chunk struct {
	ex []datasets.Example
	bt train.Batch
}

// maxChunk is the largest chunk chunkAll makes.
const maxChunk = 64

// chunkAll stacks the examples of the sets, shortest first, into chunks of growing size (1,
// 3, 12, 48, then maxChunk): an evaluation stops at the first chunk with a wrong example, so
// an untrained net costs one short string, a trained one a few batches instead of a string
// at a time.
func chunkAll(sets ...[]datasets.Example) ([]chunk, error) {
	var all []datasets.Example
	for _, set := range sets {
		all = append(all, set...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Len() < all[j].Len() })
	var out []chunk
	for done := 0; done < len(all); {
		n := min(max(1, 3*done), maxChunk, len(all)-done)
		seqs := make([]datasets.Sequence, n)
		for i, ex := range all[done : done+n] {
			seqs[i] = ex.Sequence
		}
		bt, err := train.Stack(seqs...)
		if err != nil {
			return nil, err
		}
		out = append(out, chunk{all[done : done+n : done+n], bt})
		done += n
	}
	return out, nil
}

// test evaluates n fresh sequences.
func test(s *paper.Spec, tr *train.Trainer, n int, rng *rand.Rand, res *paper.Result) error {
	if n <= 0 || s.Sample == nil {
		return nil
	}
	var side *int
	if s.ST1() {
		side = new(int)
		res.TestWrongSide = side
	}
	for i := 0; i < n; i++ {
		ex, err := s.Sample(rng)
		if err != nil {
			return err
		}
		outs, bt, err := Evaluate(tr, ex)
		if err != nil {
			return err
		}
		if !s.Correct(ex, outs) {
			res.TestWrong++
		}
		if side != nil && wrongSide(ex, outs) {
			*side++
		}
		e := criteria.SeqErrors(bt, train.Result{TargetSteps: targetSteps(bt), Outputs: wrap(outs)})[0]
		res.TestMSE += e.SqErr
		res.TestMAE += e.AbsErr
	}
	res.TestSeqs = n
	res.TestMSE /= float64(n)
	res.TestMAE /= float64(n)
	return nil
}

// wrongSide reports whether an Exp. 3 sequence's output at its end is on the other side of 0.5
// than its (noise-free) target.
func wrongSide(ex datasets.Example, outs [][]float64) bool {
	tg := ex.Targets[len(ex.Targets)-1][0]
	if ex.Clean != nil {
		tg = ex.Clean[0]
	}
	return (outs[len(outs)-1][0] > 0.5) != (tg > 0.5)
}

func targetSteps(bt train.Batch) []int {
	var out []int
	for t, tg := range bt.Targets {
		if tg != nil {
			out = append(out, t)
		}
	}
	return out
}

func wrap(outs [][]float64) [][][]float64 {
	w := make([][][]float64, len(outs))
	for i, o := range outs {
		w[i] = [][]float64{o}
	}
	return w
}

// Evaluate runs one example forward and returns the outputs at its target steps. The rows are
// the trainer's (train.Result.Outputs): the next evaluation of a sequence of the same shape
// overwrites them.
func Evaluate(tr *train.Trainer, ex datasets.Example) ([][]float64, train.Batch, error) {
	bt, err := train.Stack(ex.Sequence)
	if err != nil {
		return nil, bt, err
	}
	r, err := tr.Evaluate(bt)
	if err != nil {
		return nil, bt, err
	}
	return outputsOf(nil, r, 0), bt, nil
}

// outputsOf appends sequence i's outputs at its target steps of a step's result to dst (the
// batch's other target steps, where Outputs[k][i] is nil, are not its own).
func outputsOf(dst [][]float64, r train.Result, i int) [][]float64 {
	for k := range r.Outputs {
		if o := r.Outputs[k][i]; o != nil {
			dst = append(dst, o)
		}
	}
	return dst
}
