// Command longlag runs Experiments 2a and 2b (-exp 2b) of Hochreiter & Schmidhuber (1997): long time lags with local coding (Table 2).
//
// The defaults are the paper's row (Tables 10 and 11: architecture, initialisation, gate biases,
// learning rate, on-line plain gradient descent, stopping criterion); -h lists the flags. Progress
// goes to stderr; the result to stdout, its last line as JSON. Exit status: 0 success, 1 no
// success within -max sequences, 2 error, 130 interrupted (after saving a checkpoint when
// -checkpoint is set).
//
// As in the paper, the memory cell and its input gate join the net only once the training error
// has stopped decreasing (sequential construction; the line "memory cell added after N
// sequences" on stderr and "cell_added" in the JSON say when); -no-construct starts with them.
package main

import "github.com/lstm97/lstm97/paper/cli"

func main() { cli.Trial("2a", "2b") }
