package gemm

import (
	"runtime/debug"
	"syscall"
	"testing"
	"unsafe"
)

func init() { guardedBytes = mapGuarded }

// mapGuarded maps n bytes right before a page that faults on any access, so that a tile that
// read a value past the end of an operand placed last in them would crash the test.
func mapGuarded(t *testing.T, n int) []byte {
	page := syscall.Getpagesize()
	size := (n+page-1)/page*page + page
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := syscall.Munmap(mem); err != nil {
			t.Error(err)
		}
	})
	if err := syscall.Mprotect(mem[size-page:], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	return mem[size-page-n : size-page : size-page]
}

// TestGuardFaults checks that the guard is there: reading the byte after the bytes faults.
func TestGuardFaults(t *testing.T) {
	b := mapGuarded(t, 64)
	_ = b[len(b)-1] // the last byte reads
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if recover() == nil {
			t.Error("read past the guarded bytes: no fault")
		}
	}()
	after := *(*byte)(unsafe.Add(unsafe.Pointer(&b[len(b)-1]), 1))
	t.Errorf("read %d past the guarded bytes", after)
}
