#!/usr/bin/env bash
# bench.sh - symgrad against its peers, side by side, in one run.
#
#   bash tools/bench.sh [path/to/symgrad]
#
# With no path, builds the project (Release) into build-release/ first.
#
#   1. one-shot 'sin(x^2)' at 4, a fresh process each time: symgrad vs SymPy,
#      median and minimum of the runs, and the ratio of the medians
#   2. the 10th derivative of sin(sin(sin(sin(x)))) at 0.5: symgrad vs GiNaC
#      (tools/bench_ginac.cpp, compiled here) and, if it finishes within
#      SYMPY_TIMEOUT seconds, SymPy
#   3. the first derivative of 50,000 / 100,000 / 200,000-term sums read
#      with -f and printed: time, peak memory, memory per term, under 1 s or
#      not, beside the time of evaluating it at 0.5 (which emits and compiles
#      the whole C file) with the value checked,
#      for three kinds of sum:
#        trig      k*sin(x + k) for odd k, sin(k*x)/k for even k
#        poly      k*x^(k%50+1)            (like terms collect: 50 remain)
#        rational  k*x^(k%50+1)/(1 + k*x)  (every term distinct)
#      and, for the largest trig sum, where the time goes, told apart by
#      what the command line can leave out (printing, the derivative, the JIT)
#
# Wall times are of a fresh process each run; a section reports the median
# (the figure compared) and the minimum of its runs, with the mean
# user+system cpu time beside them. The 1-minute load average is printed
# before each section, since a busy machine inflates wall times.
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
# RUNS_SLOW (default 11 for SymPy one-shot and the GiNaC process), RUNS_SUM
# (default 3 per sum size, after one untimed run that checks the value and
# measures peak memory), RUNS_PHASE (default 3 per phase-breakdown command;
# 0 skips the breakdown), SYMPY_TIMEOUT (default 60 s), SYMPY_PYTHON (a
# python with sympy), SUM_SIZES (default "50000 100000 200000"), SUM_KINDS
# (default "trig poly rational"), NO_HYPERFINE=1 (use the bash loop even when
# hyperfine is installed). The defaults take about 1.5 minutes on an idle
# 2-core machine, up to 3 under a load of 6.
#
# Exit status: 0 when every value computed agreed with its reference, 1 when
# one disagreed or a program failed, 2 on a usage or build error. Targets that
# are missed are reported, not failed.
set -euo pipefail

RUNS_FAST=${RUNS_FAST:-100}
RUNS_SLOW=${RUNS_SLOW:-11}
RUNS_SUM=${RUNS_SUM:-3}
RUNS_PHASE=${RUNS_PHASE:-3}
SYMPY_TIMEOUT=${SYMPY_TIMEOUT:-60}
SUM_SIZES=${SUM_SIZES:-50000 100000 200000}
SUM_KINDS=${SUM_KINDS:-trig poly rational}

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
for v in RUNS_FAST RUNS_SLOW RUNS_SUM; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done
[[ $RUNS_PHASE =~ ^[0-9]+$ ]] || die "RUNS_PHASE must be a non-negative integer, not '$RUNS_PHASE'"
for n in $SUM_SIZES; do [[ $n =~ ^[1-9][0-9]*$ ]] || die "SUM_SIZES: '$n' is not a positive integer"; done
for k in $SUM_KINDS; do
    case $k in trig | poly | rational) ;; *) die "SUM_KINDS: '$k' is not one of trig poly rational" ;; esac
done

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

# fmt_t SECONDS -> "2.10 ms" / "412.0 ms" / "1.23 s"
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

# verdict SYMGRAD_T PEER_T -> "196x faster" / "1.5x slower"
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

