#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Connection lifecycles, in one sockflow run exporting to nfcapd (UDP), to an IPFIX file
# and as JSON, with the traffic captured on lo:
#   (a) a connection still open at SIGTERM: one record, flowEndReason 4 (forced end),
#       counters equal to the capture up to then;
#   (b) a refused connect: one record, client process named, no server process, one
#       packet each way (SYN, RST), tcpControlBits with RST and without ACK;
#   (c) IPv6 over ::1: records with IPv6 addresses, counters equal to the capture;
#   (d) the file:PATH export, read back with ipfixDump, holds the same records.
# Pids come from bg_start/bg_run (printf -v); lib.sh functions take optional arguments.
# shellcheck disable=SC2154,SC2119
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_btf
require_tools nfcapd nfdump tshark dumpcap ipfixDump jq ss
require_sockflow
require_conngen
awk '$1 == "00000000000000000000000000000001" && $6 == "lo" { found = 1 } END { exit !found }' \
	/proc/net/if_inet6 2>/dev/null || skip "no IPv6 address ::1 on lo"

client_bin=$(conngen_as sfclient)
server_bin=$(conngen_as sfserver)
IPFIX_FILE="$TEST_TMP/flows.ipfix"

# TCP sockets of PORT (both ends) established, with nothing unread and nothing unacked:
# every packet of the connection so far is on the wire, and none is pending.
tcp_quiet() {
	ss -tnH state established "( sport = :$1 or dport = :$1 )" |
		awk '{ n++ } $1 != 0 || $2 != 0 { busy = 1 } END { exit busy || !n }'
}
# Bytes the server end of PORT has received (tcp_info bytes_received).
server_received() {
	ss -tinH state established "( sport = :$1 )" |
		sed -n 's/.*bytes_received:\([0-9]*\).*/\1/p' | head -n 1
}
received_at_least() { (($(server_received "$1") >= $2)); }

# Servers start after sockflow (it sees them listen); ports are chosen first so that the
# capture runs before sockflow sends its templates.
port4=$(free_port tcp)
port6=$(free_port_other tcp ::1 "$port4")
refused_port=$(free_port_other tcp 127.0.0.1 "$port4" "$port6")
nfcapd_start
capture_start "tcp port $port4 or tcp port $port6 or tcp port $refused_port or \
udp port $NFCAPD_PORT"
sockflow_start --collector "udp://127.0.0.1:$NFCAPD_PORT" --collector "file:$IPFIX_FILE" \
	--json
CONNGEN=$server_bin conngen_serve --threads 1 --port "$port4"
server4_pid=$CONNGEN_PID
assert_eq "IPv4 server" "127.0.0.1 $port4" "$CONNGEN_ADDR $CONNGEN_PORT"
CONNGEN=$server_bin conngen_serve --threads 1 --v6 --port "$port6"
server6_pid=$CONNGEN_PID
assert_eq "IPv6 server" "::1 $port6" "$CONNGEN_ADDR $CONNGEN_PORT"

# (b) Nothing listens on refused_port.
bg_run refused_pid "$TEST_TMP/refused.out" "$client_bin" client --addr 127.0.0.1 \
	--port "$refused_port" --refused || fail "conngen --refused: $(cat "$TEST_TMP/refused.out")"
read -r refused_cport _ <"$TEST_TMP/refused.out"

# (c) Three IPv6 connections.
bg_run v6_pid "$TEST_TMP/v6.out" "$client_bin" client --addr ::1 --port "$port6" \
	--count 3 --send 100,2000,16 --recv 3000,0,70000 ||
	fail "conngen over ::1 failed: $(cat "$TEST_TMP/v6.out")"

# (a) A connection that would trickle for a minute; stopped (SIGSTOP) once it has moved
# some data and is quiet, so the capture holds all its packets when sockflow stops.
bg_start hold_pid "$TEST_TMP/hold.out" "$client_bin" client --addr 127.0.0.1 \
	--port "$port4" --hold 60 --chunk 1000 --interval 50
wait_for 5 "the held connection to open" grep -qs '^open ' "$TEST_TMP/hold.out" ||
	fail "the held connection did not open: $(cat "$TEST_TMP/hold.out")"
