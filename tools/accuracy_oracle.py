#!/usr/bin/env python3
"""The true values of tests/accuracy.tsv, from a 600-digit oracle (mpmath).

Usage: accuracy_oracle.py [TSV]   (default tests/accuracy.tsv; rewritten in place)

Each row is: expression, variable, order (1 or 2), point, true value. The
point is read as the double symgrad reads, so the oracle differentiates at
exactly that binary number; the true value is written with 25 significant
digits. Rows whose value column is '?' are filled; `--all` recomputes every
row. Needs python3-mpmath (Debian); the test itself needs no Python.
"""
import sys

import mpmath
from mpmath import mp, mpf

mp.dps = 600

NAMES = {
    "sin": mpmath.sin, "cos": mpmath.cos, "tan": mpmath.tan,
    "asin": mpmath.asin, "acos": mpmath.acos, "atan": mpmath.atan,
    "sinh": mpmath.sinh, "cosh": mpmath.cosh, "tanh": mpmath.tanh,
    "asinh": mpmath.asinh, "acosh": mpmath.acosh, "atanh": mpmath.atanh,
    "exp": mpmath.exp, "log": mpmath.log, "sqrt": mpmath.sqrt,
    "cbrt": lambda u: mpmath.sign(u) * mpmath.cbrt(abs(u)),  # the real root, as C
    "log2": lambda u: mpmath.log(u, 2), "log10": lambda u: mpmath.log(u, 10),
    "log1p": lambda u: mpmath.log(1 + u), "expm1": lambda u: mpmath.exp(u) - 1,
    "sigmoid": lambda u: 1 / (1 + mpmath.exp(-u)),
    "softplus": lambda u: mpmath.log(1 + mpmath.exp(u)),
    "relu": lambda u: u if u > 0 else mpf(0),
    "erf": mpmath.erf, "erfc": mpmath.erfc, "abs": abs,
    "hypot": lambda u, v: mpmath.sqrt(u * u + v * v),
    "atan2": mpmath.atan2, "pow": lambda u, v: u ** v,
    "max": lambda u, v: u if u >= v else v, "min": lambda u, v: u if u <= v else v,
    "pi": mpmath.pi, "e": mpmath.e,
}


def true_value(expr, var, order, point):
    code = expr.replace("^", "**")
    f = lambda t: eval(code, {"__builtins__": {}}, dict(NAMES, **{var: t}))
    x = mpf(float(point))  # the double the point reads as
    d = mpmath.diff(f, x, order)
    return mpmath.nstr(d, 25, min_fixed=1, max_fixed=0) if d != 0 else "0"


def main():
    args = [a for a in sys.argv[1:] if a != "--all"]
    path = args[0] if args else "tests/accuracy.tsv"
    redo = "--all" in sys.argv
    out = []
    with open(path) as fh:
        for line in fh:
            row = line.rstrip("\n").split("\t")
            if line.startswith("#") or len(row) < 5 or (row[4] != "?" and not redo):
                out.append(line)
                continue
            row[4] = true_value(row[0], row[1], int(row[2]), row[3])
            out.append("\t".join(row) + "\n")
            print("\t".join(row), file=sys.stderr)
    with open(path, "w") as fh:
        fh.writelines(out)


if __name__ == "__main__":
    main()
