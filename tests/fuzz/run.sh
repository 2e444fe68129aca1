#!/usr/bin/env bash
# tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]: runs each libFuzzer target (or those
# named) of a -DNETBROKER_FUZZ=ON build for SECONDS, starting from a copy of its seed
# corpus (tests/fuzz/corpus/<target>, copied so that the run never writes into the
# repository). Any crash, sanitizer report,
# leak or input slower than 10 s fails the run: the log's tail and the input (as a file in
# the kept work directory, and in base64) are printed. Prints each target's executions and
# coverage (libFuzzer's final "#N DONE cov: X ft: Y" line).
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 BUILD_DIR SECONDS [TARGET...]" >&2
    exit 100
fi
build=$1
seconds=$2
shift 2
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(fuzz_reader fuzz_validate fuzz_address fuzz_decoder fuzz_dispatcher fuzz_config)
fi
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/nb-fuzz.XXXXXX")
failed=0

# Largest input per target: past a few protocol lines, a long address, a long text, a
# configuration of a few servers, the fuzzer only spends its time copying.
declare -A max_len=([fuzz_reader]=4096 [fuzz_validate]=4096 [fuzz_address]=512
    [fuzz_decoder]=512 [fuzz_dispatcher]=4096 [fuzz_config]=4096)

for t in "${targets[@]}"; do
    bin=$build/tests/fuzz/$t
    if [ ! -x "$bin" ]; then
        echo "$t: $bin missing: build with -DNETBROKER_FUZZ=ON (CC=clang)" >&2
        exit 1
    fi
    mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
    cp "$here/corpus/$t/"* "$work/$t/corpus/"
    rc=0
    # TMPDIR: the daemon targets' sockets live under it, removed with the work dir.
    TMPDIR="$work/$t" ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1 "$bin" -max_total_time="$seconds" -timeout=10 -max_len="${max_len[$t]}" \
        -print_final_stats=1 -artifact_prefix="$work/$t/artifacts/" \
        "$work/$t/corpus" >"$work/$t/log" 2>&1 || rc=$?
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/$t/log" | tail -n 1 || true)
    if [ "$rc" -ne 0 ] || [ -z "$done_line" ]; then
        echo "FAIL $t (exit $rc); log $work/$t/log:"
        tail -n 40 "$work/$t/log"
        ls -l "$work/$t/artifacts"
        failed=1
        continue
    fi
    echo "$t: $(echo "$done_line" | tr -s "[:space:]" " ")"
done

if [ "$failed" -ne 0 ]; then
    echo "fuzzing found a problem; inputs kept in $work" >&2
    exit 1
fi
rm -rf "$work"
