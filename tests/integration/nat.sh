#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# NAT on this host, from conntrack, wherever the translation happens:
#   - a podman published port (-p 127.0.0.1:HOST:80) reached from the host: DNAT (and
#     masquerade) in the host namespace; one flow joins the host client and the
#     container's httpd, keyed by what the client sent, with the container's address
#     and port after NAT;
#   - container egress to a test namespace playing "outside", masqueraded on the host:
#     the address after NAT is the host's;
#   - an nft DNAT rule in a test "router" namespace between a client and a server
#     namespace (veth pairs), TCP, UDP and TCP over IPv6: one flow with both processes,
#     the server after NAT;
#   - a forced conntrack event overrun (tiny receive buffer, sockflow stopped while
#     connections are made): counted, reported, and followed by a resync, so those
#     connections still get their tuple after NAT.
# The collectors see it too: nfdump's translation fields (from IPFIX, and from NetFlow v9
# at a second nfcapd) and tshark's decoding of the IPFIX stream carry the same tuples as
# sockflow --json.
# Pids come from bg_start/bg_run (printf -v); lib.sh functions take optional arguments.
# shellcheck disable=SC2154,SC2119
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/podman.sh
. "$(dirname "$0")/podman.sh"

require_root
require_btf
require_tools nfcapd nfdump tshark dumpcap jq nft ip
require_sockflow
require_conngen
require_podman
[[ -r /proc/net/nf_conntrack ]] || skip "no nf_conntrack in this kernel"

TAG=$(printf '%04x' $(($$ % 65536)))
OUT="sfnat-out-$TAG"	# "outside": reached by container egress through the host
CLI="sfnat-cli-$TAG"	# client -- router (DNAT) -- server
RTR="sfnat-rtr-$TAG"
SRV="sfnat-srv-$TAG"
OVERRUN_CONNS=300

nat_cleanup() {
	local rc=$? ns
	set +e
	for ns in "$OUT" "$CLI" "$RTR" "$SRV"; do
		ip netns delete "$ns" 2>/dev/null
	done
	ip link delete "sfo$TAG" 2>/dev/null
	(exit "$rc")
	podman_lib_cleanup
}
trap nat_cleanup EXIT

# veth NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth pair between two namespaces ("" = the host).
veth() {
	local in1=() in2=() at1=() at2=()
	[[ -n $1 ]] && in1=(-n "$1") && at1=(netns "$1")
	[[ -n $4 ]] && in2=(-n "$4") && at2=(netns "$4")
	# Made in place: a name like eth0 may be taken on the host.
	ip link add "$2" "${at1[@]}" type veth peer name "$5" "${at2[@]}"
	ip "${in1[@]}" addr add "$3" dev "$2"
	ip "${in2[@]}" addr add "$6" dev "$5"
	ip "${in1[@]}" link set "$2" up
	ip "${in2[@]}" link set "$5" up
}

for ns in "$OUT" "$CLI" "$RTR" "$SRV"; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
veth "" "sfo$TAG" 10.233.1.1/24 "$OUT" eth0 10.233.1.2/24
ip -n "$OUT" route add default via 10.233.1.1
veth "$CLI" eth0 10.233.2.2/24 "$RTR" eth0 10.233.2.1/24
veth "$RTR" eth1 10.233.3.1/24 "$SRV" eth0 10.233.3.2/24
ip -n "$CLI" route add default via 10.233.2.1
ip -n "$SRV" route add default via 10.233.3.1
ip netns exec "$RTR" sysctl -q -w net.ipv4.ip_forward=1
# IPv6 on the same links (nodad: usable at once).
ip -n "$CLI" addr add fd00:233:2::2/64 dev eth0 nodad
ip -n "$RTR" addr add fd00:233:2::1/64 dev eth0 nodad
ip -n "$RTR" addr add fd00:233:3::1/64 dev eth1 nodad
ip -n "$SRV" addr add fd00:233:3::2/64 dev eth0 nodad
ip -n "$CLI" -6 route add default via fd00:233:2::1
ip -n "$SRV" -6 route add default via fd00:233:3::1
ip netns exec "$RTR" sysctl -q -w net.ipv6.conf.all.forwarding=1
ip netns exec "$RTR" nft -f - <<'EOF'
table ip sfnat {
	chain pre {
		type nat hook prerouting priority -100;
		ip daddr 10.233.2.1 tcp dport 8080 dnat to 10.233.3.2:80
		ip daddr 10.233.2.1 udp dport 5353 dnat to 10.233.3.2:53
	}
	chain post {
		type nat hook postrouting priority 100;
		oifname "eth1" masquerade
	}
}
table ip6 sfnat6 {
	chain pre {
		type nat hook prerouting priority -100;
		ip6 daddr fd00:233:2::1 tcp dport 8080 dnat to [fd00:233:3::2]:80
	}
	chain post {
		type nat hook postrouting priority 100;
		oifname "eth1" masquerade
	}
}
EOF

