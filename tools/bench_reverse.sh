#!/usr/bin/env bash
# tools/bench_reverse.sh [SYMGRAD] - the cost of a gradient against the cost
# of its function, side by side with PyTorch, on the four programs of
# tools/gen_case.sh (Rosenbrock, a product of sines, a logistic loss over 20
# fixed rows, logsumexp(x) - x1) written out in scalars, at each n of
# NS (default "100 1000 10000 100000"). One table, each column a ratio:
#
#   time, memory   symgrad writing the gradient file (--emit-c), divided by
#                  the same run with --order 0 (the function alone): time
#                  the best of 3 runs (1 from n = 100000), memory the peak
#                  resident set
#   file           the gradient file's size / the function-only file's
#   grad/f gcc     NAME_grad / NAME (one point), both compiled by gcc -O2
#   grad/f tcc     the same compiled by tcc
#   hvp/grad       NAME_hvp / NAME_grad, gcc -O2
#   gcc compile    gcc -O2 -c time of the gradient file / the function-only file
#   PyTorch        forward+backward / forward (float64, one thread), when
#                  python3-torch is installed (installed here when run as root)
#
# The functions are timed by tools/bench_reverse_driver.c. GCC_MAX_N (default
# 100000) skips the gcc columns above that n. Work files go to a temporary
# directory; the table goes to standard output, progress to standard error.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SG=$(realpath "${1:-$here/../build/symgrad}")
NS=${NS:-100 1000 10000 100000}
GCC_MAX_N=${GCC_MAX_N:-100000}
CASES=${CASES:-rosenbrock sines logistic logsumexp}
export LC_ALL=C

need() { command -v "$1" >/dev/null 2>&1; }
# Debian's python3-torch is for the system's python3, which another python3
# first on PATH (a virtual environment, pyenv) may hide
torch_python() {
    for py in python3 /usr/bin/python3; do
        "$py" -c 'import torch' 2>/dev/null && { echo "$py"; return; }
    done
}
PY=$(torch_python)
if [ -z "$PY" ] && [ "$(id -u)" = 0 ] && need apt-get; then
    echo "installing python3-torch for the PyTorch column" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >/dev/null 2>&1 || true
    PY=$(torch_python)
fi
TORCH=0
[ -n "$PY" ] && TORCH=1
[ "$TORCH" = 1 ] || echo "python3-torch is not installed: no PyTorch column" >&2
need gcc && need tcc || { echo "bench_reverse: needs gcc and tcc" >&2; exit 2; }

W=$(mktemp -d "${TMPDIR:-/tmp}/bench-reverse.XXXXXX")
trap 'rm -rf "$W"' EXIT

# seconds: the best of REPS runs of a command (bash's clock)
best_time() {
    local best="" t0 t1 d
    for _ in $(seq "$REPS"); do
        t0=$EPOCHREALTIME
        "$@" >/dev/null
        t1=$EPOCHREALTIME
        d=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
        best=$(awk -v a="$best" -v b="$d" 'BEGIN { print (a == "" || b < a) ? b : a }')
    done
    echo "$best"
}
# peak resident memory in KB of one run
peak_kb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

echo "| case | n | time | memory | file | grad/f gcc | grad/f tcc | hvp/grad | gcc compile | PyTorch |"
echo "|---|---|---|---|---|---|---|---|---|---|"
# A product of n sines differentiates into chains of n partial products: past
# the default limit of 4 x 10000 levels, a user raises --max-depth, and so
# does the benchmark (for both runs alike).
DEPTH="--max-depth 200000"
for n in $NS; do
    REPS=3
    [ "$n" -ge 100000 ] && REPS=1 # runs of minutes: one each
    for c in $CASES; do
        echo "== $c n=$n" >&2
        bash "$here/gen_case.sh" "$c" "$n" >"$W/p.sym"
        cd "$W"
        t0=$(best_time "$SG" -f p.sym $DEPTH --order 0 --emit-c f0.c --name f0)
        t1=$(best_time "$SG" -f p.sym $DEPTH --emit-c g.c --name g)
        m0=$(peak_kb "$SG" -f p.sym $DEPTH --order 0 --emit-c f0.c --name f0)
        m1=$(peak_kb "$SG" -f p.sym $DEPTH --emit-c g.c --name g)
        s0=$(stat -c %s f0.c)
        s1=$(stat -c %s g.c)
        gf=- ; tf=- ; hv=- ; cc=-
        if [ "$n" -le "$GCC_MAX_N" ]; then
            c0=$(best_time gcc -O2 -c f0.c -o f0.o)
            c1=$(best_time gcc -O2 -c g.c -o gplain.o)
            cc=$(ratio "$c1" "$c0")
            "$SG" -f p.sym $DEPTH --emit-c g.c --name g --hvp
            gcc -O2 -c g.c -o g.o
            gcc -O2 -I. "$here/bench_reverse_driver.c" f0.o g.o -lm -o drv_gcc
            read -r f g h < <(./drv_gcc "$n")
            gf=$(ratio "$g" "$f"); hv=$(ratio "$h" "$g")
        else
            "$SG" -f p.sym $DEPTH --emit-c g.c --name g --hvp
        fi
        tcc -I. "$here/bench_reverse_driver.c" f0.c g.c -lm -o drv_tcc
        read -r f g h < <(./drv_tcc "$n")
        tf=$(ratio "$g" "$f")
        pt=-
        if [ "$TORCH" = 1 ]; then
            read -r pf pb < <("$PY" "$here/bench_reverse_torch.py" "$c" "$n")
            pt=$(ratio "$pb" "$pf")
        fi
        cd - >/dev/null
        echo "| $c | $n | $(ratio "$t1" "$t0") | $(ratio "$m1" "$m0") | $(ratio "$s1" "$s0") | $gf | $tf | $hv | $cc | $pt |"
    done
done
