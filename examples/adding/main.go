// Command adding trains the paper's network on the adding problem (Hochreiter & Schmidhuber
// 1997, Experiment 4, Table 7) with the paper's protocol until the stopping criterion
// ST3(0.01), then tests it on 2560 fresh sequences. It is the repository's main job: on two
// cores it trains to success in about a minute and prints what it achieved beside the
// paper's figure.
//
// Defaults are the paper's (Table 10 row 4-1): 2 inputs, 2 memory cell blocks of 2 cells, one
// logistic output unit fed by the cells, biases on all non-input units, input-gate biases -3
// and -6, weights uniform in [-0.1, 0.1], on-line learning (one sequence per update) with plain
// gradient descent at α = 0.5, sequence lengths T..T+T/10 with T = 100. Training stops when
// the average training error over the 2000 most recent sequences is below 0.01 and all of them
// had an absolute error below 0.04 (ST3(0.01)).
//
// Usage:
//
//	go run ./examples/adding [-T 100|500|1000] [-seed 1] [-lr 0.5] [-optimizer sgd|momentum|adam]
//	                         [-checkpoint DIR [-ckpt-every 50000] [-resume]] [-test 2560] [-h]
//
// Progress goes to stderr; the result to stdout, as text and as one final JSON line. The exit
// status is 1 if the criterion was not reached, 2 on an error, 130 if interrupted (after saving
// a checkpoint when -checkpoint is set). The experiment is paper.Lookup("4", ...) and its trial
// trial.Run (package paper/trial), as for every example program.
package main

import "github.com/lstm97/lstm97/paper/cli"

func main() { cli.Trial("4") }
