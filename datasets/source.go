package datasets

import (
	randv2 "math/rand/v2"
)

// Source is a seeded source of random numbers for math/rand whose state can be saved and
// restored (MarshalBinary / UnmarshalBinary), so that a training run resumed from a checkpoint
// draws exactly the sequences an uninterrupted run would. It is a PCG generator. Use it as
// rand.New(datasets.NewSource(seed)); do not call the Rand's Read method, which buffers.
type Source struct{ pcg *randv2.PCG }

// NewSource returns a Source seeded with seed.
func NewSource(seed int64) *Source {
	return &Source{pcg: randv2.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)}
}

// Int63 returns a non-negative pseudo-random 63-bit integer.
func (s *Source) Int63() int64 { return int64(s.pcg.Uint64() >> 1) }

// Uint64 returns a pseudo-random 64-bit integer.
func (s *Source) Uint64() uint64 { return s.pcg.Uint64() }

// Seed reseeds the source.
func (s *Source) Seed(seed int64) { s.pcg.Seed(uint64(seed), 0x9e3779b97f4a7c15) }

// MarshalBinary returns the source's state.
func (s *Source) MarshalBinary() ([]byte, error) { return s.pcg.MarshalBinary() }

// UnmarshalBinary restores a state returned by MarshalBinary.
func (s *Source) UnmarshalBinary(b []byte) error { return s.pcg.UnmarshalBinary(b) }
