package datasets_test

import (
	"fmt"
	"math/rand"

	"github.com/lstm97/lstm97/datasets"
)

// ExampleReber draws a string of the embedded Reber grammar (Exp. 1) and lists, after each
// input symbol, the legal next symbols that the success criterion checks; the step before last
// has a single one, the T or P remembered from the second step.
func ExampleReber() {
	r := datasets.Reber{Embedded: true}
	s := r.String(rand.New(rand.NewSource(10)))
	ex, err := r.Example(s)
	if err != nil {
		panic(err)
	}
	fmt.Println(datasets.Symbols(s), r.Accepts(s))
	for t, legal := range ex.Legal {
		next := ""
		for k, ok := range legal {
			if ok {
				next += string(datasets.ReberSymbols[k])
			}
		}
		fmt.Printf("%c→%s ", datasets.ReberSymbols[s[t]], next)
	}
	fmt.Println()
	// Output:
	// BTBPVPXVVETE true
	// B→TP T→B B→TP P→TV V→PV P→SX X→TV V→PV V→E E→T T→E
}

// ExampleAdding draws a sequence of the adding problem (Exp. 4): pairs of a value in [-1, 1]
// and a marker; the target at the last step is 0.5 + (X1 + X2)/4 for the two marked values.
func ExampleAdding() {
	seq, err := datasets.Adding{T: 10}.Sample(rand.New(rand.NewSource(1)))
	if err != nil {
		panic(err)
	}
	var sum float64
	for t, x := range seq.Inputs {
		if x[1] == 1 {
			fmt.Printf("step %d marked: %.3f\n", t, x[0])
			sum += x[0]
		}
	}
	last := seq.Targets[len(seq.Targets)-1][0]
	fmt.Printf("length %d, target %.3f = 0.5 + %.3f/4: %v\n", len(seq.Inputs), last, sum,
		last == datasets.AddingTarget(sum, 0))
	// Output:
	// step 1 marked: 0.329
	// step 2 marked: -0.125
	// length 11, target 0.551 = 0.5 + 0.205/4: true
}

// Streams serve a text in chunks of varied length, each stream continuing where its previous
// chunk ended, for a language model that carries its state from chunk to chunk.
func ExampleStreams() {
	text := "the cat sat on the mat. the dog sat on the log. "
	vocab, _ := datasets.NewVocabulary(text)
	symbols, _ := vocab.Encode(text)
	st, _ := datasets.NewStreams(symbols, vocab.Size(), 2, 4, 8, rand.New(rand.NewSource(1)))
	for i := 0; i < 3; i++ {
		chunks, continued := st.Next()
		for b, c := range chunks {
			in, _ := vocab.Decode(c.Symbols)
			next, _ := vocab.Decode(c.Labels)
			fmt.Printf("call %d stream %d (continued %v): %q -> %q\n", i, b, continued, in, next)
		}
	}
	// Output:
	// call 0 stream 0 (continued false): "the ca" -> "he cat"
	// call 0 stream 1 (continued false): "the do" -> "he dog"
	// call 1 stream 0 (continued true): "t sat on" -> " sat on "
	// call 1 stream 1 (continued true): "g sat" -> " sat "
	// call 2 stream 0 (continued true): " the ma" -> "the mat"
	// call 2 stream 1 (continued true): " on " -> "on t"
}
