#!/usr/bin/python3
"""PyTorch throughput peer for examples/bench: the 1997 LSTM and torch.nn.LSTM on the CPU.

examples/bench compares its sequences per second with the Go library's. Each training step is
a forward pass, a backward pass and a plain SGD update. Two networks (--model):

adding  the network of Experiment 4 (the adding problem) of Hochreiter & Schmidhuber (1997),
        learning rate 0.5, in two ways (--impl):
  lstm97  the 1997 cell written out step by step: 2 inputs; 2 memory-cell blocks of 2 cells
          (4 cells), each block with a logistic input gate and output gate; cells and gates
          receive the inputs and the previous step's cell and gate outputs; biases on all
          non-input units, input-gate biases -3 and -6; cell input g(x) = 4 sigma(x) - 2,
          state s(t) = s(t-1) + y_in g(net_c) (no forget gate), output y_c = y_out h(s) with
          h(x) = 2 sigma(x) - 1; one logistic output unit fed by the cells. 93 weights.
  nnlstm  torch.nn.LSTM with 4 hidden units (as many cells) and a Linear(4, 1) + sigmoid head.
        The loss is 1/2 (target - y)^2 at the last step, averaged over the batch. The timed
        loop cycles over 16 batches made beforehand of adding sequences of exactly T steps
        (Sec. 5.4: values uniform in [-1, 1]; markers -1 at the first and last step, 1 at the
        two marked pairs; target 0.5 + (X1 + X2)/4).
wide    a net of the size users compose, learning rate 0.1: --inputs inputs, --blocks blocks of
        one cell, --outputs logistic output units at every step, in the same two ways:
  lstm97  the 1997 cell as above (blocks of 1 cell, all biases random, recurrent from all
          cells and gates), batched.
  nnlstm  torch.nn.LSTM(inputs, blocks) and a Linear(blocks, outputs) + sigmoid head.
        The loss is 1/2 sum (target - y)^2 over steps and units, averaged over the batch (the
        paper's squared error at every step, as layers.Net's). One batch made beforehand:
        inputs uniform in [-1, 1], targets uniform in [0, 1], as in the Go benchmark.

Weights are uniform in [-0.1, 0.1]. As in the Go library, the 1997 cell's recurrent inputs
are detached, so its gradient is the paper's truncated one (App. A.1); --full-gradient gives
full BPTT instead.

One-shot use: one JSON line per model on stdout,
  {"impl", "T", "B", "dtype", "threads", "seq_per_s_median", "seq_per_s_min", "seq_per_s_max"}
(plus "model", "blocks", "inputs", "outputs" for --model wide) over --reps repetitions after
--warmup untimed steps; each repetition trains for --seconds and its rate is sequences/second.

--serve: examples/bench's protocol, so that one process (torch is imported once) serves all
its measurements, interleaved with the Go library's. The script prints {"ready": true,
"torch": VERSION}, then reads one JSON request per line on stdin,
  {"model": "adding"|"wide", "impl": "lstm97"|"nnlstm", "T", "B", "dtype", "threads",
   "seconds", and for wide "blocks", "inputs", "outputs"},
and answers each with one line {"impl", "seq_per_s"}: one repetition of at least "seconds"
(and at least one step). A model is built and warmed up at its first request and kept for the
later ones. A bad request is answered with {"error": MESSAGE}. It stops at the end of stdin.
Needs PyTorch (Debian: apt-get install -y python3-torch).
"""
import argparse
import json
import statistics
import sys
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


def wide_batch(T, B, inputs, outputs, gen, dtype):
    """One batch: inputs [T, B, inputs] uniform in [-1, 1], targets [T, B, outputs] in [0, 1]."""
    x = torch.rand(T, B, inputs, generator=gen, dtype=torch.float64) * 2 - 1
    target = torch.rand(T, B, outputs, generator=gen, dtype=torch.float64)
    return [(x.to(dtype), target.to(dtype))]


def uniform(*shape):
    return torch.nn.Parameter(torch.empty(*shape).uniform_(-0.1, 0.1))


