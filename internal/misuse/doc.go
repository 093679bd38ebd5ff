// Package misuse holds one table-driven test of how the public API answers misuse: every row
// does one wrong thing (a nil node left by a builder error, a second Program on one graph, an
// input never set, a NaN weight handed to an optimizer, ...) and must get an error that says
// what went wrong (checked by a substring), never a panic and never silence. It has no code of
// its own; add a row for every misuse a user reports.
package misuse
