// Command multiplication runs Experiment 5 of Hochreiter & Schmidhuber (1997): the multiplication problem (Table 8).
//
// The defaults are the paper's row (Tables 10 and 11: architecture, initialisation, gate biases,
// learning rate, on-line plain gradient descent, stopping criterion); -h lists the flags. Progress
// goes to stderr; the result to stdout, its last line as JSON. Exit status: 0 success, 1 no
// success within -max sequences, 2 error, 130 interrupted (after saving a checkpoint when
// -checkpoint is set).
package main

import "github.com/lstm97/lstm97/paper/cli"

func main() { cli.Trial("5") }