# Servers: httpd in a container published on 127.0.0.1, busybox httpd "outside",
# conngen behind the router.
busybox_bin=$(command -v busybox) || skip "no busybox on the host"
mkdir -p "$TEST_TMP/www"
echo "nat-$$" >"$TEST_TMP/www/x.txt"
hport=$(free_port tcp)
podman_start web web -p "127.0.0.1:$hport:80" -- /bin/sh -c \
	"mkdir -p /www && echo nat-$$ > /www/x.txt && exec httpd -f -p 80 -h /www"
podman_wait_listen "$web" 80
web_ip=$(podman_ip "$web")
bg_start out_pid "$TEST_TMP/out-httpd.log" ip netns exec "$OUT" "$busybox_bin" httpd -f \
	-p 10.233.1.2:8080 -h "$TEST_TMP/www"
srv_bin=$(conngen_as sfnatsrv)
bg_start srv_pid "$TEST_TMP/srv.out" ip netns exec "$SRV" "$srv_bin" serve \
	--threads 1 --addr 10.233.3.2 --port 80
bg_start usrv_pid "$TEST_TMP/usrv.out" ip netns exec "$SRV" "$srv_bin" serve \
	--udp --threads 1 --addr 10.233.3.2 --port 53
bg_start srv6_pid "$TEST_TMP/srv6.out" ip netns exec "$SRV" "$srv_bin" serve \
	--v6 --threads 1 --addr fd00:233:3::2 --port 80
servers_ready() { (($(cat "$TEST_TMP/srv.out" "$TEST_TMP/usrv.out" "$TEST_TMP/srv6.out" |
	grep -c '^ready') == 3)); }
wait_for 5 "the servers behind the router" servers_ready || fail "servers in $SRV did not start"

# NetFlow v9 goes to an nfcapd of its own (the helpers keep one nfcapd at a time).
v9_dir=$TEST_TMP/nfcapd-v9
mkdir -p "$v9_dir"
v9_port=$(free_port udp)
bg_start v9_pid "$v9_dir.log" nfcapd -w "$v9_dir" -p "$v9_port" -b 127.0.0.1 -t 3600
wait_for 5 "the v9 nfcapd" udp_port_bound "$v9_port" ||
	fail "nfcapd for v9 did not start: $(cat "$v9_dir.log")"
nfcapd_start
capture_start "udp port $NFCAPD_PORT"
# A receive buffer so small that the stall below overruns it (the kernel doubles it).
printf '[kernel]\nconntrack_rcvbuf_kib = 4\n' >"$TEST_TMP/sockflow.conf"
sockflow_start --collector "udp://127.0.0.1:$NFCAPD_PORT" --json -c "$TEST_TMP/sockflow.conf" \
	--collector "udp://127.0.0.1:$v9_port?protocol=v9"

# 1. The host reaches the published port.
host_bin="$TEST_TMP/bin/busybox-sfnat"
cp "$busybox_bin" "$host_bin"
for i in 1 2 3; do
	[[ $("$host_bin" wget -q -O - "http://127.0.0.1:$hport/x.txt") == "nat-$$" ]] ||
		fail "GET through the published port failed"
done
# 2. The container goes "outside", masqueraded on the host.
podman_run egress -- /bin/sh -c "wget -q -O - http://10.233.1.2:8080/x.txt" \
	>"$TEST_TMP/egress.out" || fail "container egress failed: $(cat "$TEST_TMP/egress.out")"
assert_eq "body the container got from outside" "nat-$$" "$(cat "$TEST_TMP/egress.out")"
# 3. Through the router's DNAT.
cli_bin=$(conngen_as sfnatcli)
ip netns exec "$CLI" "$cli_bin" client --addr 10.233.2.1 --port 8080 \
	--count 3 --send 200 --recv 3000 >"$TEST_TMP/dnat.out" ||
	fail "client through the router failed: $(cat "$TEST_TMP/dnat.out")"
ip netns exec "$CLI" "$cli_bin" client --addr fd00:233:2::1 --port 8080 --count 2 \
	--send 200 --recv 3000 >"$TEST_TMP/dnat6.out" ||
	fail "IPv6 client through the router failed: $(cat "$TEST_TMP/dnat6.out")"
ip netns exec "$CLI" "$cli_bin" client --udp --addr 10.233.2.1 --port 5353 --count 3 \
	--send 64 --recv 200 >"$TEST_TMP/udp-dnat.out" ||
	fail "UDP client through the router failed: $(cat "$TEST_TMP/udp-dnat.out")"

