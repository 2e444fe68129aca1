#!/usr/bin/env bash
# test_ctl.sh BINDIR: every netbrokerctl command against a real netbrokerd: its output
# (tables and --json), its exit code on success and on each kind of failure; exec with a
# socket-activated child; watch seeing a drop; connect bridging; the client examples.
# Loopback and a temp dir only; every wait is bounded.
set -uo pipefail

bindir=$1
netbrokerd=$bindir/daemon/netbrokerd
ctl_bin=$bindir/client/netbrokerctl
examples=$bindir/client/examples
child=$bindir/tests/daemon/listen_fds_child

tmp=$(mktemp -d /tmp/nb-ctl-XXXXXX)
sock=$tmp/control.sock
export NETBROKER_SOCKET=$sock
export NO_COLOR=1
daemon_pid=
failures=0
checks=0

cleanup() {
    [ -n "$daemon_pid" ] && kill -9 "$daemon_pid" 2>/dev/null
    jobs -p | xargs -r kill 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

ctl() { "$ctl_bin" "$@"; }

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# expect CODE DESCRIPTION -- COMMAND...: runs it, keeps its stdout in $out and stderr in
# $err, and checks the exit code.
expect() {
    local code=$1 what=$2
    shift 3
    checks=$((checks + 1))
    out=$("$@" 2>"$tmp/stderr")
    local rc=$?
    err=$(cat "$tmp/stderr")
    [ "$rc" = "$code" ] || fail "$what: exit $rc, want $code; stdout: $out; stderr: $err"
}

# contains HAYSTACK NEEDLE DESCRIPTION
contains() {
    checks=$((checks + 1))
    case $1 in *"$2"*) ;; *) fail "$3: no '$2' in: $1" ;; esac
}

# wait_for DESCRIPTION COMMAND...: retries a check every 20 ms for at most 5 s.
wait_for() {
    local what=$1
    shift
    for _ in $(seq 250); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.02
    done
    fail "timed out waiting for $what"
    return 1
}

# read_greeting PORT: connects to 127.0.0.1:PORT and prints the first line it gets.
read_greeting() {
    timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1; head -n1 <&3"
}

json_field() { # json_field KEY: the integer value of "KEY": N in stdin
    sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" | head -n1
}

# ---- unreachable: no daemon yet --------------------------------------------------------
expect 111 "status without a daemon" -- ctl status
contains "$err" "cannot connect to $sock: no such file or directory (is netbrokerd running?)" \
    "unreachable message"
expect 100 "no command" -- ctl
expect 100 "unknown command" -- ctl frobnicate
expect 0 "--help" -- ctl --help
contains "$out" "Exit status" "--help text"
for c in status server blocklist fd watch connect exec reload shutdown; do
    expect 0 "$c --help" -- ctl "$c" --help
    contains "$out" "Usage: netbrokerctl $c" "$c --help"
done

# ---- a daemon ----------------------------------------------------------------------------
"$netbrokerd" --control "$sock" --log-level debug 2>"$tmp/daemon.log" &
daemon_pid=$!
wait_for "the control socket" ctl -t 200 status

expect 0 "status" -- ctl status
contains "$out" "netbrokerd 0.1.0, protocol 1" "status header"
contains "$out" "control socket: $sock" "status control socket"
contains "$out" "NAME  MODE  LISTENING" "status table header"
expect 0 "status --json" -- ctl --json status
contains "$out" '"daemon": "netbrokerd 0.1.0"' "status json"
contains "$out" '"servers": []' "status json servers"

# ---- servers -----------------------------------------------------------------------------
expect 0 "server create dispatch" -- ctl server create web --host 127.0.0.1 --port 0 \
    --mode dispatch --block 10.0.0.0/8
contains "$out" "mode: dispatch" "create prints the server"
contains "$out" "blocklist: 10.0.0.0/8 (ipv4)" "create prints the blocklist"
web_port=$(ctl --json server show web | json_field port)
[ -n "$web_port" ] && [ "$web_port" -gt 0 ] || fail "server show --json has no port"
expect 0 "server create acquire" -- ctl -q server create api --host 127.0.0.1 --port 0
[ -z "$out" ] || fail "--quiet printed: $out"
api_port=$(ctl --json server show api | json_field port)
expect 3 "server create twice" -- ctl server create web --port 0
contains "$err" "(ERR_SERVER_ALREADY_LISTEN)" "duplicate server error code"
expect 100 "server create bad port" -- ctl server create x --port 70000
contains "$err" "ERR_SOCKET_BAD_PORT" "bad port code"
expect 100 "server create bad option" -- ctl server create x --prot 80
expect 3 "server create port in use" -- ctl server create x --host 127.0.0.1 --port "$api_port"
contains "$err" "EADDRINUSE" "port in use code"
expect 2 "server show missing" -- ctl server show nope
contains "$err" "No server named 'nope' (ERR_NOT_FOUND)" "not found message"
expect 0 "server list" -- ctl server list
contains "$out" "web   dispatch  yes        127.0.0.1:$web_port" "server list row"
expect 0 "server list --json" -- ctl --json server list
contains "$out" '"name": "api"' "server list json"
expect 0 "server set" -- ctl server set web --max-connections 5
contains "$out" "maxConnections: 5" "server set result"
expect 100 "server set bad value" -- ctl server set web --max-connections lots

