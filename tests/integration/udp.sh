#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# UDP flows, connected and unconnected, IPv4 and IPv6, against a capture on lo:
#   - a resolver: ONE unconnected socket talking to 30 servers, 3 exchanges each;
#   - a server: ONE socket answering 20 clients (connected sockets);
#   - a resolver over IPv6 talking to 5 servers.
# Every conversation is one flow (both local ends joined), ended by the idle timeout
# (flowEndReason 1), whose packets and IP bytes each way equal the capture's, named after
# the processes on both ends; nfcapd receives the same flows over IPFIX.
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

PEERS=30
CLIENTS=20
PEERS6=5
IDLE_S=2
resolver_bin=$(conngen_as sfresolver)
server_bin=$(conngen_as sfudpserver)

# udp_ports N: the first of N consecutive UDP ports no socket is bound to (IPv4 or IPv6).
udp_ports() {
	local n=$1 base
	for base in $(shuf -i 20000-59000 -n 50); do
		[[ -z $(ss -Huan "sport >= :$base and sport < :$((base + n))") ]] || continue
		echo "$base"
		return 0
	done
	fail "no $n consecutive free UDP ports"
}

rport=$(udp_ports $PEERS)
sport=$(udp_ports 1)
rport6=$(udp_ports $PEERS6)
nfcapd_start
capture_start "udp and not port $NFCAPD_PORT"
sockflow_start --idle-timeout "$IDLE_S" --collector "udp://127.0.0.1:$NFCAPD_PORT" --json

bg_start resolver_srv_pid "$TEST_TMP/srv4.out" "$server_bin" serve --udp --port "$rport" \
	--ports "$PEERS"
bg_start server_pid "$TEST_TMP/srv.out" "$server_bin" serve --udp --port "$sport"
bg_start resolver_srv6_pid "$TEST_TMP/srv6.out" "$server_bin" serve --udp --v6 \
	--port "$rport6" --ports "$PEERS6"
all_bound() { grep -qs '^ready' "$TEST_TMP/srv4.out" "$TEST_TMP/srv.out" "$TEST_TMP/srv6.out" &&
	(($(cat "$TEST_TMP"/srv*.out | grep -c '^ready') == 3)); }
wait_for 10 "the UDP servers" all_bound || fail "UDP servers did not bind"

bg_run resolver_pid "$TEST_TMP/resolver.out" "$resolver_bin" resolver --addr 127.0.0.1 \
	--port "$rport" --peers "$PEERS" --rounds 3 --send 64 --recv 128 ||
	fail "resolver failed: $(cat "$TEST_TMP/resolver.out")"
bg_run client_pid "$TEST_TMP/clients.out" "$resolver_bin" client --udp --addr 127.0.0.1 \
	--port "$sport" --count "$CLIENTS" --send 100,200 --recv 300,40 ||
	fail "UDP clients failed: $(cat "$TEST_TMP/clients.out")"
bg_run resolver6_pid "$TEST_TMP/resolver6.out" "$resolver_bin" resolver --v6 --addr ::1 \
	--port "$rport6" --peers "$PEERS6" --rounds 4 --send 80 --recv 1200 ||
	fail "IPv6 resolver failed: $(cat "$TEST_TMP/resolver6.out")"
log "traffic done: $PEERS + $CLIENTS + $PEERS6 conversations"

# The UDP records of the test's conversations: to its servers' ports (sockflow's own export
# to nfcapd is a UDP flow too, and so is other UDP traffic on the host).
udp_records() {
	jq -c --argjson a "$rport" --argjson b $((rport + PEERS - 1)) --argjson s "$sport" \
		--argjson a6 "$rport6" --argjson b6 $((rport6 + PEERS6 - 1)) '
		.destinationTransportPort as $p | select(.protocolIdentifier == 17 and
		(($p >= $a and $p <= $b) or $p == $s or ($p >= $a6 and $p <= $b6)))' \
		"$SOCKFLOW_OUT" 2>/dev/null
}
want=$((PEERS + CLIENTS + PEERS6))
all_idle() { (($(udp_records | jq -s 'map(select(.flowEndReason == 1)) | length') >= want)); }
wait_for $((IDLE_S * 5 + 10)) "$want idle records" all_idle ||
	fail "expected $want idle UDP records; got: $(udp_records)"
