#!/bin/sh
# run.sh DRIVER DATA_DIR WORK_DIR: the differential test. Node 20 answers the corpus
# (hand-picked cases plus the seeded random ones) and diff_driver compares libnetcore's
# answers with Node's. Exit 77 (skipped) when there is no Node 20 to ask.
set -eu
driver=$1
data=$2
work=$3

if ! command -v node >/dev/null 2>&1; then
    echo "node not found: the differential test needs Node.js 20 as its oracle, skipping"
    exit 77
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" != 20 ]; then
    echo "node $(node --version) found: the oracle is Node 20 (the corpus records its aborts), skipping"
    exit 77
fi

mkdir -p "$work"
node "$data/gen-cases.js" >"$work/random-cases.json"
node "$data/oracle.js" "$data/address-cases.json" "$work/random-cases.json" >"$work/node.jsonl"
exec "$driver" --oracle "$work/node.jsonl" "$data/address-cases.json" "$work/random-cases.json"
