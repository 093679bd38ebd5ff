package datasets_test

import (
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/datasets"
)

func argmax(v []float64) int {
	k := 0
	for i := range v {
		if v[i] > v[k] {
			k = i
		}
	}
	return k
}

func TestReber(t *testing.T) {
	rng := rand.New(datasets.NewSource(1))
	for _, embedded := range []bool{false, true} {
		r := datasets.Reber{Embedded: embedded}
		minLen := 100
		for i := 0; i < 3000; i++ {
			s := r.String(rng)
			if !r.Accepts(s) {
				t.Fatalf("embedded=%v: generated %s is not accepted", embedded, datasets.Symbols(s))
			}
			minLen = min(minLen, len(s))
			ex, err := r.Example(s)
			if err != nil {
				t.Fatal(err)
			}
			if len(ex.Inputs) != len(s)-1 || len(ex.Legal) != len(s)-1 {
				t.Fatalf("%s: %d inputs, %d legal sets", datasets.Symbols(s), len(ex.Inputs), len(ex.Legal))
			}
			for t2 := range ex.Inputs {
				next := argmax(ex.Targets[t2])
				if !ex.Legal[t2][next] || argmax(ex.Inputs[t2]) != s[t2] || next != s[t2+1] {
					t.Fatalf("%s step %d: target %c not legal or coding wrong", datasets.Symbols(s), t2, datasets.ReberSymbols[next])
				}
			}
			if embedded {
				// The symbol before last is determined by the second one: one legal choice.
				n := len(ex.Legal)
				count := 0
				for _, ok := range ex.Legal[n-2] {
					if ok {
						count++
					}
				}
				if count != 1 || !ex.Legal[n-2][s[1]] {
					t.Fatalf("%s: the symbol before last is not forced to %c", datasets.Symbols(s), datasets.ReberSymbols[s[1]])
				}
			}
		}
		want := 5 // BTXSE
		if embedded {
			want = 9 // BTBTXSETE: the paper's minimal length
		}
		if minLen != want {
			t.Errorf("embedded=%v: shortest string %d, want %d", embedded, minLen, want)
		}
	}
	r := datasets.Reber{Embedded: true}
	for _, bad := range []string{"BTBTXSEPE", "BTBTXSET", "BPBPVVEPEE", "TBTXSETE"} {
		var s []int
		for _, c := range bad {
			s = append(s, strings.IndexRune(datasets.ReberSymbols, c))
		}
		if r.Accepts(s) {
			t.Errorf("%s accepted", bad)
		}
	}
	train, test, err := r.Sets(rand.New(datasets.NewSource(2)), 256, 256)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, set := range [][]datasets.Example{train, test} {
		for _, ex := range set {
			var s []int
			for _, x := range ex.Inputs {
				s = append(s, argmax(x))
			}
			k := datasets.Symbols(s)
			if seen[k] {
				t.Fatalf("string %s appears twice in the training and test sets", k)
			}
			seen[k] = true
		}
	}
	if len(train) != 256 || len(test) != 256 {
		t.Errorf("sets of %d and %d", len(train), len(test))
	}
}