final_count() { records_to "$1" | jq -s 'map(select(.flowEndReason == 3)) | length'; }
enough() { (($(final_count "$1") >= $2)); }
wait_for 15 "the published port's records" enough "$hport" 3 || fail "records: $(records_to "$hport")"
wait_for 15 "the records to port 8080" enough 8080 6 || fail "records: $(records_to 8080)"

# 4. Overrun: a tiny conntrack receive buffer, sockflow stopped while connections go by.
kill -STOP "$SOCKFLOW_PID"
ip netns exec "$CLI" "$cli_bin" client --addr 10.233.2.1 --port 8080 --count "$OVERRUN_CONNS" \
	--send 16 --recv 16 >"$TEST_TMP/overrun.out" || fail "overrun client failed"
kill -CONT "$SOCKFLOW_PID"
wait_for 20 "the overrun connections' records" enough 8080 $((OVERRUN_CONNS + 6)) ||
	fail "records to 8080: $(final_count 8080)"
sockflow_stop
capture_stop
nfcapd_stop

# The published port: keyed by what the client sent, NAT as the container saw it, one flow
# with the host client and the container's httpd.
records_to "$hport" >"$TEST_TMP/published.records"
assert_eq "published port: records (3 connections, one record each)" 3 \
	"$(wc -l <"$TEST_TMP/published.records")"
assert_eq "published port: src, dst, post-NAT dst, processes, container" \
	"127.0.0.1 127.0.0.1 $hport $web_ip 80 busybox-sfnat httpd $(podman_get "$web" '{{.Name}}')" \
	"$(jq -r '[.sourceIPv4Address, .destinationIPv4Address, .destinationTransportPort,
		.postNATDestinationIPv4Address, .postNAPTDestinationTransportPort, .SRC_PROC_NAME,
		.DST_PROC_NAME, .sockflowDestinationContainerName] | map(tostring) | join(" ")' \
		"$TEST_TMP/published.records" | sort -u)"
assert_eq "published port: post-NAT source is the bridge gateway" \
	"$(podman_get "$web" '{{.NetworkSettings.Gateway}}')" \
	"$(jq -r .postNATSourceIPv4Address "$TEST_TMP/published.records" | sort -u)"

# Container egress: the source after NAT is the host's address on the outside link.
records_to 8080 | jq -c 'select(.destinationIPv4Address == "10.233.1.2")' \
	>"$TEST_TMP/egress.records"
# (busybox httpd serves each connection from a child of its own.)
assert_eq "egress: records, client, post-NAT source, server's parent pid" \
	"1 wget 10.233.1.1 $out_pid" "$(jq -s -r '"\(length) \(.[0].SRC_PROC_NAME) \(
		.[0].postNATSourceIPv4Address) \(.[0].DST_FATHER_PROC_PID // "-")"' \
		"$TEST_TMP/egress.records")"

# The router's DNAT: both namespaces' processes in one flow, the server after NAT.
records_to 8080 | jq -c 'select(.destinationIPv4Address == "10.233.2.1")' \
	>"$TEST_TMP/dnat.records"
assert_eq "DNAT: flows (3 + overrun)" $((3 + OVERRUN_CONNS)) "$(wc -l <"$TEST_TMP/dnat.records")"
assert_eq "DNAT: client, server, post-NAT src and dst" \
	"sfnatcli sfnatsrv 10.233.3.1 10.233.3.2 80" \
	"$(jq -r '[.SRC_PROC_NAME, .DST_PROC_NAME, .postNATSourceIPv4Address,
		.postNATDestinationIPv4Address, .postNAPTDestinationTransportPort] | map(tostring)
		| join(" ")' "$TEST_TMP/dnat.records" | sort -u)"

# IPv6 through the router's DNAT (postNATSource/DestinationIPv6Address, 281/282).
records_to 8080 | jq -c 'select(.destinationIPv6Address == "fd00:233:2::1")' \
	>"$TEST_TMP/dnat6.records"
assert_eq "IPv6 DNAT: flows" 2 "$(wc -l <"$TEST_TMP/dnat6.records")"
assert_eq "IPv6 DNAT: src, client, server, post-NAT src and dst" \
	"fd00:233:2::2 sfnatcli sfnatsrv fd00:233:3::1 fd00:233:3::2 80" \
	"$(jq -r '[.sourceIPv6Address, .SRC_PROC_NAME, .DST_PROC_NAME, .postNATSourceIPv6Address,
		.postNATDestinationIPv6Address, .postNAPTDestinationTransportPort] | map(tostring)
		| join(" ")' "$TEST_TMP/dnat6.records" | sort -u)"

