package datasets

import (
	"encoding/json"
	"math/rand"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/pkg/errors"
)

// Vocabulary maps the characters of a text to symbol indices 0..Size()-1, in rune order.
type Vocabulary struct {
	runes []rune
	index map[rune]int
}

// NewVocabulary returns the vocabulary of the distinct characters of text. The text must be
// valid UTF-8 and not empty.
func NewVocabulary(text string) (*Vocabulary, error) {
	if text == "" {
		return nil, errors.New("datasets: vocabulary: empty text")
	}
	if !utf8.ValidString(text) {
		return nil, errors.New("datasets: vocabulary: text is not valid UTF-8")
	}
	v := &Vocabulary{index: map[rune]int{}}
	for _, r := range text {
		if _, ok := v.index[r]; !ok {
			v.index[r] = 0
			v.runes = append(v.runes, r)
		}
	}
	sort.Slice(v.runes, func(i, j int) bool { return v.runes[i] < v.runes[j] })
	for i, r := range v.runes {
		v.index[r] = i
	}
	return v, nil
}

// Size is the number of symbols.
func (v *Vocabulary) Size() int { return len(v.runes) }

// Encode returns the symbol index of every character of s. A character outside the vocabulary
// is an error naming it and its position.
func (v *Vocabulary) Encode(s string) ([]int, error) {
	out := make([]int, 0, len(s))
	pos := 0
	for _, r := range s {
		i, ok := v.index[r]
		if !ok {
			return nil, errors.Errorf("datasets: encode: character %q at position %d is not in the vocabulary", r, pos)
		}
		out = append(out, i)
		pos++
	}
	return out, nil
}

// Decode returns the text of the symbol indices. An index out of range is an error naming its
// position.
func (v *Vocabulary) Decode(idx []int) (string, error) {
	var sb strings.Builder
	for pos, i := range idx {
		if i < 0 || i >= len(v.runes) {
			return "", errors.Errorf("datasets: decode: index %d at position %d outside [0, %d)", i, pos, len(v.runes))
		}
		sb.WriteRune(v.runes[i])
	}
	return sb.String(), nil
}

// Streams cuts a text (as symbol indices) into B parallel streams and serves them in chunks,
// for training a language model with the state carried from one chunk to the next (truncated
// backpropagation through time at chunk boundaries). Stream b is the b-th of B equal
// contiguous parts of the text, starting at a random offset each epoch. Each call of Next
// gives one chunk per stream: a Sequence whose input at step t is the symbol at position p+t
// and whose label is the symbol at p+t+1 (the next character). Chunk lengths are drawn
// uniformly from [MinLen, MaxLen] for every stream and call, so the chunks of one batch have
// different lengths; each stream advances by its own chunk's length. For a checkpoint, a
// Streams marshals to JSON where it is in the text (MarshalJSON); with the state of its random
// source (a Source) saved beside it, a resumed run serves the same chunks.
type Streams struct {
	text           []int
	alphabet       int
	b              int
	minLen, maxLen int
	rng            *rand.Rand
	pos, end       []int
	fresh          bool // the streams were (re)started and no chunk has been served since
}

// NewStreams returns B streams over text (symbol indices in [0, alphabet)) with chunk lengths
// in [minLen, maxLen], drawn from rng. Every stream must hold at least maxLen+1 symbols.
func NewStreams(text []int, alphabet, B, minLen, maxLen int, rng *rand.Rand) (*Streams, error) {
	switch {
	case rng == nil:
		return nil, errors.New("datasets: streams: nil random source")
	case B <= 0:
		return nil, errors.Errorf("datasets: streams: %d streams, want at least 1", B)
	case minLen <= 0 || maxLen < minLen:
		return nil, errors.Errorf("datasets: streams: chunk lengths [%d, %d]: want 1 <= min <= max", minLen, maxLen)
	case alphabet <= 0:
		return nil, errors.Errorf("datasets: streams: alphabet of %d symbols", alphabet)
	case len(text)/B < maxLen+1:
		return nil, errors.Errorf("datasets: streams: a text of %d symbols gives streams of %d, want at least %d (max chunk length + 1)", len(text), len(text)/B, maxLen+1)
	}
	for i, s := range text {
		if s < 0 || s >= alphabet {
			return nil, errors.Errorf("datasets: streams: symbol %d at position %d outside [0, %d)", s, i, alphabet)
		}
	}
	st := &Streams{text: text, alphabet: alphabet, b: B, minLen: minLen, maxLen: maxLen, rng: rng,
		pos: make([]int, B), end: make([]int, B)}
	st.restart()
	return st, nil
}

// restart begins an epoch: B equal parts of the text, shifted by a random offset.
func (st *Streams) restart() {
	n := len(st.text) / st.b
	off := st.rng.Intn(len(st.text) - n*st.b + 1)
	for b := range st.pos {
		st.pos[b] = off + b*n
		st.end[b] = off + (b+1)*n
	}
	st.fresh = true
}

// Next returns one chunk per stream and whether the chunks continue the previous call's (false
// at the start of an epoch: the carried state must then be reset).
func (st *Streams) Next() (seqs []Sequence, continued bool) {
	lens := make([]int, st.b)
	short := false // a stream is too short for its chunk: begin the next epoch
	for b := range lens {
		lens[b] = st.minLen + st.rng.Intn(st.maxLen-st.minLen+1)
		short = short || st.pos[b]+lens[b]+1 > st.end[b]
	}
	if short {
		st.restart()
	}
	continued, st.fresh = !st.fresh, false
	seqs = make([]Sequence, st.b)
	for b, n := range lens {
		p := st.pos[b]
		seqs[b] = Sequence{
			Symbols:  append([]int(nil), st.text[p:p+n]...),
			Alphabet: st.alphabet,
			Labels:   append([]int(nil), st.text[p+1:p+n+1]...),
			Classes:  st.alphabet,
		}
		st.pos[b] += n
	}
	return seqs, continued
}

// streamsState is what a Streams keeps between calls besides its random source.
type streamsState struct {
	Pos   []int `json:"pos"`
	End   []int `json:"end"`
	Fresh bool  `json:"fresh"`
}

// MarshalJSON gives where the streams are in their text: each stream's position and end, and
// whether the next chunks begin an epoch.
func (st *Streams) MarshalJSON() ([]byte, error) {
	return json.Marshal(streamsState{Pos: st.pos, End: st.end, Fresh: st.fresh})
}

// UnmarshalJSON restores what MarshalJSON gave into streams made by NewStreams over the same
// text with the same number of streams; anything else is an error, and st is left unchanged.
func (st *Streams) UnmarshalJSON(b []byte) error {
	var s streamsState
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.Wrap(err, "datasets: streams")
	}
	if len(s.Pos) != st.b || len(s.End) != st.b {
		return errors.Errorf("datasets: streams: a state of %d streams for %d", len(s.Pos), st.b)
	}
	for b := range s.Pos {
		if s.Pos[b] < 0 || s.Pos[b] > s.End[b] || s.End[b] > len(st.text) {
			return errors.Errorf("datasets: streams: stream %d at %d of [0, %d], a text of %d symbols", b, s.Pos[b], s.End[b], len(st.text))
		}
	}
	st.pos, st.end, st.fresh = append([]int(nil), s.Pos...), append([]int(nil), s.End...), s.Fresh
	return nil
}
