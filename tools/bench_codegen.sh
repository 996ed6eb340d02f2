#!/usr/bin/env bash
# bench_codegen.sh - symgrad's generated code and JIT against gcc -O2 and
# GNU libmatheval, side by side with ratios, in one run.
#
#   bash tools/bench_codegen.sh [BUILD_DIR]
#
# BUILD_DIR holds a built symgrad and libsymgrad.a (e.g. /tmp/build-cg from
# cmake -S . -B /tmp/build-cg -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=Release).
# Without it the project is built (Release) into build-release/ first.
#
#   1. batch throughput over POINTS (10^7) points of the derivative: the
#      emitted file JIT-compiled in-process (jit_compile, i.e. libtcc) against
#      the same file compiled by gcc -O2, calling NAME_batch once over all
#      points; two expressions:
#        poly   (x^3 - 2*x)/(1 + x^2) + x^5*(x-1)^2
#        trans  sin(x^2)*exp(-x/3) + sqrt(1 + x^2)*cos(x)
#      target: JIT within 2.5x of gcc -O2. Both outputs must agree.
#   2. the same points through GNU libmatheval's own derivative tree
#      (evaluator_derivative_x, evaluator_evaluate_x per point) against the
#      JIT-compiled batch (which computes the value as well); checked first at
#      a few points (relative 1e-12). Targets: symgrad at least 20x faster
#      on poly, at least 4x on trans.
#   3. TinyCC compile time, in-process with jit_compile, of an emitted
#      gradient of about 2,000 lines (a sum of 12 sigmoids of dense linear
#      forms in 20 variables; the line count is printed): median of
#      COMPILE_REPS. Target: under 20 ms.
#   4. symgrad --data on a generated CSV of DATA_ROWS (10^6) points against
#      tools/bench_data_gcc.c, a small C program built with gcc -O2 around the
#      same emitted file, which reads the CSV, calls NAME_batch and writes the
#      same CSV (%.17g); outputs must be identical (cmp). Target: within 1.5x.
#
# Times: sections 1-3 time inside the helper programs (tools/bench_jit.c,
# tools/bench_matheval.c), interleaving the two sides, with both the wall
# clock and the thread's CPU time; section 4 uses hyperfine (wall clock
# median, mean user+sys CPU). Each figure is the median of its runs, the
# minimum beside it. The verdicts compare CPU times, which a loaded machine
# disturbs much less than wall times; wall-clock ratios are shown as well.
# The load average is printed before each section.
#
# Needs (Debian packages): gcc, cmake (only to build), libtcc-dev and tcc
# (symgrad's own JIT), libmatheval-dev, hyperfine (else a slower fallback
# timed with bash's time), gawk or mawk, diffutils (cmp):
#   apt-get install gcc cmake libtcc-dev tcc libmatheval-dev hyperfine
#
# Environment: POINTS (default 1e7), REPS (5 calls per side in section 1),
# MV_REPS (3 in section 2), COMPILE_REPS (21), DATA_ROWS (1e6), DATA_RUNS
# (5, after one warm-up), GRAD_VARS (20) and GRAD_TERMS (12) for section 3's
# gradient, NO_HYPERFINE=1 (time section 4 with bash's time even when
# hyperfine is installed), KEEP=1 (keep the temporary directory).
# The defaults take about 1.5 to 2 minutes.
#
# Exit status: 0 when every comparison of values agreed, 1 when one
# disagreed or a helper failed, 2 on a usage, dependency or build error.
# Missed targets are reported, not failed.
set -euo pipefail

POINTS=${POINTS:-10000000}
REPS=${REPS:-5}
MV_REPS=${MV_REPS:-3}
COMPILE_REPS=${COMPILE_REPS:-21}
DATA_ROWS=${DATA_ROWS:-1000000}
DATA_RUNS=${DATA_RUNS:-5}
GRAD_VARS=${GRAD_VARS:-20}
GRAD_TERMS=${GRAD_TERMS:-12}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

die() { printf 'bench_codegen.sh: error: %s\n' "$*" >&2; exit 2; }
fail() { printf 'bench_codegen.sh: FAILED: %s\n' "$*" >&2; failures=$((failures + 1)); }
failures=0

