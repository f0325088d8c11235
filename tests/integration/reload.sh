#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# SIGHUP: sockflow re-reads its config file and keeps the command-line options on top.
#   - started with -c FILE (collector file:A) and --json: connections go to A and stdout;
#   - FILE now names file:B, SIGHUP: new connections go to B, still printed as JSON
#     (the option survives the reload), none of them to A;
#   - FILE broken, SIGHUP: an error naming FILE:LINE, sockflow keeps running with B;
#   - FILE with B again plus a TCP collector that is down, then only a comment changed,
#     SIGHUP: both collectors are the same (same effective settings), so B is kept
#     (reopened for appending, not truncated: every record since the first reload
#     stays) and the TCP collector's queue survives: once a collector listens, it
#     receives every record, those queued before the reload too.
# And SIGTERM 20 ms after start, while the BPF programs load: sockflow stops cleanly once it
# runs (exit 0, its exit statistics logged), not killed (143).
# shellcheck disable=SC2154
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_btf
require_tools ipfixDump jq python3
require_sockflow
require_conngen

CONF="$TEST_TMP/sockflow.conf"
A="$TEST_TMP/a.ipfix"
B="$TEST_TMP/b.ipfix"

# records_in FILE PORT: records in an IPFIX file whose destination port is PORT.
records_in() {
	ipfix_dump_records "$1" | jq -c --argjson port "$2" \
		'select(.destinationTransportPort == $port)' | wc -l
}

# connections N: N short connections to the test's server.
connections() {
	"$CONNGEN" client --addr 127.0.0.1 --port "$CONNGEN_PORT" --count "$1" \
		--send 100 --recv 200 >/dev/null || fail "conngen client failed"
}

printf '[export]\ncollectors = file:%s\n' "$A" >"$CONF"
conngen_serve --threads 1
sockflow_start -c "$CONF" --json

connections 3
wait_for 10 "3 records printed" has_records_to 3 "$CONNGEN_PORT" ||
	fail "expected 3 JSON records before the reload"

printf '[export]\ncollectors = file:%s\n' "$B" >"$CONF"
kill -HUP "$SOCKFLOW_PID"
wait_for 10 "the reload" grep -q "reload: $CONF applied" "$SOCKFLOW_LOG" ||
	fail "no reload message; log: $(cat "$SOCKFLOW_LOG")"
connections 4
wait_for 10 "7 records printed" has_records_to 7 "$CONNGEN_PORT" ||
	fail "--json did not survive the reload: $(count_records_to "$CONNGEN_PORT") records"

printf '[export]\ncollectors = file:%s\n[flow]\nactive_timeout = soon\n' "$B" >"$CONF"
kill -HUP "$SOCKFLOW_PID"
wait_for 10 "the rejected reload" grep -q "reload: keeping the running configuration" \
	"$SOCKFLOW_LOG" || fail "a bad file was not rejected; log: $(cat "$SOCKFLOW_LOG")"
grep -q "$CONF:4: active_timeout" "$SOCKFLOW_LOG" ||
	fail "the error does not name $CONF:4; log: $(cat "$SOCKFLOW_LOG")"
proc_alive "$SOCKFLOW_PID" || fail "sockflow died on a bad reload"
connections 2
wait_for 10 "9 records printed" has_records_to 9 "$CONNGEN_PORT" ||
	fail "records stopped after a rejected reload"


# reload_keeping TEXT KEPT OPENED N: CONF gets TEXT, SIGHUP; the log must say KEPT exporters
# were kept and OPENED opened (none closed); then 2 more connections, N records printed.
reload_keeping() {
	printf '%b' "$1" >"$CONF"
	kill -HUP "$SOCKFLOW_PID"
	wait_for 10 "the reload keeping $2" grep -q "$2 exporter(s) kept with their queues and \
counters, $3 opened, 0 closed" "$SOCKFLOW_LOG" ||
		fail "not $2 kept and $3 opened; log: $(grep reload: "$SOCKFLOW_LOG")"
	connections 2
	wait_for 10 "$4 records printed" has_records_to "$4" "$CONNGEN_PORT" ||
		fail "records stopped after the reload"
	sleep 1	# handed to the sinks at the next export tick
}

# Same collectors, one more: B (and the --json printer) stay, a TCP collector that nothing
# listens on yet queues. Then nothing but a comment changes: every collector is kept, the
# queue with it.
tcp_port=$(free_port tcp)
collectors="[export]\ncollectors = file:$B tcp://127.0.0.1:$tcp_port\n"
reload_keeping "$collectors" 2 1 11
reload_keeping "# unchanged\n$collectors" 3 0 13
# The TCP collector comes up: sockflow reconnects (back-off of at most 2 s so far) and sends
# what it queued, from before the last reload too.
bg_start sink_pid "$TEST_TMP/sink.log" "$PYTHON" "$top_srcdir/tests/tools/tcp_sink.py" \
	--port "$tcp_port" --out "$TEST_TMP/stream"
tcp_records() { [[ -s $TEST_TMP/stream.1 ]] && records_in "$TEST_TMP/stream.1" "$CONNGEN_PORT"; }
tcp_has() { (($(tcp_records || echo 0) >= $1)); }
wait_for 20 "4 records at the TCP collector" tcp_has 4 ||
	fail "the TCP collector got $(tcp_records || echo 0) of 4 records"
sockflow_stop
proc_stop "$sink_pid" TERM 5 || true

assert_eq "records in A (before the first reload)" 3 "$(records_in "$A" "$CONNGEN_PORT")"
assert_eq "records in B (kept across three reloads)" 10 "$(records_in "$B" "$CONNGEN_PORT")"
assert_eq "records at the TCP collector (queued across a reload)" 4 \
	"$(records_in "$TEST_TMP/stream.1" "$CONNGEN_PORT")"
log "ok: reload switched collectors, kept --json, rejected a bad file, kept unchanged \
collectors with their files and queues"

# SIGTERM during start-up: handled, not fatal.
bg_start early_pid "$TEST_TMP/early.log" "$SOCKFLOW" -c "$CONF" --print
sleep 0.02
kill -TERM "$early_pid"
rc=0
proc_wait "$early_pid" 20 || fail "sockflow ignored a SIGTERM sent during start-up"
wait "$early_pid" || rc=$?
proc_forget "$early_pid"
assert_eq "exit status after a SIGTERM 20 ms into start-up" 0 "$rc"
grep -q "stats at exit" "$TEST_TMP/early.log" ||
	fail "no exit statistics after an early SIGTERM: $(tail -n 5 "$TEST_TMP/early.log")"
