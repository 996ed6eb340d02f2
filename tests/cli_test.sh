#!/usr/bin/env bash
# Command-line tests for symgrad (SPEC.md §3, with the language of §2).
#
#   bash tests/cli_test.sh /path/to/symgrad
#
# Runs the binary the way a user types it and checks standard output, standard
# error and the exit status of every case.  Numbers are compared numerically
# (awk, relative tolerance 1e-12) unless the exact text is the contract.
# Prints one line per failing case and ends with "N passed, M failed";
# exits non-zero when any case failed.
#
# Needs only bash and Debian base tools (awk, grep, sed, head, tr, mktemp,
# timeout from coreutils).

set -u

if [ $# -ne 1 ]; then
    echo "usage: bash $0 /path/to/symgrad" >&2
    exit 2
fi
SG=$1
case $SG in /*) ;; *) SG=$PWD/$SG ;; esac
if [ ! -x "$SG" ]; then
    echo "cli_test: '$SG' is not an executable" >&2
    exit 2
fi

export LC_ALL=C
TMP=$(mktemp -d "${TMPDIR:-/tmp}/symgrad-cli.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

OUT=$TMP/out
ERR=$TMP/err
PASSED=0
FAILED=0
CASE=""
WHY=""
RC=0
STDIN=/dev/null     # what the next run reads on standard input
LIMIT=10            # seconds before a run counts as a hang

if command -v timeout >/dev/null 2>&1; then HAVE_TIMEOUT=1; else HAVE_TIMEOUT=0; fi
WRAP=${SYMGRAD_WRAPPER:-}  # a command every run goes through (valgrind)
SLOW=1                     # ... and how much longer runs may take then
[ -n "$WRAP" ] && SLOW=10
# A build with AddressSanitizer runs 3-5 times slower; the hang limits are
# for a plain build (ASAN=1: the binary is instrumented).
ASAN=0
grep -q __asan_init "$SG" && ASAN=1 && SLOW=$((SLOW * 3))

# ---------------------------------------------------------------- helpers

# one line, shortened, with newlines shown as \n
show() {
    printf '%s' "$1" | awk 'BEGIN { ORS = "" }
        { if (NR > 1) print "\\n"; print }' | head -c 160
    [ "${#1}" -gt 160 ] && printf '...'
}

begin() { CASE=$1; WHY=""; STDIN=/dev/null; LIMIT=10; }

fail() { WHY="${WHY:+$WHY; }$1"; }

end() {
    if [ -z "$WHY" ]; then
        PASSED=$((PASSED + 1))
    else
        FAILED=$((FAILED + 1))
        echo "FAIL [$CASE]: $WHY"
    fi
}

# run the binary with the given arguments; sets RC, fills $OUT and $ERR.
# The subshell (not exec'd, hence the explicit exit) reaps the binary, so the
# shell's "Segmentation fault" notice goes to /dev/null; RC still shows it.
# With SYMGRAD_WRAPPER (e.g. tools/valgrind_cli.sh's valgrind command) every
# run goes through it, with ten times the time limit.
sg() {
    if [ "$HAVE_TIMEOUT" = 1 ]; then
        ( timeout -k 2 "$((LIMIT * SLOW))" $WRAP "$SG" "$@" <"$STDIN" >"$OUT" 2>"$ERR"; exit $? ) 2>/dev/null
    else
        ( $WRAP "$SG" "$@" <"$STDIN" >"$OUT" 2>"$ERR"; exit $? ) 2>/dev/null
    fi
    RC=$?
}

rc_text() {
    case $1 in
        124) echo "124 (hang: killed after $((LIMIT * SLOW))s)" ;;
        134) echo "134 (crash: SIGABRT)" ;;
        136) echo "136 (crash: SIGFPE)" ;;
        137) echo "137 (killed: SIGKILL, hang)" ;;
        139) echo "139 (crash: SIGSEGV)" ;;
        *)   if [ "$1" -gt 128 ]; then echo "$1 (crash: signal $(($1 - 128)))"; else echo "$1"; fi ;;
    esac
}

expect_rc() {
    if [ "$RC" != "$1" ]; then
        fail "exit status: expected $1, got $(rc_text "$RC") (stderr: '$(show "$(cat "$ERR")")')"
    fi
}

expect_out() {           # exact standard output (without the final newline)
    local got
    got=$(cat "$OUT")
    [ "$got" = "$1" ] || fail "stdout: expected '$(show "$1")', got '$(show "$got")'"
}

expect_out_has() {       # a fixed string somewhere in standard output
    grep -qF -- "$1" "$OUT" || fail "stdout: expected to contain '$(show "$1")', got '$(show "$(cat "$OUT")")'"
}

expect_no_out() {
    [ -s "$OUT" ] && fail "stdout: expected nothing, got '$(show "$(cat "$OUT")")'"
    return 0
}

expect_no_err() {
    [ -s "$ERR" ] && fail "stderr: expected nothing, got '$(show "$(cat "$ERR")")'"
    return 0
}

expect_err_has() {       # a fixed string somewhere in standard error
    grep -qF -- "$1" "$ERR" || fail "stderr: expected to contain '$(show "$1")', got '$(show "$(cat "$ERR")")'"
}

# Numbers on stdout, compared numerically, one expected line per output line;
# several numbers on a line are separated by spaces.  With fmt17=1 each number
# must also be printed as %.17g prints it (the --values contract).
expect_nums() {
    local want=$1 fmt17=${2:-0} msg
    msg=$(awk -v want="$want" -v fmt17="$fmt17" '
        function isnum(t) {
            return t ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/
        }
        function abs(v) { return v < 0 ? -v : v }
        BEGIN { nw = split(want, wl, "\n") }
        { got[NR] = $0 }
        END {
            if (NR != nw) { printf "%d line(s) of numbers, got %d", nw, NR; exit }
            for (i = 1; i <= nw; i++) {
                nwt = split(wl[i], wt, " ")
                ngt = split(got[i], gt, " ")
                if (nwt != ngt) { printf "line %d: %d number(s), got \"%s\"", i, nwt, got[i]; exit }
                for (j = 1; j <= nwt; j++) {
                    if (!isnum(gt[j])) { printf "line %d: \"%s\" is not a number", i, gt[j]; exit }
                    w = wt[j] + 0; g = gt[j] + 0
                    tol = 1e-12 * (abs(w) > 1 ? abs(w) : 1)
                    if (abs(g - w) > tol) { printf "line %d: %s, got %s", i, wt[j], gt[j]; exit }
                    if (fmt17 && sprintf("%.17g", g) != gt[j]) {
                        printf "line %d: %s is not printed as %%.17g (%s)", i, gt[j], sprintf("%.17g", g); exit
                    }
                }
            }
        }' "$OUT")
    [ -z "$msg" ] || fail "numbers: expected $msg (stdout: '$(show "$(cat "$OUT")")')"
}

# the expression after " = " on line N of the human output
expect_expr() {          # expect_expr LINE 'alt1' ['alt2' ...]
    local line=$1 got alt
    shift
    got=$(sed -n "${line}p" "$OUT" | sed 's/^[^=]* = //')
    for alt in "$@"; do
        [ "$got" = "$alt" ] && return 0
    done
    fail "derivative on line $line: expected '$*', got '$(show "$got")'"
}

# a usage or input error: exit 2, nothing on stdout, stderr "symgrad: error: ..."
expect_error() {         # expect_error 'text that stderr must contain' ...
    local first t
    expect_rc 2
    expect_no_out
    first=$(head -n 1 "$ERR")
    case $first in
        "symgrad: error: "?*) ;;
        *) fail "stderr: expected to start with 'symgrad: error: ', got '$(show "$(cat "$ERR")")'" ;;
    esac
    for t in "$@"; do expect_err_has "$t"; done
}

# an error inside the expression: as expect_error, plus LINE:COL, the source
# line and a caret under the column.
expect_expr_error() {    # expect_expr_error LINE COL 'source line' 'message text'
    local l=$1 c=$2 src=$3 msg=$4 first rest l2 l3 caret
    expect_error "$msg"
    first=$(sed -n 1p "$ERR")
    rest=${first#symgrad: error: }
    case $rest in
        "$l:$c: "*|*":$l:$c: "*) ;;
        *) fail "stderr: expected position $l:$c in '$(show "$first")'" ;;
    esac
    l2=$(sed -n 2p "$ERR")
    l3=$(sed -n 3p "$ERR" | sed 's/[[:space:]]*$//')
    [ "$l2" = "$src" ] || fail "stderr line 2: expected the source line '$(show "$src")', got '$(show "$l2")'"
    caret=$(printf "%$((c - 1))s^" "")
    [ "$l3" = "$caret" ] || fail "stderr line 3: expected a caret under column $c '$caret', got '$(show "$l3")'"
}

# no crash and no hang: exit 0 or a clean usage error
expect_ok_or_clean_error() {
    case $RC in
        0) expect_no_err ;;
        2) expect_error ;;
        *) fail "exit status: expected 0 or a clean error 2, got $(rc_text "$RC") (stderr: '$(show "$(cat "$ERR")")')" ;;
    esac
}

# a JSON checker that flattens one JSON document to lines "PATH=VALUE"
# (strings keep their quotes; containers give "PATH:object" / "PATH:array");
# prints "JSONERROR ..." and exits 1 when the text is not exactly one value.
json_flatten() {
    awk '
    function fail_(m) { if (!bad) bad = m " at character " pos; pos = n + 1 }
    function skip() { while (pos <= n && index(" \t\r\n", substr(s, pos, 1)) > 0) pos++ }
    function str(   start, c, e) {
        start = pos; pos++
        while (pos <= n) {
            c = substr(s, pos, 1)
            if (c == "\"") { pos++; return substr(s, start, pos - start) }
            if (c == "\\") {
                e = substr(s, pos + 1, 1)
                if (e == "u") {
                    if (substr(s, pos + 2, 4) !~ /^[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]$/) { fail_("bad \\u escape"); return "" }
                    pos += 6; continue
                }
                if (index("\"\\/bfnrt", e) == 0 || e == "") { fail_("bad escape"); return "" }
                pos += 2; continue
            }
            if (c < " ") { fail_("control character in string"); return "" }
            pos++
        }
        fail_("unterminated string"); return ""
    }
    function value(path,   c, k, i, t) {
        skip()
        if (pos > n) { fail_("missing value"); return }
        c = substr(s, pos, 1)
        if (c == "{") {
            print path ":object"; pos++; skip()
            if (substr(s, pos, 1) == "}") { pos++; return }
            while (pos <= n) {
                skip()
                if (substr(s, pos, 1) != "\"") { fail_("expected a key"); return }
                k = str(); if (bad) return
                k = substr(k, 2, length(k) - 2)
                if ((path "." k) in seenk) { fail_("duplicate key " k); return }
                seenk[path "." k] = 1
                skip()
                if (substr(s, pos, 1) != ":") { fail_("expected :"); return }
                pos++
                value(path "." k); if (bad) return
                skip(); c = substr(s, pos, 1); pos++
                if (c == "}") return
                if (c != ",") { fail_("expected , or }"); return }
            }
            fail_("unterminated object"); return
        }
        if (c == "[") {
            print path ":array"; pos++; skip()
            if (substr(s, pos, 1) == "]") { pos++; return }
            for (i = 0; pos <= n; i++) {
                value(path "[" i "]"); if (bad) return
                skip(); c = substr(s, pos, 1); pos++
                if (c == "]") return
                if (c != ",") { fail_("expected , or ]"); return }
            }
            fail_("unterminated array"); return
        }
        if (c == "\"") { t = str(); if (!bad) print path "=" t; return }
        t = substr(s, pos)
        if (match(t, /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/)) {
            print path "=" substr(t, 1, RLENGTH); pos += RLENGTH; return
        }
        if (substr(t, 1, 4) == "true" || substr(t, 1, 4) == "null") { print path "=" substr(t, 1, 4); pos += 4; return }
        if (substr(t, 1, 5) == "false") { print path "=false"; pos += 5; return }
        fail_("unexpected \"" substr(t, 1, 10) "\"")
    }
    { s = s (NR > 1 ? "\n" : "") $0 }
    END {
        n = length(s); pos = 1; bad = ""
        skip()
        if (substr(s, pos, 1) != "{") fail_("not an object")
        if (!bad) value("")
        if (!bad) { skip(); if (pos <= n) fail_("text after the object") }
        if (bad) { print "JSONERROR " bad; exit 1 }
    }' "$1"
}

# check a flattened JSON line: PATH=VALUE exactly, or PATH:object / PATH:array
expect_json() {
    grep -qxF -- "$1" "$TMP/flat" || fail "json: expected $1 (got: $(show "$(grep -F -- "${1%%[=:]*}" "$TMP/flat" | head -n 3)"))"
}

expect_json_num() {      # expect_json_num PATH NUMBER
    local got
    got=$(grep -F -- "$1=" "$TMP/flat" | head -n 1)
    got=${got#"$1="}
    if [ -z "$got" ]; then fail "json: expected $1 = $2, key missing"; return; fi
    awk -v g="$got" -v w="$2" 'BEGIN { d = g - w; if (d < 0) d = -d; a = w < 0 ? -w : w;
        exit !(d <= 1e-12 * (a > 1 ? a : 1)) }' || fail "json: expected $1 = $2, got $got"
}

parse_json() {
    json_flatten "$OUT" >"$TMP/flat" || fail "stdout is not one JSON object: $(tail -n 1 "$TMP/flat") (stdout: '$(show "$(cat "$OUT")")')"
}

BCE='z = w*x + b; p = clamp(sigmoid(z), 1e-8, 1 - 1e-8); -y*log(p) - (1-y)*log(1-p)'
BCE_AT='x=6.7,y=0,w=1,b=0'

# ================================================================ the headline

begin "headline: symgrad 'sin(x^2)' --wrt x --at 4"
sg 'sin(x^2)' --wrt x --at 4
expect_rc 0; expect_no_err
expect_out 'd/dx sin(x^2) = 2*x*cos(x^2)
  at x = 4: -7.661275842587077'
end

begin "options before the expression: symgrad --wrt x --at 4 'sin(x^2)'"
sg --wrt x --at 4 'sin(x^2)'
expect_rc 0; expect_no_err
expect_out 'd/dx sin(x^2) = 2*x*cos(x^2)
  at x = 4: -7.661275842587077'
end

# ================================================================ --values

values_case() {          # values_case 'EXPECTED' ARGS...
    local want=$1
    shift
    begin "--values: symgrad $*"
    sg "$@"
    expect_rc 0; expect_no_err
    expect_nums "$want" 1
    end
}

values_case 4 'x^2' --at 2 --values
values_case 6 'x^2 + 2*x + 1' --at 2 --values
values_case 7 '2*x^3 + x' --at 1 --values
values_case '4
1' 'u*v + u^2' --at u=1,v=2 --values
values_case '5
10' 'u*v + (u*v)^2' --at u=2,v=1 --values
values_case -7.661275842587077 'sin(x^2)' --at 4 --values
values_case -7.661275842587077 'sin(x^2)' --wrt x --at x=4 --values
values_case '6.691763029237442
0.9987706013787226' "$BCE" --wrt w,b --at "$BCE_AT" --values
values_case '0.9987706013787226
6.691763029237442' "$BCE" --wrt b,w --at "$BCE_AT" --values
values_case 1.5525010196895426 'exp(-0.5933) + 1' --order 0 --values
values_case 9 'x^2' --order 0 --at 3 --values
values_case 3 'x^2 + y' --order 0 --at x=1,y=2 --values
values_case 4 'u*v + u^2' --wrt u --at u=1,v=2 --values
values_case 6 'x ** 2' --at 3 --values
values_case -0.6931471805599453 '2^-x' --at 0 --values
values_case -1 'x > 0 ? x^2 : -x' --at -2 --values
values_case 1 'x < 1 ? log(x) : x' --at 2 --values
values_case 0 'abs(x)' --at 0 --values
values_case 0 'relu(x)' --at 0 --values
values_case 2 'stop(x)*x' --at 2 --values
values_case 2 'detach(x)*x' --at 2 --values
values_case '1
0' 'max(x, y)' --at x=1,y=1 --values
values_case 1 'clamp(x, 0, 1)' --at 0 --values
values_case 1 'clamp(x, 0, 1)' --at 1 --values
values_case 0 'clamp(x, 0, 1)' --at 1.5 --values
values_case '0.5
6700' '.5*x + 6.7E+3*y' --at x=1,y=1 --values
values_case '3.141592653589793
2.718281828459045' 'pi*x + e^y' --at x=0,y=1 --values
values_case 6 'def sq(u) = u^2 grad 2*u; sq(x)' --at 3 --values
values_case '5
2' 'def f(a, b) = a*b grad (b, a); f(x, y)' --at x=2,y=5 --values
values_case 0.8414709848078965 'sin(x)' --order 1000 --at 1 --values
{ printf 'x'; for i in $(seq 100000); do printf '+x'; done; } >"$TMP/sum.sg"
values_case 100001 -f "$TMP/sum.sg" --at 1 --values

# ================================================================ closed forms

closed_form() {          # closed_form 'EXPR' 'WRT' 'alt1' ['alt2']
    local e=$1 w=$2
    shift 2
    begin "closed form: symgrad '$e' --wrt $w"
    sg "$e" --wrt "$w"
    expect_rc 0; expect_no_err
    [ "$(wc -l <"$OUT")" -eq 1 ] || fail "stdout: expected one line, got '$(show "$(cat "$OUT")")'"
    case $(head -n 1 "$OUT") in
        "d/d$w "*" = "*) ;;
        *) fail "stdout: expected 'd/d$w ... = ...', got '$(show "$(cat "$OUT")")'" ;;
    esac
    expect_expr 1 "$@"
    end
}

closed_form 'x^2 + 2*x + 1' x '2*x + 2' '2 + 2*x'
closed_form '2*x^3 + x' x '6*x^2 + 1' '1 + 6*x^2'
closed_form 'sin(x^2)' x '2*x*cos(x^2)'
closed_form 'u*v + u^2' u '2*u + v' 'v + 2*u'
closed_form 'u*v + u^2' v 'u'
closed_form 'x^2' x '2*x'

begin "default --wrt is every free variable, alphabetical: symgrad 'u*v + u^2'"
sg 'u*v + u^2'
expect_rc 0; expect_no_err
[ "$(wc -l <"$OUT")" -eq 2 ] || fail "stdout: expected two lines, got '$(show "$(cat "$OUT")")'"
case $(sed -n 1p "$OUT") in "d/du "*) ;; *) fail "line 1: expected d/du ..., got '$(show "$(sed -n 1p "$OUT")")'" ;; esac
case $(sed -n 2p "$OUT") in "d/dv "*) ;; *) fail "line 2: expected d/dv ..., got '$(show "$(sed -n 2p "$OUT")")'" ;; esac
expect_expr 1 '2*u + v' 'v + 2*u'
expect_expr 2 'u'
end

begin "human output with --at for two variables: symgrad 'u*v + u^2' --at u=1,v=2"
sg 'u*v + u^2' --at u=1,v=2
expect_rc 0; expect_no_err
[ "$(wc -l <"$OUT")" -eq 4 ] || fail "stdout: expected four lines, got '$(show "$(cat "$OUT")")'"
expect_expr 1 '2*u + v' 'v + 2*u'
expect_expr 3 'u'
[ "$(sed -n 2p "$OUT")" = "  at u = 1, v = 2: 4" ] || fail "line 2: expected '  at u = 1, v = 2: 4', got '$(show "$(sed -n 2p "$OUT")")'"
[ "$(sed -n 4p "$OUT")" = "  at u = 1, v = 2: 1" ] || fail "line 4: expected '  at u = 1, v = 2: 1', got '$(show "$(sed -n 4p "$OUT")")'"
end

begin "constant input without variables is not a silent success: symgrad 'exp(-0.5933) + 1'"
sg 'exp(-0.5933) + 1'
if [ "$RC" = 0 ] && [ ! -s "$OUT" ]; then
    fail "expected a result or a clean error (exit 2), got exit 0 with empty stdout and stderr"
else
    expect_ok_or_clean_error
fi
end

begin "constant input with --values is not a silent success: symgrad 'exp(-0.5933) + 1' --values"
sg 'exp(-0.5933) + 1' --values
if [ "$RC" = 0 ] && [ ! -s "$OUT" ]; then
    fail "expected a result or a clean error (exit 2), got exit 0 with empty stdout and stderr"
else
    expect_ok_or_clean_error
fi
end

begin "--order 0 human output: symgrad 'exp(-0.5933) + 1' --order 0"
sg 'exp(-0.5933) + 1' --order 0
expect_rc 0; expect_no_err
expect_out_has '1.5525010196895426'
end

# ================================================================ --order, --hessian

begin "--order 2: symgrad 'sin(x^2)' --order 2 --at 4"
sg 'sin(x^2)' --order 2 --at 4
expect_rc 0; expect_no_err
case $(sed -n 1p "$OUT") in "d^2/dx^2 sin(x^2) = "*) ;; *) fail "line 1: expected 'd^2/dx^2 sin(x^2) = ...', got '$(show "$(cat "$OUT")")'" ;; esac
expect_expr 1 '2*cos(x^2) - 4*x^2*sin(x^2)' '-4*x^2*sin(x^2) + 2*cos(x^2)'
sed -n '2s/^.*: //p' "$OUT" >"$TMP/v"; cp "$TMP/v" "$OUT"
expect_nums 16.51049330591741
end

values_case 16.51049330591741 'sin(x^2)' --order 2 --at 4 --values
values_case 504.1410131254961 'sin(x^2)' --order 3 --at 4 --values
values_case '108
16' 'x^3*y^2' --order 2 --at x=2,y=3 --values
values_case 2 'x^2' --order=2 --at=3 --values

begin "--order 3: symgrad 'sin(x^2)' --order 3 --at 4"
sg 'sin(x^2)' --order 3 --at 4
expect_rc 0; expect_no_err
case $(sed -n 1p "$OUT") in "d^3/dx^3 sin(x^2) = "*) ;; *) fail "line 1: expected 'd^3/dx^3 sin(x^2) = ...', got '$(show "$(cat "$OUT")")'" ;; esac
sed -n '2s/^.*: //p' "$OUT" >"$TMP/v"; cp "$TMP/v" "$OUT"
expect_nums 504.1410131254961
end

values_case '108 72
72 16' 'x^3*y^2' --hessian --at x=2,y=3 --values
values_case '2 0
0 6' 'x^2 + y^3' --hessian --at x=5,y=1 --values
values_case 2 'x^2 + y' --hessian --wrt x --at x=1,y=1 --values

begin "--hessian human output: symgrad 'x^3*y^2' --hessian"
sg 'x^3*y^2' --hessian
expect_rc 0; expect_no_err
[ "$(wc -l <"$OUT")" -eq 4 ] || fail "stdout: expected four second partials, got '$(show "$(cat "$OUT")")'"
expect_expr 1 '6*x*y^2'
expect_expr 2 '6*x^2*y'
expect_expr 3 '6*x^2*y'
expect_expr 4 '2*x^3'
end

# ================================================================ --format json

begin "json: symgrad 'sin(x^2)' --at 4 --format json"
sg 'sin(x^2)' --at 4 --format json
expect_rc 0; expect_no_err
parse_json
expect_json '.function="sin(x^2)"'
expect_json '.wrt:array'
expect_json '.wrt[0]="x"'
expect_json '.order=1'
expect_json '.at:object'
expect_json_num '.at.x' 4
expect_json_num '.value' -0.2879033166650653
expect_json '.derivatives:array'
expect_json '.derivatives[0]:object'
expect_json '.derivatives[0].expr="2*x*cos(x^2)"'
expect_json_num '.derivatives[0].value' -7.661275842587077
grep -q '^\.derivatives\[1\]' "$TMP/flat" && fail "json: expected one derivative"
end

begin "json: symgrad 'u*v + u^2' --at u=1,v=2 --format json"
sg 'u*v + u^2' --at u=1,v=2 --format json
expect_rc 0; expect_no_err
parse_json
expect_json '.wrt[0]="u"'
expect_json '.wrt[1]="v"'
expect_json_num '.at.u' 1
expect_json_num '.at.v' 2
expect_json_num '.value' 3
grep -qxE '\.derivatives\[0\]\.expr="(2\*u \+ v|v \+ 2\*u)"' "$TMP/flat" || fail "json: expected .derivatives[0].expr = 2*u + v"
expect_json '.derivatives[1].expr="u"'
expect_json_num '.derivatives[0].value' 4
expect_json_num '.derivatives[1].value' 1
end

begin "json without --at: symgrad 'sin(x^2)' --format json"
sg 'sin(x^2)' --format json
expect_rc 0; expect_no_err
parse_json
expect_json '.function="sin(x^2)"'
expect_json '.derivatives[0].expr="2*x*cos(x^2)"'
end

begin "json for the BCE program: --wrt w,b --format json"
sg "$BCE" --wrt w,b --at "$BCE_AT" --format json
expect_rc 0; expect_no_err
parse_json
expect_json '.wrt[0]="w"'
expect_json '.wrt[1]="b"'
expect_json_num '.derivatives[0].value' 6.691763029237442
expect_json_num '.derivatives[1].value' 0.9987706013787226
end

begin "json --hessian: symgrad 'x^3*y^2' --hessian --at x=2,y=3 --format json"
sg 'x^3*y^2' --hessian --at x=2,y=3 --format json
expect_rc 0; expect_no_err
parse_json
expect_json '.order=2'
expect_json_num '.value' 72
if grep -q '^\.hessian' "$TMP/flat"; then
    expect_json_num '.hessian[0][0].value' 108
    expect_json_num '.hessian[0][1].value' 72
    expect_json_num '.hessian[1][0].value' 72
    expect_json_num '.hessian[1][1].value' 16
    expect_json '.hessian[0][0].expr="6*x*y^2"'
else
    fail "no hessian key"
fi
# the gradient comes with it: d/dx = 3x^2y^2 = 108, d/dy = 2x^3y = 48
expect_json '.derivatives[0].expr="3*x^2*y^2"'
expect_json_num '.derivatives[0].value' 108
expect_json_num '.derivatives[1].value' 48
expect_json '.derivatives[1].order=1'
end

begin "json --order 0: symgrad 'x^3*y^2' --order 0 --at x=2,y=3 --format json"
sg 'x^3*y^2' --order 0 --at x=2,y=3 --format json
expect_rc 0; expect_no_err
parse_json
expect_json '.order=0'
expect_json_num '.value' 72
end

# ================================================================ -f FILE, -f -, --

printf '# binary cross-entropy\nz = w*x + b\np = clamp(sigmoid(z), 1e-8, 1 - 1e-8)   # probability\n\n-y*log(p) - (1-y)*log(1-p)\n' >"$TMP/bce.sg"

begin "-f FILE: a program file with comments and new lines"
sg -f "$TMP/bce.sg" --wrt w,b --at "$BCE_AT" --values
expect_rc 0; expect_no_err
expect_nums '6.691763029237442
0.9987706013787226' 1
end

printf 'a = x^2\nb = sin(a)\n' >"$TMP/lastbind.sg"
begin "-f FILE: the last binding is the output"
sg -f "$TMP/lastbind.sg" --at 4 --values
expect_rc 0; expect_no_err
expect_nums -7.661275842587077 1
end

begin "-f - reads standard input"
printf 'x^2\n' >"$TMP/in"
STDIN=$TMP/in
sg -f - --at 2 --values
expect_rc 0; expect_no_err
expect_nums 4 1
end

begin "-f - with the headline, no final new line"
printf 'sin(x^2)' >"$TMP/in"
STDIN=$TMP/in
sg --wrt x --at 4 -f -
expect_rc 0; expect_no_err
expect_out 'd/dx sin(x^2) = 2*x*cos(x^2)
  at x = 4: -7.661275842587077'
end

begin "-f - with the BCE program on standard input"
STDIN=$TMP/bce.sg
sg -f - --wrt w,b --at "$BCE_AT" --values
expect_rc 0; expect_no_err
expect_nums '6.691763029237442
0.9987706013787226' 1
end

begin "--: symgrad --wrt x -- '-x^2'"
sg --wrt x -- '-x^2'
expect_rc 0; expect_no_err
expect_out 'd/dx -x^2 = -2*x'
end

begin "--: symgrad --wrt x --at 3 --values -- '-x^2'"
sg --wrt x --at 3 --values -- '-x^2'
expect_rc 0; expect_no_err
expect_nums -6 1
end

begin "an argument starting with - that is no option is the expression: symgrad -x^2 --wrt x --at 3 --values"
sg -x^2 --wrt x --at 3 --values
expect_rc 0; expect_no_err
expect_nums -6 1
end

begin "an argument starting with - that is no option is the expression: symgrad '-x^2' --at 3"
sg '-x^2' --at 3
expect_rc 0; expect_no_err
expect_out 'd/dx -x^2 = -2*x
  at x = 3: -6'
end

# ================================================================ --check

begin "--check agrees: symgrad 'sin(x^2)' --at 4 --check"
sg 'sin(x^2)' --at 4 --check
expect_rc 0; expect_no_err
expect_out_has 'd/dx sin(x^2) = 2*x*cos(x^2)'
end

begin "--check agrees on the BCE gradient"
sg "$BCE" --wrt w,b --at "$BCE_AT" --check
expect_rc 0; expect_no_err
end

begin "--check agrees: symgrad 'u*v + u^2' --at u=1,v=2 --check --values"
sg 'u*v + u^2' --at u=1,v=2 --check --values
expect_rc 0; expect_no_err
expect_nums '4
1' 1
end

begin "--check agrees on a Hessian"
sg 'x^3*y^2' --hessian --at x=2,y=3 --check
expect_rc 0; expect_no_err
end

begin "--check agrees on --order 3"
sg 'sin(x^2)' --order 3 --at 4 --check
expect_rc 0; expect_no_err
end

begin "--check fails (exit 1) on a wrong custom gradient"
sg 'def sq(u) = u^2 grad 3*u; sq(x)' --at 2 --check
expect_rc 1
end

begin "--check without --at is a usage error"
sg 'sin(x^2)' --check
expect_error
end

# ================================================================ --help, --version

begin "--help"
sg --help
expect_rc 0; expect_no_err
for opt in --wrt --order --hessian --at --values --format --check -f --help --version ' -- ' infix json; do
    expect_out_has "$opt"
done
end

begin "-h"
sg -h
expect_rc 0; expect_no_err
expect_out_has '--wrt'
end

begin "--version"
sg --version
expect_rc 0; expect_no_err
[ "$(wc -l <"$OUT")" -eq 1 ] || fail "stdout: expected one line"
grep -qE '^symgrad [0-9]+\.[0-9]+(\.[0-9]+)?' "$OUT" || fail "stdout: expected 'symgrad X.Y.Z', got '$(show "$(cat "$OUT")")'"
end

# ================================================================ errors in the expression

expr_error() {           # expr_error LINE COL 'message text' ARGS...
    local l=$1 c=$2 msg=$3
    shift 3
    begin "error: symgrad $(printf "'%s' " "$@")"
    sg "$@"
    expect_expr_error "$l" "$c" "$1" "$msg"
    end
}

expr_error 1 5 "expected ')' to close '(' opened at 1:4" 'sin(x^2'
expr_error 1 5 "expected ')' to close '(' opened at 1:4" 'sin(x^2' --wrt x --at 4
expr_error 1 3 "')'" 'x )'
expr_error 1 1 "did you mean 'sin'" 'sn(x)'
expr_error 1 1 "foo" 'foo(x)'
expr_error 1 1 "2" 'sin(x, y)'
expr_error 1 1 "atan2" 'atan2(x)'
expr_error 1 1 "clamp" 'clamp(x, 1)'
expr_error 1 5 "'*'" 'x + * 2'
expr_error 1 4 "end of input" 'x +'
expr_error 1 3 "'\$'" 'x $ 2'
expr_error 1 1 "pi" 'pi = 3'
expr_error 1 1 "sin" 'sin'

begin "error: malformed number symgrad '1.2.3*x'"
sg '1.2.3*x'
expect_error 'malformed number'
grep -qE '^symgrad: error: 1:[1-4]: ' "$ERR" || fail "stderr: expected a position 1:1..1:4, got '$(show "$(cat "$ERR")")'"
[ "$(sed -n 2p "$ERR")" = '1.2.3*x' ] || fail "stderr: expected the source line"
end

begin "error: malformed number symgrad '1e*x'"
sg '1e*x'
expect_error 'malformed number'
[ "$(sed -n 2p "$ERR")" = '1e*x' ] || fail "stderr: expected the source line"
sed -n 3p "$ERR" | grep -qE '^ *\^ *$' || fail "stderr: expected a caret line"
end

begin "error in line 2 of a program on standard input"
printf 'a = x^2\nb = sn(a)\n' >"$TMP/in"
STDIN=$TMP/in
sg -f -
expect_expr_error 2 5 'b = sn(a)' "did you mean 'sin'"
end

begin "error in line 3 of a program file"
printf 'a = x^2\nb = sin(a\n b\n' >"$TMP/bad.sg"
sg -f "$TMP/bad.sg"
expect_expr_error 3 2 ' b' "')'"
end

# ================================================================ usage errors

usage_error() {          # usage_error 'stderr text' ARGS...
    local msg=$1
    shift
    if [ $# -eq 0 ]; then
        begin "usage error: symgrad (no arguments)"
    else
        begin "usage error: symgrad $(printf "'%s' " "$@")"
    fi
    sg "$@"
    expect_error "$msg"
    end
}

usage_error "does not go with it" 'x^3' --hessian --order 3
usage_error "does not go with --format" 'x^2' --values --format json --at 1
usage_error '--at' 'x^2' --at
usage_error "'y'" 'x*y' --at x=1
usage_error "'x'" 'x^2' --at x=1,x=2
usage_error "'abc'" 'x^2' --at x=abc
usage_error "'abc'" 'x^2' --at abc
usage_error 'x' 'x^2' --at x=
usage_error '1e400' 'x^2' --at x=1e400
usage_error 'variable' 'x*y' --at 1
usage_error '--frobnicate' 'x^2' --frobnicate
usage_error '-1' 'x^2' --order -1
usage_error 'abc' 'x^2' --order abc
usage_error '1.5' 'x^2' --order 1.5
usage_error '--order' 'x^2' --order
usage_error 'bogus' 'x^2' --format bogus
usage_error '--format' 'x^2' --format
usage_error '--wrt' 'x^2' --wrt
usage_error "'x'" 'x^2' --wrt x,x
usage_error '1x' 'x^2' --wrt 1x
usage_error "$TMP/no/such/file" -f "$TMP/no/such/file"
usage_error '-f' -f
usage_error 'y^2' 'x^2' 'y^2'
usage_error '' ''
usage_error '' '   '
usage_error '' '# only a comment'
usage_error '' 
usage_error 'vector' 'x^2' --at 'x=[1,2,3]'

begin "usage error: a directory given to -f"
sg -f "$TMP"
expect_error
end

begin "usage error: empty standard input (printf '' | symgrad -f -)"
: >"$TMP/in"
STDIN=$TMP/in
sg -f -
expect_error
end

begin "usage error: bytes that are not text (printf '\\xff' | symgrad -f -)"
printf '\377' >"$TMP/in"
STDIN=$TMP/in
sg -f -
expect_error 'not text'
grep -q "$(printf '\377')" "$ERR" && fail "stderr: the raw byte 0xff is echoed back"
end

begin "usage error: a 0xff byte inside the expression (printf 'x^2\\xff' | symgrad -f -)"
printf 'x^2\377\n' >"$TMP/in"
STDIN=$TMP/in
sg -f -
expect_error 'not text'
grep -qE '^symgrad: error: 1:4: ' "$ERR" || fail "stderr: expected position 1:4, got '$(show "$(head -n 1 "$ERR")")'"
end

begin "usage error: a NUL byte in the input (printf 'x\\0^2' | symgrad -f -)"
printf 'x\000^2' >"$TMP/in"
STDIN=$TMP/in
sg -f -
expect_error
end

begin "usage error: a 0xff byte in the argument"
sg "x$(printf '\377')"
expect_error 'not text'
end

# ================================================================ enormous or deeply nested input

head -c 100000 /dev/zero | tr '\0' '(' >"$TMP/deep.sg"
begin "deep nesting: 100000 '(' from a file (symgrad -f FILE)"
sg -f "$TMP/deep.sg"
expect_error
end

begin "deep nesting: 100000 '(' as the argument"
sg "$(cat "$TMP/deep.sg")"
expect_error
end

begin "deep nesting: 100000 '(' on standard input"
STDIN=$TMP/deep.sg
sg -f -
expect_error
end

{ head -c 9000 /dev/zero | tr '\0' '('; printf 'x'; head -c 9000 /dev/zero | tr '\0' ')'; } >"$TMP/deep9k.sg"
begin "deep nesting: 9000 balanced '(' around x"
sg -f "$TMP/deep9k.sg" --at 1 --values
expect_ok_or_clean_error
[ "$RC" = 0 ] && expect_nums 1
end

{ head -c 9000 /dev/zero | tr '\0' '('; printf 'x'; } >"$TMP/deep9ku.sg"
begin "deep nesting: 9000 unclosed '(' before x"
sg -f "$TMP/deep9ku.sg"
expect_error
end

{ for i in $(seq 20000); do printf 'sin('; done; printf 'x'; for i in $(seq 20000); do printf ')'; done; } >"$TMP/deepsin.sg"
begin "deep nesting: sin(sin(...(x)...)) 20000 deep"
sg -f "$TMP/deepsin.sg" --at 1 --values
expect_ok_or_clean_error
end

{ printf 'x'; for i in $(seq 100000); do printf '^x'; done; } >"$TMP/pow.sg"
begin "deep nesting: x^x^...^x with 100000 powers"
sg -f "$TMP/pow.sg"
expect_ok_or_clean_error
end

{ head -c 100000 /dev/zero | tr '\0' '-'; printf 'x'; } >"$TMP/minus.sg"
begin "deep nesting: 100000 unary minus signs"
sg -f "$TMP/minus.sg" --at 1 --values
expect_ok_or_clean_error
[ "$RC" = 0 ] && expect_nums 1
end

{ for i in $(seq 3000); do printf 'sin('; done; printf 'x'; for i in $(seq 3000); do printf ')'; done; } >"$TMP/sin3k.sg"
begin "no hang: sin(sin(...(x)...)) 3000 deep, --at 1 --values within ${LIMIT}s"
sg -f "$TMP/sin3k.sg" --at 1 --values
expect_ok_or_clean_error
end

{ printf 'a0 = x\n'; for i in $(seq 2000); do printf 'a%d = sin(a%d)\n' "$i" $((i - 1)); done; } >"$TMP/chain.sg"
begin "no hang: a program of 2000 chained bindings, --at 1 --values within ${LIMIT}s"
sg -f "$TMP/chain.sg" --at 1 --values
expect_ok_or_clean_error
end

# ================================================================ emitted C and --data

begin "--emit-c writes f.c and f.h that compile warning-free and agree with --values"
sg 'x^2*y + sin(x)' --emit-c "$TMP/g.c" --name g
expect_rc 0
expect_no_out
if [ -s "$TMP/g.c" ] && [ -s "$TMP/g.h" ]; then
    cat >"$TMP/gmain.c" <<'EOC'
#include <stdio.h>
#include "g.h"
int main(void)
{
    double in[2] = {1.5, -2}, grad[2], row[3];
    g_grad(in, grad);
    g_batch(1, in, row);
    printf("%.17g %.17g %.17g %.17g\n", g(1.5, -2), grad[0], grad[1], g_dx(1.5, -2) - row[1]);
    return 0;
}
EOC
    if gcc -std=c99 -Wall -Wextra -pedantic -Werror -I"$TMP" "$TMP/gmain.c" "$TMP/g.c" -lm \
           -o "$TMP/gmain" 2>"$TMP/gcc.err"; then
        want=$("$SG" 'x^2*y + sin(x)' --at x=1.5,y=-2 --values | tr '\n' ' ')
        got=$("$TMP/gmain")
        f=$("$SG" 'x^2*y + sin(x)' --order 0 --at x=1.5,y=-2 --values)
        [ "$got" = "$f ${want}0" ] || fail "compiled values '$got', expected '$f ${want}0'"
    else
        fail "gcc: $(show "$(cat "$TMP/gcc.err")")"
    fi
else
    fail "g.c or g.h missing"
fi
end

# C99 promises 127 parameters; past that, f and its partials take in[] (a
# partial in n parameters for each of n variables made the files quadratic:
# 120 MB for 2,000 variables)
begin "128 variables: f and its partials take in[], compile warning-free, agree with --values"
awk 'BEGIN { for (i = 0; i < 128; i++) printf "%s%d*v%03d^2", i ? " + " : "", i + 1, i; print " + sin(v000*v127)" }' >"$TMP/wide.sym"
sg -f "$TMP/wide.sym" --emit-c "$TMP/w.c" --name w --functions value,partials,grad,batch
expect_rc 0; expect_no_out
grep -q 'More than 127 parameters: w and each partial take const double \*in, in this order' "$TMP/w.h" ||
    fail "the header does not say how wide functions are called"
grep -q '^double w_dv005(const double \*in);' "$TMP/w.h" || fail "no w_dv005(const double *in) in w.h"
cat >"$TMP/wmain.c" <<'EOC'
#include <stdio.h>
#include "w.h"
int main(void)
{
    double in[128], grad[128];
    for (int i = 0; i < 128; i++)
        in[i] = i / 100.0;
    w_grad(in, grad);
    printf("%.17g %.17g %.17g %.17g\n", w(in), w_dv000(in), w_dv005(in), grad[127]);
    return 0;
}
EOC
at=$(awk 'BEGIN { for (i = 0; i < 128; i++) printf "%sv%03d=%.17g", i ? "," : "", i, i / 100.0 }')
if gcc -std=c99 -Wall -Wextra -pedantic -Werror -I"$TMP" "$TMP/wmain.c" "$TMP/w.c" -lm \
       -o "$TMP/wmain" 2>"$TMP/gcc.err"; then
    f=$("$SG" -f "$TMP/wide.sym" --order 0 --at "$at" --values)
    d=$("$SG" -f "$TMP/wide.sym" --at "$at" --values | awk 'NR == 1 || NR == 6 || NR == 128' | tr '\n' ' ')
    got=$("$TMP/wmain")
    [ "$got" = "$f ${d% }" ] || fail "compiled values '$got', expected '$f ${d% }'"
else
    fail "gcc: $(show "$(cat "$TMP/gcc.err")")"
fi
tcc -c "$TMP/w.c" -o "$TMP/w.o" 2>"$TMP/tcc.err" || fail "tcc: $(show "$(cat "$TMP/tcc.err")")"
awk 'BEGIN { for (i = 0; i < 127; i++) printf "%sv%03d^2", i ? " + " : "", i; print "" }' >"$TMP/w127.sym"
sg -f "$TMP/w127.sym" --emit-c "$TMP/w127.c" --name w127
expect_rc 0
grep -q '^double w127(double v000, double v001, ' "$TMP/w127.h" ||
    fail "127 variables should still be parameters: $(grep -m1 '^double w127(' "$TMP/w127.h" | head -c 80)"
end

begin "a power of 0.5 or -0.5, written as a float, is emitted as sqrt, not pow"
sg 'y*x^0.5 + z/x^-0.5 + w/x^0.5' --order 0 --format c --functions value
expect_rc 0
expect_out_has "sqrt(x)"
grep -q 'pow(' "$OUT" && fail "pow left: $(grep -m1 'pow(' "$OUT")"
end

begin "--emit-c into a directory that does not exist: exit 2, no file left"
sg 'x^2' --emit-c "$TMP/nodir/h.c"
expect_rc 2
expect_err_has "cannot write"
[ -e "$TMP/nodir" ] && fail "something was created"
end

begin "--format c prints the source"
sg 'x^3' --format c --name cube
expect_rc 0
expect_out_has "double cube_dx(double x)"
expect_out_has "x * x * x"
end

begin "--data: value and partials per row, as --values gives them"
printf 'y,x\n2,1\n-1,0.5\n' >"$TMP/pts.csv"
sg 'x^2*y' --data "$TMP/pts.csv"
expect_rc 0
expect_out "value,dx,dy
2,4,1
-0.25,-1,0.25"
end

begin "--data: a bad row is reported by its line number, exit 2"
printf 'x\n1\n2\nabc\n' >"$TMP/bad.csv"
sg 'x^2' --data "$TMP/bad.csv"
expect_rc 2
expect_err_has "bad.csv:4: 'abc' is not a number"
end

begin "--data: a header without a variable's column"
printf 'x\n1\n' >"$TMP/nocol.csv"
sg 'x*y' --data "$TMP/nocol.csv"
expect_rc 2
expect_err_has "no column for the variable 'y'"
end

begin "--templates DIR: the user's skeletons are filled"
mkdir -p "$TMP/tpl"
printf '/* my header for {{name}} */\n{{prototypes}}' >"$TMP/tpl/header.h"
printf '/* my source */\n#include <math.h>\n#include <stddef.h>\n{{helpers}}{{functions}}' >"$TMP/tpl/source.c"
sg 'x^2' --emit-c "$TMP/t.c" --name sq --templates "$TMP/tpl"
expect_rc 0
grep -qF '/* my header for sq */' "$TMP/t.h" || fail "t.h does not come from the template"
grep -qF '/* my source */' "$TMP/t.c" || fail "t.c does not come from the template"
grep -qF 'double sq_dx(double x)' "$TMP/t.c" || fail "t.c lacks sq_dx"
end

begin "--templates DIR with an unknown placeholder: exit 2, no file written"
printf '{{nonsense}}' >"$TMP/tpl/header.h"
sg 'x^2' --emit-c "$TMP/u.c" --templates "$TMP/tpl"
expect_rc 2
expect_err_has "unknown placeholder {{nonsense}}"
[ -e "$TMP/u.c" ] && fail "u.c was written"
end

# ================================================================ regressions (found by hunting)

values_case '5' 5 --hessian --values
values_case '3' 'def f(u) = u*y grad y; f(x)' --wrt x --at x=2,y=3 --values
values_case '2' 'def f(u) = u*y grad y; f(x)' --wrt y --at x=2,y=3 --values
values_case '2' 'def f(u) = u grad y; f(x)' --at x=1,y=2 --values
values_case '-9.2233720368547758e+18' '(-9223372036854775807-1)*x' --at 1 --values
values_case '-0.8414709848078965' --cos\(x\) --at 1 --values
expr_error 1 9 "listed twice" 'def f(u,u)=u; f(x)'
expr_error 1 1 "too large" '1e400*x'
usage_error "needs a file name" x --emit-c ''

begin "constant --hessian --format json is one valid object"
sg 5 --hessian --format json
expect_rc 0
expect_out '{"function": "5", "wrt": [], "order": 0, "at": {}, "value": 5, "derivatives": []}'
end

begin "--at for a variable the simplifier removed: a warning, not an error"
sg 'x - x + y' --at x=1,y=2 --values
expect_rc 0
expect_nums 1
expect_err_has "warning: --at: 'x' is not a variable"
end

begin "--data with --order 0: the value column only"
printf 'x\n3\n' >"$TMP/o0.csv"
sg 'x^2' --order 0 --data "$TMP/o0.csv"
expect_rc 0
expect_out "value
9"
end

# (not for a binary built with AddressSanitizer, which valgrind cannot run,
# nor when every run is under valgrind already)
if command -v valgrind >/dev/null 2>&1 && [ -z "$WRAP" ] && [ "$ASAN" = 0 ]; then
    begin "no leak on a parse error (valgrind)"
    LIMIT=60
    sg_vg() { valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
              --error-exitcode=99 "$SG" "$@" >"$OUT" 2>"$ERR"; RC=$?; }
    sg_vg 'sin(x'
    expect_rc 2
    end
fi

begin "--templates with {{set ...}}: static inline functions under another naming scheme"
mkdir -p "$TMP/tpl2"
printf '{{set linkage static inline}}\n{{set grad Gradient}}\n{{set partial _by_}}\n#ifndef {{guard}}\n#define {{guard}}\n#include <math.h>\n#include <stddef.h>\n{{helpers}}{{functions}}\n#endif\n' >"$TMP/tpl2/header.h"
printf '/* all in the header */\n' >"$TMP/tpl2/source.c"
sg 'x^2*y' --emit-c "$TMP/si.c" --name sq --templates "$TMP/tpl2"
expect_rc 0
printf '#include "si.h"\n#include <stdio.h>\nint main(void) { double g[2], in[2] = {3, 2}; sqGradient(in, g); printf("%%.17g %%.17g %%.17g\\n", sq_by_x(3, 2), g[0], g[1]); return 0; }\n' >"$TMP/si_main.c"
if gcc -std=c99 -Wall -Wextra -pedantic -Werror -I"$TMP" "$TMP/si_main.c" -lm -o "$TMP/si_main" 2>"$TMP/si.err"; then
    [ "$("$TMP/si_main")" = "12 12 9" ] || fail "header-only library computed '$("$TMP/si_main")'"
else
    fail "gcc: $(show "$(cat "$TMP/si.err")")"
fi
end

begin "a float exponent of -1 prints as a division (was 1/x^1)"
sg 'y*x^-1.0' --wrt x
expect_rc 0
expect_out 'd/dx y/x = -y/x^2'
end

CXX=$(command -v g++ || command -v clang++ || true)
if [ -n "$CXX" ]; then
    begin "the header is usable from C++ (extern \"C\")"
    sg 'x^2*y' --emit-c "$TMP/cxx.c" --name cxx
    expect_rc 0
    printf '#include "cxx.h"\n#include <cstdio>\nint main() { double g[2], in[2] = {3, 2}; cxx_grad(in, g); std::printf("%%.17g %%.17g\\n", g[0], g[1]); return 0; }\n' >"$TMP/cxx_main.cpp"
    if gcc -std=c99 -Wall -Wextra -pedantic -Werror -c "$TMP/cxx.c" -o "$TMP/cxx.o" 2>"$TMP/cxx.err" &&
        "$CXX" -Wall -Wextra -Werror -I"$TMP" "$TMP/cxx_main.cpp" "$TMP/cxx.o" -lm -o "$TMP/cxx_main" 2>>"$TMP/cxx.err"; then
        [ "$("$TMP/cxx_main")" = "12 9" ] || fail "C++ program printed '$("$TMP/cxx_main")'"
    else
        fail "compile: $(show "$(cat "$TMP/cxx.err")")"
    fi
    end
fi

begin "--order 0 --format c: the function and its batch, no f_d0x partials"
sg 'x^2*y' --order 0 --format c
expect_rc 0
grep -q '_d0' "$OUT" && fail "a zeroth-order partial was emitted"
grep -q '^double f(double x, double y)$' "$OUT" || fail "no f(x, y)"
grep -q 'out += 1)' "$OUT" || fail "batch rows are not the value alone"
end

# --check: no false alarm where the value is large or the point far out
# (regressions: both said DISAGREES), and a slightly wrong grad is caught.
while IFS='|' read -r expr point; do
    begin "--check agrees: $expr at $point"
    sg "$expr" --wrt x --at "$point" --check
    expect_rc 0
    expect_out_has 'agrees'
    end
done <<'CASES'
1e12 + x^2|3
sin(x)|1e8
x^3|1e6
exp(x)*1e-9|-3
CASES
begin "--check catches a grad off by 5e-5 (exit 1)"
sg 'def f(u) = u^2 grad 2.0001*u; f(x)' --wrt x --at 3 --check
expect_rc 1
expect_out_has 'DISAGREES'
end

begin "a long function is written once, as f, not on every line"
sg 'x1*sin(x1) + x2*sin(x2) + x3*sin(x3) + x4*sin(x4) + x5*sin(x5) + x6*sin(x6) + x7*sin(x7)'
expect_rc 0
[ "$(grep -c 'x6\*sin(x6)' "$OUT")" = 1 ] || fail "the function appears $(grep -c 'x6\*sin(x6)' "$OUT") times"
expect_out_has 'd/dx3 f = x3*cos(x3) + sin(x3)'
end

begin "a point in many variables is written once, then each value"
sg 'u*v*w*y*z' --at u=1,v=2,w=3,y=4,z=5
expect_rc 0
[ "$(grep -c 'at u = 1' "$OUT")" = 1 ] || fail "the point appears $(grep -c 'at u = 1' "$OUT") times"
expect_out_has '  value: 60'
end

# --at runs exactly the file --format c prints (its sg_batch and sg_hess):
# the same text compiled by the tcc command gives the same bits.
if command -v tcc >/dev/null 2>&1; then
    while IFS='|' read -r expr opts point nin nout hess; do
        begin "--at is the emitted file's batch, bit for bit: $expr $opts"
        # shellcheck disable=SC2086
        sg "$expr" $opts --name sg --format c
        cp "$OUT" "$TMP/exact.c"
        # shellcheck disable=SC2086
        sg "$expr" $opts --at "$point" --values
        want=$(tr '\n' ' ' <"$OUT")
        vals=$(printf '%s' "$point" | sed 's/[a-z_]*=//g')
        {
            printf '#include <stdio.h>\n#include <stddef.h>\n'
            printf 'void sg_batch(size_t, const double *, double *);\n'
            printf 'void sg_hess(const double *, double *);\n'
            printf 'int main(void) {\n    double in[] = {%s}, out[%d], h[%d];\n' "$vals" "$nout" "$((hess * hess + 1))"
            printf '    sg_batch(1, in, out);\n'
            if [ "$hess" -gt 0 ]; then
                printf '    sg_hess(in, h);\n    for (int i = 0; i < %d; i++) printf("%%.17g ", h[i]);\n' "$((hess * hess))"
            else
                printf '    for (int i = 1; i < %d; i++) printf("%%.17g ", out[i]);\n' "$nout"
            fi
            printf '    printf("\\n");\n    return 0;\n}\n'
        } >"$TMP/exact_main.c"
        if tcc -o "$TMP/exact" "$TMP/exact_main.c" "$TMP/exact.c" -lm 2>"$TMP/tcc.err"; then
            got=$("$TMP/exact" | sed 's/-nan/nan/g')
            [ "$got" = "$want" ] || fail "--at printed '$want', the file compiled by tcc '$got'"
        else
            fail "tcc: $(show "$(cat "$TMP/tcc.err")")"
        fi
        end
    done <<'CASES'
sin(x^2)|--wrt x|x=4|1|2|0
exp(-x/3)*sin(x^2) + sqrt(1 + x^2)*cos(x)|--wrt x|x=0.7|1|2|0
log(1 + exp(w*x + b)) - y*(w*x + b)|--wrt b,w|b=0.1,w=-0.3,x=6.7,y=1|4|3|0
x^3*y - 2*x*y^2 + sigmoid(x*y)|--hessian|x=0.3,y=-1.2|2|3|2
tanh(x)^5/(1 + x^2)|--wrt x --order 3|x=0.9|1|2|0
CASES
fi

# Found by the fuzzer (tests/fuzz/regressions): a lexical error just after
# a statement separator or an operator left the parser looping on the token
# it had.
for src in 'x;#\xff' '-#\xff' '# ok\n# a comment\xff after a new line\n' 'x*#\xff' 'sin(x) + #\xff'; do
    begin "bad byte in a comment after a separator or operator: $src"
    printf -- "$src" >"$TMP/bad_byte.sym"
    sg -f "$TMP/bad_byte.sym"
    expect_rc 2
    expect_err_has "byte 0xff is not text"
    end
done

# Found by the fuzzer: a custom grad that names a free variable the function
# does not use; the first derivative is what --check differentiates for the
# second and what the Hessian's file computes as its gradient.
begin "custom grad naming a free variable: --order 2 --check"
sg 'def k(u) = u grad y; k(x)' --order 2 --check --at x=1,y=2 --values
expect_rc 0
expect_nums 0
expect_no_err
end

begin "custom grad naming a free variable: --hessian --format c compiles"
sg 'def k(u) = u grad y; k(x)' --hessian --format c --name kh
expect_rc 0
cp "$OUT" "$TMP/kh.c"
gcc -std=c99 -Wall -Wextra -pedantic -Werror -c "$TMP/kh.c" -o "$TMP/kh.o" 2>"$TMP/kh.err" ||
    fail "gcc: $(show "$(cat "$TMP/kh.err")")"
end

# Found with the fuzzer's corpus: emitted C that gcc -Wall warned about.
for expr in '(x < y && y <= 2) || x == 3 ? min(x, y) : max(x, y - 2)' 'x || y && z' \
            'def k(v) = u grad y; k(x)' 'def f(a, b) = a*b + sin(u) grad (b, a); f(x^2, y)'; do
    begin "emitted C warning-free under gcc -Wall -Wextra -pedantic: $expr"
    sg "$expr" --format c --name wf
    expect_rc 0
    cp "$OUT" "$TMP/wf.c"
    gcc -std=c99 -Wall -Wextra -pedantic -Werror -c "$TMP/wf.c" -o "$TMP/wf.o" 2>"$TMP/wf.err" ||
        fail "gcc: $(show "$(cat "$TMP/wf.err")")"
    end
done

# ================================================================ limits

begin "input nested 100,000 deep: a clear error naming --max-depth (argument and -f)"
LIMIT=30
deep=$(printf 'sin(%.0s' $(seq 100000))x$(printf ')%.0s' $(seq 100000))
printf '%s\n' "$deep" >"$TMP/deep.sym"
sg -f "$TMP/deep.sym" --at 1
expect_rc 2; expect_no_out
expect_err_has 'expression nested deeper than 10000 levels (the limit; raise it with --max-depth N)'
# one argument holds at most 128 KiB: 60,000 parentheses
sg "$(printf '(%.0s' $(seq 60000))x$(printf ')%.0s' $(seq 60000))" --at 1
expect_rc 2; expect_no_out
expect_err_has 'raise it with --max-depth N'
end

begin "a 100,000-deep chain works with --max-depth raised (chain rule in one walk)"
LIMIT=60
sg -f "$TMP/deep.sym" --max-depth 100001 --at 0.5 --values
expect_rc 0; expect_no_err
[ -s "$OUT" ] || fail "no value printed"
end

begin "-(-(-... and x^x^x^... 100,000 deep stop cleanly"
LIMIT=30
printf '%s\n' "$(printf -- '-(%.0s' $(seq 100000))x$(printf ')%.0s' $(seq 100000))" >"$TMP/neg.sym"
sg -f "$TMP/neg.sym"
expect_rc 2; expect_no_out; expect_err_has '--max-depth'
printf 'x%s\n' "$(printf '^x%.0s' $(seq 100000))" >"$TMP/pow.sym"
sg -f "$TMP/pow.sym"
expect_rc 2; expect_no_out; expect_err_has '--max-depth'
end

begin "the 30th derivative of x^x stops at the node limit, naming --max-nodes"
LIMIT=60
sg 'x^x' --order 30 --at 0.5 --max-nodes 200000
expect_rc 2; expect_no_out
expect_err_has 'the expression graph grew past 200000 nodes (the limit; raise it with --max-nodes N'
end

begin "--max-memory stops a blowup by the arena's size"
LIMIT=60
sg 'exp(sin(x)*cos(x))*x^x' --order 30 --max-memory 8 --max-nodes 0
expect_rc 2; expect_no_out
expect_err_has 'the expression graph grew past 8 MiB (the limit; raise it with --max-memory'
end

# d/dx of 2,000 nested sines is a product whose k-th factor is k sines deep:
# a graph of a few thousand nodes that prints as 10 MB, and 300,000 of them
# as terabytes (which once ran the machine out of memory). Printing stops at
# --max-memory; evaluating and emitting C, which share the parts, still work.
begin "a derivative that would print past --max-memory stops before printing"
LIMIT=60
awk 'BEGIN { print "a = x"; for (i = 0; i < 2000; i++) print "a = sin(a)"; print "a" }' >"$TMP/nest.sym"
sg -f "$TMP/nest.sym" --max-memory 4
expect_rc 2; expect_no_out
expect_err_has 'the output could pass 4 MiB of text'
expect_err_has 'raise it with --max-memory MIB'
sg -f "$TMP/nest.sym" --max-memory 4 --format json
expect_rc 2; expect_no_out; expect_err_has 'could pass 4 MiB'
# with --at the report would print too: refused before --emit-c writes
sg -f "$TMP/nest.sym" --max-memory 4 --at 0.5 --emit-c "$TMP/refused.c"
expect_rc 2; expect_no_out; expect_err_has 'could pass 4 MiB'
[ -e "$TMP/refused.c" ] || [ -e "$TMP/refused.h" ] && fail "a refused run left refused.c or refused.h behind"
sg -f "$TMP/nest.sym" --max-memory 4 --at 0.5 --values
expect_rc 0; expect_no_err
expect_nums "$(awk 'BEGIN { a = 0.5; d = 1; for (i = 0; i < 2000; i++) { d *= cos(a); a = sin(a) }; printf "%.17g", d }')"
sg -f "$TMP/nest.sym" --max-memory 4 --emit-c "$TMP/nest.c"
expect_rc 0; expect_no_err
grep -q 'nest_dx = (not shown: its infix form could pass 1 MiB)' "$TMP/nest.h" ||
    fail "the header does not leave out the long derivative: $(grep nest_dx "$TMP/nest.h" | head -c 200)"
sg -f "$TMP/nest.sym"
expect_rc 0; expect_no_err
[ "$(wc -c <"$OUT")" -gt 4000000 ] || fail "without the low limit it prints, $(wc -c <"$OUT") bytes"
end

# a 10 MB program that grows a sum a line at a time (as generated losses
# do): linear, where rebuilding the sum on every line ran out of memory
begin "a 10 MB program of 450,000 lines 'a = a + k*sin(k*x)' differentiates"
LIMIT=120
awk 'BEGIN { print "a = 0"; for (k = 1; k <= 450000; k++) printf "a = a + %d*sin(%d*x)\n", k % 97, k; print "a" }' >"$TMP/grow.sym"
[ "$(wc -c <"$TMP/grow.sym")" -gt 10000000 ] || fail "the program is $(wc -c <"$TMP/grow.sym") bytes, not 10 MB"
sg -f "$TMP/grow.sym" --wrt x
expect_rc 0; expect_no_err
[ "$(wc -l <"$OUT")" = 2 ] || fail "expected f and d/dx f, got $(wc -l <"$OUT") lines"
grep -q ' + 7650000\*cos(450000\*x)$' "$OUT" || fail "d/dx f does not end with 7650000*cos(450000*x) (17*450000): ...$(tail -c 80 "$OUT")"
end

# floor and ceil of an exact number near 2^63 fold in integers (the double
# 2^63 converted back to int64 was undefined, and came out negative)
begin "floor and ceil of exact numbers near 2^63 fold exactly"
sg 'floor(9223372036854775807) + x' --order 0
expect_rc 0; expect_out 'x + 9223372036854775807'
sg 'ceil(-9223372036854775807) + x' --order 0
expect_rc 0; expect_out 'x - 9223372036854775807'
sg 'floor(-7/2) + ceil(-7/2) + floor(7/2)*10 + ceil(7/2)*100' --order 0 --values
expect_rc 0; expect_out '423'
end

# the size check counts the whole output, f and every partial, and counts
# it closely enough not to refuse what fits: 1,200 nested (a)^2/3 + 1 print
# as 7 MB, once refused at 32 MiB by a bound 20 times too high; 40 partials
# of 1,500 nested sines, each under 32 MiB, print as 234 MB together
begin "--max-memory bounds the whole printed output, and not far above it"
LIMIT=60
awk 'BEGIN { print "a = x"; for (i = 0; i < 1200; i++) print "a = (a)^2/3 + 1"; print "a" }' >"$TMP/sq.sym"
sg -f "$TMP/sq.sym" --max-memory 32
expect_rc 0; expect_no_err
[ "$(wc -c <"$OUT")" -gt 7000000 ] || fail "expected about 7 MB of output, got $(wc -c <"$OUT") bytes"
awk 'BEGIN { printf "a = x0"; for (i = 1; i < 40; i++) printf "*x%d", i; print ""; for (i = 0; i < 1500; i++) print "a = sin(a)"; print "a" }' >"$TMP/n40.sym"
sg -f "$TMP/n40.sym" --max-memory 32
expect_rc 2; expect_no_out; expect_err_has 'the output could pass 32 MiB of text'
end

# (the derivatives only: the emitted file, which --at compiles, declares
# each of the 10,000 partials with 10,000 parameters, so its size is
# quadratic in the variables)
begin "a gradient in 10,000 variables is not quadratic (memo by hash, variable masks)"
LIMIT=60
awk 'BEGIN { for (i = 0; i < 10000; i++) printf "%sx%d^2", i ? "+" : "", i; print "" }' >"$TMP/grad.sym"
sg -f "$TMP/grad.sym"
expect_rc 0; expect_no_err
[ "$(grep -c '^d/dx' "$OUT")" = 10000 ] || fail "expected 10000 partials, got $(grep -c '^d/dx' "$OUT")"
grep -qx 'd/dx10 f = 2\*x10' "$OUT" || fail "d/dx10 is not 2*x10: $(grep '^d/dx10 ' "$OUT")"
# and evaluated: the emitted file's partials take in[], so it stays linear
sg -f "$TMP/grad.sym" --at "$(awk 'BEGIN { for (i = 0; i < 10000; i++) printf "%sx%d=%d", i ? "," : "", i, i }')" --values
expect_rc 0; expect_no_err
# (the partials come in --wrt's default order, the names sorted: x0 x1 x10 ...)
awk 'BEGIN { for (i = 0; i < 10000; i++) print "x" i }' | LC_ALL=C sort | awk '{ print 2 * substr($1, 2) }' >"$TMP/want"
cmp -s "$OUT" "$TMP/want" || fail "--values of d/dxi = 2*i: $(diff "$OUT" "$TMP/want" | head -3 | tr '\n' ' ')"
end

begin "a 200,000-term sum differentiates and evaluates"
LIMIT=60
awk 'BEGIN { for (i = 1; i <= 200000; i++) printf "%ssin(%d*x)", (i > 1 ? "+" : ""), i; print "" }' >"$TMP/big.sym"
sg -f "$TMP/big.sym" --at 1 --values
expect_rc 0; expect_no_err
expect_nums '86665.220220712421'
end

# ================================================================ numbers outside a domain

begin "log(-1): nan on stdout, one warning naming the function and the point"
sg 'log(x)' --order 0 --at -1
expect_rc 0
expect_out 'log(x)
  at x = -1: nan'
expect_err_has 'symgrad: warning: log(-1) is outside its domain at x = -1 (value is nan)'
[ "$(wc -l <"$ERR")" = 1 ] || fail "expected one line on stderr"
end

begin "--values stays numbers only; the warning goes to stderr"
sg 'sqrt(x)' --at -1 --values
expect_rc 0; expect_out 'nan'
expect_err_has 'in d/dx, 1/sqrt(-1) is outside its domain at x = -1 (value is nan)'
sg '1/x' --at 0 --values
expect_rc 0; expect_out '-inf'
expect_err_has 'in d/dx, 0^(-2) is a pole at x = 0 (value is inf)'
sg 'exp(x)' --at 1000 --values --order 0
expect_rc 0; expect_out 'inf'
expect_err_has 'exp(1000) overflows at x = 1000 (value is inf)'
end

begin "acosh(0.5), atanh(1), (-8)^(1/3): nan and inf as printf prints them"
sg 'acosh(x)' --order 0 --at 0.5 --values
expect_out 'nan'; expect_err_has 'acosh(0.5) is outside its domain'
sg 'atanh(x)' --order 0 --at 1 --values
expect_out 'inf'; expect_err_has 'atanh(1) is a pole'
sg '(-8)^(1/3)' --values
expect_out 'nan'; expect_err_has 'is outside its domain (value is nan)'
end

begin "JSON: values that are not finite are null (JSON has no nan), with the warning"
sg 'log(x)' --at -1 --format json --order 0
expect_rc 0
expect_out_has '"value": null'
expect_err_has 'log(-1) is outside its domain'
end

begin "finite results give no warning"
sg 'log(x)' --at 2 --values
expect_rc 0; expect_no_err
end

begin "infinite and nan constants print as 1/0, -1/0, 0/0 and read back the same"
for e in '1/0*x' '0/0*x' 'x^(1/0)' '-x/0' 'x^(-1/0)' 'y*x^(-1/0)' 'x - 1/0'; do
    sg "$e" --order 0
    first=$(head -n 1 "$OUT")
    case $first in *inf*|*nan*) fail "'$e' printed as '$first'" ;; esac
    sg "$first" --order 0
    [ "$(head -n 1 "$OUT")" = "$first" ] || fail "'$first' reads back as '$(head -n 1 "$OUT")'"