case "${1:-}" in
-h | --help)
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
esac
[ $# -le 1 ] || die "usage: bash tools/bench_codegen.sh [BUILD_DIR]"

# POINTS=1e7 and the like are welcome: normalise to a whole number
whole() {
    awk -v v="$2" -v name="$1" 'BEGIN {
        if (v !~ /^[0-9]+(\.[0-9]+)?([eE][+]?[0-9]+)?$/ || v + 0 < 1 || v != int(v)) {
            printf "%s must be a positive whole number, not \"%s\"\n", name, v > "/dev/stderr"; exit 1 }
        printf "%d\n", v }'
}
for v in POINTS REPS MV_REPS COMPILE_REPS DATA_ROWS DATA_RUNS GRAD_VARS GRAD_TERMS; do
    n=$(whole "$v" "${!v}") || exit 2
    printf -v "$v" '%s' "$n"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/symgrad-bench-cg.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
    trap 'echo "(kept $tmp)"' EXIT
else
    trap 'rm -rf "$tmp"' EXIT
fi
trap 'exit 130' INT TERM

# ---- dependencies ------------------------------------------------------------

need() { command -v "$1" >/dev/null || die "$1 not found (apt-get install $2)"; }
need gcc gcc
need awk gawk
need cmp diffutils
[ -f /usr/include/matheval.h ] || echo '#include <matheval.h>' | gcc -E -x c - >/dev/null 2>&1 ||
    die "libmatheval's header not found (apt-get install libmatheval-dev)"
have_hyperfine=0
[ "${NO_HYPERFINE:-0}" = 1 ] || ! command -v hyperfine >/dev/null || have_hyperfine=1

# ---- the program and library under test ---------------------------------------

if [ $# -eq 1 ]; then
    build=$(cd "$1" 2>/dev/null && pwd) || die "'$1' is not a directory"
else
    need cmake cmake
    build="$root/build-release"
    echo "building symgrad (Release) into $build ..."
    if ! { cmake -S "$root" -B "$build" -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=Release &&
        cmake --build "$build" -j2; } >"$tmp/build.log" 2>&1; then
        tail -n 30 "$tmp/build.log" >&2
        die "the build failed (log above)"
    fi
fi
sg="$build/symgrad"
lib="$build/libsymgrad.a"
[ -x "$sg" ] || die "no symgrad in $build (build it first, or give no BUILD_DIR)"
[ -f "$lib" ] || die "no libsymgrad.a in $build"
"$sg" --version >/dev/null 2>&1 || die "'$sg' does not run (--version failed)"
[ -f "$build/CMakeCache.txt" ] && grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$build/CMakeCache.txt" ||
    echo "  note: $build is not a Release build: symgrad's own C (parsing, --data I/O) is not optimised"

libtcc=""
[ -f "$build/CMakeCache.txt" ] && libtcc=$(sed -n 's/^TCC_LIBRARY:FILEPATH=//p' "$build/CMakeCache.txt")
[ -n "$libtcc" ] && [ -f "$libtcc" ] || libtcc=/usr/lib/x86_64-linux-gnu/libtcc.a
[ -f "$libtcc" ] || die "libtcc.a not found (apt-get install libtcc-dev)"

CFLAGS=(-std=c11 -O2 -Wall -Wextra -Wno-unused-parameter)
LINK_SG=("$lib" "$libtcc" -lm -ldl -lpthread)

# cc OUT ARGS... : compile quietly, the log shown when it fails
cc() {
    local out=$1
    shift
    if ! gcc "$@" -o "$out" >"$tmp/cc.log" 2>&1; then
        head -n 40 "$tmp/cc.log" >&2
        die "gcc failed building $(basename "$out")"
    fi
}

# ---- helpers ---------------------------------------------------------------------

load1() { local l _; read -r l _ </proc/loadavg 2>/dev/null && echo "$l" || echo "?"; }
section() {
    printf '\n== %s\n' "$1"
    printf '   (load average, 1 min: %s on %s cpus)\n' "$(load1)" "$(nproc 2>/dev/null || echo '?')"
}

# kv FILE KEY -> the value of KEY=value in FILE
kv() {
    local v
    v=$(awk -F= -v k="$2" '$1 == k { sub(/^[^=]*=/, ""); print; exit }' "$1")
    [ -n "$v" ] || { echo "bench_codegen.sh: no '$2' in $(basename "$1")" >&2; return 1; }
    printf '%s\n' "$v"
}

# ratio A B -> A/B, 3 significant digits
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "inf"; else printf "%.3g\n", a / b }'; }
# ns SECONDS COUNT -> nanoseconds per item
ns() { awk -v s="$1" -v n="$2" 'BEGIN { printf "%.1f\n", s * 1e9 / n }'; }
ms() { awk -v s="$1" 'BEGIN { printf "%.2f\n", s * 1e3 }'; }
# le A B -> status 0 when A <= B
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
verdict() { if [ "$1" = 0 ]; then echo "ok"; else echo "MISSED"; fi; }

