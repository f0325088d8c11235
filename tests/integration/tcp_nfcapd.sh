#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Short TCP connections on loopback exported over UDP to a real nfcapd: one biflow record
# per connection, whose tuple and counters (IP bytes and packets, both ways) equal a
# capture of the same traffic, with client and server process named and their pids right.
# Pids come from bg_start/bg_run (printf -v); lib.sh functions take optional arguments.
# shellcheck disable=SC2154,SC2119
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_btf
require_tools nfcapd nfdump tshark dumpcap jq
require_sockflow
require_conngen

N=20
client_bin=$(conngen_as sfclient)
server_bin=$(conngen_as sfserver)

# Connection i sends 100 + 37i bytes and receives 1000 + 101i: every record is different.
sends=() recvs=()
for ((i = 0; i < N; i++)); do
	sends+=($((100 + 37 * i)))
	recvs+=($((1000 + 101 * i)))
done
send_list=$(IFS=,; echo "${sends[*]}")
recv_list=$(IFS=,; echo "${recvs[*]}")

CONNGEN=$server_bin conngen_serve --threads 2
server_pid=$CONNGEN_PID
port=$CONNGEN_PORT
nfcapd_start
capture_start "tcp port $port or udp port $NFCAPD_PORT"
sockflow_start --collector "udp://127.0.0.1:$NFCAPD_PORT" --json

bg_run client_pid "$TEST_TMP/client.out" "$client_bin" client --addr 127.0.0.1 \
	--port "$port" --count "$N" --send "$send_list" --recv "$recv_list" ||
	fail "conngen client failed: $(cat "$TEST_TMP/client.out")"
log "client pid $client_pid, server pid $server_pid, server port $port"

# Every connection is closed; its record follows within the table's grace period.
wait_for 15 "$N records for port $port" has_records_to "$N" "$port" ||
	fail "sockflow printed $(count_records_to "$port") of $N records for port $port"
# SIGTERM flushes the UDP exporter; then every datagram is in the capture and at nfcapd.
sockflow_stop
capture_stop
nfcapd_stop

# What conngen did: "LOCAL_PORT SENT RECV" per connection, sizes as asked.
assert_eq "connections made" "$N" "$(wc -l <"$TEST_TMP/client.out")"
awk -v s="$send_list" -v r="$recv_list" '
	BEGIN { split(s, S, ","); split(r, R, ",") }
	$2 != S[NR] || $3 != R[NR] { print "bad line " NR ": " $0; bad = 1 }
	END { exit bad }' "$TEST_TMP/client.out" || fail "conngen moved other sizes than asked"
cut -d' ' -f1 "$TEST_TMP/client.out" | sort -n >"$TEST_TMP/ports"

# What went over lo: the same connections and, as tcp.len sums, the same payload.
pcap_conns "$CAPTURE_FILE" tcp "$port" >"$TEST_TMP/conns"
sort -n "$TEST_TMP/client.out" >"$TEST_TMP/client.sorted"
awk '{ print $1, $4, $7 }' "$TEST_TMP/conns" >"$TEST_TMP/conns.payload"
assert_lines_eq "connections and payload in the capture (port sent recv)" \
	"$TEST_TMP/client.sorted" "$TEST_TMP/conns.payload"

# nfcapd: exactly one record per connection, tuple right, counters equal to the capture.
nfcapd_flows "proto tcp and dst port $port" >"$TEST_TMP/nfcapd.flows"
cat "$TEST_TMP/nfcapd.flows" >&2
assert_eq "records at nfcapd for port $port" "$N" "$(wc -l <"$TEST_TMP/nfcapd.flows")"
awk -v p="$port" '{ print "127.0.0.1", $1, "127.0.0.1", p, 6 }' "$TEST_TMP/ports" \
	>"$TEST_TMP/tuples.expected"
