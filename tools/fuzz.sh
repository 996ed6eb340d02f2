#!/usr/bin/env bash
# Fuzz the whole pipeline (tests/fuzz/fuzz_pipeline.c) for SECONDS with one
# libFuzzer worker under ASan and UBSan:
#
#   tools/fuzz.sh SECONDS [libFuzzer options...]
#
# Builds the target with clang into build-fuzz/ (SYMGRAD_FUZZ=ON), copies the
# seeds (tests/fuzz/seeds, tests/fuzz/regressions) into a scratch corpus, so
# the repository is never written, and runs niced, with the language's
# words as a dictionary (tests/fuzz/symgrad.dict). Prints the executions and
# the corpus size; exits non-zero when libFuzzer found a crash, a leak, UB,
# a timeout or emitted C that does not compile (the input is kept in the
# scratch crash directory it names; copy it to tests/fuzz/regressions/).
#
# Environment: FUZZ_BUILD (build directory), FUZZ_CORPUS (a corpus directory
# to keep and grow across runs instead of a scratch one), FUZZ_MAX_LEN
# (input bytes, default 4096), FUZZ_TIMEOUT (seconds per input, default 30).
set -euo pipefail

if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
    echo "usage: $0 SECONDS [libFuzzer options...]" >&2
    exit 2
fi
seconds=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD:-$root/build-fuzz}

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DSYMGRAD_FUZZ=ON \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzz_pipeline -j2 >/dev/null

scratch=$(mktemp -d "${TMPDIR:-/tmp}/symgrad-fuzz.XXXXXX")
corpus=${FUZZ_CORPUS:-$scratch/corpus}
crashes=$scratch/crashes
mkdir -p "$corpus" "$crashes"
for f in "$root"/tests/fuzz/seeds/* "$root"/tests/fuzz/regressions/*; do
    case $f in */README.md) continue ;; esac
    cp "$f" "$corpus/"
done

log=$scratch/fuzz.log
echo "fuzz: ${seconds}s, corpus $corpus, crashes to $crashes/, log $log"
set +e
start=$(date +%s)
nice -n 10 "$build/tests/fuzz_pipeline" -max_total_time="$seconds" \
    -max_len="${FUZZ_MAX_LEN:-4096}" -timeout="${FUZZ_TIMEOUT:-30}" \
    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$crashes/" \
    -dict="$root/tests/fuzz/symgrad.dict" \
    "$@" "$corpus" >"$log" 2>&1
rc=$?
elapsed=$(($(date +%s) - start))
set -e

grep -E '^(==[0-9]+==|SUMMARY|fuzz_pipeline:|artifact_prefix|Test unit written)' "$log" | head -40 || true
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
echo "fuzz: ${execs:-?} executions in ${elapsed}s, corpus $(ls "$corpus" | wc -l) inputs, exit $rc"
if [ "$rc" -ne 0 ] || [ -n "$(ls -A "$crashes")" ]; then
    echo "fuzz: FAILED; the input is in $crashes/ (log: $log)" >&2
    tail -60 "$log" >&2
    exit 1
fi
[ -n "${FUZZ_CORPUS:-}" ] || rm -rf "$scratch"