# the libm calls the body of NAME_batch makes per point: "pow x1, sin x2"
calls_per_point() {
    awk -v fn="$2_batch" '$0 ~ "^void " fn "\\(" { on = 1 } on { print } on && /^}/ { exit }' "$1" |
        grep -oE '\b(pow|exp|log|sqrt|sin|cos|tan|cbrt|log1p|expm1|sg_[a-z]+)\(' |
        sort | uniq -c | awk '{ sub(/\($/, "", $2); printf "%s%s x%d", (NR > 1 ? ", " : ""), $2, $1 } END { if (!NR) printf "none" }'
}

echo "symgrad codegen benchmark: $("$sg" --version) ($sg)"
rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || true)
[ -z "$rev" ] || {
    [ -z "$(git -C "$root" status --porcelain --untracked-files=no -- src CMakeLists.txt templates 2>/dev/null)" ] ||
        rev+=" + uncommitted changes"
    echo "  git $rev"
}
echo "  gcc $(gcc -dumpfullversion 2>/dev/null || gcc -dumpversion); libtcc $(dpkg-query -W -f '${Version}' libtcc-dev 2>/dev/null || echo '?');" \
    "libmatheval $(dpkg-query -W -f '${Version}' libmatheval-dev 2>/dev/null || echo '?')"
echo "  cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo '?')"
echo "  uptime: $(uptime)"
t_start=$SECONDS

# ---- the expressions ------------------------------------------------------------------

names=(poly trans)
declare -A expr mexpr label
expr[poly]='(x^3 - 2*x)/(1 + x^2) + x^5*(x-1)^2'
expr[trans]='sin(x^2)*exp(-x/3) + sqrt(1 + x^2)*cos(x)'
# libmatheval's syntax happens to read both the same way
mexpr[poly]=${expr[poly]}
mexpr[trans]=${expr[trans]}
label[poly]="poly/rational"
label[trans]="transcendental"
LO=-3 HI=3 # the points: POINTS evenly spaced midpoints of [LO, HI]

for k in "${names[@]}"; do
    "$sg" "${expr[$k]}" --emit-c "$tmp/$k.c" --name "$k" || die "symgrad cannot emit '${expr[$k]}'"
    cc "$tmp/$k.o" "${CFLAGS[@]}" -c "$tmp/$k.c" # gcc -O2, the emitted file as is
    cc "$tmp/bench_jit_$k" "${CFLAGS[@]}" -I"$root/src" -DGCC_BATCH="${k}_batch" \
        "$here/bench_jit.c" "$tmp/$k.o" "${LINK_SG[@]}"
done
cc "$tmp/bench_jit" "${CFLAGS[@]}" -I"$root/src" "$here/bench_jit.c" "${LINK_SG[@]}"
cc "$tmp/bench_matheval" "${CFLAGS[@]}" -I"$root/src" "$here/bench_matheval.c" "${LINK_SG[@]}" -lmatheval

# ---- 1. JIT against gcc -O2 --------------------------------------------------------------

section "1. batch throughput, $POINTS points: JIT (jit_compile in-process) vs gcc -O2, same emitted file"
printf '   %-15s %-34s %-13s %-13s %-8s %-8s %s\n' "expression" "libm calls per point" \
    "JIT ns/pt" "gcc ns/pt" "JIT/gcc" "(wall)" "target JIT/gcc <= 2.5"
