#!/usr/bin/env bash
# The emitted C of every row of the reference corpus, compiled by real
# compilers and run (SPEC.md section 4).
#
#   bash tests/emit_corpus_test.sh /path/to/symgrad tests/corpus_derivs.tsv
#
# Corpus rows: expression, variable, order, point (x=0.3,y=-1), expected
# value, tab-separated; blank lines and lines starting with # are skipped.
# For each row (named rLLLL after its line number LLLL):
#
#   symgrad --wrt VAR --order N --name rLLLL --emit-c rLLLL.c \
#           --at POINT --values -- EXPR
#
# writes rLLLL.c / rLLLL.h and prints the --values number (the same query as
# `symgrad EXPR --wrt VAR --order N --at POINT --values`, in one run).
# Every rLLLL.c is compiled with
#   gcc   -std=c99 -Wall -Wextra -pedantic -Werror -O2
#   tcc   -Wall -Werror
#   clang -std=c99 -Wall -Wextra -pedantic -Werror -O2   (skipped, with a
#                                                          note, if missing)
# and, per compiler, linked with one generated driver that includes every
# header and calls, at the row's point (parameters: the free variables in
# alphabetical order, read from the header), rLLLL_d<VAR> (rLLLL_d<N><VAR>
# for N > 1), rLLLL_grad, rLLLL_batch over two copies of the point, and
# rLLLL itself. Checks:
#   - the partial, grad[0] and both batch rows' partials equal the --values
#     number (relative 1e-12);
#   - rLLLL(point) equals both batch rows' values (relative 1e-12);
#   - the --values number matches the corpus value (relative 1e-9, absolute
#     1e-12 near 0, as tests/test_corpus.c).
# Rows outside the real domain (listed in NAN_ROWS below: a real input to a
# function whose real value does not exist on the way, e.g. acos(1.071)) have
# a real corpus value only by complex continuation; in C's real arithmetic
# the value is NaN, so there NaN is expected from --values and every driver.
#
# One case per row (all compilers must pass it); ends with "N passed, M failed"
# and exits non-zero when any row failed. Uses 2 parallel jobs.

set -u
export LC_ALL=C