# stats FILE -> "MEDIAN MIN MEAN" of the numbers in FILE, one a line
stats() {
    sort -g "$1" | awk '{ v[NR] = $1; s += $1 }
        END {
            if (NR == 0) exit 1
            med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.9f %.9f %.9f\n", med, v[1], s / NR }'
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

# timeit RUNS WARMUP CMD... -> sets T_MEDIAN, T_MIN and T_MEAN (wall seconds
# of a fresh process) and T_CPU (its mean user+system seconds), output
# discarded. hyperfine when present (no intermediate shell), else a bash loop.
timeit() {
    local runs=$1 warmup=$2
    shift 2
    T_MEDIAN="" T_MIN="" T_MEAN="" T_CPU=""
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
        read -r T_MEDIAN T_MIN T_MEAN T_CPU < <(awk -F, 'NR == 2 && $1 == "timed" { print $4, $7, $2, $5 + $6 }' "$tmp/hf.csv") || true
    else
        local i t0 t1 c0 c1
        for ((i = 0; i < warmup; i++)); do "$@" >/dev/null 2>&1 || true; done
        : >"$tmp/runs"
        children_cpu >"$tmp/c0"
        for ((i = 0; i < runs; i++)); do
            now_us
            t0=$NOW
            "$@" >/dev/null 2>&1 || { printf 'bench.sh: error: failed: %s\n' "$*" >&2; return 1; }
            now_us
            t1=$NOW
            echo "$((t1 - t0))e-6" >>"$tmp/runs"
        done
        children_cpu >"$tmp/c1"
        c0=$(cat "$tmp/c0") c1=$(cat "$tmp/c1")
        # shellcheck disable=SC2034  # T_MEAN: not every caller prints it
        read -r T_MEDIAN T_MIN T_MEAN < <(stats "$tmp/runs") || true
        T_CPU=$(awk -v n="$runs" -v c0="$c0" -v c1="$c1" 'BEGIN { printf "%.9f", (c1 - c0) / n }')
    fi
    if [ -z "$T_MEDIAN" ]; then
        printf 'bench.sh: error: no timing for: %s\n' "$*" >&2
        return 1
    fi
}

# one_run OUT CMD... -> runs CMD once, its output in OUT; sets R_KB (peak
# resident set in KB, empty without /usr/bin/time)
one_run() {
    local out=$1 rc=0
    shift
    R_KB=""
    if [ $have_gnutime = 1 ]; then
        /usr/bin/time -f '%M' -o "$tmp/rss" "$@" >"$out" 2>"$tmp/run.err" || rc=$?
    else
        "$@" >"$out" 2>"$tmp/run.err" || rc=$?
    fi
    if [ $rc != 0 ]; then
        head -n 5 "$tmp/run.err" >&2
        return $rc
    fi
    [ $have_gnutime = 1 ] && R_KB=$(tail -n 1 "$tmp/rss")
    return 0
}

# load -> the load averages now, "1.02 0.87 0.95 (1, 5, 15 min)"
load() {
    local l1 l5 l15 rest
    read -r l1 l5 l15 rest </proc/loadavg 2>/dev/null || { echo "unknown"; return; }
    echo "$l1 $l5 $l15 (1, 5, 15 min)"
}
section_load() { echo "  load before this section: $(load)"; }

failures=0
fail() { printf '  FAIL: %s\n' "$*"; failures=$((failures + 1)); }

# target results for the summary: met / missed / not measured
t1_state="not measured" t1_text=""
t2_state="not measured" t2_text=""
declare -A t3_state t3_text

echo "symgrad:  $sg ($("$sg" --version))"
if [ -n "$built_rev" ]; then echo "source:   built from $root at $built_rev"; fi
echo "machine:  $(nproc) cores, $(uname -srm)"
if [ $have_hyperfine = 1 ]; then
    echo "timing:   $(hyperfine --version), fresh process per run; median (compared) and min of the runs"
else
    echo "timing:   bash loop (\$EPOCHREALTIME or date +%s%N), fresh process per run; median (compared) and min; apt-get install hyperfine for better"
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "missing peers: ${missing[*]}"
    echo "  install with: apt-get install python3-sympy libginac-dev g++ pkg-config hyperfine time"
    echo "  (the comparisons that need them are skipped)"
fi
read -r load1 _ </proc/loadavg || load1=0
echo "load:     $(load) before the run"
if awk -v l="$load1" -v c="$(nproc)" 'BEGIN { exit !(l > c / 2) }'; then
    echo "  warning: the machine is busy; wall times will be inflated (the cpu figures less so)"
fi
[ -n "$py" ] && echo "sympy:    $("$py" -c 'import sympy, sys; print(sympy.__version__, "on python", sys.version.split()[0])') ($py)"
[ $have_ginac = 1 ] && echo "ginac:    $(pkg-config --modversion ginac), g++ $(g++ -dumpversion) -O2"
SECONDS=0

# ---- 1. one-shot sin(x^2) at 4 ------------------------------------------------

echo
echo "== 1. one-shot: d/dx sin(x^2) at x = 4, fresh process each run"
section_load
expect1=-7.6612758425870773
sg1=("$sg" 'sin(x^2)' --wrt x --at 4)
out=$("${sg1[@]}") || { fail "symgrad exited $?"; out=""; }
printf '%s\n' "$out" | sed 's/^/  symgrad says: /'
v=$(printf '%s\n' "$out" | awk '/at x = /{ print $NF }')
close "$v" "$expect1" 1e-12 || fail "symgrad's value '$v' is not $expect1"
timeit "$RUNS_FAST" 5 "${sg1[@]}"
m_sg1=$T_MEDIAN n_sg1=$T_MIN c_sg1=$T_CPU
printf '  symgrad: median %s, min %s, mean %s of %d runs (mean cpu %s)\n' \
    "$(fmt_t "$m_sg1")" "$(fmt_t "$n_sg1")" "$(fmt_t "$T_MEAN")" "$RUNS_FAST" "$(fmt_t "$c_sg1")"

if [ -n "$py" ]; then
    sp1=("$py" -c "import sympy; x=sympy.Symbol('x'); d=sympy.diff(sympy.sin(x**2),x); print(d, d.subs(x,4).evalf())")
    out=$("${sp1[@]}") || { fail "sympy exited $?"; out=""; }
    printf '%s\n' "$out" | sed 's/^/  sympy says:   /'
    v=$(printf '%s\n' "$out" | awk '{ print $NF }')
    close "$v" "$expect1" 1e-12 || fail "sympy's value '$v' is not $expect1"
    timeit "$RUNS_SLOW" 1 "${sp1[@]}"
    m_sp1=$T_MEDIAN n_sp1=$T_MIN c_sp1=$T_CPU
    printf '  sympy:   median %s, min %s, mean %s of %d runs (mean cpu %s)\n' \
        "$(fmt_t "$m_sp1")" "$(fmt_t "$n_sp1")" "$(fmt_t "$T_MEAN")" "$RUNS_SLOW" "$(fmt_t "$c_sp1")"
    x1=$(ratio "$m_sp1" "$m_sg1")
    echo "one-shot sin(x^2) at 4: ratio of medians ${x1}x (symgrad $(verdict "$m_sg1" "$m_sp1")); of mins $(ratio "$n_sp1" "$n_sg1")x; of mean cpu $(ratio "$c_sp1" "$c_sg1")x"
    t1_text="medians: symgrad $(fmt_t "$m_sg1") vs SymPy $(fmt_t "$m_sp1"), ${x1}x (mins $(fmt_t "$n_sg1") vs $(fmt_t "$n_sp1"), $(ratio "$n_sp1" "$n_sg1")x)"
    if awk -v r="$x1" 'BEGIN { exit !(r >= 100) }'; then t1_state=met; else t1_state=missed; fi
else
    echo "one-shot sin(x^2) at 4: symgrad median $(fmt_t "$m_sg1"), sympy not available (apt-get install python3-sympy)"
fi

# ---- 2. 10th derivative of sin(sin(sin(sin(x)))) at 0.5 -------------------------

echo
echo "== 2. d^10/dx^10 sin(sin(sin(sin(x)))) at x = 0.5 (expected 434067.27884395143, rel. tol. 1e-9)"
section_load
expect2=434067.27884395143
sg2=("$sg" 'sin(sin(sin(sin(x))))' --order 10 --at 0.5 --values)
v_sg2=$("${sg2[@]}") || { fail "symgrad exited $?"; v_sg2=""; }
if close "$v_sg2" "$expect2" 1e-9; then ok=agrees; else ok=DISAGREES; fail "symgrad's value '$v_sg2' is not $expect2"; fi
echo "  symgrad value: $v_sg2 ($ok)"
timeit "$RUNS_FAST" 5 "${sg2[@]}"
m_sg2=$T_MEDIAN n_sg2=$T_MIN c_sg2=$T_CPU
printf '  symgrad: median %s, min %s, mean %s of %d runs (mean cpu %s)\n' \
    "$(fmt_t "$m_sg2")" "$(fmt_t "$n_sg2")" "$(fmt_t "$T_MEAN")" "$RUNS_FAST" "$(fmt_t "$c_sg2")"

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
    timeit "$RUNS_SLOW" 2 "${gi2[@]}"
    m_gi2=$T_MEDIAN n_gi2=$T_MIN c_gi2=$T_CPU
    printf '  ginac:   median %s, min %s, mean %s of %d runs (mean cpu %s)\n' \
        "$(fmt_t "$m_gi2")" "$(fmt_t "$n_gi2")" "$(fmt_t "$T_MEAN")" "$RUNS_SLOW" "$(fmt_t "$c_gi2")"
    # GiNaC's in-process times (its own clock, around diff and subs/evalf):
    # median over fresh processes
    : >"$tmp/gi_in" && : >"$tmp/gi_df" && : >"$tmp/gi_ev"
    for ((i = 0; i < RUNS_SLOW; i++)); do
        out=$("${gi2[@]}") || { fail "bench_ginac exited $?"; break; }
        printf '%s\n' "$out" | awk -v a="$tmp/gi_in" -v b="$tmp/gi_df" -v c="$tmp/gi_ev" '
            $1 == "inproc_ns" { print $2 / 1e9 >>a }
            $1 == "diff_ns" { print $2 / 1e9 >>b }
            $1 == "eval_ns" { print $2 / 1e9 >>c }'
    done
    read -r t_gi_in _ < <(stats "$tmp/gi_in") || t_gi_in=0
    read -r t_gi_df _ < <(stats "$tmp/gi_df") || t_gi_df=0
    read -r t_gi_ev _ < <(stats "$tmp/gi_ev") || t_gi_ev=0
    echo "10th derivative at 0.5, whole process, medians: symgrad $(fmt_t "$m_sg2"), ginac $(fmt_t "$m_gi2"), $(verdict "$m_sg2" "$m_gi2") (mins: $(verdict "$n_sg2" "$n_gi2"); mean cpu: $(verdict "$c_sg2" "$c_gi2"))"
    echo "  ginac in-process (diff + subs/evalf), median: $(fmt_t "$t_gi_in") (diff $(fmt_t "$t_gi_df"), subs+evalf $(fmt_t "$t_gi_ev")); symgrad's whole process is $(verdict "$m_sg2" "$t_gi_in") than that"
    t2_text="medians: symgrad $(fmt_t "$m_sg2") vs GiNaC $(fmt_t "$m_gi2") whole process, $(verdict "$m_sg2" "$m_gi2"); vs GiNaC in-process $(fmt_t "$t_gi_in"), $(verdict "$m_sg2" "$t_gi_in")"
    if awk -v a="$m_sg2" -v b="$m_gi2" 'BEGIN { exit !(a < b) }'; then t2_state=met; else t2_state=missed; fi
else
    echo "10th derivative at 0.5: symgrad median $(fmt_t "$m_sg2"), ginac not available (apt-get install libginac-dev g++ pkg-config)"
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
        echo "10th derivative at 0.5, whole process: symgrad $(fmt_t "$m_sg2") (median), sympy $(fmt_t "$t_sp2") (one run), $(verdict "$m_sg2" "$t_sp2")"
    fi
fi

# ---- 3. first derivative of long sums ------------------------------------------

# gen_sum KIND N -> the N-term sum's text on one line
gen_sum() {
    awk -v kind="$1" -v n="$2" 'BEGIN {
        for (k = 1; k <= n; k++) {
            if (k > 1) printf " + "
            m = k % 50 + 1
            if (kind == "trig") {
                if (k % 2) printf "%d*sin(x + %d)", k, k
                else printf "sin(%d*x)/%d", k, k
            } else if (kind == "poly") printf "%d*x^%d", k, m
            else printf "%d*x^%d/(1 + %d*x)", k, m, k
        }
        printf "\n" }'
}
# ref_sum KIND N -> the derivative at 0.5 in closed form, summed term by term
# with Kahan compensation
ref_sum() {
    awk -v kind="$1" -v n="$2" -v x=0.5 'BEGIN {
        s = 0; c = 0
        for (k = 1; k <= n; k++) {
            m = k % 50 + 1
            if (kind == "trig") t = (k % 2) ? k * cos(x + k) : cos(k * x)
            else if (kind == "poly") t = k * m * x ^ (m - 1)
            else { q = 1 + k * x; t = k * m * x ^ (m - 1) / q - k * k * x ^ m / (q * q) }
            y = t - c; u = s + y; c = (u - s) - y; s = u
        }
        printf "%.17g\n", s }'
}
describe_sum() {
    case $1 in
    trig) echo "k*sin(x + k) for odd k, sin(k*x)/k for even k (distinct terms)" ;;
    poly) echo "k*x^(k%50+1) (like terms collect: 50 remain)" ;;
    rational) echo "k*x^(k%50+1)/(1 + k*x) (distinct terms, no collection)" ;;
    esac
}