class Cell97(torch.nn.Module):
    """The 1997 network; hidden units in the order [cells (block-major), in gates, out gates].

    in_gate_bias: one initial bias per block for the input gates, or None for random ones.
    every_step: the output units read the cells at every step ([T, B, outputs]) instead of at
    the last step only ([B, outputs]).
    """

    def __init__(self, inputs=2, blocks=2, cells=2, outputs=1, in_gate_bias=(-3.0, -6.0),
                 truncate=True, every_step=False):
        super().__init__()
        self.blocks, self.cells, self.truncate = blocks, cells, truncate
        self.every_step = every_step
        self.n_cells = blocks * cells
        hidden = self.n_cells + 2 * blocks
        self.w_in = uniform(hidden, inputs)   # from the inputs x(t)
        self.w_rec = uniform(hidden, hidden)  # from y_cells, y_ingates, y_outgates at t-1
        self.bias = uniform(hidden)
        if in_gate_bias is not None:
            with torch.no_grad():
                self.bias[self.n_cells:self.n_cells + blocks] = torch.tensor(in_gate_bias)
        self.w_out = uniform(outputs, self.n_cells)
        self.b_out = uniform(outputs)

    def forward(self, x):
        T, B, _ = x.shape
        nb, nc = self.blocks, self.n_cells
        # The input part of every step's net input at once; the recurrent part step by step.
        net_x = torch.nn.functional.linear(x, self.w_in, self.bias)
        w_rec = self.w_rec.t()
        s = x.new_zeros(B, nb, self.cells)
        y_prev = x.new_zeros(B, nc + 2 * nb)
        ys = []
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
            if self.every_step:
                ys.append(y_c)
        cells = torch.stack(ys) if self.every_step else y_c
        return torch.sigmoid(torch.nn.functional.linear(cells, self.w_out, self.b_out))


class TorchLSTM(torch.nn.Module):
    """torch.nn.LSTM and a logistic output layer, on the last step or at every step."""

    def __init__(self, inputs=2, hidden=4, outputs=1, every_step=False):
        super().__init__()
        self.every_step = every_step
        self.lstm = torch.nn.LSTM(inputs, hidden)
        self.head = torch.nn.Linear(hidden, outputs)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-0.1, 0.1)

    def forward(self, x):
        h, _ = self.lstm(x)
        return torch.sigmoid(self.head(h if self.every_step else h[-1]))


class Bench:
    """One model with its data and optimizer, built and warmed up once, timed on request."""

    def __init__(self, model, impl, T, B, dtype, seed=1, lr=None, blocks=64, inputs=32,
                 outputs=8, full_gradient=False, warmup=3):
        if model not in ("adding", "wide") or impl not in ("lstm97", "nnlstm"):
            raise ValueError("unknown model %r or impl %r" % (model, impl))
        if T < 4 or B < 1 or min(blocks, inputs, outputs) < 1 or warmup < 0:
            raise ValueError("need T >= 4, B >= 1, blocks, inputs, outputs >= 1, warmup >= 0")
        torch.manual_seed(seed)
        dt = getattr(torch, dtype)
        gen = torch.Generator().manual_seed(seed)
        self.B = B
        if model == "adding":
            self.data = adding_batches(16, T, B, gen, dt)
            net = (Cell97(truncate=not full_gradient) if impl == "lstm97" else TorchLSTM())
            lr = 0.5 if lr is None else lr
        else:
            self.data = wide_batch(T, B, inputs, outputs, gen, dt)
            if impl == "lstm97":
                net = Cell97(inputs, blocks, 1, outputs, in_gate_bias=None,
                             truncate=not full_gradient, every_step=True)
            else:
                net = TorchLSTM(inputs, blocks, outputs, every_step=True)
            lr = 0.1 if lr is None else lr
        self.net = net.to(dt)
        self.opt = torch.optim.SGD(self.net.parameters(), lr=lr)
        self.n = 0
        for _ in range(warmup):
            self.step()

    def step(self):
        x, target = self.data[self.n % len(self.data)]
        self.n += 1
        self.opt.zero_grad()
        loss = 0.5 * ((target - self.net(x)) ** 2).sum() / self.B
        loss.backward()
        self.opt.step()

    def rate(self, seconds):
        """One repetition: sequences per second over at least seconds and one step."""
        n, start = 0, time.perf_counter()
        while n == 0 or time.perf_counter() - start < seconds:
            self.step()
            n += 1
        return n * self.B / (time.perf_counter() - start)


