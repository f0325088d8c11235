#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Active timeout: a TCP connection that trickles data for 5 s under --active-timeout 1 is
# exported as interim records (flowEndReason 2) and one final record (3). Their delta
# counters add up, each way, to what a capture of the connection counts, and each has
# both ends' RTT (sock_diag polled every second); nfcapd and the IPFIX datagrams on the
# wire (tshark) see the same records as sockflow --json.
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

HOLD_S=5
REPLY=5000
client_bin=$(conngen_as sfclient)
server_bin=$(conngen_as sfserver)

# The capture starts before sockflow, so that it has the templates sockflow sends first.
# The server starts before sockflow, as servers usually do: sockflow never sees it
# listen, so the interim records can name it only through its accept() call.
nfcapd_start
port=$(free_port tcp)
capture_start "tcp port $port or udp port $NFCAPD_PORT"
CONNGEN=$server_bin conngen_serve --threads 1 --port "$port"
server_pid=$CONNGEN_PID
assert_eq "server port" "$port" "$CONNGEN_PORT"
sockflow_start --active-timeout 1 --poll-interval 1 --collector "udp://127.0.0.1:$NFCAPD_PORT" \
	--json

# 1000 bytes every 100 ms for HOLD_S seconds, then the server's reply, then close.
bg_run client_pid "$TEST_TMP/client.out" "$client_bin" client --addr 127.0.0.1 \
	--port "$port" --hold "$HOLD_S" --chunk 1000 --interval 100 --recv "$REPLY" ||
	fail "conngen client failed: $(cat "$TEST_TMP/client.out")"
read -r cport sent recv < <(grep -v '^open ' "$TEST_TMP/client.out")
assert_eq "client bytes (sent recv)" "$((16 + HOLD_S * 10 * 1000)) $REPLY" "$sent $recv"

final_record() { records_to "$port" | jq -e -s --argjson c "$cport" \
	'any(.[]; .sourceTransportPort == $c and .flowEndReason == 3)' >/dev/null; }
wait_for 15 "the final record of port $cport" final_record ||
	fail "no final record; sockflow printed: $(records_to "$port")"
sockflow_stop
capture_stop
nfcapd_stop

pcap_conns "$CAPTURE_FILE" tcp "$port" >"$TEST_TMP/conns"
assert_eq "connections in the capture" 1 "$(wc -l <"$TEST_TMP/conns")"
read -r _ _ _ fl _ _ rl <"$TEST_TMP/conns"
assert_eq "payload in the capture (sent recv)" "$sent $recv" "$fl $rl"

# sockflow --json: interim records, then one final record, in that order.
records_to "$port" >"$TEST_TMP/json.records"
jq -r '[.flowEndReason, .packetDeltaCount, .octetDeltaCount, .reversePacketDeltaCount,
	.reverseOctetDeltaCount] | map(tostring) | join(" ")' "$TEST_TMP/json.records" \
	>"$TEST_TMP/json.seq"
log "records (reason pkts bytes rev_pkts rev_bytes):"$'\n'"$(cat "$TEST_TMP/json.seq")"
reasons=$(cut -d' ' -f1 "$TEST_TMP/json.seq" | tr '\n' ' ')
# 5 s at a 1 s active timeout checked every 0.5 s: four interim records, three at least.
[[ $reasons =~ ^(2\ ){3,}3\ $ ]] ||
	fail "flowEndReason sequence '$reasons': expected three or more 2s, then one 3"
log "ok: flowEndReason sequence $reasons"
# Every record has both ends' RTT: interim ones from the sock_diag polls, the last one
# from the kernel at close.
assert_eq "records without both RTTs" 0 "$(jq -s 'map(select((.sockflowSourceRttMicroseconds
	// 0) == 0 or (.sockflowDestinationRttMicroseconds // 0) == 0)) | length' \
	"$TEST_TMP/json.records")"
# And they are RTTs: on loopback under a second. An interim record once carried the socket
# cookie read as an RTT (2,760,115 us); a real one is tens of microseconds here, and up to
# 70 ms in the 6.1 guest under QEMU, where delayed ACKs and emulation stretch it.
assert_eq "records with an RTT of 1 s or more" 0 "$(jq -s 'map(select(
	.sockflowSourceRttMicroseconds >= 1000000 or
	.sockflowDestinationRttMicroseconds >= 1000000)) | length' "$TEST_TMP/json.records")"
# Data flows every 100 ms, so every 1 s interval has packets client -> server.
awk '$1 == 2 && $2 == 0 { exit 1 }' "$TEST_TMP/json.seq" ||
	fail "an interim record has no client -> server packets"
assert_eq "records of other connections to port $port" 0 \
	"$(jq -c --argjson c "$cport" 'select(.sourceTransportPort != $c)' \
		"$TEST_TMP/json.records" | wc -l)"

# The deltas add up to the capture's totals (flow_totals sums a port's records).
flow_totals "$TEST_TMP/json.records" "$port" >"$TEST_TMP/json.totals"
assert_totals_match "$TEST_TMP/conns" "$TEST_TMP/json.totals"
assert_eq "summed payload deltas (sockflowPayloadOctets, reverse)" "$fl $rl" \
	"$(jq -s -r '[(map(.sockflowPayloadOctets) | add), (map(.reverseSockflowPayloadOctets)
		| add)] | map(tostring) | join(" ")' "$TEST_TMP/json.records")"
assert_eq "processes in every record" "sfclient $client_pid sfserver $server_pid" \
	"$(jq -r '[.SRC_PROC_NAME, .SRC_PROC_PID, .DST_PROC_NAME, .DST_PROC_PID]
		| map(tostring) | join(" ")' "$TEST_TMP/json.records" | sort -u)"

# nfcapd got the same records; its sum equals the capture too.
assert_eq "records at nfcapd" "$(wc -l <"$TEST_TMP/json.seq")" \
	"$(nfcapd_count "proto tcp and dst port $port")"
nfcapd_totals "proto tcp and dst port $port" >"$TEST_TMP/nfcapd.totals"
assert_totals_match "$TEST_TMP/conns" "$TEST_TMP/nfcapd.totals"

# On the wire (tshark): the same records in the same order, reasons included.
tshark_ipfix "$CAPTURE_FILE" "$NFCAPD_PORT" >"$TEST_TMP/ipfix.jsonl"
records_to "$port" "$TEST_TMP/ipfix.jsonl" | jq -r '[.flowEndReason, .packetDeltaCount,
	.octetDeltaCount, .reversePacketDeltaCount, .reverseOctetDeltaCount]
	| map(tostring) | join(" ")' >"$TEST_TMP/ipfix.seq"
assert_lines_eq "IPFIX records decoded by tshark vs sockflow --json" "$TEST_TMP/json.seq" \
	"$TEST_TMP/ipfix.seq"
