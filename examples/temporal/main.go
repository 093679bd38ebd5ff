// Command temporal runs Experiments 6a and 6b (-exp 6b) of Hochreiter & Schmidhuber (1997): temporal order (Table 9).
//
// The defaults are the paper's row (Tables 10 and 11: architecture, initialisation, gate biases,
// learning rate, on-line plain gradient descent, stopping criterion); -h lists the flags. Progress
// goes to stderr; the result to stdout, its last line as JSON. Exit status: 0 success, 1 no
// success within -max sequences, 2 error, 130 interrupted (after saving a checkpoint when
// -checkpoint is set).
package main

import "github.com/lstm97/lstm97/paper/cli"

func main() { cli.Trial("6a", "6b") }