done
sg '1/0*x'
expect_out 'd/dx 1/0*x = 1/0'
end

begin "--emit-c writes files with the usual permissions, not 0600"
sg 'x^2' --emit-c "$TMP/perm.c"
expect_rc 0
mode=$(umask 022; stat -c %a "$TMP/perm.c")
[ "$mode" = 644 ] || [ "$(umask)" != 0022 ] || fail "mode $mode"
end

# ================================================================ reverse mode

GEN=$(cd "$(dirname "$0")/.." && pwd)/tools/gen_case.sh
# a point for n variables named PREFIX1..PREFIXn
point() { awk -v n="$1" -v v="$2" 'BEGIN { for (i = 1; i <= n; i++) printf "%s%s%d=%.4f", (i > 1 ? "," : ""), v, i, 0.3 + 0.01 * i - (i % 3) * 0.2 }'; }
# max relative difference of two files of numbers, line by line
reldiff() { paste "$1" "$2" | awk '{ d = $1 - $2; d = d < 0 ? -d : d; s = $1 < 0 ? -$1 : $1; s = s < 1e-300 ? 1e-300 : s; if (d / s > m && d > 1e-300) m = d / s } END { printf "%g", m + 0 }'; }

for c in rosenbrock sines logistic logsumexp; do
    begin "$c, 100 variables: reverse and forward mode agree to 1e-12, and --check agrees"
    v=x; [ "$c" = logistic ] && v=w
    bash "$GEN" "$c" 100 >"$TMP/case.sym"
    at=$(point 100 "$v")
    sg -f "$TMP/case.sym" --mode forward --at "$at" --values
    expect_rc 0; cp "$OUT" "$TMP/fwd"
    sg -f "$TMP/case.sym" --mode reverse --at "$at" --values
    expect_rc 0; cp "$OUT" "$TMP/rev"
    [ "$(wc -l <"$TMP/rev")" = 100 ] || fail "reverse: $(wc -l <"$TMP/rev") values, expected 100"
    d=$(reldiff "$TMP/fwd" "$TMP/rev")
    awk -v d="$d" 'BEGIN { exit !(d <= 1e-12) }' || fail "reverse and forward differ by $d (relative)"
    sg -f "$TMP/case.sym" --mode reverse --at "$at" --check
    expect_rc 0
    grep -q DISAGREES "$OUT" && fail "--check: $(grep -m1 DISAGREES "$OUT")"
    end
