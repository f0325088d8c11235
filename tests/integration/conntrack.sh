#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The conntrack source against a NAT router in a namespace of its own: client ns -- router
# ns (DNAT 10.231.1.1:8080 to the server, masquerade towards it) -- server ns. ctwatch,
# run in the host namespace, must find the router through /run/netns and report every TCP
# and UDP connection the client makes, from NEW events alone, with the router's inode,
# both NAT bits and the tuples each side's socket sees. Then with a 4 KiB receive buffer
# and a 1.5 s stall, 300 connections overrun the event queue: ctwatch must count the
# overrun, dump the router's table and so still report every one of them.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

: "${CTWATCH:=$top_builddir/tests/tools/ctwatch}"
NS_PREFIX="sfcttest-$$"
NS_C="$NS_PREFIX-client"
NS_R="$NS_PREFIX-router"
NS_S="$NS_PREFIX-server"
VIP=10.231.1.1
CLIENT=10.231.1.2
ROUTER_IN=10.231.2.1	# the masquerade address: the router's side towards the server
SERVER=10.231.2.2
CONNS=5
STORM=300

require_root
require_tools ip nft
require_conngen
[[ -x "$CTWATCH" ]] || skip "ctwatch not built ($CTWATCH); run make check"

# The namespaces go on exit, pass or fail (their veths with them); then lib.sh's cleanup.
ct_cleanup() {
	local rc=$? ns
	set +e
	for pid in "${LIB_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for ns in "$NS_C" "$NS_R" "$NS_S"; do
		[[ -e /run/netns/$ns ]] && { ip netns del "$ns" || log "could not delete netns $ns"; }
	done
	(exit "$rc")
	lib_cleanup
}
trap ct_cleanup EXIT

# ---- topology -----------------------------------------------------------------------

for ns in "$NS_C" "$NS_R" "$NS_S"; do
	ip netns add "$ns" || fail "ip netns add $ns"
	ip -n "$ns" link set lo up
done
ip -n "$NS_R" link add r0 type veth peer name c0 netns "$NS_C" || fail "veth client-router"
ip -n "$NS_R" link add r1 type veth peer name s0 netns "$NS_S" || fail "veth router-server"
ip -n "$NS_C" addr add "$CLIENT/24" dev c0
ip -n "$NS_C" link set c0 up
ip -n "$NS_C" route add default via "$VIP"
ip -n "$NS_R" addr add "$VIP/24" dev r0
ip -n "$NS_R" addr add "$ROUTER_IN/24" dev r1
ip -n "$NS_R" link set r0 up
ip -n "$NS_R" link set r1 up
ip -n "$NS_S" addr add "$SERVER/24" dev s0
ip -n "$NS_S" link set s0 up
ip netns exec "$NS_R" sysctl -q -w net.ipv4.ip_forward=1 || fail "ip_forward in the router"

ip netns exec "$NS_R" nft -f - <<-EOF || skip "nft nat (nf_conntrack, nf_nat) not usable here"
	table ip sfcttest {
		chain pre {
			type nat hook prerouting priority dstnat;
			ip daddr $VIP meta l4proto { tcp, udp } th dport 8080 dnat to $SERVER:80
		}
		chain post {
			type nat hook postrouting priority srcnat;
			oifname "r1" masquerade
		}
	}
EOF
ROUTER_INO=$(stat -L -c %i "/run/netns/$NS_R")
events=$(ip netns exec "$NS_R" sysctl -n net.netfilter.nf_conntrack_events 2>/dev/null) ||
	skip "no net.netfilter.nf_conntrack_events in the router namespace"
[[ $events != 0 ]] || skip "conntrack events are off (net.netfilter.nf_conntrack_events=0)"
log "router netns $ROUTER_INO, nf_conntrack_events=$events"

bg_start SERVE_TCP_PID "$TEST_TMP/serve-tcp.log" \
	ip netns exec "$NS_S" "$CONNGEN" serve --addr "$SERVER" --port 80 --threads 1
bg_start SERVE_UDP_PID "$TEST_TMP/serve-udp.log" \
	ip netns exec "$NS_S" "$CONNGEN" serve --addr "$SERVER" --port 80 --udp
for proto in tcp udp; do
	wait_for 5 "conngen serve ($proto)" grep -qs '^ready ' "$TEST_TMP/serve-$proto.log" ||
		fail "conngen serve ($proto) did not start: $(cat "$TEST_TMP/serve-$proto.log")"
done

# ctwatch_start LOG ARGS...: ctwatch in the host namespace until SIGTERM; sets CTWATCH_PID.
ctwatch_start() {
	local out=$1
	shift
	bg_start CTWATCH_PID "$out" "$CTWATCH" --seconds 120 "$@"
	wait_for 10 "ctwatch to subscribe" grep -qs '^ready ' "$out" ||
		fail "ctwatch did not start: $(cat "$out")"
}

