#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Templates reach a UDP collector that starts after sockflow, and one that restarts, at
# once, over IPFIX and over NetFlow v9: with the default settings, sockflow runs quiet
# (nothing sent for longer than template_gap), a real nfcapd starts (then, later,
# restarts on the same port with nothing sent while it was down), and every record of
# 20 connections made a second later is decoded. Without the re-sends, nfcapd drops
# every data set until the next template_refresh (60 s).
# shellcheck disable=SC2154,SC2119
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_btf
require_tools nfcapd nfdump jq
require_sockflow
require_conngen

N=20
QUIET_S=6	# longer than the default template_gap (5 s)
conngen_serve --threads 1
server_port=$CONNGEN_PORT

# connections_then_count: N connections a second after nfcapd came up; once sockflow has
# printed their records, stop nfcapd and set DECODED to the number of its records of them.
connections_then_count() {
	local before
	before=$(count_records_to "$server_port")
	sleep 1
	"$CONNGEN" client --addr 127.0.0.1 --port "$server_port" --count "$N" \
		>"$TEST_TMP/client.out" 2>&1 || fail "conngen client: $(cat "$TEST_TMP/client.out")"
	wait_for 15 "$N records" has_records_to $((before + N)) "$server_port" ||
		fail "sockflow printed $(($(count_records_to "$server_port") - before)) of $N records"
	sleep 1	# the exporter flushes at its next tick
	nfcapd_stop
	DECODED=$(nfcapd_count "proto tcp and dst port $server_port")
}

for protocol in ipfix v9; do
	port=$(free_port udp)
	sockflow_start --collector "udp://127.0.0.1:$port?protocol=$protocol" --json

	# (a) nfcapd starts after sockflow: sockflow's start-up templates were refused.
	sleep "$QUIET_S"
	nfcapd_start "$TEST_TMP/$protocol.late" "$port"
	connections_then_count
	assert_eq "$protocol: records decoded by a collector that started late" "$N" "$DECODED"

	# (b) nfcapd restarts on the same port: it lost the templates, nothing told sockflow.
	sleep "$QUIET_S"
	nfcapd_start "$TEST_TMP/$protocol.restarted" "$port"
	connections_then_count
	assert_eq "$protocol: records decoded by a restarted collector" "$N" "$DECODED"
	sockflow_stop
done