if [ $# -ne 2 ]; then
    echo "usage: bash $0 /path/to/symgrad path/to/corpus_derivs.tsv" >&2
    exit 2
fi
SG=$1
CORPUS=$2
case $SG in /*) ;; *) SG=$PWD/$SG ;; esac
if [ ! -x "$SG" ]; then
    echo "emit_corpus_test: '$SG' is not an executable" >&2
    exit 2
fi
if [ ! -r "$CORPUS" ]; then
    echo "emit_corpus_test: cannot read '$CORPUS'" >&2
    exit 2
fi
for cc in gcc tcc; do
    if ! command -v "$cc" >/dev/null 2>&1; then
        echo "emit_corpus_test: $cc is not installed (apt-get install $cc)" >&2
        exit 2
    fi
done
COMPILERS="gcc tcc"
if command -v clang >/dev/null 2>&1; then
    COMPILERS="$COMPILERS clang"
else
    echo "note: clang is not installed; compiling with gcc and tcc only"
fi
JOBS=2
STRICT="-std=c99 -Wall -Wextra -pedantic -Werror"

# Rows whose value is NaN in real arithmetic: expression, variable, order and
# point, tab-separated, exactly as in the corpus (lines 78, 92 and 235 of
# tests/corpus_derivs.tsv when this was written).
NAN_ROWS=$(printf '%s\t%s\t%s\t%s\n' \
    '(cbrt(sinh(x)) * cosh(acosh(x)))' x 1 'x=0.552' \
    'cosh(-acos(y))' y 3 'y=1.071' \
    'cosh((acos((x - y)))**(-2))' y 2 'x=-0.42,y=-1.883')

TMP=$(mktemp -d "${TMPDIR:-/tmp}/symgrad-emitcorpus.XXXXXX") || exit 2
if [ -n "${KEEP_TMP:-}" ]; then echo "keeping $TMP" >&2; else trap 'rm -rf "$TMP"' EXIT; fi
trap 'exit 130' INT TERM
mkdir "$TMP/src" "$TMP/sg" "$TMP/log"
if command -v timeout >/dev/null 2>&1; then TIMEOUT="timeout 60"; else TIMEOUT=""; fi

# ---------------------------------------------------------------- the rows
# manifest: id lineno expr var order point want nan-expected(0/1), separated
# by the ASCII unit separator (\037: tabs would let `read` merge empty fields)
printf '%s\n' "$NAN_ROWS" >"$TMP/nanrows"
awk -F'\t' -v OFS='\037' -v nanfile="$TMP/nanrows" '
    BEGIN { while ((getline l < nanfile) > 0) nan[l] = 1 }
    { sub(/\r$/, "") }
    /^#/ || /^[[:space:]]*$/ { next }
    NF != 5 { printf "corpus line %d: not 5 tab-separated fields\n", NR > "/dev/stderr"; bad = 1; next }
    {
        key = $1 "\t" $2 "\t" $3 "\t" $4
        print sprintf("%04d", NR), NR, $1, $2, $3, $4, $5, (key in nan) ? 1 : 0
        if (key in nan) seen[key] = 1
    }
    END {
        for (k in nan) if (!(k in seen)) {
            printf "emit_corpus_test: NAN_ROWS entry not in the corpus: %s\n", k > "/dev/stderr"
            bad = 1
        }
        exit bad
    }' "$CORPUS" >"$TMP/manifest" || {
    echo "0 passed, 1 failed"
    exit 1
}
NROWS=$(wc -l <"$TMP/manifest")
if [ "$NROWS" -eq 0 ]; then
    echo "emit_corpus_test: no rows in $CORPUS"
    echo "0 passed, 1 failed"
    exit 1
fi

# ---------------------------------------------------------------- symgrad
# One run per row: the files and the --values number. JOBS workers, each
# taking every JOBS-th row.
phase() { [ -n "${TIMING:-}" ] && echo "$SECONDS s: $1" >&2; return 0; }

emit_rows() { # worker index
    local k=0 id expr var order point
    while IFS=$'\037' read -r id _ expr var order point _; do
        k=$((k + 1))
        [ $((k % JOBS)) -eq "$1" ] || continue
        $TIMEOUT "$SG" --wrt "$var" --order "$order" --name "r$id" \
            --emit-c "$TMP/src/r$id.c" --at "$point" --values -- "$expr" \
            >"$TMP/sg/$id.out" 2>"$TMP/sg/$id.err"
        echo $? >"$TMP/sg/$id.rc"
    done <"$TMP/manifest"
}
for ((w = 0; w < JOBS; w++)); do emit_rows "$w" & done
wait

phase "symgrad done"
# ---------------------------------------------------------------- compile
# Every emitted source, with each compiler. A source that fails is listed,
# with its first message, in obj.CC/fail.* and left out of that compiler's
# driver.
#
# Speed: a compiler process costs far more than these small files, so gcc
# and clang compile each half of the rows as one translation unit that
# #includes the sources in turn, each file's static helpers (sg_sigmoid, ...)
# renamed apart by macros; diagnostics still name the file and line. A file
# with a diagnostic is dropped and the unit compiled again; if a diagnostic
# names no file, every file of the half is compiled on its own. tcc is fast
# enough to compile each file on its own (one process for a whole half).
find "$TMP/src" -name 'r*.c' | sed -n 's|^.*/r\([0-9]*\)\.c$|\1|p' | sort >"$TMP/emitted"
HELPERS="sg_max sg_min sg_clamp sg_relu sg_sign sg_sigmoid sg_softplus"
DIAG='r[0-9][0-9]*\.c:[0-9][0-9]*:[0-9][0-9]*: *\(fatal \)\{0,1\}\(error\|warning\)'

cc_flags() {
    case $1 in
    tcc) echo "-Wall -Werror" ;;
    *) echo "$STRICT -O2" ;;
    esac
}

