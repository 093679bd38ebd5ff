package main

import (
	"testing"

	"github.com/lstm97/lstm97/internal/smoke"
)

// TestSmoke runs a few hundred sequences and checks the final JSON line.
func TestSmoke(t *testing.T) { smoke.Trial(t, "-exp 6b -max 300 -progress 0", "6a", "6b") }
