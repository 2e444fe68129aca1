#!/bin/sh
# run.sh TRACE_C TRACE_DIR WORK_DIR: runs every scenario once against libnetcore (TRACE_C)
# and once against Node (TRACE_DIR/trace.js) and compares the two canonical traces
# exactly. A scenario listed in TRACE_DIR/known-differences.txt must differ (it is
# printed and counted); one that stops differing fails, so that the list stays true.
# Exit 77 (skipped) without Node 20. TRACE_WRAP (e.g. "valgrind -q --error-exitcode=1
# --leak-check=full") runs each C scenario under a tool; TRACE_ONLY=NAME runs just one.
set -u
trace_c=$1
dir=$2
work=$3

if ! command -v node >/dev/null 2>&1; then
    echo "node not found: the trace harness compares libnetcore with Node.js 20, skipping"
    exit 77
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" != 20 ]; then
    echo "node $(node --version) found: the traces are Node 20's, skipping"
    exit 77
fi

rm -rf "$work"
mkdir -p "$work"
"$trace_c" --list | sort >"$work/c.list"
for f in "$dir"/scenarios/*.js; do basename "$f" .js; done | sort >"$work/js.list"
if ! diff -u --label 'scenarios/*.js' --label 'scenarios/*.c' "$work/js.list" "$work/c.list"; then
    echo "FAIL: every scenario needs both halves, NAME.c and NAME.js"
    exit 1
fi
known="$dir/known-differences.txt"
grep -v '^#' "$known" | grep -v '^$' | cut -d: -f1 | while read -r k; do
    grep -qx "$k" "$work/c.list" || echo "$k" >>"$work/stale"
done
if [ -s "$work/stale" ]; then
    echo "FAIL: known-differences.txt names scenarios that do not exist:" $(cat "$work/stale")
    exit 1
fi

total=0 same=0 nknown=0 nfail=0
: >"$work/failed"
for name in $(cat "$work/c.list"); do
    [ -n "${TRACE_ONLY:-}" ] && [ "$TRACE_ONLY" != "$name" ] && continue
    total=$((total + 1))
    w="$work/$name"
    ${TRACE_WRAP:-} "$trace_c" "$name" >"$w.c.txt" 2>"$w.c.err"
    rc_c=$?
    node "$dir/trace.js" "$name" >"$w.js.txt" 2>"$w.js.err"
    rc_js=$?
    diff -u --label "node $name" --label "libnetcore $name" "$w.js.txt" "$w.c.txt" >"$w.diff"
    differs=$?
    reason=$(grep "^$name:" "$known" | cut -d: -f2- | sed 's/^ *//')
    if [ $rc_c != 0 ] || [ $rc_js != 0 ] || [ ! -s "$w.js.txt" ]; then
        { echo "== $name: exit libnetcore=$rc_c node=$rc_js (an empty trace fails too)"
          cat "$w.c.err" "$w.js.err"; } >>"$w.diff"
        echo "$name" >>"$work/failed"
        nfail=$((nfail + 1))
    elif [ -n "$reason" ]; then
        if [ $differs = 0 ]; then
            echo "FAIL $name: listed in known-differences.txt but libnetcore now matches Node"
            echo "$name" >>"$work/failed"
            nfail=$((nfail + 1))
        else
            echo "known difference: $name: $reason"
            nknown=$((nknown + 1))
        fi
    elif [ $differs = 0 ]; then
        same=$((same + 1))
    else
        echo "$name" >>"$work/failed"
        nfail=$((nfail + 1))
    fi
done

shown=0
for name in $(cat "$work/failed"); do
    echo "FAIL $name"
    if [ $shown -lt 3 ] && [ -s "$work/$name.diff" ]; then
        cat "$work/$name.diff"
        shown=$((shown + 1))
    fi
done
echo "trace: $total scenarios: $same identical to Node, $nknown known differences, $nfail failed"
[ $nfail = 0 ]
