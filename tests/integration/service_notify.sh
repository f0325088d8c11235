#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The systemd notification protocol, as sockflow.service (Type=notify) relies on it, with a
# python3 listener in systemd's place (systemd is not PID 1 here):
#   - NOTIFY_SOCKET a path: READY=1 arrives once, and only after the start-up lines say the
#     programs are attached and the capabilities dropped (the listener reads sockflow's log
#     when each message arrives); SIGHUP brings RELOADING=1 with MONOTONIC_USEC (the
#     CLOCK_MONOTONIC time, in the listener's past) then READY=1 after the reload line;
#     SIGTERM brings STOPPING=1; nothing else, in that order;
#   - NOTIFY_SOCKET an abstract name (@...): READY=1 then STOPPING=1 as well.
# shellcheck disable=SC2154
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
require_root
require_btf
require_tools jq
require_sockflow
[[ -x $PYTHON ]] || skip "no $PYTHON"

# The listener: one JSON line per datagram, with what sockflow's log said at that moment.
LISTENER='
import json, os, socket, sys, time
addr, logf = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
print(json.dumps({"listening": addr}), flush=True)
while True:
    msg = s.recv(4096).decode()
    now_us = time.monotonic_ns() // 1000
    try:
        log = open(logf).read()
    except OSError:
        log = ""
    print(json.dumps({"msg": msg, "now_us": now_us,
        "attached": "kernel: tcp_lifecycle: " in log and "privileges: kept" in log
                    and "running:" in log,
        "reloaded": log.count("reload: ") > 0}), flush=True)
'

# listen ADDR: the listener on ADDR; NOTIFY_OUT its output. Waits until it is bound.
listen() {
	NOTIFY_OUT="$TEST_TMP/notify.$RANDOM.jsonl"
	bg_start LISTENER_PID "$NOTIFY_OUT" "$PYTHON" -c "$LISTENER" "$1" "$TEST_TMP/sockflow.log"
	wait_for 10 "the listener on $1" grep -q listening "$NOTIFY_OUT" ||
		fail "the listener did not start: $(cat "$NOTIFY_OUT")"
}
# messages: what arrived, one line each, newlines inside a message as '|'.
messages() { jq -r 'select(.msg) | .msg | gsub("\n"; "|")' "$NOTIFY_OUT"; }
count() { messages | grep -c "^$1" || true; }
has_count() { (($(count "$1") >= $2)); }

# ---- a path socket ------------------------------------------------------------------
listen "$TEST_TMP/notify.sock"
export NOTIFY_SOCKET="$TEST_TMP/notify.sock"
sockflow_start --print
unset NOTIFY_SOCKET
wait_for 10 "READY=1" has_count READY=1 1 || fail "no READY=1: $(messages)"
assert_eq "READY=1 after the start-up lines" true \
	"$(jq -r 'select(.msg == "READY=1") | .attached' "$NOTIFY_OUT" | head -n 1)"

kill -HUP "$SOCKFLOW_PID"
wait_for 20 "READY=1 after the reload" has_count READY=1 2 ||
	fail "no READY=1 after SIGHUP: $(messages)"
reloading=$(jq -c 'select(.msg) | select(.msg | startswith("RELOADING=1"))' "$NOTIFY_OUT" | head -n 1)
[[ -n $reloading ]] || fail "no RELOADING=1 on SIGHUP: $(messages)"
usec=$(jq -r '.msg | capture("MONOTONIC_USEC=(?<u>[0-9]+)").u' <<<"$reloading")
now_us=$(jq -r .now_us <<<"$reloading")
[[ $usec =~ ^[0-9]+$ ]] || fail "RELOADING=1 without MONOTONIC_USEC: $reloading"
((usec <= now_us && now_us - usec < 10000000)) ||
	fail "MONOTONIC_USEC=$usec is not CLOCK_MONOTONIC shortly before $now_us"
log "ok: RELOADING=1 with MONOTONIC_USEC $(((now_us - usec) / 1000)) ms before it arrived"
assert_eq "second READY=1 after the reload line" true \
	"$(jq -r 'select(.msg == "READY=1") | .reloaded' "$NOTIFY_OUT" | sed -n 2p)"

sockflow_stop
wait_for 10 "STOPPING=1" has_count STOPPING=1 1 || fail "no STOPPING=1: $(messages)"
assert_eq "messages, in order" "READY=1 RELOADING=1 READY=1 STOPPING=1" \
	"$(messages | sed 's/|.*//' | paste -sd ' ' -)"
proc_stop "$LISTENER_PID" || true

# ---- an abstract socket ---------------------------------------------------------------
listen "@sockflow-notify-test-$$"
export NOTIFY_SOCKET="@sockflow-notify-test-$$"
sockflow_start --print
unset NOTIFY_SOCKET
wait_for 10 "READY=1 on the abstract socket" has_count READY=1 1 ||
	fail "no READY=1 on the abstract socket: $(messages)"
sockflow_stop
wait_for 10 "STOPPING=1 on the abstract socket" has_count STOPPING=1 1 ||
	fail "no STOPPING=1 on the abstract socket: $(messages)"
assert_eq "messages on the abstract socket" "READY=1 STOPPING=1" \
	"$(messages | paste -sd ' ' -)"
