#!/usr/bin/env bash
# bench.sh - symgrad against its peers, side by side, in one run.
#
#   bash tools/bench.sh [path/to/symgrad]
#
# With no path, builds the project (Release) into build-release/ first.
#
#   1. one-shot 'sin(x^2)' at 4, a fresh process each time: symgrad vs SymPy
#   2. the 10th derivative of sin(sin(sin(sin(x)))) at 0.5: symgrad vs GiNaC
#      (tools/bench_ginac.cpp, compiled here) and, if it finishes within
#      SYMPY_TIMEOUT seconds, SymPy
#   3. the first derivative of a 50,000 / 100,000 / 200,000-term sum read
#      with -f: time and peak memory
#
# Installs nothing. Peers it uses when present (Debian packages):
#   hyperfine        (timing; without it a bash loop timed with
#                    $EPOCHREALTIME, or date +%s%N on bash < 5)
#   python3-sympy    (SymPy, run with /usr/bin/python3 or $SYMPY_PYTHON)
#   libginac-dev g++ pkg-config   (the GiNaC peer)
#   time             (/usr/bin/time, for peak memory)
# A missing peer skips its comparison with a note; the summary says which
# targets could not be measured.
#
# Environment: RUNS_FAST (default 100 runs for millisecond commands),
# RUNS_SLOW (default 10 for SymPy one-shot), RUNS_SUM (default 3 per sum
# size), SYMPY_TIMEOUT (default 60 s), SYMPY_PYTHON (a python with sympy),
# SUM_SIZES (default "50000 100000 200000"), NO_HYPERFINE=1 (use the bash
# loop even when hyperfine is installed).
#
# Exit status: 0 when every value computed agreed with its reference, 1 when
# one disagreed or a program failed, 2 on a usage or build error. Targets that
# are missed are reported, not failed.
set -euo pipefail

RUNS_FAST=${RUNS_FAST:-100}
RUNS_SLOW=${RUNS_SLOW:-10}
RUNS_SUM=${RUNS_SUM:-3}
SYMPY_TIMEOUT=${SYMPY_TIMEOUT:-60}
SUM_SIZES=${SUM_SIZES:-50000 100000 200000}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

die() { printf 'bench.sh: error: %s\n' "$*" >&2; exit 2; }
note() { printf '  note: %s\n' "$*"; }