done

begin "a loss over 20 data rows divides once per row in its gradient, not once per row and weight"
# each row's adjoint a/(2+a) is computed once and scaled by the row's 100
# weights (log(2 + exp(z)): log(1 + exp(z)) would become softplus(z))
bash "$GEN" logistic 100 | sed 's/log(1 + exp/log(2 + exp/g' >"$TMP/lg100.sym"
sg -f "$TMP/lg100.sym" --format c --functions grad --mode reverse
expect_rc 0
d=$(sed -n '/^void f_grad(/,/^}/p' "$OUT" | tr -cd '/' | wc -c)
[ "$d" -ge 1 ] && [ "$d" -le 20 ] || fail "f_grad has $d divisions, expected at most 20 (one per row)"
end

begin "reverse mode: a piecewise exponent's zero slope keeps log of a negative base out (x^relu(x), x^max(-1, x))"
sg 'x^relu(x)' --mode reverse --at -2 --values
expect_rc 0; expect_nums '0'
sg 'x^max(-1, x)' --mode reverse --at -2.5 --values
expect_rc 0; expect_nums '-0.16'
end

begin "the logistic loss's H v takes each row's tangent once, not into every row-and-weight term"
# 20 rows x 100 weights: the tangent z' of each row and the sums over rows
# need about 4 multiplications a term; a chain product taken into every term
# needed 6
bash "$GEN" logistic 100 >"$TMP/lh.sym"
sg -f "$TMP/lh.sym" --format c --functions hvp
expect_rc 0
m=$(sed -n '/^void f_hvp(/,/^}/p' "$OUT" | tr -cd '*' | wc -c)
[ "$m" -ge 2000 ] && [ "$m" -le 9000 ] || fail "f_hvp has $m multiplications, expected 2,000 to 9,000"
end

