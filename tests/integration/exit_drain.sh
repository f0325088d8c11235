#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Exit with a TCP collector down ([export] exit_drain):
#   (a) nothing listens, exit_drain = 2: SIGTERM makes sockflow wait about 2 s (at least
#       1.9, well under 10), then exit 0 with every queued record counted lost: the exit
#       stats line says records = sent + lost, lost = the connections made, and a warning
#       names the collector and the count;
#   (b) exit_drain = 10 and the collector comes up about 1 s after SIGTERM: it receives
#       every queued record (decoded by ipfixDump), and the exit line says lost 0.
# Only the test's own connections are exported ([filter] include_processes names its
# server), so the counters can be compared exactly.
# shellcheck disable=SC2154
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_btf
require_tools ipfixDump jq python3 ss
require_sockflow
require_conngen

N=6
CONF="$TEST_TMP/sockflow.conf"
SERVER=sfdrainserver
server_bin=$(conngen_as "$SERVER")
TCP_SINK="$top_srcdir/tests/tools/tcp_sink.py"

tcp_listening() { [[ -n $(ss -ltnH "sport = :$1") ]]; }

# connections N: N short connections to the test's server.
connections() {
	"$CONNGEN" client --addr 127.0.0.1 --port "$CONNGEN_PORT" --count "$1" \
		--send 100 --recv 200 >/dev/null || fail "conngen client failed"
}

# exit_counts URI: "records sent lost" of URI's exporter in the exit stats line.
exit_counts() {
	grep -F "stats at exit: export $1: " "$SOCKFLOW_LOG" |
		sed -n 's/.*: records \([0-9]*\), sent \([0-9]*\), lost \([0-9]*\),.*/\1 \2 \3/p'
}

# start_queued DRAIN_S: sockflow exporting to a TCP collector that is down, with N
# records queued for it (printed as JSON when they were handed to the exporters), and to
# a UDP collector beside it, which has nothing to wait for: giving up on the TCP one must
# leave it working (giving up on every sink once crashed sockflow in its exit stats).
start_queued() {
	sink_port=$(free_port tcp)
	udp_port=$(free_port udp)
	tcp_listening "$sink_port" && fail "something listens on port $sink_port already"
	printf '[export]\ncollectors = tcp://127.0.0.1:%s udp://127.0.0.1:%s\nexit_drain = %s\nprint = json\n' \
		"$sink_port" "$udp_port" "$1" >"$CONF"
	printf '[filter]\ninclude_processes = %s\n' "$SERVER" >>"$CONF"
	sockflow_start -c "$CONF"
	connections "$N"
	wait_for 15 "$N records" has_records_to "$N" "$CONNGEN_PORT" ||
		fail "sockflow printed $(count_records_to "$CONNGEN_PORT") of $N records"
}

# stop_timed: SIGTERM, wait for the exit; sets rc and elapsed (seconds, 0.01 resolution).
stop_timed() {
	local t0 t1
	t0=$(date +%s%N)
	kill -TERM "$SOCKFLOW_PID"
	proc_wait "$SOCKFLOW_PID" 30 || fail "sockflow did not exit 30 s after SIGTERM"
	t1=$(date +%s%N)
	rc=0
	wait "$SOCKFLOW_PID" || rc=$?
	proc_forget "$SOCKFLOW_PID"
	elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
}

CONNGEN=$server_bin conngen_serve --threads 1

# (a) Nobody comes: 2 s of waiting, then every queued record counted lost.
start_queued 2
stop_timed
log "(a) exit took $elapsed s"
assert_eq "exit status with the collector down" 0 "$rc"
awk -v e="$elapsed" 'BEGIN { exit !(e >= 1.9 && e < 10) }' ||
	fail "exit took $elapsed s with exit_drain = 2 (expected 2 to 10)"
assert_eq "exit counters (records sent lost)" "$N 0 $N" \
	"$(exit_counts "tcp://127.0.0.1:$sink_port")"
assert_eq "the UDP exporter's records in its exit line" "$N" \
	"$(exit_counts "udp://127.0.0.1:$udp_port" | cut -d' ' -f1)"
grep -q "exit: tcp://127.0.0.1:$sink_port did not take $N queued records" "$SOCKFLOW_LOG" ||
	fail "no warning naming the collector and $N records: $(grep -i exit "$SOCKFLOW_LOG")"
log "ok: a collector down at exit: $N records counted lost after the 2 s drain"

# (b) The collector comes up during the wait and gets everything.
start_queued 10
# On purpose 1 s after sockflow says it is stopping: the collector comes up during the
# drain, not before it. exec: the pid stays the collector's, for the cleanup.
# shellcheck disable=SC2016
bg_start sink_pid "$TEST_TMP/sink.log" bash -c 'until grep -q "stopping" "$1"; do
	sleep 0.05; done; sleep 1; exec "$2" "$3" --port "$4" --out "$5"' _ "$SOCKFLOW_LOG" \
	"$PYTHON" "$TCP_SINK" "$sink_port" "$TEST_TMP/stream"
stop_timed
log "(b) exit took $elapsed s"
assert_eq "exit status after the collector came up" 0 "$rc"
wait_for 10 "the collector to see the connection close" grep -q '^closed 1 ' \
	"$TEST_TMP/sink.log" || fail "the collector's connection did not end: $(cat "$TEST_TMP/sink.log")"
proc_stop "$sink_pid" TERM 5 || true
got=$(ipfix_dump_records "$TEST_TMP/stream.1" | records_to "$CONNGEN_PORT" /dev/stdin | wc -l)
assert_eq "records at the collector that came up during the drain" "$N" "$got"
assert_eq "exit counters (records sent lost)" "$N $N 0" \
	"$(exit_counts "tcp://127.0.0.1:$sink_port")"
log "ok: a collector up during the drain got all $N records, none counted lost"