def serve(inp, out):
    """examples/bench's protocol (see the module's doc): requests on inp, answers on out."""
    print(json.dumps({"ready": True, "torch": torch.__version__}), file=out, flush=True)
    benches = {}
    for line in inp:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            model, impl = req.get("model", "adding"), req["impl"]
            key = (model, impl, int(req["T"]), int(req["B"]), req.get("dtype", "float64"),
                   int(req.get("blocks", 64)), int(req.get("inputs", 32)),
                   int(req.get("outputs", 8)))
            seconds, threads = float(req["seconds"]), int(req.get("threads", 1))
            if seconds <= 0 or threads < 1:
                raise ValueError("need seconds > 0 and threads >= 1")
            torch.set_num_threads(threads)
            if key not in benches:
                benches[key] = Bench(model, impl, key[2], key[3], key[4], blocks=key[5],
                                     inputs=key[6], outputs=key[7])
            ans = {"impl": impl, "seq_per_s": round(benches[key].rate(seconds), 3)}
        except (KeyError, ValueError, TypeError, AttributeError) as e:
            ans = {"error": "%s: %s" % (type(e).__name__, e)}
        print(json.dumps(ans), file=out, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="adding", choices=["adding", "wide"])
    ap.add_argument("--T", type=int, default=100, help="sequence length (>= 4)")
    ap.add_argument("--B", type=int, default=1, help="batch size")
    ap.add_argument("--blocks", type=int, default=64, help="wide: blocks of one cell")
    ap.add_argument("--inputs", type=int, default=32, help="wide: inputs")
    ap.add_argument("--outputs", type=int, default=8, help="wide: output units")
    ap.add_argument("--lr", type=float, default=None, help="learning rate (adding 0.5, wide 0.1)")
    ap.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    ap.add_argument("--impl", default="both", choices=["lstm97", "nnlstm", "both"])
    ap.add_argument("--seconds", type=float, default=1.5, help="seconds per repetition")
    ap.add_argument("--reps", type=int, default=5, help="repetitions (median, min, max reported)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed training steps first")
    ap.add_argument("--seed", type=int, default=1, help="seed of the weights and the data")
    ap.add_argument("--full-gradient", action="store_true",
                    help="lstm97: backpropagate through the recurrent inputs too (no truncation)")
    ap.add_argument("--serve", action="store_true",
                    help="answer examples/bench's JSON requests on stdin (see above)")
    args = ap.parse_args()
    if args.serve:
        serve(sys.stdin, sys.stdout)
        return
    if (args.T < 4 or args.B < 1 or args.seconds <= 0 or args.reps < 1 or args.warmup < 0
            or min(args.blocks, args.inputs, args.outputs, args.threads) < 1):
        ap.error("need T >= 4, B >= 1, seconds > 0, reps >= 1, warmup >= 0, "
                 "blocks, inputs, outputs, threads >= 1")
    torch.set_num_threads(args.threads)
    for impl in ["lstm97", "nnlstm"] if args.impl == "both" else [args.impl]:
        b = Bench(args.model, impl, args.T, args.B, args.dtype, seed=args.seed, lr=args.lr,
                  blocks=args.blocks, inputs=args.inputs, outputs=args.outputs,
                  full_gradient=args.full_gradient, warmup=args.warmup)
        rates = [b.rate(args.seconds) for _ in range(args.reps)]
        line = {"impl": impl, "T": args.T, "B": args.B, "dtype": args.dtype,
                "threads": args.threads,
                "seq_per_s_median": round(statistics.median(rates), 1),
                "seq_per_s_min": round(min(rates), 1),
                "seq_per_s_max": round(max(rates), 1)}
        if args.model == "wide":
            line.update(model="wide", blocks=args.blocks, inputs=args.inputs,
                        outputs=args.outputs)
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