awk '{ print $1, $2, $3, $4, $5 }' "$TEST_TMP/nfcapd.flows" | sort -k2,2n >"$TEST_TMP/tuples"
assert_lines_eq "tuples at nfcapd (src sport dst dport proto)" "$TEST_TMP/tuples.expected" \
	"$TEST_TMP/tuples"
nfcapd_totals "proto tcp and dst port $port" >"$TEST_TMP/nfcapd.totals"
assert_totals_match "$TEST_TMP/conns" "$TEST_TMP/nfcapd.totals"

# sockflow --json, the same records: names, pids, payload octets, end reason, flags.
records_to "$port" >"$TEST_TMP/json.records"
assert_eq "JSON records for port $port" "$N" "$(wc -l <"$TEST_TMP/json.records")"
flow_totals "$TEST_TMP/json.records" "$port" >"$TEST_TMP/json.totals"
assert_totals_match "$TEST_TMP/conns" "$TEST_TMP/json.totals"
# Expected per connection: client port, server port, payload from the capture (tcp.len
# sums) each way, client name and pid, server name and pid, flowEndReason 3 (end of
# flow), tcpControlBits with SYN, ACK and FIN and without RST.
awk -v cp="$client_pid" -v sp="$server_pid" -v port="$port" '{
	print $1, port, $4, $7, "sfclient", cp, "sfserver", sp, 3, "SYN+ACK+FIN"
}' "$TEST_TMP/conns" >"$TEST_TMP/expected"
jq -r '[.sourceTransportPort, .destinationTransportPort, .sockflowPayloadOctets,
	.reverseSockflowPayloadOctets, .SRC_PROC_NAME, .SRC_PROC_PID, .DST_PROC_NAME,
	.DST_PROC_PID, .flowEndReason,
	(if .tcpControlBits == null then "none"
	 elif ((.tcpControlBits / 2 | floor) % 2 == 1 and (.tcpControlBits / 16 | floor) % 2 == 1
	       and .tcpControlBits % 2 == 1 and (.tcpControlBits / 4 | floor) % 2 == 0)
	 then "SYN+ACK+FIN" else "bits=\(.tcpControlBits)" end)]
	| map(tostring) | join(" ")' "$TEST_TMP/json.records" | sort -n >"$TEST_TMP/json.table"
assert_lines_eq "JSON records: ports, payload, processes, reason, flags" "$TEST_TMP/expected" \
	"$TEST_TMP/json.table"

# The IPFIX datagrams as tshark decodes them: the process elements (ntop PEN 35632) and
# the counters really are on the wire, not only in sockflow's printout.
tshark_ipfix "$CAPTURE_FILE" "$NFCAPD_PORT" >"$TEST_TMP/ipfix.jsonl"
records_to "$port" "$TEST_TMP/ipfix.jsonl" >"$TEST_TMP/ipfix.records"
assert_eq "IPFIX records for port $port decoded by tshark" "$N" \
	"$(wc -l <"$TEST_TMP/ipfix.records")"
flow_totals "$TEST_TMP/ipfix.records" "$port" >"$TEST_TMP/ipfix.totals"
assert_totals_match "$TEST_TMP/conns" "$TEST_TMP/ipfix.totals"
awk -v cp="$client_pid" -v sp="$server_pid" '{ print $1, "sfclient", cp, "sfserver", sp, 3 }' \
	"$TEST_TMP/conns" >"$TEST_TMP/expected.ipfix"
jq -r '[.sourceTransportPort, .SRC_PROC_NAME, .SRC_PROC_PID, .DST_PROC_NAME, .DST_PROC_PID,
	.flowEndReason] | map(tostring) | join(" ")' "$TEST_TMP/ipfix.records" |
	sort -n >"$TEST_TMP/ipfix.table"
assert_lines_eq "IPFIX records decoded by tshark: port, processes, reason" \
	"$TEST_TMP/expected.ipfix" "$TEST_TMP/ipfix.table"
