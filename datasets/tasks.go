package datasets

import (
	"fmt"
	"math"
	"math/rand"
)

// Example is a sequence with what the paper's success criteria need besides the targets.
type Example struct {
	Sequence
	// Class is the sequence's class (Exps. 2a-2c, 3, 6), or -1.
	Class int
	// Clean is the noise-free target at the last step (Exp. 3c); nil elsewhere.
	Clean []float64
	// Legal[t][k] says whether symbol k is a legal next symbol after input step t (Exp. 1); nil
	// where step t has no target.
	Legal [][]bool
}

func oneHot(n, k int) []float64 {
	v := make([]float64, n)
	v[k] = 1
	return v
}

// oneHots codes the symbols ks one-hot over n, in one allocation (long sequences over large
// alphabets, as in Exp. 2c, would otherwise make thousands of small ones).
func oneHots(n int, ks []int) [][]float64 {
	data := make([]float64, n*len(ks))
	out := make([][]float64, len(ks))
	for t, k := range ks {
		out[t] = data[t*n : (t+1)*n : (t+1)*n]
		out[t][k] = 1
	}
	return out
}

// ---- Experiment 1: the Reber grammar --------------------------------------------------------

// ReberSymbols is the alphabet of the Reber grammar, in the order of the one-hot coding.
const ReberSymbols = "BTPSXVE"

// reberNext lists, for each state of the Reber grammar (Fig. 3 of the paper), the edges as
// (symbol index, next state); state 7 is the end.
var reberNext = [7][][2]int{
	0: {{0, 1}},         // B
	1: {{1, 2}, {2, 3}}, // T | P
	2: {{3, 2}, {4, 4}}, // S | X
	3: {{1, 3}, {5, 5}}, // T | V
	4: {{4, 3}, {3, 6}}, // X | S
	5: {{2, 4}, {5, 6}}, // P | V
	6: {{6, 7}},         // E
}

// ReberSteps selects the steps of an embedded Reber string that have a target. The paper's
// task has one at every step (ReberAll); the other two split it into its parts, to study them
// apart: the long-term one (the step before last, which must recall the second symbol) and the
// grammar's local predictions. They are diagnostics, not tasks of the paper.
type ReberSteps int

const (
	ReberAll    ReberSteps = iota // every step (the paper)
	ReberRecall                   // only the step before last: predict the remembered T or P
	ReberLocal                    // every step but the step before last
)

// String names the selection as the -reber-steps flag spells it.
func (r ReberSteps) String() string {
	switch r {
	case ReberAll:
		return "all"
	case ReberRecall:
		return "recall"
	case ReberLocal:
		return "local"
	}
	return fmt.Sprintf("ReberSteps(%d)", int(r))
}

// ParseReberSteps parses "all", "recall" or "local".
func ParseReberSteps(s string) (ReberSteps, error) {
	for _, r := range []ReberSteps{ReberAll, ReberRecall, ReberLocal} {
		if s == r.String() {
			return r, nil
		}
	}
	return 0, fmt.Errorf("datasets: reber: steps %q: want all, recall or local", s)
}

// Reber generates strings of the Reber grammar, or of the embedded Reber grammar (Fig. 4):
// B, then T or P, then a Reber string, then the same T or P, then E. Where the grammar has a
// choice, each edge has probability 0.5. Inputs are the symbols but the last, one-hot over
// ReberSymbols; the target at every step is the next symbol; Legal holds the set of legal next
// symbols, which the success criterion uses.
type Reber struct {
	Embedded bool
	// MaxLength rejects longer strings (0: 100), to bound the rare very long walks.
	MaxLength int
	// Steps selects the steps with a target (embedded grammar only); at the others both the
	// target and Legal are nil.
	Steps ReberSteps
}

// String draws one string as symbol indices.
func (r Reber) String(rng *rand.Rand) []int {
	limit := r.MaxLength
	if limit <= 0 {
		limit = 100
	}
	for {
		var s []int
		if r.Embedded {
			c := 1 + rng.Intn(2) // T or P
			s = append(s, 0, c)
			s = append(s, reberWalk(rng)...)
			s = append(s, c, 6)
		} else {
			s = reberWalk(rng)
		}
		if len(s) <= limit {
			return s
		}
	}
}