echo
echo "== 3. d/dx of an N-term sum, read with -f FILE --wrt x (the derivative printed)"
echo "  (time: median and min of $RUNS_SUM runs; peak RSS of one further run; 'at 0.5' is the median of"
echo "   -f FILE --at x=0.5 --values, which compiles the whole emitted file, and its value is checked, rel. tol. 1e-9)"
read -r -a sizes <<<"$SUM_SIZES"
read -r -a kinds <<<"$SUM_KINDS"
largest=0
for n in "${sizes[@]}"; do [ "$n" -gt "$largest" ] && largest=$n; done
declare -A t_sum n_sum kb_sum
for kind in "${kinds[@]}"; do
    echo
    echo "-- $kind: $(describe_sum "$kind")"
    section_load
    printf '  %7s %6s %10s %10s %10s %10s %9s %6s %10s  %s\n' terms file median min cpu "peak RSS" "MB/term" "< 1 s" "at 0.5" value
    for n in "${sizes[@]}"; do
        f="$tmp/$kind$n.txt"
        gen_sum "$kind" "$n" >"$f"
        at_cmd=("$sg" -f "$f" --at x=0.5 --values)
        one_run "$tmp/value" "${at_cmd[@]}" || { fail "symgrad exited $? on the $n-term $kind sum"; continue; }
        v=$(cat "$tmp/value")
        ref=$(ref_sum "$kind" "$n")
        if close "$v" "$ref" 1e-9; then ok=agrees; else ok=DISAGREES; fail "$n-term $kind sum: symgrad '$v', expected '$ref'"; fi
        timeit "$RUNS_SUM" 0 "${at_cmd[@]}" || { fail "timing the $n-term $kind sum at 0.5 failed"; continue; }
        t_at=$T_MEDIAN
        cmd=("$sg" -f "$f" --wrt x)
        one_run "$tmp/deriv" "${cmd[@]}" || { fail "symgrad exited $? on the $n-term $kind sum"; continue; }
        kb=$R_KB
        timeit "$RUNS_SUM" 0 "${cmd[@]}" || { fail "timing the $n-term $kind sum failed"; continue; }
        t_sum[$kind.$n]=$T_MEDIAN n_sum[$kind.$n]=$T_MIN
        if [ -n "$kb" ]; then
            kb_sum[$kind.$n]=$kb
            mem=$(awk -v kb="$kb" -v n="$n" 'BEGIN { printf "%7.1f MB %9.5f", kb / 1024, kb / 1024 / n }')
        else
            mem=$(printf '%10s %9s' "n/a" "n/a")
        fi
        under=$(awk -v t="$T_MEDIAN" 'BEGIN { print (t < 1) ? "yes" : "no" }')
        printf '  %7d %6s %10s %10s %10s %s %6s %10s  %s vs %s (%s)\n' "$n" "$(du -h "$f" | cut -f1)" \
            "$(fmt_t "$T_MEDIAN")" "$(fmt_t "$T_MIN")" "$(fmt_t "$T_CPU")" "$mem" "$under" \
            "$(fmt_t "$t_at")" "$v" "$ref" "$ok"
        [ "$n" = "$largest" ] || rm -f "$f"
    done
    # growth between consecutive sizes that both ran, against the linear ratio
    prev=""
    for n in "${sizes[@]}"; do
        [ -n "${t_sum[$kind.$n]:-}" ] || continue
        if [ -n "$prev" ]; then
            line="  growth ${prev} -> ${n} terms (linear: x$(ratio "$n" "$prev")): time x$(ratio "${t_sum[$kind.$n]}" "${t_sum[$kind.$prev]}")"
            if [ -n "${kb_sum[$kind.$n]:-}" ] && [ -n "${kb_sum[$kind.$prev]:-}" ]; then
                line+=", memory x$(ratio "${kb_sum[$kind.$n]}" "${kb_sum[$kind.$prev]}")"
                line+=$(awk -v a="${kb_sum[$kind.$prev]}" -v b="${kb_sum[$kind.$n]}" -v m="$prev" -v n="$n" 'BEGIN {
                    printf ", marginal %.5f MB/term", (b - a) / 1024 / (n - m) }')
            fi
            echo "$line"
        fi
        prev=$n
    done
    if [ -n "${t_sum[$kind.$largest]:-}" ]; then
        t=${t_sum[$kind.$largest]}
        t3_text[$kind]="$(fmt_t "$t")"
        [ -n "${kb_sum[$kind.$largest]:-}" ] &&
            t3_text[$kind]+=", peak $(awk -v kb="${kb_sum[$kind.$largest]}" 'BEGIN { printf "%.0f MB", kb / 1024 }')"
        if awk -v t="$t" 'BEGIN { exit !(t < 1) }'; then t3_state[$kind]=met; else t3_state[$kind]=missed; fi
        echo "$largest-term $kind sum: symgrad $(fmt_t "$t") (median), target 1 s, $(verdict "$t" 1) than the target"
    fi
