#!/usr/bin/env bash
# Runs every `$ ./build/symgrad ...` example in README.md with the given
# binary and compares what it prints (stdout and stderr) with the lines that
# follow the example, up to the next example or the block's end (trailing
# blank lines aside).
set -u
bin=$1
readme=${2:-$(dirname "$0")/../README.md}
pass=0 fail=0
cmd="" expect="" in_block=0 collecting=0

run_case() {
    [ -n "$cmd" ] || return 0
    local got
    got=$(cd "$(dirname "$readme")" && eval "${cmd//.\/build\/symgrad/$bin}" 2>&1)
    while [[ $expect == *$'\n' ]]; do expect=${expect%$'\n'}; done
    if [ "$got" == "$expect" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        printf 'FAIL: %s\n--- expected\n%s\n--- got\n%s\n' "$cmd" "$expect" "$got"
    fi
    cmd="" expect=""
}

while IFS= read -r line; do
    if [[ $line == '```'* ]]; then
        run_case; collecting=0; in_block=$((1 - in_block)); continue
    fi
    ((in_block)) || continue
    if [[ $line == '$ ./build/symgrad'* ]]; then
        run_case
        cmd=${line#\$ }
        while [[ $cmd == *\\ ]]; do
            IFS= read -r more
            cmd="${cmd%\\} ${more#"${more%%[![:space:]]*}"}"
        done
        collecting=1
    elif ((collecting)); then
        expect+="$line"$'\n'
    fi
done < "$readme"
run_case
echo "readme: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
