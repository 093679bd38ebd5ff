package gemm

import (
	"math"
	"math/rand"
	"testing"
)

// naive is the definition of Op written out element by element, independently of ref.
func naive[F Float](op Op, c, a, d []F) {
	for i := 0; i < op.M; i++ {
		for j := 0; j < op.N; j++ {
			s := c[op.C0+i*op.LDC+j]
			for o := 0; o < op.Outer; o++ {
				for k := 0; k < op.Inner; k++ {
					p := a[op.A0+i*op.ARow+o*op.AOuter+k*op.AInner] * d[op.D0+o*op.DOuter+k*op.DInner+j]
					s += p
				}
			}
			c[op.C0+i*op.LDC+j] = s
		}
	}
}

// cases are ops of the kernel's kinds: a forward projection, a recurrent step over the batch,
// and a reverse sweep over time (negative outer strides), in sizes with and without tails.
func cases() []struct {
	name string
	op   Op
} {
	var out []struct {
		name string
		op   Op
	}
	add := func(name string, op Op) {
		out = append(out, struct {
			name string
			op   Op
		}{name, op})
	}
	for _, mn := range [][3]int{{1, 8, 7}, {4, 8, 7}, {5, 19, 7}, {32, 192, 7}, {3, 16, 7}, {9, 40, 7}, {2, 3, 7}, {6, 56, 300}, {5, 33, 129}, {4, 24, 9}, {1, 57, 7}, {70, 40, 33}, {66, 97, 140}} {
		m, n, k := mn[0], mn[1], mn[2]
		// c [m][n+2] (ldc n+2), a [m][k] rows, d [k][n]
		add("projection", Op{M: m, N: n, Inner: k, Outer: 1, LDC: n + 2, ARow: k, AInner: 1, DInner: n})
		// reverse sweep: a(i, o, k) = x[(T-1-o)·B + k][i], d(o, k) = dnet[(T-1-o)·B + k], T = 4, B = 3
		T, B := 4+k/7, 3+k%5
		add("reverse", Op{M: m, N: n, Inner: B, Outer: T, LDC: n,
			A0: (T - 1) * B * m, ARow: 1, AInner: m, AOuter: -B * m,
			D0: (T - 1) * B * n, DInner: n, DOuter: -B * n})
	}
	return out
}

func sizes(op Op) (nc, na, nd int) {
	ext := func(base, ni, si, nj, sj, nk, sk int) int {
		_, hi := extent(base, ni, si, nj, sj, nk, sk)
		return hi + 1
	}
	return ext(op.C0, op.M, op.LDC, op.N, 1, 1, 0),
		ext(op.A0, op.M, op.ARow, op.Outer, op.AOuter, op.Inner, op.AInner),
		ext(op.D0, op.Outer, op.DOuter, op.Inner, op.DInner, op.N, 1)
}

func random[F Float](rng *rand.Rand, n int) []F {
	v := make([]F, n)
	for i := range v {
		v[i] = F(rng.NormFloat64())
		if rng.Intn(5) == 0 {
			v[i] = 0 // the one-hot inputs' zeros
		}
	}
	return v
}

func testAcc[F Float](t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, tc := range cases() {
		for _, split := range []int{1, 2, 3} {
			nc, na, nd := sizes(tc.op)
			c, a, d := random[F](rng, nc), random[F](rng, na), random[F](rng, nd)
			want := append([]F(nil), c...)
			naive(tc.op, want, a, d)
			got := append([]F(nil), c...)
			// rows split among "goroutines" as the kernel does
			step := (tc.op.M + split - 1) / split
			for lo := 0; lo < tc.op.M; lo += step {
				Acc(tc.op, got, a, d, lo, lo+step)
			}
			for i := range want {
				if math.Float64bits(float64(got[i])) != math.Float64bits(float64(want[i])) {
					t.Fatalf("%s %dx%d split %d: value %d is %v, the plain loop gives %v", tc.name, tc.op.M, tc.op.N, split, i, got[i], want[i])
				}
			}
		}
	}
}

func TestAccIsThePlainLoopBitForBit64(t *testing.T) { testAcc[float64](t) }
func TestAccIsThePlainLoopBitForBit32(t *testing.T) { testAcc[float32](t) }

func TestOutOfRangeIsCaught(t *testing.T) {
	op := Op{M: 4, N: 8, Inner: 3, Outer: 1, LDC: 8, ARow: 3, AInner: 1, DInner: 8}
	nc, na, nd := sizes(op)
	for _, tc := range []struct {
		name    string
		c, a, d int
	}{{"C", nc - 1, na, nd}, {"A", nc, na - 1, nd}, {"D", nc, na, nd - 1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s one value short: no panic", tc.name)
				}
			}()
			Acc(op, make([]float64, tc.c), make([]float64, tc.a), make([]float64, tc.d), 0, op.M)
		}()
	}
}

func benchAcc[F Float](b *testing.B, m, n, k int) {
	rng := rand.New(rand.NewSource(1))
	op := Op{M: m, N: n, Inner: k, Outer: 1, LDC: n, ARow: k, AInner: 1, DInner: n}
	c, a, d := random[F](rng, m*n), random[F](rng, m*k), random[F](rng, k*n)
	for b.Loop() {
		Acc(op, c, a, d, 0, m)
	}
	b.ReportMetric(float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gmuladd/s")
}

func benchRef[F Float](b *testing.B, m, n, k int) {
	rng := rand.New(rand.NewSource(1))
	op := Op{M: m, N: n, Inner: k, Outer: 1, LDC: n, ARow: k, AInner: 1, DInner: n}
	c, a, d := random[F](rng, m*n), random[F](rng, m*k), random[F](rng, k*n)
	for b.Loop() {
		ref(&op, c, a, d, 0, m, 0, n)
	}
	b.ReportMetric(float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gmuladd/s")
}

// The recurrent step of the 64-block net (batch 32, 192 units fed by 192) and the adding net's.
func BenchmarkStep64Blocks(b *testing.B)        { benchAcc[float64](b, 32, 192, 192) }
func BenchmarkStep64BlocksFloat32(b *testing.B) { benchAcc[float32](b, 32, 192, 192) }
func BenchmarkStep64BlocksLoop(b *testing.B)    { benchRef[float64](b, 32, 192, 192) }
func BenchmarkStepAdding(b *testing.B)          { benchAcc[float64](b, 32, 8, 8) }
func BenchmarkStepAddingLoop(b *testing.B)      { benchRef[float64](b, 32, 8, 8) }

// benchSweep is a weight gradient's product of the reverse sweep (gradH of the kernel): M
// recurrent units by N units over T steps of B rows, A the activations [T·B][N].
func benchSweep[F Float](b *testing.B, units, T, B int) {
	rng := rand.New(rand.NewSource(1))
	op := Op{M: units, N: units, Inner: B, Outer: T, LDC: units,
		A0: (T - 1) * B * units, ARow: 1, AInner: units, AOuter: -B * units,
		D0: (T - 1) * B * units, DInner: units, DOuter: -B * units}
	c, a, d := random[F](rng, units*units), random[F](rng, T*B*units), random[F](rng, T*B*units)
	for b.Loop() {
		Acc(op, c, a, d, 0, units)
	}
	b.ReportMetric(float64(units*units*T*B)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gmuladd/s")
}

func BenchmarkSweep192(b *testing.B)      { benchSweep[float64](b, 192, 50, 32) }
func BenchmarkSweep768(b *testing.B)      { benchSweep[float64](b, 768, 50, 32) }
func BenchmarkStep256Blocks(b *testing.B) { benchAcc[float64](b, 32, 768, 768) }