done

# Where the time of the largest trig sum goes, told apart by what the command
# line can leave out: each row is one symgrad command. The estimates are
# differences of the rows' minimums (the run least disturbed by other load);
# they are rough: the phases are not strictly additive.
f="$tmp/trig$largest.txt"
if [ "$RUNS_PHASE" -gt 0 ] && [ -f "$f" ] && [ -n "${t_sum[trig.$largest]:-}" ]; then
    echo
    echo "-- phases of the $largest-term trig sum ($RUNS_PHASE run(s) each; output to /dev/null)"
    section_load
    printf '  %-40s %10s %10s  %s\n' "symgrad -f FILE ..." median min "what it does"
    declare -A ph
    phase() {
        local key=$1 what=$2
        shift 2
        timeit "$RUNS_PHASE" 0 "$sg" -f "$f" "$@" || { fail "symgrad -f FILE $* failed"; return 0; }
        ph[$key]=$T_MIN
        printf '  %-40s %10s %10s  %s\n' "$*" "$(fmt_t "$T_MEDIAN")" "$(fmt_t "$T_MIN")" "$what"
    }
    phase read "A: read, build f; print f and d/dy = 0" --wrt y
    phase printf "B: read, build f; print f" --order 0
    phase printd "D: read, build f; d/dx; print f and f'" --wrt x
    phase full "E: D, then emit the file, TinyCC, run" --wrt x --at x=0.5 --values
    if [ ${#ph[@]} -eq 4 ]; then
        dms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f ms", (a - b) * 1000 }'; }
        echo "  estimates (differences of minimums):"
        echo "    B      read + build f, print f:        $(fmt_t "${ph[printf]}") (with start-up)"
        echo "    D - B  d/dx + print f':                $(dms "${ph[printd]}" "${ph[printf]}")"
        echo "    E - D  emit the .c file, TinyCC, run:  $(dms "${ph[full]}" "${ph[printd]}") (less printing f')"
    fi
fi

# ---- summary -----------------------------------------------------------------

echo
echo "== targets (wall times are medians; load now: $(load); the benchmark took ${SECONDS} s)"
printf '  %-16s >= 100x faster than SymPy one-shot: %s\n' "[$t1_state]" "${t1_text:-SymPy not available}"
printf '  %-16s faster than GiNaC on the 10th derivative: %s\n' "[$t2_state]" "${t2_text:-GiNaC not available}"
for kind in "${kinds[@]}"; do
    printf '  %-16s %d-term %s sum under 1 s: %s\n' "[${t3_state[$kind]:-not measured}]" "$largest" "$kind" "${t3_text[$kind]:-not run}"
done
if [ $failures -gt 0 ]; then
    echo "$failures check(s) FAILED (see FAIL lines above)"
    exit 1
fi
echo "all values agreed with their references"
