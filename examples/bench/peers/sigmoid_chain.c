/* sigmoid_chain.c: the chain of logistic functions of one batch-1 step of the paper's cell at
 * the adding net's sizes, with libm's exp: σ of the 8 units' net inputs, the 4 states, σ of the
 * states, the outputs, the next net inputs. Each exp waits for the step before, so this is the
 * least time a batch-1 forward step can take with libm's exp. The Go counterpart is
 * BenchmarkCellSigmoid64 in internal/vmath (the same arithmetic with Go's exp).
 *
 *   gcc -O2 examples/bench/peers/sigmoid_chain.c -o /tmp/sigmoid_chain -lm && /tmp/sigmoid_chain
 */
#include <math.h>
#include <stdio.h>
#include <time.h>

static double sigma(double x) { return 1 / (1 + exp(-x)); }

int main(void) {
	volatile double seed = 0.1; /* keeps the compiler from folding the loop */
	double net[8], sg[8], s[4] = {0}, hs[4], y[4];
	const long n = 20000000;
	struct timespec a, b;
	for (int u = 0; u < 8; u++) net[u] = seed * u;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		for (int u = 0; u < 8; u++) sg[u] = sigma(net[u]);
		for (int c = 0; c < 4; c++) s[c] += sg[4 + c / 2] * (4 * sg[c] - 2);
		for (int c = 0; c < 4; c++) hs[c] = sigma(s[c]);
		for (int c = 0; c < 4; c++) y[c] = sg[6 + c / 2] * (2 * hs[c] - 1);
		for (int u = 0; u < 8; u++) net[u] = 0.5 * y[u % 4] - 0.25;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.1f ns a step (checksum %g)\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n, net[0]);
	return 0;
}