func reberWalk(rng *rand.Rand) []int {
	var s []int
	for st := 0; st != 7; {
		e := reberNext[st][rng.Intn(len(reberNext[st]))]
		s = append(s, e[0])
		st = e[1]
	}
	return s
}

// Accepts reports whether s is a string of the (embedded) grammar.
func (r Reber) Accepts(s []int) bool {
	_, ok := r.legal(s)
	return ok
}

// legal returns, for each prefix s[:t+1] with t < len(s)-1, the legal next symbols, and whether
// s is a complete string of the grammar.
func (r Reber) legal(s []int) ([][]bool, bool) {
	var out [][]bool
	inner := func(t0 int, s []int) (int, bool) { // walks a Reber string starting at s[t0]
		st := 0
		for t := t0; t < len(s); t++ {
			next := -1
			for _, e := range reberNext[st] {
				if e[0] == s[t] {
					next = e[1]
				}
			}
			if next < 0 {
				return t, false
			}
			st = next
			if st == 7 {
				return t + 1, true
			}
			set := make([]bool, len(ReberSymbols))
			for _, e := range reberNext[st] {
				set[e[0]] = true
			}
			out = append(out, set)
		}
		return len(s), false
	}
	if !r.Embedded {
		end, ok := inner(0, s)
		return out, ok && end == len(s)
	}
	if len(s) < 9 || s[0] != 0 || (s[1] != 1 && s[1] != 2) {
		return out, false
	}
	out = append(out, []bool{false, true, true, false, false, false, false}) // after B: T or P
	first := make([]bool, len(ReberSymbols))
	first[0] = true
	out = append(out, first) // after T/P: the inner B
	end, ok := inner(2, s)
	if !ok || end != len(s)-2 || s[end] != s[1] || s[end+1] != 6 {
		return out, false
	}
	c := make([]bool, len(ReberSymbols))
	c[s[1]] = true
	out = append(out, c) // after the inner E: the remembered T or P
	e := make([]bool, len(ReberSymbols))
	e[6] = true
	out = append(out, e) // then E
	return out, true
}

// Example turns a string into an example.
func (r Reber) Example(s []int) (Example, error) {
	legal, ok := r.legal(s)
	if !ok {
		return Example{}, fmt.Errorf("datasets: reber: %q is not a string of the grammar", symbols(s))
	}
	switch r.Steps {
	case ReberAll:
	case ReberRecall, ReberLocal:
		if !r.Embedded {
			return Example{}, fmt.Errorf("datasets: reber: steps %v: only the embedded grammar has a recall step", r.Steps)
		}
	default:
		return Example{}, fmt.Errorf("datasets: reber: unknown steps %v", r.Steps)
	}
	n := len(ReberSymbols)
	ex := Example{Class: -1, Legal: legal[:len(s)-1]}
	ex.Inputs, ex.Targets = oneHots(n, s[:len(s)-1]), oneHots(n, s[1:])
	if r.Steps == ReberAll {
		return ex, nil
	}
	recall := len(ex.Targets) - 2 // the target is the remembered T or P
	for t := range ex.Targets {
		if (t == recall) != (r.Steps == ReberRecall) {
			ex.Targets[t], ex.Legal[t] = nil, nil
		}
	}
	return ex, nil
}

func symbols(s []int) string {
	b := make([]byte, len(s))
	for i, k := range s {
		if k >= 0 && k < len(ReberSymbols) {
			b[i] = ReberSymbols[k]
		} else {
			b[i] = '?'
		}
	}
	return string(b)
}

// Symbols renders a string of symbol indices as letters.
func Symbols(s []int) string { return symbols(s) }

