#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The test tooling itself, without sockflow: conngen against a capture on lo, nfcapd and
# tshark decoding hand-made IPFIX. When this fails, the sockflow tests cannot be trusted.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_tools nfcapd nfdump tshark dumpcap ipfixDump jq
require_conngen

# 1. conngen traffic, captured on lo: per-connection payload equals what conngen reports.
conngen_serve --threads 2
capture_start "tcp port $CONNGEN_PORT"
"$CONNGEN" client --addr 127.0.0.1 --port "$CONNGEN_PORT" --count 4 \
	--send 16,1000,200k,0 --recv 0,5000,3m,0 >"$TEST_TMP/client.out"
capture_stop
pcap_conns "$CAPTURE_FILE" tcp "$CONNGEN_PORT" >"$TEST_TMP/conns"
cat "$TEST_TMP/conns" >&2
assert_eq "connections in capture" 4 "$(wc -l <"$TEST_TMP/conns")"
while read -r port sent recv; do
	read -r _ fp fb fl rp rb rl < <(awk -v p="$port" '$1 == p' "$TEST_TMP/conns")
	assert_eq "port $port payload client->server" "$sent" "$fl"
	assert_eq "port $port payload server->client" "$recv" "$rl"
	# Every TCP/IPv4 packet here carries at least 20+20 header bytes.
	((fb >= fl + 40 * fp && rb >= rl + 40 * rp)) ||
		fail "port $port: IP bytes below payload + headers"
done <"$TEST_TMP/client.out"

# 2. nfcapd receives an IPFIX biflow message; nfdump decodes forward and reverse counters.
nfcapd_start
capture_start "udp port $NFCAPD_PORT"
"$PYTHON" "$IPFIX_PROBE" --collector "udp://127.0.0.1:$NFCAPD_PORT" --count 3 --sport 40000
capture_stop
nfcapd_stop
nfcapd_flows >&2
assert_eq "records at nfcapd" 3 "$(nfcapd_count)"
assert_eq "record 40001" "127.0.0.1 40001 127.0.0.2 8080 6 11 1001 21 2001" \
	"$(nfcapd_flows 'src port 40001')"

# 3. tshark decodes the same message, reverse and ntop process elements included.
tshark_ipfix "$CAPTURE_FILE" "$NFCAPD_PORT" >"$TEST_TMP/ipfix.jsonl"
assert_eq "records decoded by tshark" 3 "$(wc -l <"$TEST_TMP/ipfix.jsonl")"
assert_eq "tshark record 40002" "1002 12 2002 22 3 probe-client probe-server" \
	"$(jq -r 'select(.sourceTransportPort == 40002) | [.octetDeltaCount, .packetDeltaCount,
		.reverseOctetDeltaCount, .reversePacketDeltaCount, .flowEndReason,
		.SRC_PROC_NAME, .DST_PROC_NAME] | join(" ")' "$TEST_TMP/ipfix.jsonl")"

# 4. The comparison helpers: both decoders agree, and a capture matches itself.
flow_totals "$TEST_TMP/ipfix.jsonl" 8080 >"$TEST_TMP/tshark.totals"
nfcapd_totals 'dst port 8080' >"$TEST_TMP/nfcapd.totals"
assert_eq "nfdump and tshark totals" "$(cat "$TEST_TMP/tshark.totals")" \
	"$(cat "$TEST_TMP/nfcapd.totals")"
awk '{ print $1, $2, $3, $5, $6, 1 }' "$TEST_TMP/conns" >"$TEST_TMP/self.totals"
assert_totals_match "$TEST_TMP/conns" "$TEST_TMP/self.totals"
awk 'NR == 2 { $3++ } { print }' "$TEST_TMP/self.totals" >"$TEST_TMP/off.totals"
if (assert_totals_match "$TEST_TMP/conns" "$TEST_TMP/off.totals") 2>/dev/null; then
	fail "assert_totals_match accepted a byte count that is off by one"
fi

# 5. ipfixDump reads an IPFIX file.
"$PYTHON" "$IPFIX_PROBE" --collector "file:$TEST_TMP/probe.ipfix" --count 5
assert_eq "records in IPFIX file" 5 "$(ipfix_file_records "$TEST_TMP/probe.ipfix")"