# ctwatch_stop LOG: SIGTERM; ctwatch drains once more, prints its stats line and exits 0.
ctwatch_stop() {
	proc_stop "$CTWATCH_PID" TERM 10 || fail "ctwatch exited with $?: $(cat "$1")"
	grep -q '^stats ' "$1" || fail "ctwatch printed no stats: $(cat "$1")"
}

# stat_of LOG NAME: a number from ctwatch's stats line.
stat_of() { awk -v k="$2" '$1 == "stats" { for (i = 2; i < NF; i += 2) if ($i == k) print $(i + 1) }' "$1"; }

# expected_lines PROTO PORTS_FILE: the line ctwatch must print for each client port.
expected_lines() {
	awk -v p="$1" -v ino="$ROUTER_INO" -v c="$CLIENT" -v vip="$VIP" -v s="$SERVER" \
		-v m="$ROUTER_IN" '{
		printf "nat netns=%s proto=%s nat=both orig=%s:%s->%s:8080 reply=%s:80->%s:%s\n",
			ino, p, c, $1, vip, s, m, $1 }' "$2" | sort -u
}

# reported LOG PROTO: ctwatch's lines about connections to the published address, sorted.
reported() {
	grep -F " proto=$2 " "$1" | grep -F -- "->$VIP:8080 " | sort -u || true
}

all_reported() { [[ -z $(comm -23 "$2" <(reported "$1" "$3")) ]]; }

# ---- every connection from NEW events -------------------------------------------------

ctwatch_start "$TEST_TMP/watch.out"
ip netns exec "$NS_C" "$CONNGEN" client --addr "$VIP" --port 8080 --count "$CONNS" \
	--send 100 --recv 200 >"$TEST_TMP/client-tcp.out" || fail "tcp client failed"
ip netns exec "$NS_C" "$CONNGEN" client --addr "$VIP" --port 8080 --count "$CONNS" --udp \
	--send 100 --recv 200 >"$TEST_TMP/client-udp.out" || fail "udp client failed"
for proto in tcp udp; do
	assert_eq "$proto connections made" "$CONNS" "$(wc -l <"$TEST_TMP/client-$proto.out")"
	expected_lines "$proto" "$TEST_TMP/client-$proto.out" >"$TEST_TMP/want-$proto"
	wait_for 10 "ctwatch to report the $proto connections" \
		all_reported "$TEST_TMP/watch.out" "$TEST_TMP/want-$proto" "$proto" || true
done
ctwatch_stop "$TEST_TMP/watch.out"
log "$(grep '^stats ' "$TEST_TMP/watch.out")"
for proto in tcp udp; do
	reported "$TEST_TMP/watch.out" "$proto" >"$TEST_TMP/got-$proto"
	assert_lines_eq "$proto connections reported" "$TEST_TMP/want-$proto" "$TEST_TMP/got-$proto"
done
# No overrun and no dump: the NAT bits and tuples above came in the NEW events themselves.
assert_eq "overruns with the default buffer" 0 "$(stat_of "$TEST_TMP/watch.out" overruns)"
assert_eq "resyncs with the default buffer" 0 "$(stat_of "$TEST_TMP/watch.out" resyncs)"
nat=$(stat_of "$TEST_TMP/watch.out" nat)
((nat >= 2 * CONNS)) || fail "nat events: expected at least $((2 * CONNS)), got $nat"

# ---- overrun: a tiny buffer and a stall lose events; the dump finds them -----------------

ctwatch_start "$TEST_TMP/storm.out" --rcvbuf 4096 --stall 1500
start=$SECONDS
ip netns exec "$NS_C" "$CONNGEN" client --addr "$VIP" --port 8080 --count "$STORM" \
	--send 0 --recv 0 >"$TEST_TMP/client-storm.out" || fail "storm client failed"
log "$STORM connections in $((SECONDS - start)) s (ctwatch stalls for 1.5 s)"
assert_eq "storm connections made" "$STORM" "$(wc -l <"$TEST_TMP/client-storm.out")"
expected_lines tcp "$TEST_TMP/client-storm.out" >"$TEST_TMP/want-storm"
wait_for 10 "ctwatch to report the storm's connections" \
	all_reported "$TEST_TMP/storm.out" "$TEST_TMP/want-storm" tcp || true
ctwatch_stop "$TEST_TMP/storm.out"
log "$(grep '^stats ' "$TEST_TMP/storm.out")"
overruns=$(stat_of "$TEST_TMP/storm.out" overruns)
resyncs=$(stat_of "$TEST_TMP/storm.out" resyncs)
((overruns >= 1)) || fail "overruns: expected at least 1, got $overruns"
((resyncs >= 1)) || fail "resyncs: expected at least 1, got $resyncs"
log "ok: overruns $overruns, resyncs $resyncs"
missing=$(comm -23 "$TEST_TMP/want-storm" <(reported "$TEST_TMP/storm.out" tcp))
[[ -z $missing ]] || fail "$(wc -l <<<"$missing") storm connections not reported:"$'\n'"$missing"
log "ok: all $STORM storm connections reported"
log "pass"
