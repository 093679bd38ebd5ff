/*
 * lstm97.c: this repository's plain-C speed peer for the 1997 LSTM (Hochreiter & Schmidhuber
 * 1997) on the paper's two small nets, the adding problem (Exp. 4) and the embedded Reber grammar
 * (Exp. 1). It is the near-limit reference that examples/bench compares the library with: one C
 * file, libm only, double precision, the two nets' sizes compile-time constants, and pairs of
 * doubles as GNU C vectors (gcc, clang; no intrinsics, no -march flag needed).
 *
 * Build:  gcc -O2 -o lstm97 lstm97.c -lm
 * Run:    ./lstm97 adding T seconds [rtrl|bptt]   Exp. 4 net, trained on-line for `seconds`
 *         ./lstm97 reber seconds [rtrl|bptt]      Exp. 1 net (3 blocks of 2), likewise
 *         ./lstm97 grad adding|reber seed [T]     a random net, one sequence, its gradient
 * A training mode prints one JSON line on stdout,
 *   {"impl":"c","task":"adding","T":100,"seq_per_s":..,"steps_per_s":..,...}
 * ("T":null for reber), whose further fields give the method, the weight count, the sequences
 * and seconds, and the training error over the last 2000 sequences; a summary goes to stderr.
 * The grad mode prints one JSON object: a random net's weights, one sequence, dE/dw by both
 * methods and the net after one SGD step (internal/cpeer checks them against the Go oracle).
 * Exit status 2 on bad arguments.
 *
 * The model (docs/paper.md, Secs. 1-2). Hidden units, in this order: the C*S cells (block by
 * block), the C input gates, the C output gates. Every hidden unit has one weight from each
 * source src(t) = [x(t) (I), y(t-1) (U), 1 (bias)]: the inputs of the same step and all cells
 * and gates of the previous step (the paper's three-step timing). For block j and its cells c:
 *   y_in = f(net_in), y_out = f(net_out), s_c(t) = s_c(t-1) + y_in g(net_c)   (eq. 9, the CEC)
 *   y_c = y_out h(s_c), f = sigma, g = 4 sigma - 2, h = 2 sigma - 1             (eqs. 3-5)
 * The K logistic output units read the cells of the same step (plus a bias in Exp. 4):
 *   y_k = f(sum_c w_kc y_c + b_k). The error is E = sum over target steps of 1/2 sum_k (t_k-y_k)^2.
 *
 * The gradient is the paper's truncated one (App. A.1, eqs. 19-28): error reaches a cell or gate
 * of block j only through the block's outputs and, back in time, only through the CEC. Two
 * exact forms of it, summed over the sequence, then one plain SGD step per sequence:
 *   rtrl  carries the partials ds_c/dw of eqs. (25) and (27) forward, O(W) memory;
 *   bptt  records each step's sources and factors, sweeps the state error back through the CEC
 *         (the error of s(t) is the sum of those entering at t and later, eq. 35), then sums the
 *         rank-1 updates of eqs. (22), (26), (28) over the steps in registers.
 * Defaults: rtrl for adding (one target per sequence), bptt for reber (a target every step).
 *
 * Sequences are generated on-line inside the timed loop, as datasets/ does:
 *   adding: length uniform in [T, T+T/10]; values uniform in [-1,1]; markers -1 at the first and
 *     last pair, 1 at X1 (one of the first min(10,T/2) pairs) and X2 (one of the first T/2-1
 *     pairs other than X1's); a marked first pair has value 0; target 0.5+(X1+X2)/4 at the end.
 *   reber: B, T|P, a Reber string, the same T|P, E (each branch 1/2, strings over 100 symbols
 *     redrawn); inputs the one-hot symbols but the last, targets the one-hot next symbols.
 * Initial weights (seed 1): adding uniform in [-0.1,0.1], input-gate biases -3 and -6; reber
 * uniform in [-0.2,0.2], output-gate biases -1, -2, -3, no cell or output biases. Both alpha 0.5.
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AI static inline __attribute__((always_inline))
/* UNROLL unrolls a loop over a net's units completely (their counts are constants), so that
 * its values stay in registers. */
#define UNROLL _Pragma("GCC unroll 32")

