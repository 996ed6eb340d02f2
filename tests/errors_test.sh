#!/usr/bin/env bash
# Every error path, from a table (tests/errors.tsv): each row is a bad
# input or bad option that must end in exit status 2, nothing on standard
# output, a first line of standard error "symgrad: error: ..." containing the
# expected text, the caret under the expected column where one applies, and
# no file left in the --emit-c folder.
#
#   bash tests/errors_test.sh /path/to/symgrad tests/errors.tsv
#
# Row: MESSAGE <TAB> COLUMN (or -) <TAB> ARG <TAB> ARG ...  ('#' lines and
# blank lines are skipped). In an ARG, @NAME is the path of a fixture made
# below (@out/NAME is a file in the --emit-c folder), an ARG <@NAME feeds
# that fixture to standard input instead of being passed, and '' is an empty
# argument.
set -u
if [ $# -ne 2 ]; then
    echo "usage: bash $0 /path/to/symgrad tests/errors.tsv" >&2
    exit 2
fi
SG=$1 TABLE=$2
export LC_ALL=C
TMP=$(mktemp -d "${TMPDIR:-/tmp}/symgrad-err.XXXXXX") || exit 2
trap 'chmod -R u+rwx "$TMP"; rm -rf "$TMP"' EXIT

# fixtures
printf 'x+\0y' >"$TMP/nul"
printf 'x + \xff\n' >"$TMP/badutf8"
printf '\177ELF\2\1\1\0\0\0\0\0\0\0\0\0' >"$TMP/binary"
: >"$TMP/empty"
printf '# only a comment\n\n' >"$TMP/comment"
printf 'x^2\n' >"$TMP/noperm"
chmod 000 "$TMP/noperm"
mkdir "$TMP/dir" "$TMP/out"
printf 'a = x\nb = sin(a\n' >"$TMP/line2"
printf 'x,z\n1,2\n' >"$TMP/csv_extra"
printf 'x\n1\n' >"$TMP/csv_missing"
printf 'x,x\n1,2\n' >"$TMP/csv_twice"
mkdir "$TMP/tpl"
printf '{{oops}}' >"$TMP/tpl/header.h"
: >"$TMP/tpl/source.c"

PASSED=0 FAILED=0 SKIPPED=0
while IFS= read -r row || [ -n "$row" ]; do
    case $row in ''|'#'*) continue ;; esac
    IFS=$'\t' read -r -a f <<<"$row"
    msg=${f[0]} col=${f[1]}
    args=() in=/dev/null skip=0
    for a in "${f[@]:2}"; do
        case $a in
            "''") args+=("") ;;
            '<@'*) in=$TMP/${a#<@} ;;
            *@*) args+=("${a//@/$TMP/}") ;;
            *) args+=("$a") ;;
        esac
        case $a in *noperm*) [ "$(id -u)" = 0 ] && skip=1 ;; esac
    done
    if [ $skip = 1 ]; then
        SKIPPED=$((SKIPPED + 1))
        continue
    fi
    timeout -k 2 20 "$SG" "${args[@]}" <"$in" >"$TMP/stdout" 2>"$TMP/stderr"
    rc=$? why=""
    [ $rc = 2 ] || why="exit status $rc, not 2"
    [ -s "$TMP/stdout" ] && why="${why:+$why; }output on stdout: $(head -c 80 "$TMP/stdout")"
    first=$(head -n 1 "$TMP/stderr")
    case $first in
        "symgrad: error: "*"$msg"*) ;;
        *) why="${why:+$why; }stderr '$first' lacks '$msg'" ;;
    esac
    if [ "$col" != - ]; then
        case $first in *":$col: "*) ;; *) why="${why:+$why; }no column $col in '$first'" ;; esac
        caret=$(sed -n 3p "$TMP/stderr")
        if [ "$(sed -n 2p "$TMP/stderr" | head -c 3)" = ... ]; then
            # a window of a long line: the caret sits 40 columns into it
            [ "$caret" = "$(printf '%*s^' 43 '')" ] ||
                why="${why:+$why; }no caret under the window's column 44"
        elif [ "$caret" != "$(printf '%*s^' $((col - 1)) '')" ]; then
            why="${why:+$why; }caret line '$caret' is not under column $col"
        fi
    elif [ "$(wc -l <"$TMP/stderr")" -ne 1 ]; then
        why="${why:+$why; }more than one line on stderr"
    fi
    left=$(ls -A "$TMP/out")
    [ -z "$left" ] && [ ! -e "$TMP/dir/.h" ] || why="${why:+$why; }files left behind: $left"
    rm -rf "$TMP/out"/* "$TMP/out"/.[!.]* 2>/dev/null
    if [ -z "$why" ]; then
        PASSED=$((PASSED + 1))
    else
        FAILED=$((FAILED + 1))
        echo "FAIL [$(printf '%s' "${args[*]}" | head -c 100)]: $why"
    fi
done <"$TABLE"
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ $FAILED = 0 ]
