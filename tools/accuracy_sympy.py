#!/usr/bin/env python3
"""tests/accuracy.tsv through SymPy: sympy.diff, then lambdify with the math
module, as a SymPy user would compute a derivative's value; scored by the
rule tests/accuracy_check.c applies to symgrad (1e-12 relative; the nearest
double where the true value is 0, infinite or subnormal).

Usage: accuracy_sympy.py [TSV]  ->  prints each failure and the score.
Needs python3-sympy (Debian). Functions SymPy lacks are written as a user
would: sigmoid(u) = 1/(1 + exp(-u)), softplus(u) = log(1 + exp(u)),
relu(u) = Max(u, 0), log1p(u) = log(1 + u), expm1(u) = exp(u) - 1,
hypot(u, v) = sqrt(u^2 + v^2); cbrt is SymPy's (the principal root).
"""
import math
import sys
import warnings

import sympy as sp

warnings.filterwarnings("ignore")
x = sp.Symbol("x", real=True)
NAMES = {
    "x": x,
    "sigmoid": lambda u: 1 / (1 + sp.exp(-u)),
    "softplus": lambda u: sp.log(1 + sp.exp(u)),
    "relu": lambda u: sp.Max(u, 0),
    "log1p": lambda u: sp.log(1 + u),
    "expm1": lambda u: sp.exp(u) - 1,
    "hypot": lambda u, v: sp.sqrt(u**2 + v**2),
    "cbrt": sp.cbrt,
    "log2": lambda u: sp.log(u, 2), "log10": lambda u: sp.log(u, 10),
    "max": sp.Max, "min": sp.Min, "abs": sp.Abs, "pow": sp.Pow,
}


def near(got, want):
    if want == 0 or math.isinf(want) or abs(want) < sys.float_info.min:
        return got == want
    return abs(got - want) <= 1e-12 * abs(want)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "tests/accuracy.tsv"
    rows = good = 0
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        expr, var, order, point, true = line.rstrip("\n").split("\t")
        rows += 1
        f = sp.sympify(expr.replace("^", "**"), locals=NAMES)
        d = sp.diff(f, x, int(order))
        try:
            got = float(sp.lambdify(x, d, "math")(float(point)))
        except Exception:  # math domain errors, overflow, functions math lacks
            got = float("nan")
        if near(got, float(true)):
            good += 1
        else:
            print(f"FAIL [SymPy] d^{order}/dx^{order} {expr} at {point}: got {got!r}, true {true}")
    print(f"accuracy (SymPy {sp.__version__}, lambdify with math): {good} of {rows} rows within 1e-12")


if __name__ == "__main__":
    main()
