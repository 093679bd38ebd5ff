#!/usr/bin/python3
"""PyTorch throughput peer for examples/bench: the adding-problem network on one CPU thread.

examples/bench runs this script once per shape T x B and compares its sequences per second
with the Go library's. It trains, with forward + backward + plain SGD (learning rate 0.5), the
network of Experiment 4 (the adding problem) of Hochreiter & Schmidhuber (1997) in two ways:

  lstm97  the 1997 cell written out step by step: 2 inputs; 2 memory-cell blocks of 2 cells
          (4 cells), each block with a logistic input gate and output gate; cells and gates
          receive the inputs and the previous step's cell and gate outputs; biases on all
          non-input units, input-gate biases -3 and -6; cell input g(x) = 4 sigma(x) - 2,
          state s(t) = s(t-1) + y_in g(net_c) (no forget gate), output y_c = y_out h(s) with
          h(x) = 2 sigma(x) - 1; one logistic output unit fed by the cells. 93 weights.
  nnlstm  torch.nn.LSTM with 4 hidden units (as many cells) and a Linear(4, 1) + sigmoid head.

Weights are uniform in [-0.1, 0.1]. The loss is 1/2 (target - y)^2 at the last step, averaged
over the batch. The timed loop cycles over 16 batches made beforehand of adding sequences of
exactly T steps (Sec. 5.4: values uniform in [-1, 1]; markers -1 at the first and last step,
1 at the two marked pairs; target 0.5 + (X1 + X2)/4), as examples/bench does for its own side.

Output: one JSON line per model on stdout,
  {"impl", "T", "B", "dtype", "threads", "seq_per_s_median", "seq_per_s_min", "seq_per_s_max"}
over --reps repetitions after --warmup untimed steps; each repetition trains for --seconds and
its rate is sequences / second. examples/bench passes --T --B --dtype --threads 1 --impl both
and reads "impl" and "seq_per_s_median", so the defaults 1.5 s x 5 repetitions apply there.
Needs PyTorch (Debian: apt-get install -y python3-torch).
"""
import argparse
import json
import statistics
import time

import torch