for k in "${names[@]}"; do
    out="$tmp/s1_$k.txt"
    if ! "$tmp/bench_jit_$k" batch "$tmp/$k.c" "$k" "$POINTS" "$REPS" "$LO" "$HI" >"$out"; then
        fail "section 1, ${label[$k]}: JIT and gcc outputs disagree (or the helper failed)"
        continue
    fi
    jc=$(kv "$out" jit_cpu_med) jm=$(kv "$out" jit_cpu_min) jw=$(kv "$out" jit_wall_med)
    gc=$(kv "$out" gcc_cpu_med) gm=$(kv "$out" gcc_cpu_min) gw=$(kv "$out" gcc_wall_med)
    r=$(ratio "$jc" "$gc")
    le "$r" 2.5 && v=0 || v=1
    printf '   %-15s %-34s %-13s %-13s %-8s %-8s %s\n' "${label[$k]}" "$(calls_per_point "$tmp/$k.c" "$k")" \
        "$(ns "$jc" "$POINTS") ($(ns "$jm" "$POINTS"))" "$(ns "$gc" "$POINTS") ($(ns "$gm" "$POINTS"))" \
        "${r}x" "$(ratio "$jw" "$gw")x" "$(verdict $v)"
    printf '   %-15s   agreement: %s of %s values bitwise different, max relative difference %s\n' "" \
        "$(kv "$out" bits_differ)" "$(kv "$out" values)" "$(kv "$out" max_rel_diff)"
done
echo "   ns/pt: CPU time per point, median of $REPS calls over all $POINTS points (minimum in"
echo "   parentheses); JIT/gcc: ratio of the CPU medians, (wall): of the wall-clock medians."

# ---- 2. against libmatheval ----------------------------------------------------------------

section "2. the derivative over the same $POINTS points: GNU libmatheval's derivative tree vs symgrad's JIT"
printf '   %-15s %-18s %-16s %-9s %-8s %s\n' "expression" "libmatheval ns/pt" "symgrad ns/pt" \
    "speedup" "(wall)" "target"
for k in "${names[@]}"; do
    out="$tmp/s2_$k.txt"
    target=20
    [ "$k" = trans ] && target=4
    if ! "$tmp/bench_matheval" "${mexpr[$k]}" "$tmp/$k.c" "$k" "$POINTS" "$MV_REPS" "$LO" "$HI" >"$out"; then
        grep '^probe ' "$out" | sed 's/^/     /' || true
        fail "section 2, ${label[$k]}: symgrad and libmatheval disagree (or the helper failed)"
        continue
    fi
    mc=$(kv "$out" mv_cpu_med) mm=$(kv "$out" mv_cpu_min) mw=$(kv "$out" mv_wall_med)
    sc=$(kv "$out" sg_cpu_med) sm=$(kv "$out" sg_cpu_min) sw=$(kv "$out" sg_wall_med)
    r=$(ratio "$mc" "$sc")
    le "$target" "$r" && v=0 || v=1
    printf '   %-15s %-18s %-16s %-9s %-8s %s\n' "${label[$k]}" \
        "$(ns "$mc" "$POINTS") ($(ns "$mm" "$POINTS"))" "$(ns "$sc" "$POINTS") ($(ns "$sm" "$POINTS"))" \
        "${r}x" "$(ratio "$mw" "$sw")x" ">= ${target}x $(verdict $v)"
    printf '   %-15s   checked first at %s points: max relative difference %s (value and derivative);\n' "" \
        "$(kv "$out" probe_points)" "$(kv "$out" probe_max_rel)"
    printf '   %-15s   then all %s derivatives: max |a-b|/max(|a|,|b|,1) = %s\n' "" \
        "$POINTS" "$(kv "$out" all_max_diff)"
    printf '   %-15s   libmatheval derivative (%s chars): %s\n' "" "$(kv "$out" matheval_derivative_chars)" \
        "$(kv "$out" matheval_derivative | cut -c1-150)"
done
echo "   ns/pt: CPU median of $MV_REPS passes (minimum in parentheses). libmatheval computes the"
echo "   derivative only, symgrad's batch the value and the derivative. speedup: ratio of the"
echo "   CPU medians, (wall): of the wall-clock medians. Section 1's JIT figures are a separate run."

# ---- 3. TinyCC compile time of a ~2,000-line gradient ----------------------------------------

