#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Collectors named by a host name that does not resolve yet (DNS down at boot): sockflow
# starts anyway, looks the name up in the background and again after each failure, and
# accounts for every record. A TCP (tcp_sink) and a UDP (nfcapd) collector are named
# by a name under .test (RFC 6761: never in DNS); N1 connections are made, then the
# name goes into /etc/hosts (restored on exit), then N2 more. Exactly:
#   - the UDP exporter counts the N1 records lost (stats line), nfcapd decodes the N2;
#   - the TCP exporter queues the N1 and sends all N1 + N2, lost 0; tcp_sink gets them.
# Then the name moves to 127.0.0.2 and its first collector goes away: the TCP exporter
# looks the name up again before it reconnects, and N3 more reach a tcp_sink there.
# Only the test client's connections are exported ([filter] include_processes).
# shellcheck disable=SC2154
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_btf
require_tools nfcapd nfdump ipfixDump
require_sockflow
require_conngen

N1=8
N2=12
# The longest back-off between lookups is 30 s (TRANSPORT_BACKOFF_MAX_MS).
RESOLVE_MAX_S=60
TCP_SINK="$top_srcdir/tests/tools/tcp_sink.py"
name="sockflow-dns-$$.test"
client_bin=$(conngen_as sfdnsclient)

getent hosts "$name" >/dev/null && skip "$name resolves already"
cp /etc/hosts "$TEST_TMP/hosts.orig" || fail "cannot save /etc/hosts"
# /etc/hosts as it was, whatever happens (cat keeps the file's inode and mode).
restore_hosts() { cat "$TEST_TMP/hosts.orig" >/etc/hosts; }
trap 'rc=$?; set +e; restore_hosts; (exit "$rc"); lib_cleanup' EXIT

conngen_serve --threads 1
port=$CONNGEN_PORT
nfcapd_start "$TEST_TMP/nfcapd"
tcp_port=$(free_port tcp)
bg_start sink_pid "$TEST_TMP/sink.log" "$PYTHON" "$TCP_SINK" --port "$tcp_port" \
	--out "$TEST_TMP/stream"
wait_for 5 "the TCP sink to listen" grep -qs '^listening' "$TEST_TMP/sink.log" ||
	fail "the TCP sink did not start: $(cat "$TEST_TMP/sink.log")"

udp_uri="udp://$name:$NFCAPD_PORT"
tcp_uri="tcp://$name:$tcp_port"
cat >"$TEST_TMP/sockflow.conf" <<-CONF
	[export]
	collectors = $tcp_uri $udp_uri
	[log]
	stats_interval = 1
	[filter]
	include_processes = sfdnsclient
CONF
"$SOCKFLOW" -c "$TEST_TMP/sockflow.conf" --check >/dev/null 2>"$TEST_TMP/check.err" ||
	fail "--check refused the configuration: $(cat "$TEST_TMP/check.err")"
grep -qF "collector $udp_uri: $name does not resolve now" "$TEST_TMP/check.err" ||
	fail "--check did not warn that $name does not resolve: $(cat "$TEST_TMP/check.err")"
log "ok: --check warns: $(head -n 1 "$TEST_TMP/check.err")"

sockflow_start -c "$TEST_TMP/sockflow.conf" --json

# last_stats URI: the latest stats line of that exporter ("records R, sent S, lost L, ...").
last_stats() { grep -F "stats: export $1: " "$SOCKFLOW_LOG" | tail -n 1; }
# stats_are URI COUNTS down|up: its latest line has COUNTS ("records R, sent S, lost L"), and
# says "(collector down)" or not.
stats_are() {
	local line
	line=$(last_stats "$1")
	[[ $line == *": $2, unconfirmed 0, send errors "* ]] || return 1
	if [[ $3 == down ]]; then [[ $line == *"(collector down)" ]]; else [[ $line != *"(collector down)" ]]; fi
}
clients() {
	"$client_bin" client --addr 127.0.0.1 --port "$port" --count "$1" \
		>>"$TEST_TMP/client.out" 2>&1 || fail "conngen client: $(cat "$TEST_TMP/client.out")"
}

# 1. The name does not resolve: UDP loses the records (counted), TCP keeps them queued.
clients "$N1"
wait_for 20 "$N1 records printed" has_records_to "$N1" "$port" ||
	fail "sockflow printed $(count_records_to "$port") of $N1 records"
wait_for 20 "the UDP exporter to count $N1 records lost" stats_are "$udp_uri" \
	"records $N1, sent 0, lost $N1" down ||
	fail "UDP exporter before the name resolves: $(last_stats "$udp_uri")"
wait_for 20 "the TCP exporter to queue $N1 records" stats_are "$tcp_uri" \
	"records $N1, sent 0, lost 0" down ||
	fail "TCP exporter before the name resolves: $(last_stats "$tcp_uri")"
