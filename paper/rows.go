package paper

import "github.com/lstm97/lstm97/datasets"

// Reported is what the paper reports for a row of its Tables 1-9.
type Reported struct {
	Table     string
	Sequences float64 // mean sequences until success
	Wrong     string  // wrong test predictions, as printed
	Success   float64 // fraction of successful trials (1 = 100 %)
	Trials    int
	Note      string
}

// Row is a row of the reproduction: a name, an experiment and the variant that selects the row.
type Row struct {
	Name    string
	ID      string
	Variant Variant
}

// Rows are the LSTM rows of the paper's Tables 1-9, in the paper's order, each followed by our
// diagnostic variants of it (not the paper's: a full gradient, a linear output unit, gradient
// clipping, an h' offset, ...; see Variant). The rows of Exps. 1, 2a and 2b come twice: with
// the weights changed once per sequence, and at every step (Variant.PerStep), the two readings
// of the paper's on-line learning. Lookup(r.ID, r.Variant) gives a row's spec and the paper's
// figure for it.
var Rows = []Row{
	{"1: 4 blocks of 1, α=0.1", "1", Variant{Blocks: 4, LR: 0.1}},
	{"1: 3 blocks of 2, α=0.1", "1", Variant{Blocks: 3, LR: 0.1}},
	{"1: 3 blocks of 2, α=0.2", "1", Variant{Blocks: 3, LR: 0.2}},
	{"1: 4 blocks of 1, α=0.5", "1", Variant{Blocks: 4, LR: 0.5}},
	{"1: 3 blocks of 2, α=0.5", "1", Variant{Blocks: 3, LR: 0.5}},
	{"1: 3 blocks of 2, α=0.5, full gradient", "1", Variant{Blocks: 3, LR: 0.5, FullGradient: true}},
	{"1: 3 blocks of 2, α=0.5, recall step only", "1", Variant{Blocks: 3, LR: 0.5, ReberSteps: datasets.ReberRecall}},
	{"1: 3 blocks of 2, α=0.5, local steps only", "1", Variant{Blocks: 3, LR: 0.5, ReberSteps: datasets.ReberLocal}},
	{"1: 4 blocks of 1, α=0.1, per-step updates", "1", Variant{Blocks: 4, LR: 0.1, PerStep: true}},
	{"1: 3 blocks of 2, α=0.1, per-step updates", "1", Variant{Blocks: 3, LR: 0.1, PerStep: true}},
	{"1: 3 blocks of 2, α=0.2, per-step updates", "1", Variant{Blocks: 3, LR: 0.2, PerStep: true}},
	{"1: 4 blocks of 1, α=0.5, per-step updates", "1", Variant{Blocks: 4, LR: 0.5, PerStep: true}},
	{"1: 3 blocks of 2, α=0.5, per-step updates", "1", Variant{Blocks: 3, LR: 0.5, PerStep: true}},
	{"2a: p=100", "2a", Variant{P: 100}},
	{"2a: p=100, per-step updates", "2a", Variant{P: 100, PerStep: true}},
	{"2b: p=100", "2b", Variant{P: 100}},
	{"2b: p=100, per-step updates", "2b", Variant{P: 100, PerStep: true}},
	{"2c: q=50, p=50", "2c", Variant{P: 50, Q: 50}},
	{"2c: q=100, p=100", "2c", Variant{P: 100, Q: 100}},
	{"2c: q=200, p=200", "2c", Variant{P: 200, Q: 200}},
	{"2c: q=500, p=500", "2c", Variant{P: 500, Q: 500}},
	{"2c: q=1000, p=1000", "2c", Variant{P: 1000, Q: 1000}},
	{"2c: q=1000, p=500", "2c", Variant{P: 500, Q: 1000}},
	{"2c: q=1000, p=200", "2c", Variant{P: 200, Q: 1000}},
	{"2c: q=1000, p=100", "2c", Variant{P: 100, Q: 1000}},
	{"2c: q=1000, p=50", "2c", Variant{P: 50, Q: 1000}},
	{"2c: q=100, p=100, recurrence from cells only", "2c", Variant{P: 100, Q: 100, CellsOnlyRecurrence: true}},
	{"2c: q=50, p=50, h' offset", "2c", Variant{P: 50, Q: 50, HPrimeOffset: 0.05}},
	{"2c: q=100, p=100, h' offset", "2c", Variant{P: 100, Q: 100, HPrimeOffset: 0.05}},
	{"2c: q=200, p=200, h' offset", "2c", Variant{P: 200, Q: 200, HPrimeOffset: 0.05}},
	{"2c: q=500, p=500, h' offset", "2c", Variant{P: 500, Q: 500, HPrimeOffset: 0.05}},
	{"3a: T=100, N=3", "3a", Variant{T: 100, N: 3}},
	{"3a: T=100, N=1", "3a", Variant{T: 100, N: 1}},
	{"3a: T=100, N=3, gradient clipped", "3a", Variant{T: 100, N: 3, ClipNorm: 1}},
	{"3a: T=100, N=3, h' offset", "3a", Variant{T: 100, N: 3, HPrimeOffset: 0.05}},
	{"3a: T=1000, N=3", "3a", Variant{T: 1000, N: 3}},
	{"3b: T=100, N=3", "3b", Variant{T: 100, N: 3}},
	{"3b: T=100, N=1", "3b", Variant{T: 100, N: 1}},
	{"3b: T=1000, N=1", "3b", Variant{T: 1000, N: 1}},
	{"3b: T=100, N=1, fresh test sets", "3b", Variant{T: 100, N: 1, FreshTestSets: true}},
	{"3b: T=1000, N=1, fresh test sets", "3b", Variant{T: 1000, N: 1, FreshTestSets: true}},
	{"3c: T=100, N=3", "3c", Variant{T: 100, N: 3}},
	{"3c: T=100, N=1", "3c", Variant{T: 100, N: 1}},
	{"4: T=100", "4", Variant{T: 100}},
	{"4: T=100, linear output", "4", Variant{T: 100, LinearOutput: true}},
	{"4: T=500", "4", Variant{T: 500}},
	{"4: T=1000", "4", Variant{T: 1000}},
	{"5: T=100, n_seq=140", "5", Variant{T: 100, NSeq: 140}},
	{"5: T=100, n_seq=13", "5", Variant{T: 100, NSeq: 13}},
	{"6a", "6a", Variant{}},
	{"6b", "6b", Variant{}},
	{"6b, gradient clipped", "6b", Variant{ClipNorm: 2}},
	{"6b, h' offset", "6b", Variant{HPrimeOffset: 0.05}},
}

