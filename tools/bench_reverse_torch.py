#!/usr/bin/env python3
"""PyTorch's side of tools/bench_reverse.sh: the four cases of
tools/gen_case.sh as tensor programs (float64, one thread), timed forward
(recording the graph, as in training) and forward plus backward.

Usage: bench_reverse_torch.py CASE N  ->  prints "forward_ns fwd_bwd_ns"
(each the best of five loops of about 0.1 s)."""
import sys
import time

import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)


def logistic_data(n):
    """The 20 x n matrix gen_case.sh writes (the same linear congruential
    sequence, rounded to three decimals as it prints them)."""
    s, rows = 12345, []
    for _ in range(20):
        row = []
        for _ in range(n):
            s = (s * 1103515245 + 12345) % 2147483648
            row.append(round(s / 2147483648 * 2 - 1, 3))
        rows.append(row)
    return torch.tensor(rows)


def program(case, n):
    if case == "rosenbrock":
        return lambda x: (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()
    if case == "sines":
        return lambda x: torch.sin(x).prod()
    if case == "logistic":
        a = logistic_data(n)
        # label 1 on odd rows (1-based): log(1 + exp(-z)); else log(1 + exp(z))
        sign = torch.tensor([-1.0 if r % 2 else 1.0 for r in range(1, 21)])
        return lambda w: torch.log(1 + torch.exp(sign * (a @ w))).sum()
    if case == "logsumexp":
        return lambda x: torch.log(torch.exp(x).sum()) - x[0]
    raise SystemExit("unknown case " + case)


def best_ns(step):
    reps = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            step()
        t = time.perf_counter() - t0
        if t > 0.1:
            break
        reps *= 10 if t < 0.01 else 2
    best = t
    for _ in range(4):
        t0 = time.perf_counter()
        for _ in range(reps):
            step()
        best = min(best, time.perf_counter() - t0)
    return 1e9 * best / reps


def main():
    case, n = sys.argv[1], int(sys.argv[2])
    f = program(case, n)
    x = torch.tensor([0.3 + 0.4 * ((i * 7919) % 1000) / 1000.0 for i in range(n)],
                     requires_grad=True)

    def forward():
        f(x)

    def forward_backward():
        x.grad = None
        f(x).backward()

    print("%.1f %.1f" % (best_ns(forward), best_ns(forward_backward)))


if __name__ == "__main__":
    main()