read -r _ hold_cport <"$TEST_TMP/hold.out"
wait_for 10 "5000 bytes on the held connection" received_at_least "$port4" 5000 ||
	fail "the held connection moves no data"
kill -STOP "$hold_pid"
wait_for 5 "the held connection to go quiet" tcp_quiet "$port4" ||
	fail "the held connection does not go quiet: $(ss -tnH "( sport = :$port4 )")"

# Records of (b) and (c) come as those connections end; (a)'s only at SIGTERM.
wait_for 15 "the refused connect's record" has_records_to 1 "$refused_port" ||
	fail "no record for the refused connect to port $refused_port"
wait_for 15 "3 IPv6 records" has_records_to 3 "$port6" ||
	fail "$(count_records_to "$port6") of 3 records for port $port6"
assert_eq "records of the held connection before SIGTERM" 0 "$(count_records_to "$port4")"
sockflow_stop
capture_stop
nfcapd_stop
proc_stop "$hold_pid" KILL 5 || true

tshark_ipfix "$CAPTURE_FILE" "$NFCAPD_PORT" >"$TEST_TMP/ipfix.jsonl"
ipfix_dump_records "$IPFIX_FILE" >"$TEST_TMP/file.jsonl"
for p in "$port4" "$port6" "$refused_port"; do
	pcap_conns "$CAPTURE_FILE" tcp "$p" >"$TEST_TMP/conns.$p"
	records_to "$p" >"$TEST_TMP/json.$p"
	records_to "$p" "$TEST_TMP/ipfix.jsonl" >"$TEST_TMP/ipfix.$p"
	records_to "$p" "$TEST_TMP/file.jsonl" >"$TEST_TMP/file.$p"
done

# ---- (a) forced end at SIGTERM ----
assert_eq "(a) records of the held connection" 1 "$(wc -l <"$TEST_TMP/json.$port4")"
read -r _ _ _ hold_payload _ _ _ <"$TEST_TMP/conns.$port4"
assert_eq "(a) port, reason, payload, processes" \
	"$hold_cport 4 $hold_payload 0 sfclient $hold_pid sfserver $server4_pid" \
	"$(jq -r '[.sourceTransportPort, .flowEndReason, .sockflowPayloadOctets,
		.reverseSockflowPayloadOctets, .SRC_PROC_NAME, .SRC_PROC_PID, .DST_PROC_NAME,
		.DST_PROC_PID] | map(tostring) | join(" ")' "$TEST_TMP/json.$port4")"
flow_totals "$TEST_TMP/json.$port4" "$port4" >"$TEST_TMP/totals.$port4"
assert_totals_match "$TEST_TMP/conns.$port4" "$TEST_TMP/totals.$port4"
flow_totals "$TEST_TMP/ipfix.$port4" "$port4" >"$TEST_TMP/ipfix.totals.$port4"
assert_totals_match "$TEST_TMP/conns.$port4" "$TEST_TMP/ipfix.totals.$port4"
assert_eq "(a) flowEndReason on the wire (tshark)" 4 \
	"$(jq -r '.flowEndReason' "$TEST_TMP/ipfix.$port4")"
assert_eq "(a) records at nfcapd" 1 "$(nfcapd_count "proto tcp and dst port $port4")"

# ---- (b) refused connect ----
assert_eq "(b) records of the refused connect" 1 "$(wc -l <"$TEST_TMP/json.$refused_port")"
assert_eq "(b) port, packets each way, client process, server process" \
	"$refused_cport 1 1 sfclient $refused_pid none none" \
	"$(jq -r '[.sourceTransportPort, .packetDeltaCount, .reversePacketDeltaCount,
		.SRC_PROC_NAME, .SRC_PROC_PID, .DST_PROC_NAME // "none", .DST_PROC_PID // "none"]
		| map(tostring) | join(" ")' "$TEST_TMP/json.$refused_port")"
