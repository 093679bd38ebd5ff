// Package cpeer holds the check of the repository's plain-C speed peer,
// examples/bench/peers/lstm97.c: the C program's truncated gradient (Hochreiter & Schmidhuber
// 1997, App. A.1, eqs. 19-28), by both of its methods, is compared with the independent oracle of
// internal/oracle on the paper's two small nets (Exp. 1, embedded Reber grammar, 3 blocks of 2;
// Exp. 4, adding problem, 2 blocks of 2); its sequences are checked against the tasks' rules
// (datasets), its SGD step against w − α·∂E/∂w, and its training modes against the command-line
// protocol examples/bench relies on. The tests skip where gcc is missing. The package has no
// code of its own.
package cpeer
