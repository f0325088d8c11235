#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Templates reach a UDP collector that starts after sockflow, and one that restarts, at
# once, over IPFIX and over NetFlow v9, and with each profile: with the default settings,
# sockflow runs quiet (nothing sent for longer than template_gap), a real collector starts
# (then, later, restarts on the same port with nothing sent while it was down), and every
# record of 20 connections made a second later is decoded: nfcapd for IPFIX, v9 and the
# nfdump, ntop and wireshark profiles, nfacctd for the pmacct profile (each connection's
# client-to-server record, uniflow profiles sending two). Without the re-sends, a
# collector drops every data set until the next template_refresh (60 s).
# shellcheck disable=SC2154,SC2119
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_btf
require_tools nfcapd nfdump nfacctd jq
require_sockflow
require_conngen

N=20
QUIET_S=6	# longer than the default template_gap (5 s)
conngen_serve --threads 1
server_port=$CONNGEN_PORT

# collector_start KIND DIR PORT / collector_stop_count KIND: a real collector of KIND
# (nfcapd or nfacctd); stop it and set DECODED to its records to the server's port.
collector_start() {
	if [[ $1 == nfacctd ]]; then nfacctd_start "$2" "$3"; else nfcapd_start "$2" "$3"; fi
}

collector_stop_count() {
	if [[ $1 == nfacctd ]]; then
		nfacctd_stop
		DECODED=$(jq -c --argjson p "$server_port" 'select(.port_dst == $p)' \
			"$NFACCTD_JSON" 2>/dev/null | wc -l)
	else
		nfcapd_stop
		DECODED=$(nfcapd_count "proto tcp and dst port $server_port")
	fi
}

# connections_then_count KIND: N connections a second after the collector came up; once
# sockflow has printed their records, stop it and count (collector_stop_count).
connections_then_count() {
	local before
	before=$(count_records_to "$server_port")
	sleep 1
	"$CONNGEN" client --addr 127.0.0.1 --port "$server_port" --count "$N" \
		>"$TEST_TMP/client.out" 2>&1 || fail "conngen client: $(cat "$TEST_TMP/client.out")"
	wait_for 15 "$N records" has_records_to $((before + N)) "$server_port" ||
		fail "sockflow printed $(($(count_records_to "$server_port") - before)) of $N records"
	sleep 1	# the exporter flushes at its next tick
	collector_stop_count "$1"
}

for params in protocol=ipfix protocol=v9 profile=nfdump profile=pmacct profile=ntop \
	profile=wireshark; do
	kind=nfcapd
	[[ $params == profile=pmacct ]] && kind=nfacctd
	port=$(free_port udp)
	sockflow_start --collector "udp://127.0.0.1:$port?$params" --json

	# (a) The collector starts after sockflow: sockflow's start-up templates were refused.
	sleep "$QUIET_S"
	collector_start "$kind" "$TEST_TMP/$params.late" "$port"
	connections_then_count "$kind"
	assert_eq "$params: records decoded by a $kind that started late" "$N" "$DECODED"

	# (b) It restarts on the same port: it lost the templates, nothing told sockflow.
	sleep "$QUIET_S"
	collector_start "$kind" "$TEST_TMP/$params.restarted" "$port"
	connections_then_count "$kind"
	assert_eq "$params: records decoded by a restarted $kind" "$N" "$DECODED"
	sockflow_stop
done