begin "more than 16 variables: no partial functions by default; the header says what the file holds"
bash "$GEN" rosenbrock 17 >"$TMP/r17.sym"
sg -f "$TMP/r17.sym" --emit-c "$TMP/r17.c"
expect_rc 0; expect_no_out
grep -q '^double r17(const double \*in);' "$TMP/r17.h" 2>/dev/null || grep -q '^double r17(' "$TMP/r17.h" || fail "no r17() in r17.h"
grep -q 'r17_dx1' "$TMP/r17.h" && fail "r17_dx1 declared though partials are not asked for"
grep -q 'This file holds (--functions value,grad,batch)' "$TMP/r17.h" || fail "the header does not say what it holds"
bash "$GEN" rosenbrock 16 >"$TMP/r16.sym"
sg -f "$TMP/r16.sym" --emit-c "$TMP/r16.c"
grep -q '^double r16_dx1(' "$TMP/r16.h" || fail "16 variables: no r16_dx1 in r16.h"
sg -f "$TMP/r17.sym" --format c --functions grad
expect_rc 0
expect_out_has "void f_grad(const double *in, double *grad)"
grep -q 'f_batch\|^double f(' "$OUT" && fail "--functions grad wrote more than the gradient"
end

begin "--hvp: NAME_hvp compiles warning-free (gcc, tcc) and equals a difference of gradients"
bash "$GEN" rosenbrock 6 >"$TMP/h.sym"
sg -f "$TMP/h.sym" --emit-c "$TMP/h.c" --name h --hvp --mode reverse
expect_rc 0
grep -q '^void h_hvp(const double \*in, const double \*v, double \*out);' "$TMP/h.h" || fail "no h_hvp in h.h"
cat >"$TMP/hmain.c" <<'EOC'
#include <math.h>
#include <stdio.h>
#include "h.h"
int main(void)
{
    double x[6] = {0.3, -0.7, 1.1, 0.2, -0.4, 0.9}, v[6] = {1, -0.5, 0.25, 2, 0.1, -1};
    double hv[6], gp[6], gm[6], xp[6], xm[6], h = 1e-6, worst = 0;
    h_hvp(x, v, hv);
    for (int i = 0; i < 6; i++)
        xp[i] = x[i] + h * v[i], xm[i] = x[i] - h * v[i];
    h_grad(xp, gp);
    h_grad(xm, gm);
    for (int i = 0; i < 6; i++) {
        double fd = (gp[i] - gm[i]) / (2 * h), e = fabs(fd - hv[i]) / fmax(1, fabs(hv[i]));
        worst = e > worst ? e : worst;
    }
    printf("%g\n", worst);
    return worst < 1e-6 ? 0 : 1;
}
EOC
if gcc -std=c99 -Wall -Wextra -pedantic -Werror -I"$TMP" "$TMP/hmain.c" "$TMP/h.c" -lm -o "$TMP/hmain" 2>"$TMP/gcc.err"; then
    "$TMP/hmain" >"$TMP/hv.out" || fail "H v differs from the difference of gradients by $(cat "$TMP/hv.out")"
