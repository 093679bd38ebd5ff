package train

import (
	"testing"

	"github.com/lstm97/lstm97/graph"
)

// TestShapeKeys: the program cache tells shapes apart by their key, so two shapes may share a
// key only if they are equal; sameShape tells them apart too.
func TestShapeKeys(t *testing.T) {
	shapes := []graph.Shape{
		{T: 12, B: 3, In: 4, Out: 5},
		{T: 1, B: 23, In: 4, Out: 5},
		{T: 12, B: 3, In: 4, Out: 5, OneHot: true},
		{T: 12, B: 3, In: 4, Out: 5, Labels: true},
		{T: 12, B: 3, In: 4, Out: 5, OneHot: true, Labels: true},
		{T: 12, B: 3, In: 4, Out: 5, TargetSteps: []int{11}},
		{T: 12, B: 3, In: 4, Out: 5, TargetSteps: []int{1, 1}},
		{T: 12, B: 3, In: 4, Out: 5, TargetSteps: []int{11, 1}},
		{T: 12, B: 3, In: 4, Out: 5, TargetSteps: []int{1, 11}},
		{T: 12, B: 3, In: 4, Out: 5, TargetSteps: []int{0, 1, 2}},
		{T: 12, B: 3, In: 4, Out: 5, TargetSteps: []int{0, 1, 2, 3}},
		{T: 12, B: 3, In: 4, Out: 5, TargetSteps: []int{0, 2}},
		{T: 12, B: 3, In: 4, Out: 5, TargetSteps: []int{0, 1}},
		{T: 12, B: 3, In: 4, Out: 5, TargetSteps: []int{2, 3, 4, 7}},
		{T: 12, B: 3, In: 4, Out: 5, TargetSteps: []int{2, 3, 4, 7, 8}},
		{T: 12, B: 3, In: 4, Out: 5, TargetSteps: []int{2, 3, 47}},
		{T: 12, B: 3, In: 4, Out: 5, TargetSteps: []int{23, 4, 7}},
		{T: 12, B: 3, In: 4, Out: 5, TargetSteps: []int{2, 34, 7}},
		{T: 12, B: 3, In: 4, Out: 5, TargetSteps: []int{1, 2, 1, 2}},
		{T: 12, B: 3, In: 4, Out: 5, TargetSteps: []int{1, 2, 2}},
		{T: 12, B: 3, In: 45, Out: 0},
		{T: 12, B: 3, In: 4, Out: 50},
	}
	for i, a := range shapes { // sameShape, the trainer's shortcut past the keys, agrees
		for j, b := range shapes {
			if got := sameShape(a, b); got != (i == j) {
				t.Errorf("sameShape(%+v, %+v) = %v", a, b, got)
			}
		}
	}
	seen := map[string]int{}
	for i, s := range shapes {
		k := string(appendKey(nil, s))
		if j, ok := seen[k]; ok {
			t.Errorf("shapes %d %+v and %d %+v share the key %q", j, shapes[j], i, s, k)
		}
		seen[k] = i
		again := s
		again.TargetSteps = append([]int(nil), s.TargetSteps...)
		if k2 := string(appendKey(make([]byte, 0, 1), again)); k2 != k {
			t.Errorf("shape %+v: key %q, then %q", s, k, k2)
		}
	}
}

// TestStageRows: the rows of a batch are staged one after the other, row t·B + b at
// (t·B + b)·n, for rows copied by a loop (up to 16 values) and by copy (wider ones), and
// nothing is written past them.
func TestStageRows(t *testing.T) {
	for _, n := range []int{1, 2, 7, 16, 17, 40} {
		const T, B = 3, 2
		rows := make([][][]float64, T)
		var want []float64
		for s := range rows {
			rows[s] = make([][]float64, B)
			for b := range rows[s] {
				for j := 0; j < n; j++ {
					rows[s][b] = append(rows[s][b], float64(1000*s+100*b+j))
				}
				want = append(want, rows[s][b]...)
			}
		}
		x := make([]float64, len(want)+3)
		for i := range x {
			x[i] = -1
		}
		stageRows(x, rows, n)
		for i, v := range x {
			w := -1.0
			if i < len(want) {
				w = want[i]
			}
			if v != w {
				t.Errorf("rows of %d: x[%d] = %v, want %v", n, i, v, w)
				break
			}
		}
	}
}