# cc id dir failfile: compile src/rID.c alone into dir/rID.o, or record why not
compile_one() {
    local out
    # shellcheck disable=SC2046
    if ! out=$($1 $(cc_flags "$1") -c "$TMP/src/r$2.c" -o "$3/r$2.o" 2>&1) || [ -n "$out" ]; then
        rm -f "$3/r$2.o"
        printf '%s\t%s\n' "$2" "$(printf '%s\n' "$out" | grep -m1 -e "$DIAG" -e error ||
            printf '%s' "$out" | head -1)" >>"$4"
    fi
}

compile_part() { # compiler partfile
    local cc=$1 part=$2 tag=${2##*.} id round=0 bad
    local dir=$TMP/obj.$cc
    local fail=$dir/fail.$tag unit=$dir/unit.$tag
    : >"$fail"
    if [ "$cc" = tcc ]; then
        (cd "$dir" && sed "s|^\(.*\)$|$TMP/src/r\1.c|" "$part" | xargs tcc -Wall -Werror -c \
            >/dev/null 2>&1) && return
        rm -f "$dir"/r*.o # tcc stops at the first bad file: each file alone
        while read -r id; do compile_one tcc "$id" "$dir" "$fail"; done <"$part"
        return
    fi
    while :; do
        round=$((round + 1))
        awk -F'\t' -v helpers="$HELPERS" '
            FILENAME == ARGV[1] { failed[$1] = 1; next }
            !($1 in failed) {
                n = split(helpers, h, " ")
                for (i = 1; i <= n; i++) printf "#define %s %s_r%s\n", h[i], h[i], $1
                printf "#include \"r%s.c\"\n", $1
                for (i = 1; i <= n; i++) printf "#undef %s\n", h[i]
            }' "$fail" "$part" >"$unit.c"
        # shellcheck disable=SC2046
        $cc $(cc_flags "$cc") -I "$TMP/src" -c "$unit.c" -o "$unit.o" >"$unit.log" 2>&1 &&
            [ ! -s "$unit.log" ] && return
        rm -f "$unit.o"
        bad=$(grep -o -e "$DIAG" "$unit.log" | sed 's/^r\([0-9]*\)\.c.*/\1/' | sort -u)
        if [ -z "$bad" ] || [ $round -gt 20 ]; then
            cut -f1 "$fail" >"$unit.done"
            while read -r id; do
                grep -qx "$id" "$unit.done" || compile_one "$cc" "$id" "$dir" "$fail"
            done <"$part"
            return
        fi
        for id in $bad; do
            printf '%s\t%s\n' "$id" "$(grep -m1 -e "r$id\.c:[0-9]*:[0-9]*: *\(fatal \)\{0,1\}\(error\|warning\)" "$unit.log")" >>"$fail"
        done
    done
}
split -n "l/$JOBS" -d "$TMP/emitted" "$TMP/part." 2>/dev/null ||
    cp "$TMP/emitted" "$TMP/part.00"
for cc in $COMPILERS; do
    mkdir -p "$TMP/obj.$cc"
    for part in "$TMP"/part.*; do compile_part "$cc" "$part" & done
    wait
    cat "$TMP/obj.$cc"/fail.* >"$TMP/fail.$cc"
done

phase "compiled"
# ---------------------------------------------------------------- drivers
# The parameters of each emitted function, from its header's comment.
awk -v dir="$TMP/src" '{
    f = dir "/r" $1 ".h"; p = ""
    while ((getline l < f) > 0)
        if (p == "" && sub(/^ \* Parameters in this order: /, "", l) && sub(/\.$/, "", l)) p = l
    close(f)
    print $1 "\t" p
}' "$TMP/emitted" >"$TMP/params"