func TestReberSteps(t *testing.T) {
	code := func(str string) []int {
		var s []int
		for _, c := range str {
			s = append(s, strings.IndexRune(datasets.ReberSymbols, c))
		}
		return s
	}
	s := code("BPBTXXVVEPE") // 10 input steps; at step 8 the target is the recalled P
	tests := []struct {
		steps datasets.ReberSteps
		want  []int // the steps with a target
	}{
		{datasets.ReberAll, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{datasets.ReberRecall, []int{8}},
		{datasets.ReberLocal, []int{0, 1, 2, 3, 4, 5, 6, 7, 9}},
	}
	for _, tc := range tests {
		ex, err := datasets.Reber{Embedded: true, Steps: tc.steps}.Example(s)
		if err != nil {
			t.Fatalf("%v: %v", tc.steps, err)
		}
		var got []int
		for k, tg := range ex.Targets {
			if (tg == nil) != (ex.Legal[k] == nil) {
				t.Errorf("%v step %d: target and legal set disagree on whether the step counts", tc.steps, k)
			}
			if tg != nil {
				got = append(got, k)
			}
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v: targets at steps %v, want %v", tc.steps, got, tc.want)
		}
		if tc.steps == datasets.ReberRecall && argmax(ex.Targets[8]) != s[1] {
			t.Errorf("recall step: target %c, want the second symbol %c", datasets.ReberSymbols[argmax(ex.Targets[8])], datasets.ReberSymbols[s[1]])
		}
		if got, err := datasets.ParseReberSteps(tc.steps.String()); err != nil || got != tc.steps {
			t.Errorf("ParseReberSteps(%q) = %v, %v", tc.steps.String(), got, err)
		}
	}
	if _, err := (datasets.Reber{Steps: datasets.ReberRecall}).Example(code("BTXSE")); err == nil {
		t.Error("recall steps accepted for the plain grammar, which has no recall step")
	}
	if _, err := (datasets.Reber{Embedded: true, Steps: 7}).Example(s); err == nil {
		t.Error("an unknown step selection accepted")
	}
	if _, err := datasets.ParseReberSteps("middle"); err == nil {
		t.Error(`ParseReberSteps("middle") accepted`)
	}
}

func TestLongLag(t *testing.T) {
	rng := rand.New(datasets.NewSource(3))
	for _, random := range []bool{false, true} {
		l := datasets.LongLag{P: 100, Random: random}
		classes := [2]int{}
		for i := 0; i < 2000; i++ {
			ex, err := l.Sample(rng)
			if err != nil {
				t.Fatal(err)
			}
			classes[ex.Class]++
			if len(ex.Inputs) != 100 || len(ex.Inputs[0]) != 101 {
				t.Fatalf("shape %d x %d", len(ex.Inputs), len(ex.Inputs[0]))
			}
			first, last := argmax(ex.Inputs[0]), argmax(ex.Targets[99])
			if first != last || first != 99+ex.Class {
				t.Fatalf("first %d, last %d, class %d", first, last, ex.Class)
			}
			for s := 1; s < 100; s++ {
				k := argmax(ex.Inputs[s])
				if k >= 99 || (!random && k != s-1) {
					t.Fatalf("random=%v: middle symbol %d at %d", random, k, s)
				}
				if argmax(ex.Targets[s-1]) != k {
					t.Fatal("target is not the next symbol")
				}
			}
		}
		if classes[0] < 900 || classes[1] < 900 {
			t.Errorf("classes %v", classes)
		}
	}
	if _, err := (datasets.LongLag{P: 1}).Sample(rng); err == nil {
		t.Error("p=1 accepted")
	}
}

func TestVeryLongLag(t *testing.T) {
	rng := rand.New(datasets.NewSource(4))
	v := datasets.VeryLongLag{P: 100, Q: 100}
	total := 0.0
	const n = 5000
	for i := 0; i < n; i++ {
		ex, err := v.Sample(rng)
		if err != nil {
			t.Fatal(err)
		}
		L := len(ex.Inputs)
		total += float64(L)
		if L < 104-1 || len(ex.Inputs[0]) != 104 {
			t.Fatalf("length %d, width %d", L, len(ex.Inputs[0]))
		}
		if argmax(ex.Inputs[0]) != 101 || argmax(ex.Inputs[1]) != 102+ex.Class || argmax(ex.Inputs[L-1]) != 100 {
			t.Fatal("b, x/y and the trigger e are not where they belong")
		}
		for s := 2; s < L-1; s++ {
			if argmax(ex.Inputs[s]) >= 100 {
				t.Fatalf("step %d is not a distractor", s)
			}
		}
		for s := 0; s < L-1; s++ {
			if ex.Targets[s] != nil {
				t.Fatal("target before the end")
			}
		}
		if tg := ex.Targets[L-1]; len(tg) != 2 || argmax(tg) != ex.Class {
			t.Fatalf("target %v for class %d", tg, ex.Class)
		}
	}
	// The inputs are the sequence without its final element: q+2 elements, then on average 9
	// distractors before e, then e: q+12 (the whole sequence is q+13, see docs/paper.md §6.2).
	if m := total / n; math.Abs(m-112) > 0.6 {
		t.Errorf("mean input length %.2f, want 112 (q+13 for the whole sequence)", m)
	}
}

// TestVeryLongLagSymbols checks that the symbol coding draws the same sequences as the one-hot
// rows, from the same random source, and that Rows and Len give them back.
func TestVeryLongLagSymbols(t *testing.T) {
	rows, syms := rand.New(datasets.NewSource(9)), rand.New(datasets.NewSource(9))
	for i := 0; i < 200; i++ {
		want, err := datasets.VeryLongLag{P: 20, Q: 30}.Sample(rows)
		if err != nil {
			t.Fatal(err)
		}
		got, err := datasets.VeryLongLag{P: 20, Q: 30, Symbols: true}.Sample(syms)
		if err != nil {
			t.Fatal(err)
		}
		if got.Inputs != nil || got.Alphabet != 24 || got.Len() != len(want.Inputs) || got.Class != want.Class {
			t.Fatalf("sequence %d: inputs %v, alphabet %d, length %d (want %d), class %d (want %d)",
				i, got.Inputs != nil, got.Alphabet, got.Len(), len(want.Inputs), got.Class, want.Class)
		}
		if !reflect.DeepEqual(got.Rows(), want.Inputs) || !reflect.DeepEqual(got.Targets, want.Targets) {
			t.Fatalf("sequence %d: symbols %v do not give the rows drawn without them", i, got.Symbols)
		}
		if !reflect.DeepEqual(want.Rows(), want.Inputs) || want.Len() != len(want.Inputs) {
			t.Fatal("Rows or Len of a sequence without symbols")
		}
	}
}

func TestTwoSequence(t *testing.T) {
	rng := rand.New(datasets.NewSource(5))
	for _, tc := range []datasets.TwoSequence{{T: 100, N: 3}, {T: 100, N: 1, NoisyInfo: true}, {T: 50, N: 3, NoisyTargets: true}} {
		var sum, sumsq float64
		count := 0
		for i := 0; i < 1000; i++ {
			ex, err := tc.Sample(rng)
			if err != nil {
				t.Fatal(err)
			}
			L := len(ex.Inputs)
			if L < tc.T || L > tc.T+tc.T/10 {
				t.Fatalf("length %d", L)
			}
			sign := 1.0 - 2*float64(ex.Class)
			for s := 0; s < tc.N; s++ {
				if !tc.NoisyInfo && ex.Inputs[s][0] != sign {
					t.Fatalf("information element %d is %v for class %d", s, ex.Inputs[s][0], ex.Class)
				}
			}
			for s := tc.N; s < L; s++ {
				sum += ex.Inputs[s][0]
				sumsq += ex.Inputs[s][0] * ex.Inputs[s][0]
				count++
			}
			tg := ex.Targets[L-1][0]
			switch {
			case tc.NoisyTargets:
				if ex.Clean[0] != 0.2+0.6*float64(ex.Class) || math.Abs(tg-ex.Clean[0]) > 2.5 {
					t.Fatalf("3c target %v clean %v", tg, ex.Clean)
				}
			default:
				if tg != 1-float64(ex.Class) {
					t.Fatalf("target %v for class %d", tg, ex.Class)
				}
			}
		}
		mean, variance := sum/float64(count), sumsq/float64(count)-(sum/float64(count))*(sum/float64(count))
		if math.Abs(mean) > 0.01 || math.Abs(variance-0.2) > 0.01 {
			t.Errorf("%+v: noise mean %.4f variance %.4f, want 0 and 0.2", tc, mean, variance)
		}
	}
}

func TestMultiplication(t *testing.T) {
	rng := rand.New(datasets.NewSource(6))
	for i := 0; i < 2000; i++ {
		ex, err := datasets.Multiplication{T: 100}.Sample(rng)
		if err != nil {
			t.Fatal(err)
		}
		var marked []int
		for p, x := range ex.Inputs {
			if x[0] < 0 || x[0] > 1 {
				t.Fatalf("value %v outside [0, 1]", x[0])
			}
			if x[1] == 1 {
				marked = append(marked, p)
			}
		}
		if len(marked) != 2 {
			t.Fatalf("%d marks", len(marked))
		}
		if marked[0] == 0 && ex.Inputs[0][0] != 1 {
			t.Fatal("first pair marked but its value is not 1.0")
		}
		want := ex.Inputs[marked[0]][0] * ex.Inputs[marked[1]][0]
		if got := ex.Targets[len(ex.Inputs)-1][0]; got != want {
			t.Fatalf("target %v, want X1·X2 = %v", got, want)
		}
	}
}

func TestTemporalOrder(t *testing.T) {
	rng := rand.New(datasets.NewSource(7))
	for _, three := range []bool{false, true} {
		o := datasets.TemporalOrder{Three: three}
		k := 4
		ranges := [][2]int{{10, 20}, {50, 60}}
		if three {
			k, ranges = 8, [][2]int{{10, 20}, {33, 43}, {66, 76}}
		}
		classes := make([]int, k)
		for i := 0; i < 4000; i++ {
			ex, err := o.Sample(rng)
			if err != nil {
				t.Fatal(err)
			}
			L := len(ex.Inputs)
			if L < 100 || L > 110 || argmax(ex.Inputs[0]) != 0 || argmax(ex.Inputs[L-1]) != 1 {
				t.Fatalf("length %d or E/B misplaced", L)
			}
			class, found := 0, 0
			for p := 1; p < L-1; p++ {
				s := argmax(ex.Inputs[p])
				if s < 2 {
					t.Fatalf("E or B inside the sequence at %d", p)
				}
				if s >= 6 {
					r := ranges[found]
					if p < r[0] || p > r[1] {
						t.Fatalf("X/Y at %d outside %v", p, r)
					}
					class = 2*class + s - 6
					found++
				}
			}
			if found != len(ranges) || class != ex.Class || argmax(ex.Targets[L-1]) != class || len(ex.Targets[L-1]) != k {
				t.Fatalf("found %d relevant symbols, class %d vs %d", found, class, ex.Class)
			}
			classes[class]++
		}
		for c, n := range classes {
			if want := 4000 / k; math.Abs(float64(n-want)) > 5*math.Sqrt(float64(want)) {
				t.Errorf("three=%v: class %d drawn %d times, want about %d", three, c, n, want)
			}
		}
	}
}

func TestGeneratorsAreDeterministic(t *testing.T) {
	type sampler interface {
		Sample(*rand.Rand) (datasets.Example, error)
	}
	for _, g := range []sampler{datasets.LongLag{P: 10, Random: true}, datasets.VeryLongLag{P: 10, Q: 10},
		datasets.TwoSequence{T: 20, N: 1}, datasets.Multiplication{T: 20}, datasets.TemporalOrder{Three: true}} {
		a, _ := g.Sample(rand.New(datasets.NewSource(9)))
		b, _ := g.Sample(rand.New(datasets.NewSource(9)))
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%T: same seed, different sequences", g)
		}
	}
}
