// Package readme holds the tests that keep the repository's README true: its Go code is
// quoted, line for line, from Example functions that run with go test, and its summary table
// is the one the recorded results give. It has no code of its own.
package readme