# drv.c: the headers of all rows, then main with one block per row printing
#   LLLL partial grad[0] batch-row-1-partial batch-row-2-partial value batch-row-1-value batch-row-2-value
# A row is left out of a compiler's driver with -DSKIP_rLLLL when its source
# did not compile there.
awk -F'\037' -v paramsfile="$TMP/params" -v incfile="$TMP/drv.inc" '
    BEGIN {
        while ((getline l < paramsfile) > 0) {
            split(l, f, "\t"); params[f[1]] = f[2]
        }
    }
    {
        id = $1; var = $4; order = $5; point = $6
        if (!(id in params)) next
        np = split(params[id], pn, ", ")
        n = split(point, kv, ",")
        delete val
        for (i = 1; i <= n; i++) {
            eq = index(kv[i], "=")
            val[substr(kv[i], 1, eq - 1)] = substr(kv[i], eq + 1)
        }
        vals = ""; args = ""; ok = np >= 1
        for (i = 1; i <= np && ok; i++) {
            if (!(pn[i] in val) || val[pn[i]] !~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/)
                ok = 0
            vals = vals (i > 1 ? ", " : "") val[pn[i]]
            args = args (i > 1 ? ", " : "") "in[" i - 1 "]"
        }
        if (!ok) {
            print id > "/dev/stderr"  # no driver for this row
            next
        }
        fn = "r" id; dn = fn "_d" (order == 1 ? "" : order) var
        printf "#ifndef SKIP_%s\n#include \"%s.h\"\n#endif\n", fn, fn > incfile
        printf "#ifndef SKIP_%s\n    {\n", fn
        printf "        static const double in[%d] = {%s};\n", np, vals
        printf "        static const double in2[%d] = {%s, %s};\n", 2 * np, vals, vals
        printf "        double g[1] = {0}, b[4] = {0};\n"
        printf "        double d = %s(%s);\n", dn, args
        printf "        double v = %s(%s);\n", fn, args
        printf "        %s_grad(in, g);\n", fn
        printf "        %s_batch(2, in2, b);\n", fn
        printf "        row(\"%s\", d, g[0], b[1], b[3], v, b[0], b[2]);\n", id
        printf "    }\n#endif\n"
    }
