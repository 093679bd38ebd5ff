//go:build !amd64

package vmath

import "testing"

// eachKernel runs f with the Go version if withGo: there are no assembly kernels here.
func eachKernel(t *testing.T, withGo bool, f func(t *testing.T)) {
	if withGo {
		t.Run("Go", f)
	}
}
