package train

import (
	"testing"

	"github.com/lstm97/lstm97/graph"
)

// TestShapeKeys: the program cache tells shapes apart by their key, so two shapes may share a
// key only if they are equal.
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
		{T: 12, B: 3, In: 45, Out: 0},
		{T: 12, B: 3, In: 4, Out: 50},
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
