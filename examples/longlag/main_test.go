package main

import (
	"testing"

	"github.com/lstm97/lstm97/internal/smoke"
)

// TestSmoke runs a few hundred sequences and checks the final JSON line.
func TestSmoke(t *testing.T) {
	smoke.Trial(t, "-exp 2b -p 10 -max 300 -every 100 -progress 0", "2a", "2b")
}
