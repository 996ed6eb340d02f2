#!/usr/bin/env bash
# accuracy_test.sh SYMGRAD - every row of tests/accuracy.tsv (derivatives at
# points where floating point is hard, true values from a 600-digit oracle,
# tools/accuracy_oracle.py) through --values (the JIT) and through the
# emitted C compiled by gcc -O2; tests/accuracy_check.c compares.
set -u
SG=$1
here=$(cd "$(dirname "$0")" && pwd)
TABLE=$here/accuracy.tsv
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sg-accuracy.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
gcc -std=c99 -O2 -Wall "$here/accuracy_check.c" -lm -o "$TMP/check" || exit 2

k=0
: >"$TMP/jit"
{
    echo '#include <stdio.h>'
    echo '#include <stddef.h>'
} >"$TMP/main.c"
calls=""
while IFS=$'\t' read -r expr var order point want; do
    case $expr in '#'*|'') continue ;; esac
    k=$((k + 1))
    v=$("$SG" "$expr" --wrt "$var" --order "$order" --at "$var=$point" --values 2>/dev/null)
    echo "${v:-none}" >>"$TMP/jit"
    "$SG" "$expr" --wrt "$var" --order "$order" --format c --name "a$k" --functions batch \
        >"$TMP/a$k.c" 2>"$TMP/err" || { echo "FAIL: --format c for $expr: $(cat "$TMP/err")"; exit 1; }
    echo "void a${k}_batch(size_t n, const double *in, double *out);" >>"$TMP/main.c"
    calls+="    { double in[1] = {$point}, out[2]; a${k}_batch(1, in, out); printf(\"%.17g\\n\", out[1]); }"$'\n'
done <"$TABLE"
printf 'int main(void)\n{\n%s    return 0;\n}\n' "$calls" >>"$TMP/main.c"
gcc -std=c99 -O2 -w "$TMP"/*.c -lm -o "$TMP/emitted" || { echo "FAIL: gcc"; exit 1; }
"$TMP/emitted" >"$TMP/gcc"
status=0
"$TMP/check" "$TABLE" "$TMP/jit" "--values" || status=1
"$TMP/check" "$TABLE" "$TMP/gcc" "gcc -O2" || status=1
exit $status
