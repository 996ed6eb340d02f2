#!/usr/bin/env bash
# Golden tests of the emitted C (SPEC.md section 4).
#
#   bash tests/golden_test.sh /path/to/symgrad
#
# Regenerates every tests/golden/NAME.sym into a temporary directory with
# tools/regen_golden.sh (the same command that writes the golden files) and
# compares the new NAME.c and NAME.h with tests/golden/NAME.c and NAME.h.
# A mismatch prints the unified diff (expected golden file first). Each
# regenerated .c must also compile warning-free with
#   gcc -std=c99 -Wall -Wextra -pedantic -Werror -O2   (SPEC section 4)
#   tcc -Wall -Werror
#   clang with gcc's flags (skipped, with a note, when clang is not installed)
# One case per golden input; ends with "N passed, M failed" and exits
# non-zero when any case failed.
#
# To accept a deliberate change of the emitter: bash tools/regen_golden.sh
# path/to/symgrad, then review `git diff tests/golden` before committing.

set -u
export LC_ALL=C

if [ $# -ne 1 ]; then
    echo "usage: bash $0 /path/to/symgrad" >&2
    exit 2
fi
SG=$1
case $SG in /*) ;; *) SG=$PWD/$SG ;; esac
if [ ! -x "$SG" ]; then
    echo "golden_test: '$SG' is not an executable" >&2
    exit 2
fi

HERE=$(cd "$(dirname "$0")" && pwd)
GOLDEN=$HERE/golden
REGEN=$HERE/../tools/regen_golden.sh

TMP=$(mktemp -d "${TMPDIR:-/tmp}/symgrad-golden.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
mkdir "$TMP/out" "$TMP/obj"

STRICT="-std=c99 -Wall -Wextra -pedantic -Werror"
COMPILERS="gcc tcc"
for cc in gcc tcc; do
    if ! command -v "$cc" >/dev/null 2>&1; then
        echo "golden_test: $cc is not installed (apt-get install $cc)" >&2
        exit 2
    fi
done
if command -v clang >/dev/null 2>&1; then
    COMPILERS="$COMPILERS clang"
else
    echo "note: clang is not installed; the golden files are compiled with gcc and tcc only"
fi

compile() { # compiler file.c -> messages on stdout, status
    # $STRICT is split into words on purpose
    # shellcheck disable=SC2086
    case $1 in
    gcc) gcc $STRICT -O2 -c "$2" -o "$TMP/obj/x.o" 2>&1 ;;
    clang) clang $STRICT -O2 -c "$2" -o "$TMP/obj/x.o" 2>&1 ;;
    tcc) tcc -Wall -Werror -c "$2" -o "$TMP/obj/x.o" 2>&1 ;;
    esac
}

# one regeneration for all inputs; its messages name the inputs that failed
bash "$REGEN" "$SG" "$TMP/out" >"$TMP/regen.log" 2>&1
regen_status=$?
if [ $regen_status -eq 2 ]; then
    cat "$TMP/regen.log"
    echo "0 passed, 1 failed"
    exit 1
fi

PASSED=0
FAILED=0
found=0
for sym in "$GOLDEN"/*.sym; do
    [ -e "$sym" ] || break
    found=1
    name=$(basename "$sym" .sym)
    why=""
    msg=$(grep "^$name: " "$TMP/regen.log")
    [ -n "$msg" ] && why="$msg"
    for ext in c h; do
        want=$GOLDEN/$name.$ext got=$TMP/out/$name.$ext
        if [ ! -f "$want" ]; then
            why="${why:+$why; }tests/golden/$name.$ext is missing (run tools/regen_golden.sh)"
        elif [ ! -f "$got" ]; then
            why="${why:+$why; }$name.$ext was not generated"
        elif ! diff -u --label "tests/golden/$name.$ext" --label "regenerated $name.$ext" \
                "$want" "$got" >"$TMP/diff" 2>&1; then
            why="${why:+$why; }$name.$ext differs from the golden file"
            cat "$TMP/diff"
        fi
    done
    if [ -f "$TMP/out/$name.c" ]; then
        for cc in $COMPILERS; do
            if ! out=$(compile "$cc" "$TMP/out/$name.c"); then
                why="${why:+$why; }$cc rejects $name.c"
                printf '%s\n' "$out" | head -20
            elif [ -n "$out" ]; then
                why="${why:+$why; }$cc warns on $name.c"
                printf '%s\n' "$out" | head -20
            fi
        done
    fi
    if [ -z "$why" ]; then
        PASSED=$((PASSED + 1))
    else
        FAILED=$((FAILED + 1))
        echo "FAIL $name: $why"
    fi
done
if [ $found -eq 0 ]; then
    echo "FAIL: no golden inputs (tests/golden/*.sym)"
    FAILED=$((FAILED + 1))
fi

echo "$PASSED passed, $FAILED failed"
[ $FAILED -eq 0 ]
