#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A full ring buffer. sockflow runs with the smallest ring (64 KiB, ~290 events) and
# short timeouts. 50 connections are held open until sockflow has reported them and they
# are quiet (nothing new, not visited). Then sockflow is stopped (SIGSTOP), a storm fills
# its ring, the 50 connections close (their close events cannot be kept) and the storm
# goes on; then sockflow continues. It must:
#   - keep running, count the loss and say so (stats line, warning);
#   - end the 50 flows whose close events were lost (it asks the kernel which sockets are
#     gone once it sees the loss), each with a final record: "flows open" gets to 0;
#   - export a connection made afterwards with counters equal to its capture;
#   - send the loss to its collector (an IPFIX file) in the stats options records.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

: "${TCPBENCH:=$top_builddir/tests/tools/tcpbench}"
HELD=50

require_root
require_btf
require_tools tshark dumpcap jq ipfixDump
require_sockflow
require_conngen
[[ -x $TCPBENCH ]] || skip "tcpbench not built ($TCPBENCH); run make check"

cat >"$TEST_TMP/sockflow.conf" <<EOF
[flow]
idle_timeout = 2
active_timeout = 4

[kernel]
ringbuf_size_kib = 64

[log]
stats_interval = 1
EOF
conngen_serve --threads 2
sockflow_start -c "$TEST_TMP/sockflow.conf" --json --collector "file:$TEST_TMP/flows.ipfix"

bg_start hold_pid "$TEST_TMP/hold.out" "$TCPBENCH" hold --conns "$HELD"
wait_for 10 "the held connections" grep -qs '^ready' "$TEST_TMP/hold.out" ||
	fail "tcpbench hold did not start: $(cat "$TEST_TMP/hold.out")"
held_port=$(awk '{ print $3; exit }' "$TEST_TMP/hold.out")
# Idle past the idle timeout: each has its idle record and then nothing is due.
wait_for 15 "idle records of the held connections" has_records_to "$HELD" "$held_port" ||
	fail "$(count_records_to "$held_port") idle records of $HELD held connections"
sleep 1

kill -STOP "$SOCKFLOW_PID"
"$CONNGEN" storm --port "$CONNGEN_PORT" --duration 1 >"$TEST_TMP/storm1.out" 2>&1 ||
	fail "storm failed: $(cat "$TEST_TMP/storm1.out")"
proc_stop "$hold_pid" TERM 10 || true
"$CONNGEN" storm --port "$CONNGEN_PORT" --duration 1 >"$TEST_TMP/storm2.out" 2>&1 ||
	fail "storm failed: $(cat "$TEST_TMP/storm2.out")"
kill -CONT "$SOCKFLOW_PID"
log "while sockflow was stopped: $(cat "$TEST_TMP/storm1.out" "$TEST_TMP/storm2.out" |
	tr '\n' ' ')"

# The numbers of the last stats line.
stat_of() { grep 'stats: flows open' "$SOCKFLOW_LOG" | tail -n 1 | sed -n "s/.*$1 \([0-9]*\).*/\1/p"; }
flows_settled() { [[ $(stat_of 'flows open') == 0 ]]; }
wait_for 30 "every flow to end" flows_settled ||
	fail "flows still open 30 s after the storm: $(grep 'stats:' "$SOCKFLOW_LOG" | tail -n 1)"
lost=$(stat_of 'ring buffer full')
log "ring buffer full: $lost events lost"
((lost > 0)) || fail "no event was lost: the test did not fill the ring buffer"
grep -q 'events lost to a full ring buffer' "$SOCKFLOW_LOG" ||
	fail "no warning about the lost events in sockflow's log"
proc_alive "$SOCKFLOW_PID" || fail "sockflow exited"
assert_eq "final records (end of flow) of the held connections" "$HELD" \
	"$(records_to "$held_port" | jq -s '[.[] | select(.flowEndReason == 3)] | length')"

# Recovered: a connection after the storm is exported exactly.
port=$(free_port tcp)
capture_start "tcp port $port"
conngen_serve --threads 1 --port "$port"
bg_run client_pid "$TEST_TMP/client.out" "$CONNGEN" client --addr 127.0.0.1 --port "$port" \
	--send 3000 --recv 7000 || fail "conngen client failed: $(cat "$TEST_TMP/client.out")"
wait_for 15 "the record of the connection after the storm" has_records_to 1 "$port" ||
	fail "no record of the connection after the storm"
capture_stop
pcap_conns "$CAPTURE_FILE" tcp "$port" >"$TEST_TMP/conns"
records_to "$port" >"$TEST_TMP/after.jsonl"
flow_totals "$TEST_TMP/after.jsonl" >"$TEST_TMP/totals"
assert_totals_match "$TEST_TMP/conns" "$TEST_TMP/totals"
sockflow_stop

# The loss reached the collector too: the stats options records, as ipfixDump decodes
# them, end with the total of the last stats line.
final=$(stat_of 'ring buffer full')
reported=$(ipfixDump --rfc5610 -d -i "$TEST_TMP/flows.ipfix" |
	sed -n 's/.*sockflowRingbufLostEventTotalCount *: *\([0-9]*\).*/\1/p' | tail -n 1)
assert_eq "ring-buffer losses in the last options record (ipfixDump)" "$final" "$reported"
