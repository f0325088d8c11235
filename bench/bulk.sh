#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Bulk throughput on loopback: tcpbench bulk, 1 and 4 streams writing 128 KiB at a time
# for the whole run. Side by side in one run: no probe, sockflow, softflowd (both
# exporting to nfcapd), order rotated each round. Prints a table of Mbit/s and host CPU
# per GB, and each probe's median ratio to the unmonitored run of the same round. Never
# fails for speed.
#
# Environment:
#   BULK_ROUNDS=3  BULK_DURATION=10  BULK_STREAMS="1 4"
#   BULK_PROBES="off sockflow softflowd" (also sockflow_sc: the cheaper TCP counter mode)
#   SOCKFLOW=path  SOCKFLOW_ARGS="extra sockflow options"  TCPBENCH=path  KEEP_TMP=1
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../tests/integration/lib.sh"
# shellcheck source=bench/probes.sh
. "$(dirname "$0")/probes.sh"

ROUNDS=${BULK_ROUNDS:-3}
DURATION=${BULK_DURATION:-10}
STREAMS=${BULK_STREAMS:-1 4}
PROBES=${BULK_PROBES:-off sockflow softflowd}

require_root
require_tools nfcapd nfdump
# shellcheck disable=SC2086
probe_require $PROBES
tcpbench_serve

# bulk_run sN: the Mbit/s of one run with N streams.
bulk_run() {
	"$TCPBENCH" bulk --port "$TCPBENCH_PORT" --streams "${1#s}" --duration "$DURATION" |
		sed -n 's/.*mbit_per_s=\([0-9.]*\).*/\1/p'
}

log "$(nproc) CPUs, kernel $(uname -r), $ROUNDS rounds of ${DURATION}s"
WORKLOADS=
for s in $STREAMS; do WORKLOADS+="s$s "; done
bench_rounds "$ROUNDS" "$WORKLOADS" "$PROBES" bulk_run

printf '\nbulk TCP over loopback, %s s per run\n' "$DURATION"
printf '%-5s %-11s %-7s %10s %12s %10s %8s %10s\n' round probe streams Mbit/s host_s/GB \
	probe_cpu rss_MiB pcap_drop
# host CPU seconds per GB moved, as a column of its own for the summary
awk -v d="$DURATION" '{ $11 = $5 / ($4 * d / 8 / 1000); print }' "$TEST_TMP/rows" \
	>"$TEST_TMP/rows2"
while read -r r p w mbit _ _ cpu rss pdrop _ per_gb; do
	printf '%-5s %-11s %-7s %10.0f %12.3f %10s %8s %10s\n' "$r" "$p" "${w#s}" "$mbit" \
		"$per_gb" "$cpu" "$rss" "$pdrop"
done <"$TEST_TMP/rows2"
echo
bench_summary "$TEST_TMP/rows2" 3 4 "Mbit/s"
bench_summary "$TEST_TMP/rows2" 3 11 "host_cpu_s/GB"
echo "ratio to off: the median over rounds of (value with the probe / value without it," \
	"same round); host CPU counts every CPU's busy time, BPF programs included"
