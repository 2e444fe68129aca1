#!/usr/bin/env bash
# systemd-analyze verify on every unit file of systemd/ (examples included), with
# ExecStart pointing at the built binaries (verify wants them to exist). Any message at
# all fails: verify exits 0 on warnings such as an unknown key. No PID-1 systemd needed.
# Usage: verify.sh SRC_SYSTEMD_DIR NETBROKERD NETBROKERCTL
set -euo pipefail
src=$1 netbrokerd=$2 netbrokerctl=$3
if ! command -v systemd-analyze >/dev/null; then
    echo "systemd-analyze not installed: skipped"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in "$src"/*.in "$src"/examples/*.in; do
    out=$(basename "$f" .in)
    sed -e "s#@NETBROKERD@#$netbrokerd#g" -e "s#@NETBROKERCTL@#$netbrokerctl#g" "$f" >"$tmp/$out"
done
cp "$src"/*.socket "$src"/examples/*.socket "$tmp"/
units=("$tmp"/*.service "$tmp"/*.socket)
# Units refer to each other (Requires=, Service=): look in $tmp first, then the defaults.
log=$(cd "$tmp" && SYSTEMD_UNIT_PATH="$tmp:" SYSTEMD_LOG_LEVEL=info SYSTEMD_LOG_COLOR=0 \
    systemd-analyze verify --man=no "${units[@]}" 2>&1) || {
    echo "$log"
    echo "systemd-analyze verify failed"
    exit 1
}
if [ -n "$log" ]; then
    echo "$log"
    echo "systemd-analyze verify warned"
    exit 1
fi
echo "systemd-analyze verify: ${#units[@]} units clean"