# ---- refused by access rules: the control socket is 0660 root ----------------------------
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    expect 1 "refused for another uid" -- setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$ctl_bin" status
    contains "$err" "permission denied" "refused message"
else
    echo "not root or no setpriv: the refused-by-access check needs another uid"
fi

# ---- blocklist ---------------------------------------------------------------------------
expect 0 "blocklist add" -- ctl blocklist add --server web 192.0.2.7 198.51.100.1-198.51.100.9
contains "$out" "198.51.100.1-198.51.100.9 (ipv4)" "blocklist add prints the list"
expect 0 "blocklist check blocked" -- ctl blocklist check --server web 10.1.2.3
contains "$out" "blocked by 10.0.0.0/8 (ipv4)" "blocklist check"
expect 0 "blocklist check not blocked" -- ctl blocklist check --server web 127.0.0.1
contains "$out" "not blocked" "blocklist check negative"
expect 0 "blocklist check --json" -- ctl --json blocklist check --server web ::ffff:10.0.0.1
contains "$out" '"blocked": true' "mapped address blocked by an IPv4 rule"
expect 0 "blocklist remove" -- ctl blocklist remove --server web 192.0.2.7
expect 0 "blocklist list" -- ctl blocklist list --server web
[ "$(printf '%s\n' "$out" | wc -l)" = 2 ] || fail "blocklist list after remove: $out"
expect 2 "blocklist remove missing" -- ctl blocklist remove --server web 192.0.2.7
expect 100 "blocklist bad rule" -- ctl blocklist add 10.0.0.0/200

# ---- blocklist check --rules: offline, the daemon's code run as netbrokerd --check-rules --
export NETBROKERD=$netbrokerd
printf '[{"kind":"address","address":"192.0.2.7"},{"kind":"subnet","net":"10.0.0.0","prefix":8}]' \
    >"$tmp/rules.json"
printf '{"servers":{},"blocklist":[{"kind":"range","start":"198.51.100.1","end":"198.51.100.9"}]}' \
    >"$tmp/config.json"
printf '[{"kind":"address","address":"192.0.2.7"},{"kind":"subnet","net":"10.0.0.0","prefix":33}]' \
    >"$tmp/bad.json"
offline() { NETBROKER_SOCKET=$tmp/no-daemon.sock ctl "$@"; }
expect 0 "offline check blocked" -- offline blocklist check --rules "$tmp/rules.json" 10.1.2.3
contains "$out" "blocked by 10.0.0.0/8 (ipv4)" "offline check names the rule"
expect 0 "offline check not blocked" -- offline blocklist check --rules "$tmp/rules.json" 127.0.0.1
[ "$out" = "not blocked" ] || fail "offline check negative: $out"
expect 0 "offline check mapped --json" -- offline --json blocklist check --rules "$tmp/rules.json" \
    ::ffff:10.0.0.1
contains "$out" '"blocked": true' "offline: mapped address blocked by an IPv4 rule"
expect 0 "offline check config file" -- offline blocklist check --rules "$tmp/config.json" \
    198.51.100.5
contains "$out" "blocked by 198.51.100.1-198.51.100.9 (ipv4)" "offline: a configuration's blocklist"
expect 100 "offline check invalid rule" -- offline blocklist check --rules "$tmp/bad.json" 10.0.0.1
contains "$err" "rules file '$tmp/bad.json'" "offline: the message names the file"
contains "$err" "blocklist[1].prefix" "offline: the message names the rule"
expect 100 "offline check missing file" -- offline blocklist check --rules "$tmp/none.json" 10.0.0.1
contains "$err" "$tmp/none.json" "offline: the missing file is named"
expect 100 "offline check bad address" -- offline blocklist check --rules "$tmp/rules.json" nope
expect 100 "offline check with --server" -- offline blocklist check --rules "$tmp/rules.json" \
    --server web 10.0.0.1