log "ok: before: $(last_stats "$udp_uri")"
log "ok: before: $(last_stats "$tcp_uri")"
proc_alive "$SOCKFLOW_PID" || fail "sockflow died while its collectors' name did not resolve"

# 2. The name appears: both exporters find it within their back-off.
printf '127.0.0.1 %s\n' "$name" >>/etc/hosts
up() { [[ $(last_stats "$1") != *"(collector down)" ]]; }
wait_for "$RESOLVE_MAX_S" "the UDP exporter to resolve $name" up "$udp_uri" ||
	fail "UDP exporter after $name went into /etc/hosts: $(last_stats "$udp_uri")"
wait_for "$RESOLVE_MAX_S" "the TCP exporter to connect" up "$tcp_uri" ||
	fail "TCP exporter after $name went into /etc/hosts: $(last_stats "$tcp_uri")"

# 3. Connections once it resolves: all arrive.
clients "$N2"
N=$((N1 + N2))
wait_for 20 "$N records printed" has_records_to "$N" "$port" ||
	fail "sockflow printed $(count_records_to "$port") of $N records"
wait_for 20 "the UDP exporter to send $N2 records" stats_are "$udp_uri" \
	"records $N, sent $N2, lost $N1" up ||
	fail "UDP exporter at the end: $(last_stats "$udp_uri")"
wait_for 20 "the TCP exporter to send all $N records" stats_are "$tcp_uri" \
	"records $N, sent $N, lost 0" up ||
	fail "TCP exporter at the end: $(last_stats "$tcp_uri")"
log "ok: after: $(last_stats "$udp_uri")"
log "ok: after: $(last_stats "$tcp_uri")"

# 4. The name moves to 127.0.0.2, where a second tcp_sink listens, and the first
# collector goes away (once it has read everything): the TCP exporter looks the name up
# again before it reconnects, and the next N3 records reach the second collector.
sink_records() {
	cat "$TEST_TMP/$1".[0-9]* >"$TEST_TMP/$1.ipfix" 2>/dev/null || true
	ipfix_dump_records "$TEST_TMP/$1.ipfix" 2>/dev/null | records_to "$port" /dev/stdin | wc -l
}
sink_has() { (($(sink_records "$1") >= $2)); }
wait_for 20 "the first TCP collector to read all $N records" sink_has stream "$N" ||
	fail "the first TCP collector got $(sink_records stream) of $N records"
bg_start sink2_pid "$TEST_TMP/sink2.log" "$PYTHON" "$TCP_SINK" --addr 127.0.0.2 \
	--port "$tcp_port" --out "$TEST_TMP/stream2"
wait_for 5 "the second TCP sink to listen" grep -qs '^listening' "$TEST_TMP/sink2.log" ||
	fail "the second TCP sink did not start: $(cat "$TEST_TMP/sink2.log")"
{ cat "$TEST_TMP/hosts.orig"; printf '127.0.0.2 %s\n' "$name"; } >/etc/hosts
proc_stop "$sink_pid" TERM 5 || true
wait_for "$RESOLVE_MAX_S" "sockflow to reconnect to $name's new address" \
	grep -qs '^accepted' "$TEST_TMP/sink2.log" ||
	fail "sockflow did not reconnect to 127.0.0.2: $(last_stats "$tcp_uri")"
N3=6
clients "$N3"
wait_for 20 "$((N + N3)) records printed" has_records_to $((N + N3)) "$port" ||
	fail "sockflow printed $(count_records_to "$port") of $((N + N3)) records"
wait_for 20 "the TCP exporter to send all $((N + N3)) records" stats_are "$tcp_uri" \
	"records $((N + N3)), sent $((N + N3)), lost 0" up ||
	fail "TCP exporter after the name moved: $(last_stats "$tcp_uri")"
wait_for 20 "the second TCP collector to read $N3 records" sink_has stream2 "$N3" ||
	fail "the second TCP collector got $(sink_records stream2) of $N3 records"
wait_for 20 "the UDP exporter to send $((N2 + N3)) records" stats_are "$udp_uri" \
	"records $((N + N3)), sent $((N2 + N3)), lost $N1" up ||
	fail "UDP exporter at the end: $(last_stats "$udp_uri")"
log "ok: after the name moved: $(last_stats "$tcp_uri")"
log "ok: after the name moved: $(last_stats "$udp_uri")"
sockflow_stop
restore_hosts

# 5. What the real collectors decoded: nothing twice, nothing missing.
nfcapd_stop
assert_eq "records nfcapd decoded (the ones made once $name resolved)" "$((N2 + N3))" \
	"$(nfcapd_count "proto tcp and dst port $port")"
assert_eq "records the first TCP collector got (all, the first $N1 queued)" "$N" \
	"$(sink_records stream)"
assert_eq "records the second TCP collector got (after the name moved)" "$N3" \
	"$(sink_records stream2)"
log "ok: every record arrived or was counted lost"
