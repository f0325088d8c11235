#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# IPFIX over TCP (tcp://HOST:PORT): the collector is down when sockflow starts and while
# the first connections end; it comes up later and still gets their records (buffered,
# reconnect with back-off), then the records of connections made while it is up. The
# export stream, captured on lo and decoded by tshark, carries one record per connection
# with counters equal to the capture of the traffic and both processes named.
# Pids come from bg_start/bg_run (printf -v); lib.sh functions take optional arguments.
# shellcheck disable=SC2154,SC2119
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_btf
require_tools tshark dumpcap ipfixDump jq ss
require_sockflow
require_conngen

N1=5			# connections while the collector is down
N2=5			# connections once it is up
N=$((N1 + N2))
# sockflow retries a refused connect after 1, 2, 4, ... s (TRANSPORT_BACKOFF_MIN_MS,
# doubling, checked on its 0.5 s tick). The collector stays down until two connects were
# refused (about 2 s), so the next try comes about 2 s after it is up; 6 s leaves room
# for a slow machine, and more means a broken back-off or records that sit unsent. Many
# refused connects in those 2 s would be a busy loop, not a back-off.
REFUSED_BEFORE_UP=2
REFUSED_MAX=4
RECONNECT_MAX_S=6
TCP_SINK="$top_srcdir/tests/tools/tcp_sink.py"
client_bin=$(conngen_as sfclient)
server_bin=$(conngen_as sfserver)

tcp_listening() { [[ -n $(ss -ltnH "sport = :$1") ]]; }
# Connects to the collector refused so far: RSTs from its port in the capture.
refused_connects() {
	tshark -r "$CAPTURE_FILE" -n -Y "tcp.srcport == $sink_port and tcp.flags.reset == 1" \
		2>/dev/null | wc -l
}
has_refused() { (($(refused_connects) >= $1)); }
sink_says() { grep -qs "$1" "$TEST_TMP/sink.log"; }
# Records for our server port in what the sink has received so far.
sink_records() {
	cat "$TEST_TMP"/stream.[0-9]* >"$TEST_TMP/collector.ipfix" 2>/dev/null || true
	ipfix_dump_records "$TEST_TMP/collector.ipfix" 2>/dev/null | records_to "$port" /dev/stdin |
		wc -l
}
sink_has() { (($(sink_records) >= $1)); }

# run_client COUNT SENDS RECVS: COUNT connections from sfclient; appends its lines
# ("LOCAL_PORT SENT RECV") to $TEST_TMP/client.out and its pid to $TEST_TMP/client.pids.
run_client() {
	local pid
	bg_run pid "$TEST_TMP/client.run" "$client_bin" client --addr 127.0.0.1 \
		--port "$port" --count "$1" --send "$2" --recv "$3" ||
		fail "conngen client failed: $(cat "$TEST_TMP/client.run")"
	cat "$TEST_TMP/client.run" >>"$TEST_TMP/client.out"
	echo "$pid" >>"$TEST_TMP/client.pids"
	log "client pid $pid made $1 connections"
}

CONNGEN=$server_bin conngen_serve --threads 2
server_pid=$CONNGEN_PID
port=$CONNGEN_PORT
sink_port=$(free_port tcp)
capture_start "tcp port $port or tcp port $sink_port"

# 1. Collector down: sockflow starts anyway, and the first records wait in its buffer.
tcp_listening "$sink_port" && fail "something listens on port $sink_port already"
sockflow_start --collector "tcp://127.0.0.1:$sink_port" --json
run_client "$N1" 100,250,1000 1000,2500,40000
wait_for 15 "$N1 records for port $port" has_records_to "$N1" "$port" ||
	fail "sockflow printed $(count_records_to "$port") of $N1 records"
wait_for 10 "$REFUSED_BEFORE_UP refused connects to the collector" \
	has_refused "$REFUSED_BEFORE_UP" || fail "sockflow does not try to reach its collector"
tcp_listening "$sink_port" && fail "port $sink_port was taken while the collector was down"
proc_alive "$SOCKFLOW_PID" || fail "sockflow died with its collector down"

# 2. Collector up: sockflow reconnects within its back-off and sends what it buffered.
bg_start sink_pid "$TEST_TMP/sink.log" "$PYTHON" "$TCP_SINK" --port "$sink_port" \
	--out "$TEST_TMP/stream"
wait_for 5 "the TCP sink to listen" sink_says '^listening' ||
	fail "the TCP sink did not start: $(cat "$TEST_TMP/sink.log")"