' "$TMP/manifest" >"$TMP/drv.body" 2>"$TMP/nodriver"
{
    printf '/* generated by emit_corpus_test.sh */\n#include <stdio.h>\n\n'
    cat "$TMP/drv.inc" 2>/dev/null
    cat <<'EOC'

static void row(const char *id, double d, double g, double b1, double b3, double v, double b0,
                double b2)
{
    printf("%s %.17g %.17g %.17g %.17g %.17g %.17g %.17g\n", id, d, g, b1, b3, v, b0, b2);
}

int main(void)
{
EOC
    cat "$TMP/drv.body"
    printf '    return 0;\n}\n'
} >"$TMP/drv.c"

for cc in $COMPILERS; do
    skips=()
    while IFS=$'\t' read -r id _; do skips+=("-DSKIP_r$id"); done <"$TMP/fail.$cc"
    objs=("$TMP/obj.$cc"/*.o)
    [ -e "${objs[0]}" ] || objs=()
    # shellcheck disable=SC2046
    if ! $cc $(cc_flags "$cc") -I "$TMP/src" "${skips[@]}" -o "$TMP/drv.$cc" "$TMP/drv.c" \
            "${objs[@]}" -lm >"$TMP/log/$cc.driver" 2>&1; then
        echo "driver for $cc did not build:"
        head -20 "$TMP/log/$cc.driver"
        : >"$TMP/run.$cc"
        continue
    fi
    $TIMEOUT "$TMP/drv.$cc" >"$TMP/run.$cc" 2>"$TMP/log/$cc.run" ||
        echo "driver for $cc exited with status $? (rows after the last printed one count as failed)"
done

phase "drivers run"
# ---------------------------------------------------------------- compare
# Per row: symgrad's status and output, each compiler's verdict, the driver
# lines.
awk -F'\t' -v compilers="$COMPILERS" -v runprefix="$TMP/run." -v failprefix="$TMP/fail." \
    -v sgprefix="$TMP/sg/" '
    function isnan(s) { return s ~ /nan/ }
    function abs(x) { return x < 0 ? -x : x }
    # both NaN, equal infinities, or |a - b| <= max(abs_tol, rel * max(|a|, |b|))
    function near(a, b, rel, abs_tol,    x, y, d, m) {
        if (isnan(a) || isnan(b)) return isnan(a) && isnan(b)
        if (a ~ /inf/ || b ~ /inf/) return a == b
        x = a + 0; y = b + 0; d = abs(x - y); m = abs(x) > abs(y) ? abs(x) : abs(y)
        return d <= abs_tol || d <= rel * m
    }
    function first(f,    l) { l = ""; getline l < f; close(f); return l }
    FILENAME ~ /manifest$/ {
        split($0, mf, "\037"); id = mf[1]
        order[++n] = id; line[id] = mf[2]; want[id] = mf[7]; nanx[id] = mf[8]
        what[id] = "d^" mf[5] "/d" mf[4] "^" mf[5] " " mf[3] " at " mf[6]
        next
    }
    FILENAME ~ /nodriver$/ { nodrv[$1] = 1; next }
    END {
        nc = split(compilers, cc, " ")
        for (c = 1; c <= nc; c++) {
            f = runprefix cc[c]
            while ((getline l < f) > 0) { split(l, w, " "); got[cc[c], w[1]] = l }
            f = failprefix cc[c]
            while ((getline l < f) > 0) {
                t = index(l, "\t"); id = substr(l, 1, t - 1); m = substr(l, t + 1)
                sub(/^[^ ]*\/src\//, "", m)
                if (!((cc[c], id) in ccfail)) {
                    ccfail[cc[c], id] = 1
                    ccbad[id] = ccbad[id] (ccbad[id] ? "; " : "") cc[c] " rejects r" id ".c: " m
                }
            }
        }
        for (i = 1; i <= n; i++) {
            id = order[i]; f = sgprefix id
            rc[id] = first(f ".rc"); err[id] = first(f ".err")
            nout[id] = 0; values[id] = ""
            while ((getline l < (f ".out")) > 0) if (++nout[id] == 1) values[id] = l
            close(f ".out")
        }
        passed = failed = 0
        for (i = 1; i <= n; i++) {
            id = order[i]; why = ""
            if (rc[id] != 0)
                why = "symgrad exit " rc[id] ": " err[id]
            else if (nout[id] != 1 || values[id] == "")
                why = "--values printed " nout[id] " lines, expected 1"
            else {
                v = values[id]
                if (nanx[id]) {
                    if (!isnan(v)) why = "--values gives " v ", expected NaN (outside the real domain)"
                } else if (!near(v, want[id], 1e-9, 1e-12))
                    why = "--values gives " v ", corpus expects " want[id]
                if (ccbad[id] != "") why = why (why ? "; " : "") ccbad[id]
                if (nodrv[id]) why = why (why ? "; " : "") "no driver: header parameters do not match the point"
                for (c = 1; c <= nc; c++) {
                    if ((cc[c], id) in ccfail || nodrv[id]) continue
                    if (!((cc[c], id) in got)) {
                        why = why (why ? "; " : "") cc[c] " driver printed nothing for this row"
                        continue
                    }
                    split(got[cc[c], id], r, " ")
                    split("partial grad[0] batch-row-1 batch-row-2", nm, " ")
                    for (k = 2; k <= 5; k++)
                        if (!near(r[k], v, 1e-12, 0))
                            why = why (why ? "; " : "") cc[c] ": " nm[k - 1] " = " r[k] ", --values " v
                    for (k = 7; k <= 8; k++)
                        if (!near(r[k], r[6], 1e-12, 0))
                            why = why (why ? "; " : "") cc[c] ": batch value " r[k] " != function value " r[6]
                }
            }
            if (why == "") passed++
            else { failed++; printf "FAIL line %d: %s: %s\n", line[id], what[id], why }
        }
        nn = 0; lst = ""
        for (i = 1; i <= n; i++) if (nanx[order[i]]) { nn++; lst = lst (lst ? ", " : "") line[order[i]] }
        if (nn) printf "note: %d row%s outside the real domain (line%s %s): NaN expected from --values and the drivers, as C gives\n", nn, (nn > 1 ? "s" : ""), (nn > 1 ? "s" : ""), lst
        printf "note: compiled with %s\n", compilers
        printf "%d passed, %d failed\n", passed, failed
        exit failed > 0
    }
' "$TMP/manifest" "$TMP/nodriver"
