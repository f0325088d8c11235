#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Request/response on persistent loopback connections (TCP_RR-like): tcpbench rr writes B
# bytes, reads B bytes back, again and again, TCP_NODELAY at both ends; 1-byte and
# 100-byte transactions. Side by side in one run: no probe, sockflow, softflowd (both
# exporting to nfcapd), order rotated each round. Prints a table of transactions/s, p50
# and p99 latency and host CPU per transaction, and each probe's median ratio to the
# unmonitored run of the same round. Never fails for speed.
#
# Environment:
#   RR_ROUNDS=3  RR_DURATION=10  RR_CONNS=2 (connections, one client thread each)
#   RR_SIZES="1 100"  RR_PROBES="off sockflow softflowd" (also sockflow_sc: cheaper TCP mode)
#   SOCKFLOW=path  SOCKFLOW_ARGS="extra sockflow options"  TCPBENCH=path  KEEP_TMP=1
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../tests/integration/lib.sh"
# shellcheck source=bench/probes.sh
. "$(dirname "$0")/probes.sh"

ROUNDS=${RR_ROUNDS:-3}
DURATION=${RR_DURATION:-10}
CONNS=${RR_CONNS:-2}
SIZES=${RR_SIZES:-1 100}
PROBES=${RR_PROBES:-off sockflow softflowd}

require_root
require_tools nfcapd nfdump
# shellcheck disable=SC2086
probe_require $PROBES
tcpbench_serve

# rr_run SIZE: "rate p50 p99" of one run.
rr_run() {
	local line
	line=$("$TCPBENCH" rr --port "$TCPBENCH_PORT" --conns "$CONNS" --size "${1#rr}" \
		--duration "$DURATION") || return 1
	awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	       print v["rate_per_s"], v["p50_us"], v["p99_us"] }' <<<"$line"
}

log "$(nproc) CPUs, kernel $(uname -r), $ROUNDS rounds of ${DURATION}s, $CONNS connections"
WORKLOADS=
for s in $SIZES; do WORKLOADS+="rr$s "; done
bench_rounds "$ROUNDS" "$WORKLOADS" "$PROBES" rr_run

printf '\nrequest/response over %s persistent loopback connections, %s s per run\n' \
	"$CONNS" "$DURATION"
printf '%-5s %-11s %-7s %10s %8s %8s %10s %8s %8s %8s\n' round probe bytes txn/s p50_us \
	p99_us host_us/txn probe_cpu rss_MiB pcap_drop
while read -r r p w rate p50 p99 host pkts cpu rss pdrop _; do
	printf '%-5s %-11s %-7s %10.0f %8s %8s %10.2f %8s %8s %8s\n' "$r" "$p" "${w#rr}" \
		"$rate" "$p50" "$p99" "$(awk -v h="$host" -v r="$rate" -v d="$DURATION" \
		'BEGIN { print h * 1e6 / (r * d) }')" "$cpu" "$rss" "$pdrop"
done <"$TEST_TMP/rows"
# host CPU per transaction, as a column of its own for the summary
awk -v d="$DURATION" '{ $13 = $7 * 1e6 / ($4 * d); print }' "$TEST_TMP/rows" >"$TEST_TMP/rows2"
echo
bench_summary "$TEST_TMP/rows2" 3 4 "transactions/s"
bench_summary "$TEST_TMP/rows2" 3 5 "p50_us"
bench_summary "$TEST_TMP/rows2" 3 6 "p99_us"
bench_summary "$TEST_TMP/rows2" 3 13 "host_cpu_us/txn"
echo "ratio to off: the median over rounds of (value with the probe / value without it," \
	"same round); host_cpu_us/txn counts every CPU's busy time, BPF programs included"