// ReberSets draws the paper's data (following Fahlman): nTrain distinct training strings and
// nTest distinct test strings, none of which is in the training set.
func (r Reber) Sets(rng *rand.Rand, nTrain, nTest int) (train, test []Example, err error) {
	seen := map[string]bool{}
	draw := func(n int) ([]Example, error) {
		var out []Example
		for tries := 0; len(out) < n; tries++ {
			if tries > 1000*n+10000 {
				return nil, fmt.Errorf("datasets: reber: could not draw %d distinct strings", n)
			}
			s := r.String(rng)
			k := symbols(s)
			if seen[k] {
				continue
			}
			seen[k] = true
			ex, err := r.Example(s)
			if err != nil {
				return nil, err
			}
			out = append(out, ex)
		}
		return out, nil
	}
	if train, err = draw(nTrain); err != nil {
		return nil, nil, err
	}
	if test, err = draw(nTest); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// ---- Experiments 2a-2c: long time lags with local coding -----------------------------------

// LongLag is Experiment 2a (Random false), 2b (Random true): p+1 symbols a_1..a_{p-1}, x = a_p,
// y = a_{p+1}, one-hot. A sequence is (y, a_1, ..., a_{p-1}, y) or (x, a_1, ..., a_{p-1}, x),
// each with probability 0.5; in 2b the middle is a random sequence of length p-1 over
// a_1..a_{p-1}. The target at every step is the next symbol. Class is 0 for x, 1 for y.
type LongLag struct {
	P      int
	Random bool
}

// Sample draws one sequence.
func (l LongLag) Sample(rng *rand.Rand) (Example, error) {
	if l.P < 2 || l.P > MaxLength {
		return Example{}, fmt.Errorf("datasets: long lag: p must be in [2, %d], got %d", MaxLength, l.P)
	}
	n := l.P + 1
	class := rng.Intn(2)
	first := l.P - 1 + class // index of x (p-1) or y (p)
	s := []int{first}
	for i := 0; i < l.P-1; i++ {
		if l.Random {
			s = append(s, rng.Intn(l.P-1))
		} else {
			s = append(s, i)
		}
	}
	s = append(s, first)
	ex := Example{Class: class}
	ex.Inputs, ex.Targets = oneHots(n, s[:len(s)-1]), oneHots(n, s[1:])
	return ex, nil
}

// VeryLongLag is Experiment 2c: p+4 symbols (distractors a_1..a_p, then e, b, x, y), one-hot;
// 2 outputs (x, y). A sequence is b, x or y, q random distractors, then a random distractor with
// probability 9/10 or e with probability 1/10 until e comes, then the second symbol again. Only
// the last step has a target: the last symbol, one-hot over (x, y). Class is 0 for x, 1 for y.
type VeryLongLag struct {
	P, Q int
	// Symbols gives the inputs as Sequence.Symbols instead of one-hot Inputs: at q = p = 1000
	// a sequence is then 8 KB of symbols instead of 8 MB of rows. The draws are the same.
	Symbols bool
}

// Sample draws one sequence.
func (v VeryLongLag) Sample(rng *rand.Rand) (Example, error) {
	if v.P < 1 || v.Q < 0 || v.P > MaxLength || v.Q > MaxLength {
		return Example{}, fmt.Errorf("datasets: very long lag: need p >= 1 and q >= 0 (at most %d), got p=%d q=%d", MaxLength, v.P, v.Q)
	}
	n := v.P + 4
	e, b, x := v.P, v.P+1, v.P+2
	class := rng.Intn(2)
	// The prefix, the trigger and about 10 more distractors (the expected count after the
	// prefix; docs/paper.md §6.2): one allocation for most sequences.
	s := make([]int, 2, v.Q+16)
	s[0], s[1] = b, x+class
	for i := 0; i < v.Q; i++ {
		s = append(s, rng.Intn(v.P))
	}
	for {
		if rng.Float64() < 0.1 {
			s = append(s, e)
			break
		}
		s = append(s, rng.Intn(v.P))
		if len(s) > MaxLength {
			return Example{}, fmt.Errorf("datasets: very long lag: sequence longer than %d", MaxLength)
		}
	}
	ex := Example{Class: class}
	if v.Symbols {
		ex.Symbols, ex.Alphabet = s, n
	} else {
		ex.Inputs = oneHots(n, s)
	}
	ex.Targets = make([][]float64, len(s))
	ex.Targets[len(s)-1] = oneHot(2, class)
	return ex, nil
}

// ---- Experiments 3a-3c: Bengio et al.'s 2-sequence problem ---------------------------------

// TwoSequence is Experiment 3: one real input line; class 1 sequences start with N elements
// +1.0, class 2 with N elements -1.0; later elements are Gaussian with mean 0 and variance 0.2;
// the length is uniform in [T, T+T/10]. 3a: target 1.0 (class 1) or 0.0 (class 2). 3b
// (NoisyInfo): the first N elements get the same noise. 3c (NoisyTargets): targets 0.2 and 0.8
// plus Gaussian noise of variance 0.1; Clean holds the noise-free target. Class is 0 for class
// 1, 1 for class 2.
type TwoSequence struct {
	T, N         int
	NoisyInfo    bool
	NoisyTargets bool
}

// Sample draws one sequence.
func (s TwoSequence) Sample(rng *rand.Rand) (Example, error) {
	if s.T < 1 || s.N < 1 || s.N > s.T || s.T > MaxLength {
		return Example{}, fmt.Errorf("datasets: 2-sequence: need 1 <= N <= T <= %d, got T=%d N=%d", MaxLength, s.T, s.N)
	}
	length := s.T + rng.Intn(s.T/10+1)
	class := rng.Intn(2)
	sign := 1.0
	if class == 1 {
		sign = -1
	}
	sd := math.Sqrt(0.2)
	ex := Example{Class: class}
	ex.Inputs = make([][]float64, 0, length)
	values := make([]float64, length) // one allocation for all steps
	for t := 0; t < length; t++ {
		v := rng.NormFloat64() * sd
		if t < s.N {
			if s.NoisyInfo {
				v += sign
			} else {
				v = sign
			}
		}
		values[t] = v
		ex.Inputs = append(ex.Inputs, values[t:t+1:t+1])
	}
	ex.Targets = make([][]float64, length)
	target := 1.0 - float64(class) // 3a/3b: 1.0 for class 1, 0.0 for class 2
	if s.NoisyTargets {
		clean := 0.2 + 0.6*float64(class)
		ex.Clean = []float64{clean}
		target = clean + rng.NormFloat64()*math.Sqrt(0.1)
	}
	ex.Targets[length-1] = []float64{target}
	return ex, nil
}

// ---- Experiment 5: multiplication -------------------------------------------------------------

// Multiplication is Experiment 5: the adding problem's sequences with values uniform in [0, 1]
// (the first pair's value is 1.0 when it is marked) and the target X1·X2.
type Multiplication struct{ T int }

// Sample draws one sequence.
func (m Multiplication) Sample(rng *rand.Rand) (Example, error) {
	a := Adding(m) // the adding problem's positions and lengths
	if err := a.Validate(); err != nil {
		return Example{}, fmt.Errorf("datasets: multiplication: %w", err)
	}
	seq, pos, err := a.sample(rng, a.Length(rng), 0, 1, 1)
	if err != nil {
		return Example{}, err
	}
	seq.Targets[len(seq.Inputs)-1] = []float64{seq.Inputs[pos[0]][0] * seq.Inputs[pos[1]][0]}
	return Example{Sequence: seq, Class: -1}, nil
}

// ---- Experiments 6a and 6b: temporal order --------------------------------------------------

// TemporalSymbols is the alphabet of Experiment 6, in the order of the one-hot coding.
const TemporalSymbols = "EBabcdXY"

// TemporalOrder is Experiment 6a (Three false: X/Y at t1 in 10..20 and t2 in 50..60, 4 classes)
// and 6b (Three true: t1 in 10..20, t2 in 33..43, t3 in 66..76, 8 classes). A sequence starts
// with E, ends with B, has X or Y at the relevant positions (0-based) and a, b, c or d
// elsewhere; its length is uniform in 100..110. The target at the last step is the class,
// one-hot (XX -> Q, XY -> R, YX -> S, YY -> U in 6a; the 3-letter classes in binary order in 6b).
type TemporalOrder struct{ Three bool }

// Sample draws one sequence.
func (o TemporalOrder) Sample(rng *rand.Rand) (Example, error) {
	length := 100 + rng.Intn(11)
	pos := []int{10 + rng.Intn(11), 50 + rng.Intn(11)}
	if o.Three {
		pos = []int{10 + rng.Intn(11), 33 + rng.Intn(11), 66 + rng.Intn(11)}
	}
	s := make([]int, length)
	s[0], s[length-1] = 0, 1
	for t := 1; t < length-1; t++ {
		s[t] = 2 + rng.Intn(4)
	}
	class := 0
	for _, p := range pos {
		xy := rng.Intn(2)
		s[p] = 6 + xy
		class = 2*class + xy
	}
	ex := Example{Class: class}
	for _, k := range s {
		ex.Inputs = append(ex.Inputs, oneHot(len(TemporalSymbols), k))
	}
	ex.Targets = make([][]float64, length)
	ex.Targets[length-1] = oneHot(1<<len(pos), class)
	return ex, nil
}
