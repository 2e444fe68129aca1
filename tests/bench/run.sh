#!/bin/sh
# run.sh BUILD_DIR: net.BlockList check() in Node and in libnetcore, side by side, on the
# same seeded rule and probe sets (blocklist_bench.js gen), at 10, 1,000, 10,000 and
# 100,000 mixed rules, then libnetcore's load time for 1,000,000 rules. Both sides check
# the same probes and must report the same matches and answer digest, or this fails.
# Then proto's codec and fd passing (bench_proto), and netbrokerd end to end (bench_daemon).
# Pinned to one CPU with taskset when there is one. About a minute in all.
set -eu

build=${1:?usage: run.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
bench="$build/tests/bench/bench_blocklist"
js="$here/blocklist_bench.js"
[ -x "$bench" ] || { echo "run.sh: $bench not built (cmake --build $build)" >&2; exit 1; }
command -v node >/dev/null || { echo "run.sh: node not found" >&2; exit 1; }

pin=
if command -v taskset >/dev/null 2>&1; then
    # The first CPU this shell may run on.
    cpu=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*\([0-9]*\).*/\1/p' /proc/self/status)
    pin="taskset -c ${cpu:-0}"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

field() { # field NAME LINE: the value of NAME=value in a key=value line
    printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

echo "BlockList check(): node $(node --version) vs libnetcore, ${pin:-not pinned (no taskset)}"
printf '%-8s %14s %18s %18s %10s %8s\n' rules "node checks/s" "libnetcore text/s" \
    "libnetcore _sa/s" ratio matches
status=0
for n in 10 1000 10000 100000; do
    node "$js" gen 20240601 "$n" 200000 "$tmp/rules" "$tmp/probes"
    # Node scans every rule: at 100,000 it manages a few hundred checks a second, so it
    # gets a time budget, and the C side checks the same first `checked` probes.
    nodeout=$($pin node "$js" check "$tmp/rules" "$tmp/probes" 1500)
    checked=$(field checked "$nodeout")
    cout=$($pin "$bench" "$tmp/rules" "$tmp/probes" "$checked" 1000)
    nm=$(field matches "$nodeout")
    cm=$(field matches "$cout")
    if [ "$nm" != "$cm" ] || [ "$(field digest "$nodeout")" != "$(field digest "$cout")" ]; then
        echo "run.sh: $n rules: node and libnetcore disagree on $checked probes:" >&2
        echo "  node:       $nodeout" >&2
        echo "  libnetcore: $cout" >&2
        status=1
    fi
    nrate=$(field rate "$nodeout")
    trate=$(field text_rate "$cout")
    srate=$(field sa_rate "$cout")
    printf '%-8s %14s %18s %18s %9sx %8s\n' "$n" "$nrate" "$trate" "$srate" \
        "$(awk -v a="$trate" -v b="$nrate" 'BEGIN { printf "%.0f", a / b }')" "$nm/$checked"
done

loadout=$($pin "$bench" --load 1000000)
echo "load 1,000,000 mixed rules + first check (index build): $(field load_ms "$loadout") ms" \
    "(adds $(field add_ms "$loadout") ms, first check $(field first_check_ms "$loadout") ms)"

# proto's codec and fd passing against bare json_loadb and bare SCM_RIGHTS (half a minute).
echo
[ -x "$build/tests/bench/bench_proto" ] || { echo "run.sh: bench_proto not built" >&2; exit 1; }
$pin "$build/tests/bench/bench_proto" || status=1

# netbrokerd end to end (it starts its own daemon in a temp dir).
echo
"$build/tests/bench/bench_daemon" 20000 || status=1
exit $status
