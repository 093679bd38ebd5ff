// Package report renders the results of the paper's experiments: the Markdown reproduction
// table (ours beside the paper's figures, row by row), the ledger of finished trials that a
// long reproduction appends to (JSON Lines, one trial a line, safe against a process that dies
// while writing), the figure that compares every row with the paper on a log scale, and a
// trial's learning curve. It draws with gonum/plot and writes files atomically.
package report
