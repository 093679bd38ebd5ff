//go:build !amd64

package gemm

func acc64(op *Op, c, a, d []float64, lo, hi int) { ref(op, c, a, d, lo, hi, 0, op.N) }
func acc32(op *Op, c, a, d []float32, lo, hi int) { ref(op, c, a, d, lo, hi, 0, op.N) }