flags=$(jq -r '.tcpControlBits' "$TEST_TMP/json.$refused_port")
((flags & 0x04)) || fail "(b) tcpControlBits $flags lacks RST (0x04)"
((flags & 0x10)) && fail "(b) tcpControlBits $flags has ACK (0x10) on a refused connect"
log "ok: (b) tcpControlBits $flags: RST, no ACK"
flow_totals "$TEST_TMP/json.$refused_port" "$refused_port" >"$TEST_TMP/totals.$refused_port"
assert_totals_match "$TEST_TMP/conns.$refused_port" "$TEST_TMP/totals.$refused_port"
# On the wire an absent server is DST_PROC_PID 0 and an empty DST_PROC_NAME.
assert_eq "(b) server process on the wire (tshark: pid, name)" "0 " \
	"$(jq -r '[.DST_PROC_PID, .DST_PROC_NAME // ""] | map(tostring) | join(" ")' \
		"$TEST_TMP/ipfix.$refused_port")"

# ---- (c) IPv6 ----
assert_eq "(c) IPv6 records" 3 "$(wc -l <"$TEST_TMP/json.$port6")"
sort -n "$TEST_TMP/v6.out" | awk -v p="$server6_pid" -v c="$v6_pid" \
	'{ print $1, "::1", "::1", "null", $2, $3, "sfclient", c, "sfserver", p }' \
	>"$TEST_TMP/v6.expected"
jq -r '[.sourceTransportPort, .sourceIPv6Address, .destinationIPv6Address,
	.sourceIPv4Address, .sockflowPayloadOctets, .reverseSockflowPayloadOctets,
	.SRC_PROC_NAME, .SRC_PROC_PID, .DST_PROC_NAME, .DST_PROC_PID] | map(tostring)
	| join(" ")' "$TEST_TMP/json.$port6" | sort -n >"$TEST_TMP/v6.json"
assert_lines_eq "(c) JSON: port, IPv6 addresses, no IPv4 address, payload, processes" \
	"$TEST_TMP/v6.expected" "$TEST_TMP/v6.json"
flow_totals "$TEST_TMP/json.$port6" "$port6" >"$TEST_TMP/totals.$port6"
assert_totals_match "$TEST_TMP/conns.$port6" "$TEST_TMP/totals.$port6"
# tshark shows the IPv6 elements (cflow.srcaddrv6 / dstaddrv6) with the same counters.
assert_eq "(c) tshark: records from ::1 to ::1" 3 \
	"$(jq -c 'select(.sourceIPv6Address == "::1" and .destinationIPv6Address == "::1")' \
		"$TEST_TMP/ipfix.$port6" | wc -l)"
flow_totals "$TEST_TMP/ipfix.$port6" "$port6" >"$TEST_TMP/ipfix.totals.$port6"
assert_totals_match "$TEST_TMP/conns.$port6" "$TEST_TMP/ipfix.totals.$port6"
assert_eq "(c) nfcapd: IPv6 records" 3 \
	"$(nfcapd_flows "proto tcp and dst port $port6" | awk '$1 == "::1" && $3 == "::1"' |
		wc -l)"

# ---- (d) the IPFIX file, read with ipfixDump: the same records as the JSON output ----
record_table() {
	jq -r '[.sourceIPv4Address // .sourceIPv6Address, .sourceTransportPort,
		.destinationIPv4Address // .destinationIPv6Address, .destinationTransportPort,
		.protocolIdentifier, .packetDeltaCount, .octetDeltaCount,
		.reversePacketDeltaCount, .reverseOctetDeltaCount, .sockflowPayloadOctets,
		.reverseSockflowPayloadOctets, .tcpControlBits, .flowEndReason,
		.SRC_PROC_NAME // "", .SRC_PROC_PID // 0, .DST_PROC_NAME // "",
		.DST_PROC_PID // 0] | map(tostring) | join(" ")' "$@" | sort
}
record_table "$TEST_TMP/json.$port4" "$TEST_TMP/json.$port6" \
	"$TEST_TMP/json.$refused_port" >"$TEST_TMP/table.json"
record_table "$TEST_TMP/file.$port4" "$TEST_TMP/file.$port6" \
	"$TEST_TMP/file.$refused_port" >"$TEST_TMP/table.file"
assert_eq "(d) records in the IPFIX file for this test's ports" 5 \
	"$(wc -l <"$TEST_TMP/table.file")"
assert_lines_eq "(d) IPFIX file (ipfixDump) vs JSON, all elements" "$TEST_TMP/table.json" \
	"$TEST_TMP/table.file"