section "3. compile time of an emitted gradient, in-process with jit_compile (libtcc)"
# sum over j of c_j * sigmoid(w_j1*x01 + ... + w_jn*x<n> + b_j): every term in every variable
gexpr=$(awk -v n="$GRAD_VARS" -v k="$GRAD_TERMS" 'BEGIN {
    for (j = 0; j < k; j++) {
        c = (j % 7) - 3; if (!c) c = 2
        printf "%s%d*sigmoid(", (j ? " + " : ""), c
        for (t = 0; t < n; t++) {
            w = ((j * 7 + t * 3) % 9) - 4; if (!w) w = 5
            printf "%s%d*x%02d", (t ? " + " : ""), w, (j + t) % n + 1
        }
        printf " + %d)", j % 3
    } }')
printf '%s\n' "$gexpr" >"$tmp/grad.sg"
"$sg" -f "$tmp/grad.sg" --format c --name g >"$tmp/grad.c" || die "symgrad cannot emit the gradient"
out="$tmp/s3.txt"
if "$tmp/bench_jit" compile "$tmp/grad.c" g "$COMPILE_REPS" >"$out"; then
    lines=$(kv "$out" lines) cm=$(kv "$out" cpu_med) wm=$(kv "$out" wall_med)
    le "$cm" 0.020 && v=0 || v=1
    echo "   gradient: $GRAD_TERMS sigmoids of dense linear forms in $GRAD_VARS variables" \
        "(expression $(wc -c <"$tmp/grad.sg" | tr -d ' ') chars)"
    echo "   emitted file (--format c): $lines lines, $(kv "$out" bytes) bytes," \
        "$(grep -c 'sg_sigmoid(' "$tmp/grad.c") sigmoid calls, $(grep -cE '^(double|void) ' "$tmp/grad.c") functions"
    printf '   %-22s %-12s %-12s %-12s %s\n' "" "median" "min" "first" "target < 20 ms"
    printf '   %-22s %-12s %-12s %-12s %s\n' "jit_compile, CPU" "$(ms "$cm") ms" "$(ms "$(kv "$out" cpu_min)") ms" \
        "" "$(verdict $v)"
    printf '   %-22s %-12s %-12s %-12s\n' "jit_compile, wall" "$(ms "$wm") ms" "$(ms "$(kv "$out" wall_min)") ms" \
        "$(ms "$(kv "$out" first_wall)") ms"
    # for scale: gcc on the same file, once each
    for o in -O0 -O2; do
        s0=$(date +%s%N)
        gcc -std=c11 "$o" -c "$tmp/grad.c" -o "$tmp/grad$o.o"
        s1=$(date +%s%N)
        printf '   %-22s %s ms (one run, a new process, for scale)\n' "gcc $o -c" \
            "$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.0f", (b - a) / 1e6 }')"
    done
    echo "   median of $COMPILE_REPS compiles (jit_compile only; jit_free untimed), after a first one"
else
    fail "section 3: jit_compile failed on the gradient"
fi

# ---- 4. symgrad --data against a gcc -O2 program ---------------------------------------------

section "4. $DATA_ROWS CSV rows: symgrad --data (JIT) vs a gcc -O2 reader around the same emitted file"
dexpr='sin(x*y)*exp(-z/3) + sqrt(1 + x^2 + y^2)*cos(z)'
dvars=(x y z) # the free variables, alphabetical: the emitted file's parameter order
# --data compiles the file that --emit-c/--format c writes under the name sg
"$sg" "$dexpr" --emit-c "$tmp/sg.c" --name sg || die "symgrad cannot emit '$dexpr'"
"$sg" "$dexpr" --format c --name sg | cmp -s - "$tmp/sg.c" ||
    echo "   note: --format c and --emit-c texts differ"
cc "$tmp/bench_data_gcc" "${CFLAGS[@]}" -DBATCH=sg_batch "$here/bench_data_gcc.c" "$tmp/sg.c" -lm
"$tmp/bench_data_gcc" --gen "$DATA_ROWS" "${dvars[@]}" >"$tmp/points.csv"
echo "   expression: $dexpr; CSV: $(wc -c <"$tmp/points.csv" | tr -d ' ') bytes, header ${dvars[*]}"

