package main

import (
	"testing"

	"github.com/lstm97/lstm97/internal/smoke"
)

// TestSmoke runs a few hundred sequences and checks the final JSON line.
func TestSmoke(t *testing.T) {
	smoke.Trial(t, "-exp 3c -T 20 -max 300 -every 100 -progress 0", "3a", "3b", "3c")
}