expect 111 "offline check without netbrokerd" -- env NETBROKERD=$tmp/none "$ctl_bin" blocklist check \
    --rules "$tmp/rules.json" 10.0.0.1

# ---- dispatch: the example worker, connect bridging, watch seeing a drop -----------------
"$examples/dispatch_worker" web 1 >"$tmp/worker.out" 2>&1 &
worker=$!
wait_for "the dispatch worker" grep -q subscribed "$tmp/worker.out"
expect 0 "connect bridges" -- timeout 5 "$ctl_bin" connect 127.0.0.1 "$web_port" </dev/null
contains "$out" "hello from dispatch worker" "connect output"
wait "$worker" || fail "dispatch_worker failed: $(cat "$tmp/worker.out")"
contains "$(cat "$tmp/worker.out")" "connection from 127.0.0.1" "dispatch worker saw the peer"

"$ctl_bin" watch --events drop >"$tmp/watch.out" 2>&1 &
watcher=$!
watch_subscribed() { ctl status | grep -q "clients: 2"; }
wait_for "watch subscribed" watch_subscribed
ctl -q server set web --max-connections 0
# Counted as a client is not yet subscribed (its requests are read once the daemon knows
# its groups): each try drops one more connection, until the watcher prints one.
drop_seen() {
    read_greeting "$web_port" >/dev/null 2>&1
    grep -q "drop .*web .*reason=maxConnections" "$tmp/watch.out"
}
wait_for "a drop line" drop_seen
kill -INT "$watcher"
wait "$watcher" || fail "watch did not exit 0 on SIGINT"
expect 0 "status counters" -- ctl status
contains "$out" "web   dispatch" "status row"

# ---- acquire: exec a socket-activated child, and the acquire_worker example -------------
"$ctl_bin" exec --server api:http -- "$child" http >"$tmp/child.out" 2>&1 &
execed=$!
contains "$(read_greeting "$api_port")" "served by a LISTEN_FDS child" "exec child served"
wait "$execed" || fail "exec child failed: $(cat "$tmp/child.out")"
expect 100 "exec without a program" -- ctl exec --server api
expect 2 "exec missing server" -- ctl exec --server nope -- true

"$examples/acquire_worker" api 1 >"$tmp/aw.out" 2>&1 &
aw=$!
wait_for "the acquire worker" grep -q serving "$tmp/aw.out"
contains "$(read_greeting "$api_port")" "hello from worker $aw" "acquire_worker served"
wait "$aw" || fail "acquire_worker failed: $(cat "$tmp/aw.out")"

# ---- fd store: ctl and the park_listener example across its restart ---------------------
expect 0 "fd store" -- ctl fd store parked --fd 0 </dev/null
expect 0 "fd list" -- ctl fd list
contains "$out" "parked" "fd list row"
expect 0 "fd retrieve" -- ctl fd retrieve parked -- sh -c 'echo "$LISTEN_FDS $LISTEN_FDNAMES"'
contains "$out" "1 parked" "fd retrieve passes the fd"
expect 0 "fd remove" -- ctl fd remove parked
expect 2 "fd remove again" -- ctl fd remove parked

# Below the kernel's ephemeral range (32768 and up by default): a port some outgoing
# connection holds at that moment would make park_listener's bind fail.
park_port=$((20000 + RANDOM % 12000))
"$examples/park_listener" pl "$park_port" >"$tmp/pl1.out" 2>&1 &
pl=$!
wait_for "park_listener" grep -q "parked" "$tmp/pl1.out"
contains "$(read_greeting "$park_port")" "served by park_listener" "first run served"
wait "$pl"
# Down now: a connection waits in the kernel's queue of the parked listener...
exec 4<>"/dev/tcp/127.0.0.1/$park_port" || fail "connect while park_listener is down"
# ...and the second run takes the listener back and serves it.
"$examples/park_listener" pl "$park_port" >"$tmp/pl2.out" 2>&1 || fail "second park_listener run"
contains "$(cat "$tmp/pl2.out")" "took back 'pl'" "second run took the fd back"
contains "$(timeout 5 head -n1 <&4)" "served by park_listener" "queued connection served"
exec 4<&-

# ---- reload and shutdown -----------------------------------------------------------------
expect 0 "reload" -- ctl reload
expect 0 "server close" -- ctl server close web
expect 2 "server close again" -- ctl server close web
expect 0 "shutdown" -- ctl shutdown
wait "$daemon_pid"
rc=$?
daemon_pid=
[ "$rc" = 0 ] || fail "netbrokerd exited $rc after shutdown"

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" = 0 ]