def adding_batches(n, T, B, gen, dtype):
    """n batches of B adding sequences of length T: inputs [T, B, 2], targets [B, 1]."""
    out = []
    for _ in range(n):
        x = torch.zeros(T, B, 2, dtype=torch.float64)
        x[:, :, 0] = torch.rand(T, B, generator=gen, dtype=torch.float64) * 2 - 1
        x[0, :, 1] = -1.0
        x[T - 1, :, 1] = -1.0
        target = torch.empty(B, 1, dtype=torch.float64)
        for b in range(B):
            # X1 is one of the first ten pairs, X2 one of the first T/2-1 pairs other than X1's.
            p1 = int(torch.randint(min(10, T // 2), (1,), generator=gen))
            p2 = int(torch.randint(T // 2 - 1, (1,), generator=gen))
            p2 += p2 >= p1
            if p1 == 0 or p2 == 0:  # a marked first pair has value 0 and marker 1
                x[0, b, 0] = 0.0
            x[p1, b, 1] = x[p2, b, 1] = 1.0
            target[b, 0] = 0.5 + (x[p1, b, 0] + x[p2, b, 0]) / 4
        out.append((x.to(dtype), target.to(dtype)))
    return out


def uniform(*shape):
    return torch.nn.Parameter(torch.empty(*shape).uniform_(-0.1, 0.1))


class Cell97(torch.nn.Module):
    """The 1997 network; hidden units in the order [cells (block-major), in gates, out gates]."""

    def __init__(self, inputs=2, blocks=2, cells=2, in_gate_bias=(-3.0, -6.0), truncate=True):
        super().__init__()
        self.blocks, self.cells, self.truncate = blocks, cells, truncate
        self.n_cells = blocks * cells
        hidden = self.n_cells + 2 * blocks
        self.w_in = uniform(hidden, inputs)   # from the inputs x(t)
        self.w_rec = uniform(hidden, hidden)  # from y_cells, y_ingates, y_outgates at t-1
        self.bias = uniform(hidden)
        with torch.no_grad():
            self.bias[self.n_cells:self.n_cells + blocks] = torch.tensor(in_gate_bias)
        self.w_out = uniform(1, self.n_cells)
        self.b_out = uniform(1)

    def forward(self, x):
        T, B, _ = x.shape
        nb, nc = self.blocks, self.n_cells
        # The input part of every step's net input at once; the recurrent part step by step.
        net_x = torch.nn.functional.linear(x, self.w_in, self.bias)
        w_rec = self.w_rec.t()
        s = x.new_zeros(B, nb, self.cells)
        y_prev = x.new_zeros(B, nc + 2 * nb)
        for net_xt in net_x.unbind(0):
            # Autograd backpropagates through the unrolled loop. With truncate (the default, as
            # in the Go library) the recurrent input is detached: as in the paper's truncated
            # gradient (App. A.1), error flows back in time only through the cell states s.
            # Without it (--full-gradient, like layers.Config.FullGradient) this is full BPTT.
            rec = y_prev.detach() if self.truncate else y_prev
            net_c, net_gates = torch.addmm(net_xt, rec, w_rec).split((nc, 2 * nb), 1)
            gates = torch.sigmoid(net_gates)                       # [in gates, out gates]
            y_in, y_out = gates.view(B, 2, nb, 1).unbind(1)        # each [B, blocks, 1]
            g = 4 * torch.sigmoid(net_c.view(B, nb, self.cells)) - 2
            s = s + y_in * g                                       # CEC, no forget gate
            y_c = (y_out * (2 * torch.sigmoid(s) - 1)).view(B, nc)
            y_prev = torch.cat((y_c, gates), 1)
        return torch.sigmoid(torch.nn.functional.linear(y_c, self.w_out, self.b_out))


class TorchLSTM(torch.nn.Module):
    """torch.nn.LSTM with as many cells, and one logistic output unit on the last step."""

    def __init__(self, inputs=2, hidden=4):
        super().__init__()
        self.lstm = torch.nn.LSTM(inputs, hidden)
        self.head = torch.nn.Linear(hidden, 1)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-0.1, 0.1)

    def forward(self, x):
        h, _ = self.lstm(x)
        return torch.sigmoid(self.head(h[-1]))


def measure(impl, args):
    """Rates in sequences per second, one per repetition, after a warm-up."""
    torch.manual_seed(args.seed)
    dtype = getattr(torch, args.dtype)
    gen = torch.Generator().manual_seed(args.seed)
    data = adding_batches(16, args.T, args.B, gen, dtype)
    model = Cell97(truncate=not args.full_gradient) if impl == "lstm97" else TorchLSTM()
    model = model.to(dtype)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)

    def step(i):
        x, target = data[i % len(data)]
        opt.zero_grad()
        loss = 0.5 * ((target - model(x)) ** 2).sum() / args.B
        loss.backward()
        opt.step()

    for i in range(args.warmup):
        step(i)
    rates = []
    for _ in range(args.reps):
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < args.seconds:
            step(n)
            n += 1
        rates.append(n * args.B / (time.perf_counter() - start))
    return rates


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--T", type=int, default=100, help="sequence length (>= 4)")
    ap.add_argument("--B", type=int, default=1, help="batch size")
    ap.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    ap.add_argument("--impl", default="both", choices=["lstm97", "nnlstm", "both"])
    ap.add_argument("--seconds", type=float, default=1.5, help="seconds per repetition")
    ap.add_argument("--reps", type=int, default=5, help="repetitions (median, min, max reported)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed training steps first")
    ap.add_argument("--seed", type=int, default=1, help="seed of the weights and the data")
    ap.add_argument("--full-gradient", action="store_true",
                    help="lstm97: backpropagate through the recurrent inputs too (no truncation)")
    args = ap.parse_args()
    if args.T < 4 or args.B < 1 or args.seconds <= 0 or args.reps < 1 or args.warmup < 0:
        ap.error("need T >= 4, B >= 1, seconds > 0, reps >= 1, warmup >= 0")
    torch.set_num_threads(args.threads)
    for impl in ["lstm97", "nnlstm"] if args.impl == "both" else [args.impl]:
        rates = measure(impl, args)
        print(json.dumps({"impl": impl, "T": args.T, "B": args.B, "dtype": args.dtype,
                          "threads": args.threads,
                          "seq_per_s_median": round(statistics.median(rates), 1),
                          "seq_per_s_min": round(min(rates), 1),
                          "seq_per_s_max": round(max(rates), 1)}), flush=True)


if __name__ == "__main__":
    main()