# UDP through the router's DNAT: each conversation one flow (ended when sockflow stopped).
records_to 5353 >"$TEST_TMP/udp-dnat.records"
assert_eq "UDP DNAT: flows" 3 "$(wc -l <"$TEST_TMP/udp-dnat.records")"
assert_eq "UDP DNAT: protocol, client, server, post-NAT src and dst, packets each way" \
	"17 sfnatcli sfnatsrv 10.233.3.1 10.233.3.2 53 1 1" \
	"$(jq -r '[.protocolIdentifier, .SRC_PROC_NAME, .DST_PROC_NAME, .postNATSourceIPv4Address,
		.postNATDestinationIPv4Address, .postNAPTDestinationTransportPort, .packetDeltaCount,
		.reversePacketDeltaCount] | map(tostring) | join(" ")' "$TEST_TMP/udp-dnat.records" |
		sort -u)"

# The overrun was counted, reported, and made up for by a resync.
stats=$(grep 'stats at exit: conntrack' "$SOCKFLOW_LOG")
overruns=$(sed -n 's/.*conntrack: .*overruns \([0-9]*\).*/\1/p' <<<"$stats")
resyncs=$(sed -n 's/.*conntrack: .*resyncs \([0-9]*\).*/\1/p' <<<"$stats")
log "conntrack stats: $(grep -o 'conntrack: [^;]*' <<<"$stats")"
((overruns >= 1 && resyncs >= 1)) || fail "no overrun or resync reported: $stats"
grep -q 'conntrack.*lost' "$SOCKFLOW_LOG" || fail "the overrun was not logged"

# The collectors: nfdump's translation fields and tshark agree with sockflow --json.
jq -r 'select(.postNATDestinationIPv4Address) | [.sourceTransportPort,
	.destinationTransportPort, .postNATSourceIPv4Address, .postNAPTSourceTransportPort,
	.postNATDestinationIPv4Address, .postNAPTDestinationTransportPort] | map(tostring)
	| join(" ")' "$SOCKFLOW_OUT" | sort >"$TEST_TMP/json.nat"
nfdump -R "$NFCAPD_DIR" -q -N -o 'fmt:%sp %dp %xsa %xsp %xda %xdp' 'proto tcp or proto udp' |
	awk '$3 != "0.0.0.0" && NF == 6 { $1 = $1; print }' | sort >"$TEST_TMP/nfdump.nat"
assert_lines_eq "tuples after NAT, nfdump vs sockflow --json" "$TEST_TMP/json.nat" \
	"$TEST_TMP/nfdump.nat"
wait_for 30 "the v9 nfcapd to drain its socket" eval '[[ $(udp_rx_queue "$v9_port") == 0 ]]' ||
	true
proc_stop "$v9_pid" TERM 30 || fail "the v9 nfcapd exited with status $?: $(cat "$v9_dir.log")"
# Over v9 nfdump keeps the IPv6 translations too (281, 282), which its IPFIX input drops.
jq -r 'select(.postNATDestinationIPv4Address or .postNATDestinationIPv6Address)
	| [.sourceTransportPort, .destinationTransportPort,
	   .postNATSourceIPv4Address // .postNATSourceIPv6Address, .postNAPTSourceTransportPort,
	   .postNATDestinationIPv4Address // .postNATDestinationIPv6Address,
	   .postNAPTDestinationTransportPort] | map(tostring) | join(" ")' "$SOCKFLOW_OUT" |
	sort >"$TEST_TMP/json46.nat"
nfdump -R "$v9_dir" -q -N -o 'fmt:%sp %dp %xsa %xsp %xda %xdp' 'proto tcp or proto udp' |
	awk '$3 != "0.0.0.0" && NF == 6 { $1 = $1; print }' | sort >"$TEST_TMP/nfdump-v9.nat"
assert_lines_eq "tuples after NAT over NetFlow v9, nfdump vs sockflow --json" \
	"$TEST_TMP/json46.nat" "$TEST_TMP/nfdump-v9.nat"
tshark_ipfix "$CAPTURE_FILE" "$NFCAPD_PORT" | jq -r 'select(.postNATDestinationIPv4Address
	and .postNATDestinationIPv4Address != "0.0.0.0") | [.sourceTransportPort,
	.destinationTransportPort, .postNATSourceIPv4Address, .postNAPTSourceTransportPort,
	.postNATDestinationIPv4Address, .postNAPTDestinationTransportPort] | map(tostring)
	| join(" ")' | sort >"$TEST_TMP/tshark.nat"
assert_lines_eq "tuples after NAT, tshark vs sockflow --json" "$TEST_TMP/json.nat" \
	"$TEST_TMP/tshark.nat"
