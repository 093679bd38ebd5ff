package datasets_test

import (
	"encoding/json"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/lstm97/lstm97/datasets"
)

func TestVocabularyRoundTrip(t *testing.T) {
	text := "héllo, wörld\n"
	v, err := datasets.NewVocabulary(text)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v.Size(), len(map[rune]bool{'h': true, 'é': true, 'l': true, 'o': true, ',': true, ' ': true, 'w': true, 'ö': true, 'r': true, 'd': true, '\n': true}); got != want {
		t.Errorf("size %d, want %d", got, want)
	}
	idx, err := v.Encode(text)
	if err != nil {
		t.Fatal(err)
	}
	if len(idx) != len([]rune(text)) {
		t.Errorf("%d indices for %d characters", len(idx), len([]rune(text)))
	}
	back, err := v.Decode(idx)
	if err != nil || back != text {
		t.Errorf("decode: %q, %v; want %q", back, err, text)
	}
}

func TestVocabularyErrors(t *testing.T) {
	v, err := datasets.NewVocabulary("abc")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		err  func() error
		want string
	}{
		{"empty text", func() error { _, err := datasets.NewVocabulary(""); return err }, "empty text"},
		{"invalid UTF-8", func() error { _, err := datasets.NewVocabulary("a\xffb"); return err }, "not valid UTF-8"},
		{"unknown character", func() error { _, err := v.Encode("abd"); return err }, `character 'd' at position 2`},
		{"index out of range", func() error { _, err := v.Decode([]int{0, 3}); return err }, "index 3 at position 1"},
		{"negative index", func() error { _, err := v.Decode([]int{-1}); return err }, "index -1 at position 0"},
		{"nil rng", func() error { _, err := datasets.NewStreams(make([]int, 100), 3, 2, 4, 8, nil); return err }, "nil random source"},
		{"no streams", func() error {
			_, err := datasets.NewStreams(make([]int, 100), 3, 0, 4, 8, rand.New(rand.NewSource(1)))
			return err
		}, "0 streams"},
		{"bad lengths", func() error {
			_, err := datasets.NewStreams(make([]int, 100), 3, 2, 9, 8, rand.New(rand.NewSource(1)))
			return err
		}, "chunk lengths [9, 8]"},
		{"text too short", func() error {
			_, err := datasets.NewStreams(make([]int, 17), 3, 2, 4, 8, rand.New(rand.NewSource(1)))
			return err
		}, "streams of 8, want at least 9"},
		{"symbol out of range", func() error {
			_, err := datasets.NewStreams([]int{0, 1, 5, 0, 0, 0}, 3, 1, 1, 2, rand.New(rand.NewSource(1)))
			return err
		}, "symbol 5 at position 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.err()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestStreams checks that every chunk's labels are its inputs shifted by one, that each stream
// continues where its previous chunk ended (within an epoch), and that the first call and
// the first call of each epoch do not continue.
func TestStreams(t *testing.T) {
	const n, B, minLen, maxLen = 400, 3, 5, 11
	text := make([]int, n)
	for i := range text {
		text[i] = i // the symbol is its position: continuity is easy to check
	}
	st, err := datasets.NewStreams(text, n, B, minLen, maxLen, rand.New(rand.NewSource(7)))
	if err != nil {
		t.Fatal(err)
	}
	next := make([]int, B) // where each stream's next chunk must start
	epochs, lengths := 0, map[int]bool{}
	for call := 0; call < 200; call++ {
		seqs, cont := st.Next()
		if call == 0 && cont {
			t.Fatal("the first chunks continue nothing, but Next says they do")
		}
		if !cont {
			epochs++
		}
		for b, s := range seqs {
			if s.Len() < minLen || s.Len() > maxLen {
				t.Fatalf("call %d stream %d: length %d outside [%d, %d]", call, b, s.Len(), minLen, maxLen)
			}
			lengths[s.Len()] = true
			for i, x := range s.Symbols {
				if s.Labels[i] != x+1 {
					t.Fatalf("call %d stream %d step %d: input %d, label %d", call, b, i, x, s.Labels[i])
				}
			}
			if cont && s.Symbols[0] != next[b] {
				t.Fatalf("call %d stream %d starts at %d, the previous chunk ended before %d", call, b, s.Symbols[0], next[b])
			}
			next[b] = s.Symbols[s.Len()-1] + 1
		}
	}
	if epochs < 2 {
		t.Errorf("%d epochs in 200 calls over %d symbols: the streams never restarted", epochs, n)
	}
	if len(lengths) < 3 {
		t.Errorf("chunk lengths %v: want varied lengths", lengths)
	}
	// Same seed, same chunks.
	a, _ := datasets.NewStreams(text, n, B, minLen, maxLen, rand.New(rand.NewSource(3)))
	b, _ := datasets.NewStreams(text, n, B, minLen, maxLen, rand.New(rand.NewSource(3)))
	for i := 0; i < 50; i++ {
		sa, ca := a.Next()
		sb, cb := b.Next()
		if ca != cb || !reflect.DeepEqual(sa, sb) {
			t.Fatalf("call %d: same seed, different chunks", i)
		}
	}
}

// TestStreamsResume: streams restored from their JSON and their source's state serve the same
// chunks as streams that never stopped (also across epochs); a state for other streams is
// refused.
func TestStreamsResume(t *testing.T) {
	text := make([]int, 300)
	for i := range text {
		text[i] = i % 7
	}
	src := datasets.NewSource(5)
	st, err := datasets.NewStreams(text, 7, 3, 4, 9, rand.New(src))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 13; i++ {
		st.Next()
	}
	js, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := src.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	// As a resumed run does it: new streams, then the source's and the streams' states.
	src2 := datasets.NewSource(99)
	resumed, err := datasets.NewStreams(text, 7, 3, 4, 9, rand.New(src2))
	if err != nil {
		t.Fatal(err)
	}
	if err := src2.UnmarshalBinary(rs); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js, resumed); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		a, ca := st.Next()
		b, cb := resumed.Next()
		if ca != cb || !reflect.DeepEqual(a, b) {
			t.Fatalf("call %d after resuming: different chunks", i)
		}
	}
	other, _ := datasets.NewStreams(text, 7, 2, 4, 9, rand.New(rand.NewSource(1)))
	if err := json.Unmarshal(js, other); err == nil || !strings.Contains(err.Error(), "a state of 3 streams for 2") {
		t.Errorf("a state of 3 streams into 2: %v", err)
	}
}
