#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# SIGHUP: sockflow re-reads its config file and keeps the command-line options on top.
#   - started with -c FILE (collector file:A) and --json: connections go to A and stdout;
#   - FILE now names file:B, SIGHUP: new connections go to B, still printed as JSON
#     (the option survives the reload), none of them to A;
#   - FILE broken, SIGHUP: an error naming FILE:LINE, sockflow keeps running with B.
# shellcheck disable=SC2154
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_btf
require_tools ipfixDump jq
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
sockflow_stop

assert_eq "records in A (before the reload)" 3 "$(records_in "$A" "$CONNGEN_PORT")"
assert_eq "records in B (after it)" 6 "$(records_in "$B" "$CONNGEN_PORT")"
log "ok: reload switched collectors, kept --json, rejected a bad file"
