#!/usr/bin/env bash
# tools/gen_case.sh CASE N - write one of the gradient benchmark's scalar
# programs in N variables (x1..xN, or w1..wN) to standard output:
#   rosenbrock  sum of 100*(x[i+1] - x[i]^2)^2 + (1 - x[i])^2
#   sines       sin(x1)*sin(x2)*...*sin(xN)
#   logistic    logistic loss over 20 fixed data rows, weights w1..wN
#   logsumexp   log(exp(x1) + ... + exp(xN)) - x1
# The data of the logistic case are fixed (a linear congruential sequence),
# so every run writes the same program.
set -euo pipefail
case=${1:?usage: gen_case.sh rosenbrock|sines|logistic|logsumexp N}
n=${2:?usage: gen_case.sh CASE N}
awk -v c="$case" -v n="$n" 'BEGIN {
    if (c == "rosenbrock") {
        printf "("
        for (i = 1; i < n; i++)
            printf "%s100*(x%d - x%d^2)^2 + (1 - x%d)^2", (i > 1 ? " +\n" : ""), i + 1, i, i
        print ")"
    } else if (c == "sines") {
        printf "("
        for (i = 1; i <= n; i++)
            printf "%ssin(x%d)", (i > 1 ? (i % 10 == 1 ? "*\n" : "*") : ""), i
        print ")"
    } else if (c == "logistic") {
        s = 12345
        for (r = 1; r <= 20; r++) {
            printf "z%d = (", r
            for (j = 1; j <= n; j++) {
                s = (s * 1103515245 + 12345) % 2147483648
                printf "%s%.3f*w%d", (j > 1 ? (j % 8 == 1 ? " +\n  " : " + ") : ""), s / 2147483648 * 2 - 1, j
            }
            print ")"
        }
        # label 1 for odd rows, 0 for even
        for (r = 1; r <= 20; r++)
            printf "%slog(1 + exp(%sz%d))", (r > 1 ? " + " : ""), (r % 2 ? "-" : ""), r
        print ""
    } else if (c == "logsumexp") {
        printf "log("
        for (i = 1; i <= n; i++)
            printf "%sexp(x%d)", (i > 1 ? (i % 10 == 1 ? " +\n  " : " + ") : ""), i
        print ") - x1"
    } else {
        print "gen_case.sh: unknown case " c > "/dev/stderr"
        exit 2
    }
}'