/* Largest sizes over the two nets (reber: I=7, U=12, M=20, CS=6, K=7 padded to 8). */
#define IMAX 7
#define UMAX 12
#define MMAX 20
#define CSMAX 6
#define KPMAX 8
#define REBER_MAXLEN 100

/* ---- random numbers: xoshiro256** seeded by splitmix64 ------------------------------------- */

typedef struct {
    uint64_t s[4];
} Rng;

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed(Rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t rng_next(Rng *r) {
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* rng_unif returns a double uniform in [0, 1). */
static inline double rng_unif(Rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }

/* rng_below returns an integer uniform in [0, n) (Lemire's multiply; n < 2^32). */
static inline int rng_below(Rng *r, int n) {
    return (int)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* ---- the net and its buffers ---------------------------------------------------------------- */

/* Net holds the weights, or their gradients. w [M][U] is source-major: w[m*U + u] is the weight
 * from source m of src = [x, y(t-1), 1] into hidden unit u, so that a step's net inputs are a sum
 * of M scaled rows. wo [CS][KP] likewise: wo[c*KP + k] from cell c into output k, with K padded
 * to an even KP by zeros; bo [KP]. */
typedef struct {
    double w[MMAX * UMAX];
    double wo[CSMAX * KPMAX];
    double bo[KPMAX];
} Net;

/* Seq is one sequence: n steps of I inputs, and targets [n][K] where has[t]. */
typedef struct {
    int n, cap;
    double *x;
    double *tg;
    unsigned char *has;
} Seq;

/* Work holds bptt's per-step records. */
typedef struct {
    double *src;  /* [n+1][M]: x(t), y(t-1), 1 */
    double *coef; /* [n][2CS]: y_in g'(net_c) (eq. 27), then g(net_c) f'(net_in) (eq. 25) */
    double *err;  /* [n][CS+C]: the state errors entering at t (eq. 23), the out gates' (eq. 21) */
    double *e;    /* [n][U]: the errors of every hidden unit's net input at t */
} Work;

static void *xmalloc(size_t n) {
    void *p = calloc(1, n);
    if (!p) {
        fprintf(stderr, "lstm97: out of memory (%zu bytes)\n", n);
        exit(2);
    }
    return p;
}

static void seq_alloc(Seq *q, int cap) {
    q->cap = cap;
    q->n = 0;
    q->x = xmalloc(sizeof(double) * (size_t)cap * IMAX);
    q->tg = xmalloc(sizeof(double) * (size_t)cap * KPMAX);
    q->has = xmalloc((size_t)cap);
}

static void work_alloc(Work *wk, int cap) {
    wk->src = xmalloc(sizeof(double) * (size_t)(cap + 1) * MMAX);
    wk->coef = xmalloc(sizeof(double) * (size_t)cap * 2 * CSMAX);
    wk->err = xmalloc(sizeof(double) * (size_t)cap * 2 * CSMAX);
    wk->e = xmalloc(sizeof(double) * (size_t)cap * UMAX);
}

/* ---- one sequence's truncated gradient ---------------------------------------------------- */

/* v2 is a pair of doubles, one SSE2 register. The nets' unit counts are even, so the loops over
 * units run over pairs. */
typedef double v2 __attribute__((vector_size(16)));

static inline v2 ld(const double *p) {
    v2 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void st(double *p, v2 v) { memcpy(p, &v, sizeof v); }

static inline v2 bc(double x) { return (v2){x, x}; }

/*
 * seq_grad adds -dE/dw of sequence q to g (zero on entry) and returns E. The sizes are constants
 * at every call, so each net gets its own unrolled code. CB: the cells have biases; OB: the
 * output units have biases; BPTT selects the method.
 */
AI double seq_grad(const int I, const int C, const int S, const int K, const int CB, const int OB,
                   const int BPTT, const Net *restrict net, const Seq *restrict q, Net *restrict g,
                   Work *restrict wk) {
    const int CS = C * S, U = CS + 2 * C, M = I + U + 1, KP = K + (K & 1);
    const double *restrict w = net->w, *restrict wo = net->wo;
    double *restrict gw = g->w;
    double s[CSMAX] = {0}, hs[CSMAX], yc[CSMAX], dh[CSMAX], back[CSMAX], es[CSMAX], eo[CSMAX];
    double nt[UMAX], ex[UMAX], p[UMAX], cf[2 * CSMAX], ek[KPMAX] = {0};
    double rsrc[MMAX];
    double ds[MMAX * 2 * CSMAX]; /* rtrl: [M][2CS], ds_c/dw_{c,m} (eq. 27), ds_c/dw_{in_j,m} (eq. 25) */
    double loss = 0;
    const int n = q->n;
    double *restrict src = BPTT ? wk->src : rsrc;
    if (!BPTT)
        for (int i = 0; i < M * 2 * CS; i++) ds[i] = 0;
    for (int m = 0; m < M; m++) src[m] = 0;
    src[M - 1] = 1;
    for (int t = 0; t < n; t++) {
        const double *x = q->x + t * I;
        UNROLL
        for (int i = 0; i < I; i++) src[i] = x[i];
        { /* Net inputs of the cells and gates (eqs. 7, 8): the bias row, then the others. */
            v2 a[UMAX / 2];
            UNROLL
            for (int h = 0; h < U / 2; h++) a[h] = ld(w + (M - 1) * U + 2 * h);
            UNROLL
            for (int m = 0; m < M - 1; m++) {
                const v2 b = bc(src[m]);
                UNROLL
                for (int h = 0; h < U / 2; h++) a[h] += b * ld(w + m * U + 2 * h);
            }
            UNROLL
            for (int h = 0; h < U / 2; h++) st(nt + 2 * h, a[h]);
        }
        /* The squashes, their exp calls together (a call clobbers every vector register). */
        UNROLL
        for (int u = 0; u < U; u++) ex[u] = exp(-nt[u]);
        UNROLL
        for (int h = 0; h < U / 2; h++) st(p + 2 * h, bc(1) / (bc(1) + ld(ex + 2 * h)));
        UNROLL
        for (int c = 0; c < CS; c++) {
            const double yi = p[CS + c / S], gc = 4 * p[c] - 2, dg = 4 * p[c] * (1 - p[c]);
            cf[c] = dg * yi;                 /* eq. (27) */
            cf[CS + c] = gc * yi * (1 - yi); /* eq. (25) */
            s[c] += yi * gc;                 /* eq. (9) */
        }
        UNROLL
        for (int c = 0; c < CS; c++) ex[c] = exp(-s[c]);
        UNROLL
        for (int c = 0; c < CS; c++) {
            const double r = 1 / (1 + ex[c]);
            hs[c] = 2 * r - 1;
            dh[c] = 2 * r * (1 - r);
            yc[c] = p[CS + C + c / S] * hs[c];
        }
        if (BPTT) {
            double *co = wk->coef + t * 2 * CS;
            UNROLL
            for (int h = 0; h < CS; h++) st(co + 2 * h, ld(cf + 2 * h));
        } else {
            v2 cv[CSMAX];
            UNROLL
            for (int h = 0; h < CS; h++) cv[h] = ld(cf + 2 * h);
            UNROLL
            for (int m = 0; m < M; m++) { /* eqs. (25), (27) */
                const v2 b = bc(src[m]);
                double *d = ds + m * 2 * CS;
                UNROLL
                for (int h = 0; h < CS; h++) st(d + 2 * h, ld(d + 2 * h) + b * cv[h]);
            }
        }
        if (q->has[t]) {
            const double *tg = q->tg + t * K;
            { /* The output units (eq. 19). */
                v2 a[KPMAX / 2];
                UNROLL
                for (int h = 0; h < KP / 2; h++) a[h] = OB ? ld(net->bo + 2 * h) : bc(0);
                UNROLL
                for (int c = 0; c < CS; c++) {
                    const v2 b = bc(yc[c]);
                    UNROLL
                    for (int h = 0; h < KP / 2; h++) a[h] += b * ld(wo + c * KP + 2 * h);
                }
                UNROLL
                for (int h = 0; h < KP / 2; h++) st(ex + 2 * h, a[h]);
            }
            UNROLL
            for (int k = 0; k < K; k++) ex[k] = exp(-ex[k]);
            UNROLL
            for (int k = 0; k < K; k++) {
                const double y = 1 / (1 + ex[k]), d = tg[k] - y;
                loss += 0.5 * d * d;
                ek[k] = y * (1 - y) * d;
            }
            UNROLL
            for (int c = 0; c < CS; c++) { /* eq. (22) for the output units, and sum_k w_kc e_k */
                const v2 b = bc(yc[c]);
                v2 a = bc(0);
                UNROLL
                for (int h = 0; h < KP / 2; h++) {
                    const v2 e = ld(ek + 2 * h);
                    st(g->wo + c * KP + 2 * h, ld(g->wo + c * KP + 2 * h) + b * e);
                    a += ld(wo + c * KP + 2 * h) * e;
                }
                back[c] = a[0] + a[1];
                es[c] = p[CS + C + c / S] * dh[c] * back[c]; /* eq. (23) */
            }
            if (OB)
                UNROLL
                for (int h = 0; h < KP / 2; h++) st(g->bo + 2 * h, ld(g->bo + 2 * h) + ld(ek + 2 * h));
            UNROLL
            for (int j = 0; j < C; j++) { /* eq. (21) */
                double a = 0;
                UNROLL
                for (int v = 0; v < S; v++) a += hs[j * S + v] * back[j * S + v];
                const double yo = p[CS + C + j];
                eo[j] = yo * (1 - yo) * a;
            }
            if (BPTT) {
                double *er = wk->err + t * (CS + C);
                UNROLL
                for (int c = 0; c < CS; c++) er[c] = es[c];
                UNROLL
                for (int j = 0; j < C; j++) er[CS + j] = eo[j];
            } else {
                for (int m = 0; m < M; m++) {
                    const double *d = ds + m * 2 * CS;
                    double *gm = gw + m * U;
                    UNROLL
                    for (int c = 0; c < CS; c++) gm[c] += es[c] * d[c]; /* eq. (28) */
                    UNROLL
                    for (int c = 0; c < CS; c++) gm[CS + c / S] += es[c] * d[CS + c]; /* eq. (26) */
                    UNROLL
                    for (int j = 0; j < C; j++) gm[CS + C + j] += eo[j] * src[m]; /* eq. (22) */
                }
            }
        } else if (BPTT) {
            double *er = wk->err + t * (CS + C);
            UNROLL
            for (int i = 0; i < CS + C; i++) er[i] = 0;
        }
        /* y(t) becomes the next step's recurrent sources: cells, input gates, output gates. */
        double *nx = BPTT ? src + M : src;
        UNROLL
        for (int c = 0; c < CS; c++) nx[I + c] = yc[c];
        UNROLL
        for (int u = CS; u < U; u++) nx[I + u] = p[u];
        if (BPTT) {
            nx[M - 1] = 1;
            src = nx;
        }
    }
    if (BPTT) {
        /* The state error flows back through the CEC unchanged (ds(t)/ds(t-1) = 1, eq. 35): the
         * error of s_c at step t is the sum of the errors entering at t and later. */
        double ES[CSMAX] = {0};
        for (int t = n - 1; t >= 0; t--) {
            const double *co = wk->coef + t * 2 * CS, *er = wk->err + t * (CS + C);
            double *e = wk->e + t * U;
            UNROLL
            for (int j = 0; j < C; j++) e[CS + j] = 0;
            UNROLL
            for (int c = 0; c < CS; c++) {
                ES[c] += er[c];
                e[c] = ES[c] * co[c];                /* eq. (28) */
                e[CS + c / S] += ES[c] * co[CS + c]; /* eq. (26) */
            }
            UNROLL
            for (int j = 0; j < C; j++) e[CS + C + j] = er[CS + j]; /* eq. (22) */
        }
        /* Every hidden weight's gradient, sum_t e_u(t) src_m(t), two rows m at a time in
         * registers. */
        UNROLL
        for (int m = 0; m < M; m += 2) {
            const int two = m + 1 < M;
            v2 a0[UMAX / 2], a1[UMAX / 2];
            UNROLL
            for (int h = 0; h < U / 2; h++) a0[h] = a1[h] = bc(0);
            for (int t = 0; t < n; t++) {
                const double *sr = wk->src + t * M, *e = wk->e + t * U;
                const v2 b0 = bc(sr[m]), b1 = bc(two ? sr[m + 1] : 0);
                UNROLL
                for (int h = 0; h < U / 2; h++) {
                    const v2 eh = ld(e + 2 * h);
                    a0[h] += b0 * eh;
                    if (two) a1[h] += b1 * eh;
                }
            }
            UNROLL
            for (int h = 0; h < U / 2; h++) {
                st(gw + m * U + 2 * h, a0[h]);
                if (two) st(gw + (m + 1) * U + 2 * h, a1[h]);
            }
        }
    }
    if (!CB)
        UNROLL
        for (int c = 0; c < CS; c++) gw[(M - 1) * U + c] = 0; /* the cells have no bias */
    return loss;
}

/* sgd applies w += alpha g (g = -dE/dw) to every weight, then zeroes g. */
AI void sgd(const int I, const int C, const int S, const int K, const double alpha, Net *restrict n,
            Net *restrict g) {
    const int U = C * S + 2 * C, MU = (I + U + 1) * U, KC = C * S * (K + (K & 1));
    const v2 a = bc(alpha), z = bc(0);
    for (int i = 0; i < MU; i += 2) {
        st(n->w + i, ld(n->w + i) + a * ld(g->w + i));
        st(g->w + i, z);
    }
    for (int i = 0; i < KC; i += 2) {
        st(n->wo + i, ld(n->wo + i) + a * ld(g->wo + i));
        st(g->wo + i, z);
    }
    for (int i = 0; i < K; i++) {
        n->bo[i] += alpha * g->bo[i];
        g->bo[i] = 0;
    }
}

/* ---- the two nets --------------------------------------------------------------------------- */

typedef double GradFunc(int bptt, const Net *, const Seq *, Net *, Work *);
typedef void StepFunc(Net *, Net *);

/* Task describes one of the paper's nets. */
typedef struct {
    const char *name;
    int I, C, S, K, cellbias, outbias;
    double alpha, init;
    GradFunc *grad; /* seq_grad for this net */
    StepFunc *step; /* sgd for this net */
} Task;

/* Exp. 4 (Table 10 row 4): 2 inputs, 2 blocks of 2, 1 output, biases on all non-input units
 * (93 weights), alpha 0.5. */
static double adding_grad(int bptt, const Net *n, const Seq *q, Net *g, Work *w) {
    return bptt ? seq_grad(2, 2, 2, 1, 1, 1, 1, n, q, g, w) : seq_grad(2, 2, 2, 1, 1, 1, 0, n, q, g, w);
}
static void adding_step(Net *n, Net *g) { sgd(2, 2, 2, 1, 0.5, n, g); }

/* Exp. 1 (Table 10 row 1-5, the default of examples/reber): 7 inputs, 3 blocks of 2, 7 outputs,
 * biases on the gates only (276 weights), alpha 0.5. */
static double reber_grad(int bptt, const Net *n, const Seq *q, Net *g, Work *w) {
    return bptt ? seq_grad(7, 3, 2, 7, 0, 0, 1, n, q, g, w) : seq_grad(7, 3, 2, 7, 0, 0, 0, n, q, g, w);
}
static void reber_step(Net *n, Net *g) { sgd(7, 3, 2, 7, 0.5, n, g); }

static const Task ADDING = {"adding", 2, 2, 2, 1, 1, 1, 0.5, 0.1, adding_grad, adding_step};
static const Task REBER = {"reber", 7, 3, 2, 7, 0, 0, 0.5, 0.2, reber_grad, reber_step};

static int units(const Task *k) { return k->C * k->S + 2 * k->C; }
static int srcs(const Task *k) { return k->I + units(k) + 1; }
static int kpad(const Task *k) { return k->K + (k->K & 1); }

/* weights counts the trained weights (Table 10's w column). */
static int weights(const Task *k) {
    int CS = k->C * k->S, U = units(k);
    return U * (k->I + U) + (k->cellbias ? U : 2 * k->C) + k->K * CS + (k->outbias ? k->K : 0);
}

/* net_init draws every weight uniform in [-r, r], zeroes the absent biases and, if paper, sets
 * the paper's gate biases. */
static void net_init(Net *n, const Task *k, Rng *rng, double r, int paper) {
    const int CS = k->C * k->S, U = units(k), M = srcs(k), KP = kpad(k);
    double *bias = n->w + (M - 1) * U;
    memset(n, 0, sizeof *n);
    for (int i = 0; i < M * U; i++) n->w[i] = r * (2 * rng_unif(rng) - 1);
    for (int c = 0; c < CS; c++)
        for (int i = 0; i < k->K; i++) n->wo[c * KP + i] = r * (2 * rng_unif(rng) - 1);
    for (int i = 0; i < k->K && k->outbias; i++) n->bo[i] = r * (2 * rng_unif(rng) - 1);
    for (int c = 0; c < CS && !k->cellbias; c++) bias[c] = 0;
    for (int j = 0; j < k->C && paper; j++) {
        if (k == &ADDING) bias[CS + j] = -3.0 * (j + 1);   /* input gates: -3, -6 */
        if (k == &REBER) bias[CS + k->C + j] = -(j + 1.0); /* output gates: -1, -2, -3 */
    }
}

/* adding_gen draws an adding-problem sequence (Exp. 4) of minimal length T into q. */
static void adding_gen(Seq *q, int T, Rng *rng) {
    const int n = T + rng_below(rng, T / 10 + 1);
    double *x = q->x;
    for (int t = 0; t < n; t++) {
        x[2 * t] = 2 * rng_unif(rng) - 1;
        x[2 * t + 1] = 0;
    }
    x[1] = -1;
    x[2 * (n - 1) + 1] = -1;
    const int p1 = rng_below(rng, T / 2 < 10 ? T / 2 : 10);
    const int k = rng_below(rng, T / 2 - 1), p2 = k >= p1 ? k + 1 : k;
    if (p1 == 0 || p2 == 0) x[0] = 0;
    x[2 * p1 + 1] = 1;
    x[2 * p2 + 1] = 1;
    if (q->n > 0) q->has[q->n - 1] = 0;
    q->n = n;
    q->has[n - 1] = 1;
    q->tg[n - 1] = 0.5 + (x[2 * p1] + x[2 * p2]) / 4;
}

/* The Reber grammar (Fig. 3) over the symbols B T P S X V E: for each state, its two edges as
 * (symbol, next state); state 7 is the end. */
static const int reber_edges[7][2][2] = {
    {{0, 1}, {0, 1}}, {{1, 2}, {2, 3}}, {{3, 2}, {4, 4}}, {{1, 3}, {5, 5}},
    {{4, 3}, {3, 6}}, {{2, 4}, {5, 6}}, {{6, 7}, {6, 7}},
};

/* reber_gen draws an embedded Reber string (Fig. 4) into q: inputs the one-hot symbols but the
 * last, targets the one-hot next symbols, a target at every step. */
static void reber_gen(Seq *q, Rng *rng) {
    int s[REBER_MAXLEN + 2], n;
    for (;;) {
        const int c = 1 + rng_below(rng, 2);
        n = 0;
        s[n++] = 0;
        s[n++] = c;
        for (int state = 0; state != 7 && n <= REBER_MAXLEN - 2;) { /* longer: redrawn anyway */
            const int *e = reber_edges[state][rng_below(rng, 2)];
            s[n++] = e[0];
            state = e[1];
            if (state == 7) {
                s[n++] = c;
                s[n++] = 6;
            }
        }
        if (n <= REBER_MAXLEN && s[n - 1] == 6) break;
    }
    q->n = n - 1;
    memset(q->x, 0, sizeof(double) * 7 * (n - 1));
    memset(q->tg, 0, sizeof(double) * 7 * (n - 1));
    for (int t = 0; t < n - 1; t++) {
        q->x[7 * t + s[t]] = 1;
        q->tg[7 * t + s[t + 1]] = 1;
        q->has[t] = 1;
    }
}

/* ---- training ------------------------------------------------------------------------------- */

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define WINDOW 2000

/* train trains the task's net on-line for the given seconds and prints the JSON line. */
static int train(const Task *k, int T, double seconds, int bptt) {
    static double errs[WINDOW]; /* per sequence: adding |t - y| at the end, reber E per step */
    Rng rng;
    Net net, g;
    Seq q;
    Work wk;
    const int cap = k == &ADDING ? T + T / 10 + 1 : REBER_MAXLEN;
    rng_seed(&rng, 1);
    net_init(&net, k, &rng, k->init, 1);
    memset(&g, 0, sizeof g);
    seq_alloc(&q, cap);
    work_alloc(&wk, cap);
    long seqs = 0, steps = 0, check = 0;
    const double t0 = now();
    double el = 0;
    for (;;) {
        if (k == &ADDING)
            adding_gen(&q, T, &rng);
        else
            reber_gen(&q, &rng);
        const double loss = k->grad(bptt, &net, &q, &g, &wk);
        k->step(&net, &g);
        errs[seqs % WINDOW] = k == &ADDING ? sqrt(2 * loss) : loss / q.n;
        seqs++;
        steps += q.n;
        if (steps >= check) { /* the clock is read about every 4096 steps */
            if ((el = now() - t0) >= seconds) break;
            check = steps + 4096;
        }
    }
    const int nw = seqs < WINDOW ? (int)seqs : WINDOW;
    double mean = 0, ok = 0;
    for (int i = 0; i < nw; i++) {
        mean += errs[i];
        ok += errs[i] < 0.04;
    }
    mean /= nw;
    const char *method = bptt ? "bptt" : "rtrl";
    if (k == &ADDING)
        printf("{\"impl\":\"c\",\"task\":\"adding\",\"T\":%d,\"seq_per_s\":%.1f,\"steps_per_s\":%.0f,"
               "\"method\":\"%s\",\"weights\":%d,\"seqs\":%ld,\"seconds\":%.3f,"
               "\"last2000_mean_abs_err\":%.4g,\"last2000_frac_abs_err_lt_0.04\":%.4f}\n",
               T, seqs / el, steps / el, method, weights(k), seqs, el, mean, ok / nw);
    else
        printf("{\"impl\":\"c\",\"task\":\"reber\",\"T\":null,\"mean_len\":%.2f,\"seq_per_s\":%.1f,"
               "\"steps_per_s\":%.0f,\"method\":\"%s\",\"weights\":%d,\"seqs\":%ld,\"seconds\":%.3f,"
               "\"last2000_mean_loss_per_step\":%.4g}\n",
               (double)steps / seqs, seqs / el, steps / el, method, weights(k), seqs, el, mean);
    fprintf(stderr, "lstm97: %s, %d weights, method %s: %ld sequences, %ld steps in %.3f s\n", k->name,
            weights(k), method, seqs, steps, el);
    return 0;
}

/* ---- grad mode: a random net, one sequence, both methods' dE/dw as JSON --------------------- */

/* put_mat prints a rows x cols matrix whose element (r, c) is a[r*rs + c*cs], times sign. */
static void put_mat(const char *name, const double *a, int rows, int cols, int rs, int cs, double sign) {
    printf("\"%s\":[", name);
    for (int r = 0; r < rows; r++) {
        printf(r ? ",[" : "[");
        for (int c = 0; c < cols; c++) printf(c ? ",%.17g" : "%.17g", sign * a[r * rs + c * cs]);
        printf("]");
    }
    printf("]");
}

/* put_vec prints n values, times sign. */
static void put_vec(const char *name, const double *a, int n, double sign) {
    printf("\"%s\":[", name);
    for (int i = 0; i < n; i++) printf(i ? ",%.17g" : "%.17g", sign * a[i]);
    printf("]");
}

/* put_net prints a Net in the oracle's layout wx [U][I], wh [U][U], b [U], wo [K][CS], bo [K];
 * sign -1 turns the accumulated -dE/dw into dE/dw. */
static void put_net(const char *name, const Net *n, const Task *k, double sign) {
    const int U = units(k), M = srcs(k), CS = k->C * k->S;
    printf("\"%s\":{", name);
    put_mat("wx", n->w, U, k->I, 1, U, sign);
    printf(",");
    put_mat("wh", n->w + k->I * U, U, U, 1, U, sign);
    printf(",");
    put_vec("b", n->w + (M - 1) * U, U, sign);
    printf(",");
    put_mat("wo", n->wo, k->K, CS, 1, kpad(k), sign);
    printf(",");
    put_vec("bo", n->bo, k->K, sign);
    printf("}");
}

static int grad_mode(const Task *k, uint64_t seed, int T) {
    Rng rng;
    Net net, g[2];
    Seq q;
    Work wk;
    const int cap = k == &ADDING ? T + T / 10 + 1 : REBER_MAXLEN;
    rng_seed(&rng, seed);
    net_init(&net, k, &rng, 1.0, 0); /* wide weights: the squashes leave their linear range */
    seq_alloc(&q, cap);
    work_alloc(&wk, cap);
    if (k == &ADDING)
        adding_gen(&q, T, &rng);
    else
        reber_gen(&q, &rng);
    double loss[2];
    for (int b = 0; b < 2; b++) {
        memset(&g[b], 0, sizeof g[b]);
        loss[b] = k->grad(b, &net, &q, &g[b], &wk);
    }
    printf("{\"task\":\"%s\",\"seed\":%llu,\"I\":%d,\"C\":%d,\"S\":%d,\"K\":%d,\"cell_bias\":%s,"
           "\"out_bias\":%s,\"weights\":%d,\"alpha\":%.17g,\"loss_rtrl\":%.17g,\"loss_bptt\":%.17g,",
           k->name, (unsigned long long)seed, k->I, k->C, k->S, k->K, k->cellbias ? "true" : "false",
           k->outbias ? "true" : "false", weights(k), k->alpha, loss[0], loss[1]);
    put_mat("inputs", q.x, q.n, k->I, k->I, 1, 1);
    printf(",\"targets\":[");
    for (int t = 0; t < q.n; t++) {
        if (t) printf(",");
        if (q.has[t]) {
            printf("[");
            for (int i = 0; i < k->K; i++) printf(i ? ",%.17g" : "%.17g", q.tg[t * k->K + i]);
            printf("]");
        } else {
            printf("null");
        }
    }
    printf("],");
    put_net("net", &net, k, 1);
    printf(",");
    put_net("grad_rtrl", &g[0], k, -1);
    printf(",");
    put_net("grad_bptt", &g[1], k, -1);
    /* One SGD step of the training loop, with the task's default method's gradient. */
    Net after = net;
    k->step(&after, &g[k == &REBER]);
    printf(",");
    put_net("after_step", &after, k, 1);
    printf("}\n");
    return 0;
}

/* ---- command line --------------------------------------------------------------------------- */

static int usage(const char *prog) {
    fprintf(stderr,
            "usage: %s adding T seconds [rtrl|bptt] | reber seconds [rtrl|bptt] |"
            " grad adding|reber seed [T]\n",
            prog);
    return 2;
}

/* parse_method sets *bptt from s (rtrl, bptt, or def where s is NULL); 0 on a bad name. */
static int parse_method(const char *s, int def, int *bptt) {
    *bptt = def;
    if (s && !strcmp(s, "rtrl")) *bptt = 0;
    else if (s && !strcmp(s, "bptt")) *bptt = 1;
    else if (s) return 0;
    return 1;
}

/* parse_num parses a whole argument as a number. */
static int parse_num(const char *s, double *v) {
    char *end;
    *v = strtod(s, &end);
    return *s && !*end && *v == *v;
}

int main(int argc, char **argv) {
    double T, secs, seed;
    int bptt;
    if (argc >= 4 && argc <= 5 && !strcmp(argv[1], "adding")) {
        if (!parse_num(argv[2], &T) || T != (int)T || T < 4 || T > 10000000 || !parse_num(argv[3], &secs) ||
            secs < 0 || secs > 1e6 || !parse_method(argc == 5 ? argv[4] : NULL, 0, &bptt))
            return usage(argv[0]);
        return train(&ADDING, (int)T, secs, bptt);
    }
    if (argc >= 3 && argc <= 4 && !strcmp(argv[1], "reber")) {
        if (!parse_num(argv[2], &secs) || secs < 0 || secs > 1e6 ||
            !parse_method(argc == 4 ? argv[3] : NULL, 1, &bptt))
            return usage(argv[0]);
        return train(&REBER, 0, secs, bptt);
    }
    if (argc >= 4 && argc <= 5 && !strcmp(argv[1], "grad")) {
        const Task *k = !strcmp(argv[2], "adding") ? &ADDING : !strcmp(argv[2], "reber") ? &REBER : NULL;
        T = 20;
        if (!k || !parse_num(argv[3], &seed) || seed < 0 || seed > 1e15 || seed != (double)(uint64_t)seed ||
            (argc == 5 && (k != &ADDING || !parse_num(argv[4], &T) || T != (int)T || T < 4 || T > 100000)))
            return usage(argv[0]);
        return grad_mode(k, (uint64_t)seed, (int)T);
    }
    return usage(argv[0]);
}
