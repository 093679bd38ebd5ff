package sweep

import "sort"

// Makespan returns the wall time of running jobs of the given durations on cores cores, one job
// per core at a time, longest first: each job in turn goes to the core that becomes free first
// (Graham's LPT rule, within 4/3 of the best schedule). It also returns the lower bound no
// schedule can beat: the longest job, or the total divided among the cores, whichever is larger.
// Durations are in any unit; the result is in the same. cores < 1 counts as 1.
func Makespan(durations []float64, cores int) (span, bound float64) {
	cores = max(cores, 1)
	d := append([]float64(nil), durations...)
	sort.Sort(sort.Reverse(sort.Float64Slice(d)))
	total := 0.0
	for _, x := range d {
		total += x
	}
	if len(d) > 0 {
		bound = max(d[0], total/float64(cores))
	}
	load := make([]float64, min(cores, len(d)))
	for _, x := range d {
		free := 0
		for c := range load {
			if load[c] < load[free] {
				free = c
			}
		}
		load[free] += x
	}
	for _, l := range load {
		span = max(span, l)
	}
	return span, bound
}
