package main

import (
	"testing"

	"github.com/lstm97/lstm97/internal/paper"
)

// TestSmoke runs a few hundred sequences and checks the final JSON line.
func TestSmoke(t *testing.T) { paper.Smoke(t, "-T 20 -max 300 -progress 0", "5") }
