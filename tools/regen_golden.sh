#!/usr/bin/env bash
# Regenerate the golden emitted-C files of tests/golden/ (SPEC.md section 4).
#
#   bash tools/regen_golden.sh [path/to/symgrad [OUTDIR]]
#
# For every tests/golden/NAME.sym (an expression or a program) runs
#
#   symgrad -f NAME.sym ARGS --emit-c OUTDIR/NAME.c
#
# which writes OUTDIR/NAME.c and OUTDIR/NAME.h. ARGS come from the first line
# of NAME.sym when it reads `# args: OPTIONS` (split at blanks; no quoting).
# symgrad defaults to build/symgrad, OUTDIR to tests/golden itself.
# tests/golden_test.sh runs this script into a temporary directory and diffs.
#
# After changing the emitter: run this, then read `git diff tests/golden`
# line by line before committing: the golden files are reviewed output, not a
# record of whatever the emitter happens to print.
#
# Prints one line per input that failed; exits 1 if any did, 2 on bad usage.

set -u
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
GOLDEN=$ROOT/tests/golden
SG=${1:-$ROOT/build/symgrad}
OUT=${2:-$GOLDEN}

if [ $# -gt 2 ]; then
    echo "usage: bash $0 [path/to/symgrad [OUTDIR]]" >&2
    exit 2
fi
case $SG in /*) ;; *) SG=$PWD/$SG ;; esac
if [ ! -x "$SG" ]; then
    echo "regen_golden: '$SG' is not an executable (build first, or pass its path)" >&2
    exit 2
fi
if [ ! -d "$OUT" ]; then
    echo "regen_golden: '$OUT' is not a directory" >&2
    exit 2
fi

status=0
count=0
for sym in "$GOLDEN"/*.sym; do
    [ -e "$sym" ] || { echo "regen_golden: no inputs in $GOLDEN" >&2; exit 2; }
    name=$(basename "$sym" .sym)
    args=$(sed -n '1s/^#[[:space:]]*args:[[:space:]]*//p' "$sym")
    # $args is split at blanks on purpose
    # shellcheck disable=SC2086
    if ! err=$("$SG" -f "$sym" $args --emit-c "$OUT/$name.c" 2>&1 >/dev/null); then
        echo "$name: symgrad -f $name.sym $args --emit-c $name.c failed: $err"
        status=1
    fi
    count=$((count + 1))
done
[ "$OUT" = "$GOLDEN" ] && echo "regenerated $count golden pairs in $OUT" >&2
exit $status