case "${1:-}" in
-h | --help)
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
esac
[ $# -le 1 ] || die "usage: bash tools/bench.sh [path/to/symgrad]"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/symgrad-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# ---- the program under test ------------------------------------------------

built_rev=""
if [ $# -eq 1 ]; then
    sg=$1
    { [ -f "$sg" ] && [ -x "$sg" ]; } || die "'$sg' is not an executable file"
    case "$sg" in /*) ;; *) sg="$PWD/$sg" ;; esac
else
    command -v cmake >/dev/null || die "cmake not found (apt-get install cmake), or pass the path of a built symgrad"
    echo "building symgrad (Release) into $root/build-release ..."
    if ! { cmake -S "$root" -B "$root/build-release" -DBUILD_TESTING=OFF \
            -DCMAKE_BUILD_TYPE=Release && cmake --build "$root/build-release" -j2; } \
            >"$tmp/build.log" 2>&1; then
        tail -n 30 "$tmp/build.log" >&2
        die "the build failed (log above)"
    fi
    sg="$root/build-release/symgrad"
    if built_rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null); then
        [ -z "$(git -C "$root" status --porcelain --untracked-files=no -- src CMakeLists.txt 2>/dev/null)" ] ||
            built_rev+=" + uncommitted changes to src/"
    fi
fi
"$sg" --version >/dev/null 2>&1 || die "'$sg' does not run (--version failed)"

# ---- peers -----------------------------------------------------------------

missing=()
have_hyperfine=0
if [ "${NO_HYPERFINE:-0}" != 1 ]; then
    command -v hyperfine >/dev/null && have_hyperfine=1 || missing+=(hyperfine)
fi

py=""
for cand in "${SYMPY_PYTHON:-}" /usr/bin/python3 python3; do
    [ -n "$cand" ] || continue
    if "$cand" -c 'import sympy' >/dev/null 2>&1; then py=$(command -v "$cand"); break; fi
done
[ -n "$py" ] || missing+=(python3-sympy)

have_ginac=1
command -v g++ >/dev/null || { have_ginac=0; missing+=(g++); }
command -v pkg-config >/dev/null || { have_ginac=0; missing+=(pkg-config); }
if [ $have_ginac = 1 ] && ! pkg-config --exists ginac; then have_ginac=0; missing+=(libginac-dev); fi

have_gnutime=0
[ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1 && have_gnutime=1 || missing+=(time)

have_timeout=0
command -v timeout >/dev/null && have_timeout=1

# ---- helpers ---------------------------------------------------------------

# fmt_ms SECONDS -> "2.10 ms" / "412 ms" / "1.23 s"
fmt_t() {
    awk -v s="$1" 'BEGIN {
        ms = s * 1000
        if (ms < 10) printf "%.2f ms", ms
        else if (ms < 1000) printf "%.1f ms", ms
        else printf "%.2f s", s }'
}

# ratio A B -> A/B with a sensible number of digits
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (b <= 0) { print "inf"; exit }
        r = a / b
        if (r >= 100) printf "%.0f", r; else if (r >= 10) printf "%.1f", r; else printf "%.2f", r }'
}

# faster_or_slower SYMGRAD_T PEER_T -> "196x faster" / "1.5x slower"
verdict() {
    if awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; then
        echo "$(ratio "$2" "$1")x faster"
    else
        echo "$(ratio "$1" "$2")x slower"
    fi
}

# close A B RELTOL -> exit 0 when |A-B| <= RELTOL * max(|A|,|B|,tiny)
close() {
    awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN {
        if (a == "" || b == "") exit 1
        a += 0; b += 0
        d = a - b; if (d < 0) d = -d
        m = (a < 0 ? -a : a); n = (b < 0 ? -b : b); if (n > m) m = n; if (m < 1e-300) m = 1e-300
        exit !(d <= t * m) }'
}

# children_cpu -> user+system seconds of this shell's finished children so far
# (times must run in this shell, not in a $(...) fork, whose children are none)
children_cpu() {
    times >"$tmp/times"
    awk 'NR == 2 {
        t = 0
        for (i = 1; i <= 2; i++) { split($i, p, "m"); sub("s", "", p[2]); t += p[1] * 60 + p[2] }
        printf "%.6f\n", t }' "$tmp/times"
}

# now_us -> NOW, microseconds of wall clock; bash 5's $EPOCHREALTIME needs no
# fork (a fork of date would be timed too), else date +%s%N
now_us() {
    if [ -n "${EPOCHREALTIME:-}" ]; then
        NOW=${EPOCHREALTIME/[.,]/}
    else
        NOW=$(($(date +%s%N) / 1000))
    fi
}

# timeit RUNS WARMUP CMD... -> sets T_MEAN (mean wall seconds of a fresh
# process) and T_CPU (its mean user+system seconds), output discarded.
# hyperfine when present (no intermediate shell), else a bash loop.
timeit() {
    local runs=$1 warmup=$2
    shift 2
    T_MEAN="" T_CPU=""
    if [ $have_hyperfine = 1 ]; then
        local cmd="" a
        for a in "$@"; do cmd+="$(printf '%q' "$a") "; done
        # named, so the CSV's first field has no commas of the command's own
        if ! hyperfine -N --style none --warmup "$warmup" --runs "$runs" -n timed \
                --export-csv "$tmp/hf.csv" "$cmd" >"$tmp/hf.log" 2>&1; then
            cat "$tmp/hf.log" >&2
            printf 'bench.sh: error: timing failed: %s\n' "$cmd" >&2
            return 1
        fi
        # command,mean,stddev,median,user,system,min,max
        read -r T_MEAN T_CPU < <(awk -F, 'NR == 2 && $1 == "timed" { print $2, $5 + $6 }' "$tmp/hf.csv") || true
    else
        local i t0 t1 total=0 c0 c1
        for ((i = 0; i < warmup; i++)); do "$@" >/dev/null 2>&1 || true; done
        children_cpu >"$tmp/c0"
        for ((i = 0; i < runs; i++)); do
            now_us
            t0=$NOW
            "$@" >/dev/null 2>&1 || { printf 'bench.sh: error: failed: %s\n' "$*" >&2; return 1; }
            now_us
            t1=$NOW
            total=$((total + t1 - t0))
        done
        children_cpu >"$tmp/c1"
        c0=$(cat "$tmp/c0") c1=$(cat "$tmp/c1")
        read -r T_MEAN T_CPU < <(awk -v us="$total" -v n="$runs" -v c0="$c0" -v c1="$c1" \
            'BEGIN { printf "%.9f %.9f\n", us / n / 1e6, (c1 - c0) / n }')
    fi
    if [ -z "$T_MEAN" ]; then
        printf 'bench.sh: error: no timing for: %s\n' "$*" >&2
        return 1
    fi
}

# peak_kb CMD... -> maximum resident set size of one run, in KB
peak_kb() {
    /usr/bin/time -f '%M' -o "$tmp/rss" "$@" >/dev/null 2>"$tmp/rss.err" ||
        { cat "$tmp/rss.err" >&2; return 1; }
    tail -n 1 "$tmp/rss"
}

failures=0
fail() { printf '  FAIL: %s\n' "$*"; failures=$((failures + 1)); }

# target results for the summary: met / missed / not measured
t1_state="not measured" t1_text=""
t2_state="not measured" t2_text=""
t3_state="not measured" t3_text=""

echo "symgrad:  $sg ($("$sg" --version))"
if [ -n "$built_rev" ]; then echo "source:   built from $root at $built_rev"; fi
echo "machine:  $(nproc) cores, $(uname -srm)"
if [ $have_hyperfine = 1 ]; then
    echo "timing:   $(hyperfine --version), fresh process per run, mean"
else
    echo "timing:   bash loop (\$EPOCHREALTIME or date +%s%N), fresh process per run, mean; apt-get install hyperfine for better"
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "missing peers: ${missing[*]}"
    echo "  install with: apt-get install python3-sympy libginac-dev g++ pkg-config hyperfine time"
    echo "  (the comparisons that need them are skipped)"
fi
read -r load1 _ </proc/loadavg || load1=0
echo "load:     $load1 (1-minute average before the run)"
if awk -v l="$load1" -v c="$(nproc)" 'BEGIN { exit !(l > c / 2) }'; then
    echo "  warning: the machine is busy; wall times will be inflated (the cpu figures less so)"
fi
[ -n "$py" ] && echo "sympy:    $("$py" -c 'import sympy, sys; print(sympy.__version__, "on python", sys.version.split()[0])') ($py)"
[ $have_ginac = 1 ] && echo "ginac:    $(pkg-config --modversion ginac), g++ $(g++ -dumpversion) -O2"

# ---- 1. one-shot sin(x^2) at 4 ------------------------------------------------

echo
echo "== 1. one-shot: d/dx sin(x^2) at x = 4, fresh process each run"
expect1=-7.6612758425870773
sg1=("$sg" 'sin(x^2)' --wrt x --at 4)
out=$("${sg1[@]}") || { fail "symgrad exited $?"; out=""; }
printf '%s\n' "$out" | sed 's/^/  symgrad says: /'
v=$(printf '%s\n' "$out" | awk '/at x = /{ print $NF }')
close "$v" "$expect1" 1e-12 || fail "symgrad's value '$v' is not $expect1"
timeit "$RUNS_FAST" 5 "${sg1[@]}"
t_sg1=$T_MEAN c_sg1=$T_CPU

if [ -n "$py" ]; then
    sp1=("$py" -c "import sympy; x=sympy.Symbol('x'); d=sympy.diff(sympy.sin(x**2),x); print(d, d.subs(x,4).evalf())")
    out=$("${sp1[@]}") || { fail "sympy exited $?"; out=""; }
    printf '%s\n' "$out" | sed 's/^/  sympy says:   /'
    v=$(printf '%s\n' "$out" | awk '{ print $NF }')
    close "$v" "$expect1" 1e-12 || fail "sympy's value '$v' is not $expect1"
    timeit "$RUNS_SLOW" 1 "${sp1[@]}"
    t_sp1=$T_MEAN c_sp1=$T_CPU
    x1=$(ratio "$t_sp1" "$t_sg1")
    echo "one-shot sin(x^2) at 4: symgrad $(fmt_t "$t_sg1"), sympy $(fmt_t "$t_sp1"), $(verdict "$t_sg1" "$t_sp1")"
    echo "  cpu (user+sys) per run: symgrad $(fmt_t "$c_sg1"), sympy $(fmt_t "$c_sp1"), $(verdict "$c_sg1" "$c_sp1")"
    t1_text="symgrad $(fmt_t "$t_sg1") vs SymPy $(fmt_t "$t_sp1"), ${x1}x (by cpu time $(ratio "$c_sp1" "$c_sg1")x)"
    if awk -v r="$x1" 'BEGIN { exit !(r >= 100) }'; then t1_state=met; else t1_state=missed; fi
else
    echo "one-shot sin(x^2) at 4: symgrad $(fmt_t "$t_sg1"), sympy not available (apt-get install python3-sympy)"
fi

# ---- 2. 10th derivative of sin(sin(sin(sin(x)))) at 0.5 -------------------------

echo
echo "== 2. d^10/dx^10 sin(sin(sin(sin(x)))) at x = 0.5 (expected 434067.27884395143, rel. tol. 1e-9)"
expect2=434067.27884395143
sg2=("$sg" 'sin(sin(sin(sin(x))))' --order 10 --at 0.5 --values)
v_sg2=$("${sg2[@]}") || { fail "symgrad exited $?"; v_sg2=""; }
if close "$v_sg2" "$expect2" 1e-9; then ok=agrees; else ok=DISAGREES; fail "symgrad's value '$v_sg2' is not $expect2"; fi
echo "  symgrad value: $v_sg2 ($ok)"
timeit "$RUNS_FAST" 5 "${sg2[@]}"
t_sg2=$T_MEAN c_sg2=$T_CPU

if [ $have_ginac = 1 ]; then
    # shellcheck disable=SC2046
    if ! g++ -O2 -o "$tmp/bench_ginac" "$here/bench_ginac.cpp" $(pkg-config --cflags --libs ginac) \
            >"$tmp/gxx.log" 2>&1; then
        cat "$tmp/gxx.log" >&2
        fail "tools/bench_ginac.cpp did not compile"
        have_ginac=0
    fi
fi
if [ $have_ginac = 1 ]; then
    gi2=("$tmp/bench_ginac" 10 0.5 'sin(sin(sin(sin(x))))')
    out=$("${gi2[@]}") || { fail "bench_ginac exited $?"; out=""; }
    v_gi2=$(printf '%s\n' "$out" | awk '$1 == "value" { print $2 }')
    if close "$v_gi2" "$expect2" 1e-9; then ok=agrees; else ok=DISAGREES; fail "GiNaC's value '$v_gi2' is not $expect2"; fi
    echo "  ginac value:   $v_gi2 ($ok)"
    # GiNaC's in-process times: mean over fresh processes
    in_ns=0 df_ns=0 ev_ns=0 n_in=10
    for ((i = 0; i < n_in; i++)); do
        out=$("${gi2[@]}") || { fail "bench_ginac exited $?"; break; }
        in_ns=$((in_ns + $(printf '%s\n' "$out" | awk '$1 == "inproc_ns" { print $2 }')))
        df_ns=$((df_ns + $(printf '%s\n' "$out" | awk '$1 == "diff_ns" { print $2 }')))
        ev_ns=$((ev_ns + $(printf '%s\n' "$out" | awk '$1 == "eval_ns" { print $2 }')))
    done
    t_gi_in=$(awk -v ns="$in_ns" -v n=$n_in 'BEGIN { printf "%.9f", ns / n / 1e9 }')
    t_gi_df=$(awk -v ns="$df_ns" -v n=$n_in 'BEGIN { printf "%.9f", ns / n / 1e9 }')
    t_gi_ev=$(awk -v ns="$ev_ns" -v n=$n_in 'BEGIN { printf "%.9f", ns / n / 1e9 }')
    timeit "$RUNS_SLOW" 2 "${gi2[@]}"
    t_gi2=$T_MEAN c_gi2=$T_CPU
    echo "10th derivative at 0.5, whole process: symgrad $(fmt_t "$t_sg2"), ginac $(fmt_t "$t_gi2"), $(verdict "$t_sg2" "$t_gi2")"
    echo "  cpu (user+sys) per run: symgrad $(fmt_t "$c_sg2"), ginac $(fmt_t "$c_gi2"), $(verdict "$c_sg2" "$c_gi2")"
    echo "  ginac in-process (diff + subs/evalf): $(fmt_t "$t_gi_in") (diff $(fmt_t "$t_gi_df"), subs+evalf $(fmt_t "$t_gi_ev")); symgrad's whole process is $(verdict "$t_sg2" "$t_gi_in") than that"
    t2_text="symgrad $(fmt_t "$t_sg2") vs GiNaC $(fmt_t "$t_gi2") whole process, $(verdict "$t_sg2" "$t_gi2")"
    if awk -v a="$t_sg2" -v b="$t_gi2" 'BEGIN { exit !(a < b) }'; then t2_state=met; else t2_state=missed; fi
else
    echo "10th derivative at 0.5: symgrad $(fmt_t "$t_sg2"), ginac not available (apt-get install libginac-dev g++ pkg-config)"
fi

if [ -n "$py" ]; then
    sp2=("$py" -c "import sympy; x=sympy.Symbol('x'); d=sympy.diff(sympy.sin(sympy.sin(sympy.sin(sympy.sin(x)))),x,10); print(repr(float(d.subs(x,sympy.Rational(1,2)).evalf(17))))")
    [ $have_timeout = 1 ] && sp2=(timeout "$SYMPY_TIMEOUT" "${sp2[@]}")
    now_us
    t0=$NOW
    rc=0
    v_sp2=$("${sp2[@]}") || rc=$?
    now_us
    t1=$NOW
    if [ $rc = 124 ]; then
        echo "  sympy: timed out after ${SYMPY_TIMEOUT} s (one run)"
    elif [ $rc != 0 ]; then
        fail "sympy exited $rc"
    else
        t_sp2=$(awk -v us=$((t1 - t0)) 'BEGIN { printf "%.9f", us / 1e6 }')
        if close "$v_sp2" "$expect2" 1e-9; then ok=agrees; else ok=DISAGREES; fail "sympy's value '$v_sp2' is not $expect2"; fi
        echo "  sympy value:   $v_sp2 ($ok)"
        echo "10th derivative at 0.5, whole process: symgrad $(fmt_t "$t_sg2"), sympy $(fmt_t "$t_sp2") (one run), $(verdict "$t_sg2" "$t_sp2")"
    fi
fi

# ---- 3. first derivative of a long sum ---------------------------------------

echo
echo "== 3. d/dx of an N-term sum (k*sin(x + k) for odd k, sin(k*x)/k for even k) at x = 0.5, -f FILE"
# The sum's derivative in closed form, summed with Kahan compensation.
gen_sum() {
    awk -v n="$1" 'BEGIN {
        for (k = 1; k <= n; k++) {
            if (k > 1) printf " + "
            if (k % 2) printf "%d*sin(x + %d)", k, k
            else printf "sin(%d*x)/%d", k, k
        }
        printf "\n" }'
}
ref_sum() {
    awk -v n="$1" -v x=0.5 'BEGIN {
        s = 0; c = 0
        for (k = 1; k <= n; k++) {
            t = (k % 2) ? k * cos(x + k) : cos(k * x)
            y = t - c; u = s + y; c = (u - s) - y; s = u
        }
        printf "%.17g\n", s }'
}
read -r -a sizes <<<"$SUM_SIZES"
declare -A t_sum c_sum kb_sum
for n in "${sizes[@]}"; do
    gen_sum "$n" >"$tmp/sum$n.txt"
    cmd=("$sg" -f "$tmp/sum$n.txt" --at x=0.5 --values)
    v=$("${cmd[@]}") || { fail "symgrad exited $? on the $n-term sum"; continue; }
    ref=$(ref_sum "$n")
    if close "$v" "$ref" 1e-9; then ok=agrees; else ok=DISAGREES; fail "$n-term sum: symgrad '$v', expected '$ref'"; fi
    timeit "$RUNS_SUM" 1 "${cmd[@]}"
    t_sum[$n]=$T_MEAN c_sum[$n]=$T_CPU
    if [ $have_gnutime = 1 ]; then
        kb_sum[$n]=$(peak_kb "${cmd[@]}")
        mem=$(awk -v kb="${kb_sum[$n]}" -v n="$n" 'BEGIN { printf "peak %.1f MB, %.2f KB/term", kb / 1024, kb / n }')
    else
        mem="peak memory not measured (apt-get install time)"
    fi
    printf '  %6d terms (%s): symgrad %s (cpu %s), %s; value %s vs %s (%s)\n' "$n" \
        "$(du -h "$tmp/sum$n.txt" | cut -f1)" "$(fmt_t "${t_sum[$n]}")" "$(fmt_t "${c_sum[$n]}")" "$mem" "$v" "$ref" "$ok"
done
if [ -n "${t_sum[200000]:-}" ]; then
    t200=${t_sum[200000]}
    t3_text="$(fmt_t "$t200")"
    if awk -v t="$t200" 'BEGIN { exit !(t < 1) }'; then t3_state=met; else t3_state=missed; fi
    echo "200k-term sum: symgrad $(fmt_t "$t200"), target 1 s, $(verdict "$t200" 1) than the target"
fi
# growth between consecutive sizes that both ran, against the linear ratio
prev=""
for n in "${sizes[@]}"; do
    [ -n "${t_sum[$n]:-}" ] || continue
    if [ -n "$prev" ]; then
        line="  growth ${prev} -> ${n} terms (linear: x$(ratio "$n" "$prev")): time x$(ratio "${t_sum[$n]}" "${t_sum[$prev]}")"
        if [ -n "${kb_sum[$n]:-}" ] && [ -n "${kb_sum[$prev]:-}" ]; then
            line+=", memory x$(ratio "${kb_sum[$n]}" "${kb_sum[$prev]}")"
            line+=$(awk -v a="${kb_sum[$prev]}" -v b="${kb_sum[$n]}" -v m="$prev" -v n="$n" 'BEGIN {
                printf ", marginal %.5f MB/term (%.2f KB/term)", (b - a) / 1024 / (n - m), (b - a) / (n - m) }')
        fi
        echo "$line"
    fi
    prev=$n
done

# ---- summary -----------------------------------------------------------------

echo
echo "== targets"
printf '  %-16s >= 100x faster than SymPy one-shot: %s\n' "[$t1_state]" "${t1_text:-SymPy not available}"
printf '  %-16s faster than GiNaC on the 10th derivative: %s\n' "[$t2_state]" "${t2_text:-GiNaC not available}"
printf '  %-16s 200k-term sum under 1 s: %s\n' "[$t3_state]" "${t3_text:-not run}"
if [ $failures -gt 0 ]; then
    echo "$failures check(s) FAILED (see FAIL lines above)"
    exit 1
fi
echo "all values agreed with their references"
