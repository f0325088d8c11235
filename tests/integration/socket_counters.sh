#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The cheaper TCP counter mode: [kernel] disable_mechanisms = tcp_packets leaves
# tcp_socket_counters, where TCP is counted from each socket's own segment and byte
# counters (at close, and from sock_diag polls while it lives) instead of packet by packet.
#   - the start-up line names the mechanism, and the stats options record in the IPFIX
#     file says sockflowTcpCountsEstimated = 1;
#   - short IPv4 and IPv6 connections of many sizes (some of many segments), a refused
#     connect, and a connection that trickles data for 4 s under a 1 s active timeout:
#     per connection, the records' payload each way equals a capture's, their packets
#     (TCP segments) are the capture's or up to 2 more (TCP cut a GSO packet into
#     segments that lo sends as one), and their octets are within 1% of the capture's
#     (the test prints how many are exact) — plus 4 TCP/IPv6 headers (288 octets) per
#     retransmission the record counts: loss recovery adds SACK options to the other
#     end's ACKs and resends GSO packets, which a socket's counters cannot tell apart
#     (seen in the 6.1 guest under QEMU, where timing makes retransmissions);
#   - the trickling connection's interim records carry counts (from the polls).
# Pids come from bg_start/bg_run (printf -v); lib.sh functions take optional arguments.
# shellcheck disable=SC2154,SC2119
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_btf
require_tools tshark dumpcap jq ipfixDump
require_sockflow
require_conngen
awk '$1 == "00000000000000000000000000000001" && $6 == "lo" { found = 1 } END { exit !found }' \
	/proc/net/if_inet6 2>/dev/null || skip "no IPv6 address ::1 on lo"

N=12
HOLD_S=4
IPFIX_FILE="$TEST_TMP/flows.ipfix"
sends=() recvs=()
for ((i = 0; i < N; i++)); do
	sends+=($((16 + i * i * 1500 + 7 * i)))	# 16 B to ~180 kB: up to several segments
	recvs+=($((300000 - i * 20000 + 3 * i)))
done
send_list=$(IFS=,; echo "${sends[*]}")
recv_list=$(IFS=,; echo "${recvs[*]}")

cat >"$TEST_TMP/sockflow.conf" <<EOF
[flow]
active_timeout = 1
poll_interval = 1

[kernel]
disable_mechanisms = tcp_packets

[log]
stats_interval = 1
EOF

port4=$(free_port tcp)
port6=$(free_port_other tcp ::1 "$port4")
refused_port=$(free_port_other tcp 127.0.0.1 "$port4" "$port6")
capture_start "tcp port $port4 or tcp port $port6 or tcp port $refused_port"
sockflow_start -c "$TEST_TMP/sockflow.conf" --collector "file:$IPFIX_FILE" --json
grep -q 'kernel: tcp_counters: tcp_socket_counters ' "$SOCKFLOW_LOG" ||
	fail "the start-up lines do not say tcp_socket_counters: $(grep 'kernel:' "$SOCKFLOW_LOG")"
conngen_serve --threads 2 --port "$port4"
conngen_serve --threads 2 --v6 --port "$port6"

"$CONNGEN" client --addr 127.0.0.1 --port "$port4" --count "$N" --send "$send_list" \
	--recv "$recv_list" >"$TEST_TMP/client4.out" 2>&1 ||
	fail "IPv4 client failed: $(cat "$TEST_TMP/client4.out")"
"$CONNGEN" client --addr ::1 --port "$port6" --count "$N" --send "$send_list" \
	--recv "$recv_list" >"$TEST_TMP/client6.out" 2>&1 ||
	fail "IPv6 client failed: $(cat "$TEST_TMP/client6.out")"
"$CONNGEN" client --addr 127.0.0.1 --port "$refused_port" --refused \
	>"$TEST_TMP/refused.out" 2>&1 || fail "refused connect: $(cat "$TEST_TMP/refused.out")"
"$CONNGEN" client --addr 127.0.0.1 --port "$port4" --hold "$HOLD_S" --chunk 1000 \
	--interval 100 --recv 5000 >"$TEST_TMP/held.out" 2>&1 ||
	fail "trickling client failed: $(cat "$TEST_TMP/held.out")"
read -r held_port _ < <(grep -v '^open ' "$TEST_TMP/held.out")

final_records() {
	(($(jq -cR 'fromjson? | select(.flowEndReason == 3)' "$SOCKFLOW_OUT" | wc -l) >= 2 * N + 1))
}
wait_for 15 "the final records" final_records ||
	fail "$(jq -cR 'fromjson? | select(.flowEndReason == 3)' "$SOCKFLOW_OUT" | wc -l) final \
records of $((2 * N + 1))"
has_records_to 1 "$refused_port" || wait_for 5 "the refused connect's record" \
	has_records_to 1 "$refused_port" || fail "no record of the refused connect"