else
    fail "gcc: $(show "$(cat "$TMP/gcc.err")")"
fi
tcc -c "$TMP/h.c" -o "$TMP/h.o" 2>"$TMP/tcc.err" || fail "tcc: $(show "$(cat "$TMP/tcc.err")")"
end

begin "a long gradient is cut into segment functions that compile warning-free and agree with --values"
bash "$GEN" logistic 300 >"$TMP/long.sym"
sg -f "$TMP/long.sym" --emit-c "$TMP/long.c" --name lg
expect_rc 0
grep -q '^static void lg_grad_seg2(' "$TMP/long.c" || fail "lg_grad is not cut into segments"
# written once: each row of lg_batch calls lg and lg_grad
sed -n '/^void lg_batch(/,/^}/p' "$TMP/long.c" >"$TMP/lbatch"
grep -q 'lg_grad(in, out + 1);' "$TMP/lbatch" && grep -q 'out\[0\] = lg(in);' "$TMP/lbatch" ||
    fail "lg_batch does not call lg and lg_grad: $(show "$(cat "$TMP/lbatch")")"
cat >"$TMP/lmain.c" <<'EOC'
#include <stdio.h>
#include "long.h"
int main(void)
{
    double in[600], grad[300], rows[602];
    for (int i = 0; i < 300; i++)
        in[i] = in[300 + i] = ((i * 37) % 100) / 500.0 - 0.1;
    lg_grad(in, grad);
    printf("%.17g\n", lg(in));
    for (int i = 0; i < 300; i++)
        printf("%.17g\n", grad[i]);
    lg_batch(2, in, rows); /* two rows, each the value and the gradient again */
    for (int i = 0; i < 602; i++)
        printf("%.17g\n", rows[i]);
    return 0;
}
EOC
# in[] follows the parameters' order, alphabetical: the k-th name gets value k
at=$(awk 'BEGIN { for (i = 1; i <= 300; i++) print "w" i }' | LC_ALL=C sort |
     awk '{ printf "%s%s=%.17g", (NR > 1 ? "," : ""), $1, (((NR - 1) * 37) % 100) / 500.0 - 0.1 }')
if gcc -std=c99 -Wall -Wextra -pedantic -Werror -O1 -I"$TMP" "$TMP/lmain.c" "$TMP/long.c" -lm -o "$TMP/lmain" 2>"$TMP/gcc.err"; then
    "$TMP/lmain" >"$TMP/compiled"
    for row in 0 1 2; do
        "$SG" -f "$TMP/long.sym" --order 0 --at "$at" --values
        "$SG" -f "$TMP/long.sym" --at "$at" --values
    done >"$TMP/jit"
    cmp -s "$TMP/compiled" "$TMP/jit" || fail "the compiled segments and --values differ"
else
    fail "gcc: $(show "$(cat "$TMP/gcc.err")")"
fi
tcc -c "$TMP/long.c" -o "$TMP/long.o" 2>"$TMP/tcc.err" || fail "tcc: $(show "$(cat "$TMP/tcc.err")")"
end

# ================================================================ summary

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
