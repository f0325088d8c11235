#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Many live connections, mostly idle: IDLE_CONNS established loopback connections held
# by IDLE_PROCS tcpbench processes (the hard open-files limit here is 20,000 per process;
# each connection is two sockets in one holder), of which IDLE_ACTIVE send 100 bytes
# each way every second. What sockflow costs while they sit there: its CPU (percent of
# one core, over IDLE_WINDOW seconds, once they have settled) and its resident memory,
# against the same sockflow on a host without them (the baseline, measured first in the
# same run). Then the same with sockflow started after the connections exist (its
# start-up scan adopts them).
# Prints a table; never fails for speed.
#
# Environment:
#   IDLE_CONNS=100000  IDLE_PROCS=12  IDLE_ACTIVE=1000  IDLE_WINDOW=30
#   IDLE_SETTLE=20 (seconds between the connections' start and a window: past sockflow's
#                   idle timeout, 15 s, every idle connection has had its record)
#   SOCKFLOW=path  SOCKFLOW_ARGS="extra sockflow options"  TCPBENCH=path  KEEP_TMP=1
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../tests/integration/lib.sh"
# shellcheck source=bench/probes.sh
. "$(dirname "$0")/probes.sh"

CONNS=${IDLE_CONNS:-100000}
PROCS=${IDLE_PROCS:-12}
ACTIVE=${IDLE_ACTIVE:-1000}
WINDOW=${IDLE_WINDOW:-30}
SETTLE=${IDLE_SETTLE:-20}

require_root
require_tools nfcapd nfdump
probe_require sockflow
: "${TCPBENCH:=$top_builddir/tests/tools/tcpbench}"
[[ -x $TCPBENCH ]] || skip "tcpbench not built ($TCPBENCH); run make check"
# 2 x CONNS sockets, all in sockflow's socket map, and their ports.
sysctl_set net.ipv4.ip_local_port_range "10240 65535"
sysctl_set net.core.somaxconn 4096

HOLD_PIDS=()
hold_all() {
	local i per=$(((CONNS + PROCS - 1) / PROCS)) act=$(((ACTIVE + PROCS - 1) / PROCS)) pid
	for ((i = 0; i < PROCS; i++)); do
		bg_start pid "$TEST_TMP/hold$i.log" "$TCPBENCH" hold --conns "$per" --active "$act"
		HOLD_PIDS+=("$pid")
	done
	for ((i = 0; i < PROCS; i++)); do
		wait_for 300 "holder $i" grep -qs '^ready' "$TEST_TMP/hold$i.log" ||
			fail "holder $i: $(cat "$TEST_TMP/hold$i.log")"
	done
}
release_all() {
	local pid
	for pid in "${HOLD_PIDS[@]}"; do proc_stop "$pid" TERM 30 || true; done
	HOLD_PIDS=()
}
established() { ss -Htn state established '( sport >= 10240 )' | wc -l; }

# measure NAME: sockflow's CPU over the window, its RSS now and at peak; appends a row.
measure() {
	local c0 c1 t0 t1
	c0=$(proc_cpu_s "$SOCKFLOW_PID")
	t0=$(date +%s.%N)
	sleep "$WINDOW"
	c1=$(proc_cpu_s "$SOCKFLOW_PID")
	t1=$(date +%s.%N)
	printf '%s %s %s %s %s\n' "$1" "$(established)" \
		"$(awk -v a="$c0" -v b="$c1" -v t0="$t0" -v t1="$t1" \
			'BEGIN { printf "%.2f", (b - a) * 100 / (t1 - t0) }')" \
		"$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$SOCKFLOW_PID/status")" \
		"$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$SOCKFLOW_PID/status")" \
		>>"$TEST_TMP/rows"
	log "$(tail -n 1 "$TEST_TMP/rows")"
}

log "$(nproc) CPUs, kernel $(uname -r): $CONNS connections from $PROCS processes," \
	"$ACTIVE active, ${WINDOW}s windows"
: >"$TEST_TMP/rows"
probe_start sockflow "$TEST_TMP/first"
measure "no-connections"
t0=$(date +%s.%N)
hold_all
log "$CONNS connections made in $(awk -v t0="$t0" -v t1="$(date +%s.%N)" \
	'BEGIN { printf "%.1f", t1 - t0 }') s"
sleep "$SETTLE"
measure "held-running"
probe_stop

# sockflow started while they are open: its start-up scan adopts every socket.
probe_start sockflow "$TEST_TMP/second"
grep -E 'open before start' "$SOCKFLOW_LOG" >&2 || true
sleep "$SETTLE"
measure "held-at-start"
probe_stop
release_all

printf '\n%s established loopback connections (%s sockets) held by %s processes, %s of\n' \
	"$CONNS" "$((2 * CONNS))" "$PROCS" "$ACTIVE"
printf 'them sending 100 bytes each way every second; sockflow over %s s windows\n' "$WINDOW"
printf '%-16s %12s %14s %10s %10s %16s\n' phase established cpu_%_of_core rss_MiB \
	peak_MiB cpu_vs_baseline
awk 'NR == 1 { base = $3 }
	{ printf "%-16s %12s %14s %10s %10s %16s\n", $1, $2, $3, $4, $5,
		(base > 0 ? sprintf("%.1fx", $3 / base) : "-") }' "$TEST_TMP/rows"