sleep 1	# a duplicate record, were there one, would come now
sockflow_stop
capture_stop
nfcapd_stop

# Capture totals per conversation: "CLIENT_PORT SERVER_PORT pkts bytes rev_pkts rev_bytes".
# The client is the side whose port is not a server port.
servers=" $(seq -s ' ' "$rport" $((rport + PEERS - 1))) $sport $(seq -s ' ' "$rport6" \
	$((rport6 + PEERS6 - 1))) "
tshark -r "$CAPTURE_FILE" -n -Y "udp and not icmp and not icmpv6" -T fields -E separator=, \
	-E occurrence=f -e udp.srcport -e udp.dstport -e ip.len -e ipv6.plen 2>/dev/null |
	awk -F, -v servers="$servers" '
	BEGIN { n = split(servers, s, " "); for (i = 1; i <= n; i++) srv[s[i]] = 1 }
	{
		b = $3 != "" ? $3 : $4 + 40
		if ($2 in srv) { k = $1 " " $2; fp[k]++; fb[k] += b }
		else if ($1 in srv) { k = $2 " " $1; rp[k]++; rb[k] += b }
		else next
		seen[k] = 1
	}
	END { for (k in seen) printf "%s %d %d %d %d\n", k, fp[k], fb[k], rp[k], rb[k] }' |
	sort >"$TEST_TMP/capture.conv"
assert_eq "conversations in the capture" "$want" "$(wc -l <"$TEST_TMP/capture.conv")"

udp_records | jq -r '[.sourceTransportPort, .destinationTransportPort, .packetDeltaCount,
	.octetDeltaCount, .reversePacketDeltaCount, .reverseOctetDeltaCount] | map(tostring)
	| join(" ")' | sort >"$TEST_TMP/json.conv"
assert_lines_eq "UDP flows (ports, packets and bytes each way) vs the capture" \
	"$TEST_TMP/capture.conv" "$TEST_TMP/json.conv"
assert_eq "end reasons" "1" "$(udp_records | jq -r .flowEndReason | sort -u | tr '\n' ' ' |
	sed 's/ $//')"

# The resolver's 30 conversations share one socket: one client port, 30 server ports.
assert_eq "resolver flows: client ports, server ports" "1 $PEERS" \
	"$(udp_records | jq -s -r --argjson lo "$rport" --argjson hi $((rport + PEERS - 1)) '
		map(select(.destinationTransportPort >= $lo and .destinationTransportPort <= $hi))
		| "\(map(.sourceTransportPort) | unique | length) \(length)"')"
assert_eq "resolver's local port" "$(awk '/^local / { print $2 }' "$TEST_TMP/resolver.out")" \
	"$(udp_records | jq -r --argjson p "$rport" 'select(.destinationTransportPort == $p)
		| .sourceTransportPort')"
assert_eq "IPv6 flows" "$PEERS6" "$(udp_records | jq -s 'map(select(.sourceIPv6Address == "::1"
	and .destinationIPv6Address == "::1")) | length')"
assert_eq "server flows (20 clients, one server socket)" "$CLIENTS" \
	"$(udp_records | jq -s --argjson p "$sport" 'map(select(.destinationTransportPort == $p))
		| length')"

# Both processes of every conversation, on the send and the receive path.
assert_eq "processes (client server)" \
	"$(printf '%s\n' "sfresolver $resolver6_pid sfudpserver $resolver_srv6_pid" \
		"sfresolver $resolver_pid sfudpserver $resolver_srv_pid" \
		"sfresolver $client_pid sfudpserver $server_pid" | sort)" \
	"$(udp_records | jq -r '[.SRC_PROC_NAME, .SRC_PROC_PID, .DST_PROC_NAME, .DST_PROC_PID]
		| map(tostring) | join(" ")' | sort -u)"

# nfcapd decoded the same flows with the same totals.
nfcapd_flows "proto udp" | awk -v servers="$servers" '
	BEGIN { n = split(servers, s, " "); for (i = 1; i <= n; i++) srv[s[i]] = 1 }
	$4 in srv { print $2, $4, $6, $7, $8, $9 }' | sort >"$TEST_TMP/nfcapd.conv"
assert_lines_eq "UDP flows at nfcapd vs the capture" "$TEST_TMP/capture.conv" \
	"$TEST_TMP/nfcapd.conv"