// QuickRows finish in minutes: the short-lag rows.
var QuickRows = []string{"1: 3 blocks of 2, α=0.5", "2c: q=50, p=50", "3a: T=100, N=3", "4: T=100", "6a"}

// reported holds the paper's figures (Tables 1-9), keyed by experiment and by the knobs that
// select a table row. A zero knob in a key matches any value; ReberSteps must match exactly.
// Knobs not in a key (e.g. the diagnostics) leave the row's figure in place: a variant is
// compared with the row it varies.
var reported = []struct {
	id  string
	key Variant
	r   Reported
}{
	{"1", Variant{Blocks: 4, LR: 0.1}, Reported{"1", 39740, "", 1, 30, ""}},
	{"1", Variant{Blocks: 3, LR: 0.1}, Reported{"1", 21730, "", 1, 30, ""}},
	{"1", Variant{Blocks: 3, LR: 0.2}, Reported{"1", 14060, "", 0.97, 30, ""}},
	{"1", Variant{Blocks: 4, LR: 0.5}, Reported{"1", 9500, "", 0.97, 30, ""}},
	{"1", Variant{Blocks: 3, LR: 0.5}, Reported{"1", 8440, "", 1, 30, "3,800 to 24,100"}},
	{"1", Variant{ReberSteps: datasets.ReberRecall}, Reported{Trials: 30, Note: "not a task of the paper"}},
	{"1", Variant{ReberSteps: datasets.ReberLocal}, Reported{Trials: 30, Note: "not a task of the paper"}},
	{"2a", Variant{}, Reported{"2", 5040, "", 1, 18, "mean of 18 trials"}},
	{"2b", Variant{}, Reported{"2 (text)", 5680, "", 1, 18, "mean of 18 trials"}},
	{"2c", Variant{Q: 50, P: 50}, Reported{"3", 30000, "", 1, 20, "mean of 20 trials"}},
	{"2c", Variant{Q: 100, P: 100}, Reported{"3", 31000, "", 1, 20, "mean of 20 trials"}},
	{"2c", Variant{Q: 200, P: 200}, Reported{"3", 33000, "", 1, 20, "mean of 20 trials"}},
	{"2c", Variant{Q: 500, P: 500}, Reported{"3", 38000, "", 1, 20, "mean of 20 trials"}},
	{"2c", Variant{Q: 1000, P: 1000}, Reported{"3", 49000, "", 1, 20, "mean of 20 trials"}},
	{"2c", Variant{Q: 1000, P: 500}, Reported{"3", 49000, "", 1, 20, "mean of 20 trials"}},
	{"2c", Variant{Q: 1000, P: 200}, Reported{"3", 75000, "", 1, 20, "mean of 20 trials"}},
	{"2c", Variant{Q: 1000, P: 100}, Reported{"3", 135000, "", 1, 20, "mean of 20 trials"}},
	{"2c", Variant{Q: 1000, P: 50}, Reported{"3", 203000, "", 1, 20, "mean of 20 trials"}},
	{"3a", Variant{T: 100, N: 3}, Reported{"4", 39850, "0.000195", 1, 10, "ST2"}},
	{"3a", Variant{T: 100, N: 1}, Reported{"4", 64330, "0.000117", 1, 10, "ST2"}},
	{"3a", Variant{T: 1000, N: 3}, Reported{"4", 452460, "0.000078", 1, 10, "ST2"}},
	{"3b", Variant{T: 100, N: 3}, Reported{"5", 43250, "0.00828", 1, 10, "ST2"}},
	{"3b", Variant{T: 100, N: 1}, Reported{"5", 78430, "0.01500", 1, 10, "ST2"}},
	{"3b", Variant{T: 1000, N: 1}, Reported{"5", 485080, "0.01207", 1, 10, "ST2"}},
	{"3c", Variant{T: 100, N: 3}, Reported{"6", 269650, "0.00558", 1, 10, ""}},
	{"3c", Variant{T: 100, N: 1}, Reported{"6", 565640, "0.00441", 1, 10, ""}},
	{"4", Variant{T: 100}, Reported{"7", 74000, "1 of 2560", 1, 10, ""}},
	{"4", Variant{T: 500}, Reported{"7", 209000, "0 of 2560", 1, 10, ""}},
	{"4", Variant{T: 1000}, Reported{"7", 853000, "1 of 2560", 1, 10, "370,000 to 2,020,000"}},
	{"5", Variant{NSeq: 140}, Reported{"8", 482000, "139 of 2560", 1, 10, ""}},
	{"5", Variant{NSeq: 13}, Reported{"8", 1273000, "14 of 2560", 1, 10, ""}},
	{"6a", Variant{}, Reported{"9", 31390, "1 of 2560", 1, 20, "mean of 20 trials"}},
	{"6b", Variant{}, Reported{"9", 571100, "2 of 2560", 1, 10, "mean of 10 trials"}},
}

// reportedFor returns the paper's figures for the row of experiment id that the variant v
// (its defaults applied) selects, or zero if the paper has no such row.
func reportedFor(id string, v Variant) Reported {
	match := func(key, got int) bool { return key == 0 || key == got }
	for _, e := range reported {
		k := e.key
		if e.id == id && k.ReberSteps == v.ReberSteps && match(k.T, v.T) && match(k.N, v.N) && match(k.P, v.P) &&
			match(k.Q, v.Q) && match(k.Blocks, v.Blocks) && match(k.NSeq, v.NSeq) && (k.LR == 0 || k.LR == v.LR) {
			return e.r
		}
	}
	return Reported{}
}