up_at=$(date +%s.%N)
wait_for "$RECONNECT_MAX_S" "sockflow to connect to the collector" sink_says '^accepted' ||
	fail "sockflow did not connect within ${RECONNECT_MAX_S}s of the collector coming up"
log "ok: sockflow connected $(awk -v a="$up_at" -v b="$(date +%s.%N)" \
	'BEGIN { printf "%.1f", b - a }')s after the collector came up"
wait_for 10 "the $N1 buffered records at the collector" sink_has "$N1" ||
	fail "the collector got $(sink_records) of the $N1 buffered records"
log "ok: the $N1 records made while the collector was down arrived"

# 3. Connections while the collector is up.
run_client "$N2" 16,5000,300k 0,70000,1k
wait_for 15 "$N records for port $port" has_records_to "$N" "$port" ||
	fail "sockflow printed $(count_records_to "$port") of $N records"
wait_for 10 "all $N records at the collector" sink_has "$N" ||
	fail "the collector got $(sink_records) of $N records"
sockflow_stop
capture_stop
proc_stop "$sink_pid" TERM 5 || true

assert_eq "TCP connections from sockflow to the collector" 1 \
	"$(grep -c '^accepted' "$TEST_TMP/sink.log")"
refused=$(refused_connects)
((refused <= REFUSED_MAX)) ||
	fail "$refused connects refused in ~2 s while the collector was down: no back-off"
log "ok: $refused connects refused while the collector was down (back-off)"
assert_eq "connections made" "$N" "$(wc -l <"$TEST_TMP/client.out")"
pcap_conns "$CAPTURE_FILE" tcp "$port" >"$TEST_TMP/conns"
sort -n "$TEST_TMP/client.out" >"$TEST_TMP/client.sorted"
awk '{ print $1, $4, $7 }' "$TEST_TMP/conns" >"$TEST_TMP/conns.payload"
assert_lines_eq "connections and payload in the capture (port sent recv)" \
	"$TEST_TMP/client.sorted" "$TEST_TMP/conns.payload"

# The export stream as tshark decodes it from the capture (IPFIX over TCP, reassembled).
tshark_ipfix "$CAPTURE_FILE" "$sink_port" tcp >"$TEST_TMP/ipfix.jsonl"
records_to "$port" "$TEST_TMP/ipfix.jsonl" >"$TEST_TMP/ipfix.records"
assert_eq "records for port $port in the captured TCP stream" "$N" \
	"$(wc -l <"$TEST_TMP/ipfix.records")"
flow_totals "$TEST_TMP/ipfix.records" "$port" >"$TEST_TMP/ipfix.totals"
assert_totals_match "$TEST_TMP/conns" "$TEST_TMP/ipfix.totals"

# Client and server process of each, by name and pid. The first N1 connections came
# from the first client pid, the others from the second.
{
	head -n "$N1" "$TEST_TMP/client.out" | awk -v cp="$(sed -n 1p "$TEST_TMP/client.pids")" \
		-v sp="$server_pid" '{ print $1, 6, "sfclient", cp, "sfserver", sp, 3 }'
	tail -n "$N2" "$TEST_TMP/client.out" | awk -v cp="$(sed -n 2p "$TEST_TMP/client.pids")" \
		-v sp="$server_pid" '{ print $1, 6, "sfclient", cp, "sfserver", sp, 3 }'
} | sort -n >"$TEST_TMP/expected"
jq -r '[.sourceTransportPort, .protocolIdentifier, .SRC_PROC_NAME, .SRC_PROC_PID,
	.DST_PROC_NAME, .DST_PROC_PID, .flowEndReason] | map(tostring) | join(" ")' \
	"$TEST_TMP/ipfix.records" | sort -n >"$TEST_TMP/ipfix.table"
assert_lines_eq "records in the TCP stream: port, proto, processes, reason" \
	"$TEST_TMP/expected" "$TEST_TMP/ipfix.table"

# What the collector received is the same stream: libfixbuf reads the same records.
cat "$TEST_TMP"/stream.[0-9]* >"$TEST_TMP/collector.ipfix"
ipfix_dump_records "$TEST_TMP/collector.ipfix" | records_to "$port" /dev/stdin \
	>"$TEST_TMP/sink.records"
flow_totals "$TEST_TMP/sink.records" "$port" >"$TEST_TMP/sink.totals"
assert_lines_eq "totals from the collector's stream (ipfixDump) and from tshark" \
	"$TEST_TMP/ipfix.totals" "$TEST_TMP/sink.totals"