# the two commands, as scripts (one quoting for hyperfine and the fallback alike)
printf 'exec %q %q --data %q >%q\n' "$sg" "$dexpr" "$tmp/points.csv" "$tmp/out_sg.csv" >"$tmp/run_sg.sh"
printf 'exec %q %q %s >%q\n' "$tmp/bench_data_gcc" "$tmp/points.csv" "${dvars[*]}" "$tmp/out_gcc.csv" >"$tmp/run_gcc.sh"

# correctness first, untimed
bash "$tmp/run_sg.sh" || fail "section 4: symgrad --data failed"
bash "$tmp/run_gcc.sh" || fail "section 4: bench_data_gcc failed"
rows_out=$(($(wc -l <"$tmp/out_sg.csv") - 1))
if cmp -s "$tmp/out_sg.csv" "$tmp/out_gcc.csv" && [ "$rows_out" -eq "$DATA_ROWS" ]; then
    echo "   outputs identical (cmp): $rows_out rows + header '$(head -n 1 "$tmp/out_sg.csv")'," \
        "$(wc -c <"$tmp/out_sg.csv" | tr -d ' ') bytes"
    data_ok=1
else
    cmp "$tmp/out_sg.csv" "$tmp/out_gcc.csv" | sed 's/^/   /' || true
    fail "section 4: the two CSVs differ (or have $rows_out rows, not $DATA_ROWS)"
    data_ok=0
fi

if [ "$data_ok" = 1 ]; then
    # -> "wall_median wall_min cpu_mean" per command
    if [ $have_hyperfine = 1 ]; then
        hyperfine -N --warmup 1 --runs "$DATA_RUNS" --export-csv "$tmp/hf.csv" \
            -n symgrad "bash $(printf %q "$tmp/run_sg.sh")" -n gcc "bash $(printf %q "$tmp/run_gcc.sh")" \
            >"$tmp/hf.log" 2>&1 ||
            { cat "$tmp/hf.log" >&2; die "hyperfine failed"; }
        tool="hyperfine, $DATA_RUNS runs after a warm-up"
        read_times() { awk -F, -v n="$1" '$1 == n { print $4, $7, $5 + $6 }' "$tmp/hf.csv"; }
    else
        tool="bash's time, $DATA_RUNS runs after a warm-up (hyperfine not used; apt-get install hyperfine)"
        for c in sg gcc; do
            bash "$tmp/run_$c.sh"
            : >"$tmp/times_$c"
            for ((i = 0; i < DATA_RUNS; i++)); do
                { TIMEFORMAT='%R %U %S'; time bash "$tmp/run_$c.sh"; } 2>>"$tmp/times_$c"
            done
        done
        read_times() {
            local f=$tmp/times_sg
            [ "$1" = gcc ] && f=$tmp/times_gcc
            sort -g "$f" | awk '{ w[NR] = $1; c += $2 + $3 } END {
                printf "%s %s %s\n", (NR % 2 ? w[(NR + 1) / 2] : (w[NR / 2] + w[NR / 2 + 1]) / 2), w[1], c / NR }'
        }
    fi
    read -r sw smin scpu < <(read_times symgrad) || die "no timing for symgrad --data"
    read -r gw gmin gcpu < <(read_times gcc) || die "no timing for the gcc reader"
    r=$(ratio "$scpu" "$gcpu")
    le "$r" 1.5 && v=0 || v=1
    printf '   %-26s %-14s %-12s %s\n' "" "wall median" "wall min" "CPU (user+sys, mean)"
    printf '   %-26s %-14s %-12s %s\n' "symgrad --data" "$(ms "$sw") ms" "$(ms "$smin") ms" "$(ms "$scpu") ms"
    printf '   %-26s %-14s %-12s %s\n' "gcc -O2 reader" "$(ms "$gw") ms" "$(ms "$gmin") ms" "$(ms "$gcpu") ms"
    printf '   %-26s %-14s %-12s %s   target <= 1.5x %s\n' "symgrad/gcc" "$(ratio "$sw" "$gw")x" \
        "$(ratio "$smin" "$gmin")x" "${r}x" "$(verdict $v)"
    echo "   timed with $tool; both write to a file in $tmp"
fi

# ---- end ----------------------------------------------------------------------------------------

echo
echo "done in $((SECONDS - t_start)) s; uptime: $(uptime)"
if [ $failures -gt 0 ]; then
    echo "$failures comparison(s) FAILED (see above)"
    exit 1
fi
echo "every comparison of values agreed"