sleep 1.5	# one more stats interval, for the options record
sockflow_stop
capture_stop

# Interim records of the trickling connection, with counts the polls brought.
interim=$(records_to "$port4" | jq -s --argjson c "$held_port" \
	'map(select(.sourceTransportPort == $c and .flowEndReason == 2
	 and (.packetDeltaCount // 0) > 0)) | length')
((interim >= 2)) || fail "the trickling connection has $interim interim records with packets"
log "ok: the trickling connection has $interim interim records with packets"

# Per connection, the records summed against the capture: packets, payload each way
# exact; octets within 1%.
check_port() {
	local port=$1 what=$2
	pcap_conns "$CAPTURE_FILE" tcp "$port" >"$TEST_TMP/conns.$port"
	records_to "$port" | jq -r '[.sourceTransportPort, .packetDeltaCount // 0,
		.octetDeltaCount // 0, .sockflowPayloadOctets // 0,
		.reversePacketDeltaCount // 0, .reverseOctetDeltaCount // 0,
		.reverseSockflowPayloadOctets // 0,
		(.RETRANSMITTED_IN_PKTS // 0) + (.RETRANSMITTED_OUT_PKTS // 0)] | @tsv' |
		awk '{ for (i = 2; i <= 8; i++) s[$1, i] += $i; seen[$1] = 1 }
		END { for (p in seen) print p, s[p, 2], s[p, 3], s[p, 4], s[p, 5], s[p, 6],
			s[p, 7], s[p, 8] }' | sort -n >"$TEST_TMP/records.$port"
	awk -v what="$what" 'NR == FNR { r[$1] = $0; next }
	{
		n++
		if (!($1 in r)) { print what " port " $1 ": no record"; bad++; next }
		split(r[$1], g, " ")
		# Payload exact; segments as TCP cut them, where the capture on lo may see
		# one GSO packet (a NIC would send them apart): at most 2 more each way.
		if (g[4] != $4 || g[7] != $7 || g[2] < $2 || g[2] > $2 + 2 || g[5] < $5 ||
		    g[5] > $5 + 2) {
			print what " port " $1 ": record pkts/payload " g[2] " " g[4] " " g[5] " " \
				g[7] ", capture " $2 " " $4 " " $5 " " $7; bad++; next
		}
		pexact += (g[2] == $2) + (g[5] == $5)
		for (k = 0; k < 2; k++) {
			want = k ? $6 : $3; got = k ? g[6] : g[3]
			d = got - want
			if (d < 0) d = -d
			# Loss recovery: SACK options and resent GSO packets (see the top).
			if (g[8] > 0) {
				retrans++
				if (d > 0.01 * want + 288 * g[8]) {
					print what " port " $1 ": octets " got ", capture " want \
						" after " g[8] " retransmissions"; bad++
				}
				exact += got == want
				continue
			}
			e = want ? d / want : got
			if (e > max) max = e
			if (e > 0.01) {
				print what " port " $1 ": octets " got ", capture " want; bad++
			}
			exact += got == want
		}
	}
	END {
		printf "%s: %d connections; exact: %d of %d packet counts, %d of %d octet " \
			"counts; largest octet error %.3f%% (directions of connections with " \
			"retransmissions: %d, held to 1%% + 288 octets a retransmission)\n", what, n,
			pexact, 2 * n, exact, 2 * n, 100 * max, retrans > "/dev/stderr"
		exit (bad > 0)
	}' "$TEST_TMP/records.$port" "$TEST_TMP/conns.$port" ||
		fail "records differ from the capture (see above)"
}
assert_eq "IPv4 connections in the capture" $((N + 1)) \
	"$(pcap_conns "$CAPTURE_FILE" tcp "$port4" | wc -l)"
check_port "$port4" IPv4
assert_eq "IPv6 connections in the capture" "$N" \
	"$(pcap_conns "$CAPTURE_FILE" tcp "$port6" | wc -l)"
check_port "$port6" IPv6
check_port "$refused_port" refused

# The stats options records say how TCP was counted.
flags=$(ipfixDump --rfc5610 -d -i "$IPFIX_FILE" |
	sed -n 's/.*sockflowTcpCountsEstimated *: *\([0-9]*\).*/\1/p' | sort -u | tr '\n' ' ')
assert_eq "sockflowTcpCountsEstimated in the stats options records" "1 " "$flags"
