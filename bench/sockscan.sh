#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Start-up socket scan benchmark: HOLDERS `diagpoll hold` processes of CONNS loopback
# connections each (2 x CONNS + 1 sockets apiece) in a namespace of their own, then
# `sockscan` (sock_diag dumps of every namespace + one walk of /proc/PID/fd) RUNS times,
# interleaved with `ss -tuanp` over every namespace as the baseline that does the same
# work. Prints a markdown table of medians; never fails for speed.
#
#   bench/sockscan.sh          2 holders x 5000 connections (10,000 connections,
#                              20,002 sockets), 5 runs each
# Environment:
#   SCAN_HOLDERS=2  SCAN_CONNS=5000  SCAN_RUNS=5  SOCKSCAN=path  DIAGPOLL=path
# A holder needs 2 x CONNS + 65 descriptors; the hard RLIMIT_NOFILE (20,000 here) caps it.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../tests/integration/lib.sh"

HOLDERS=${SCAN_HOLDERS:-2}
CONNS=${SCAN_CONNS:-5000}
RUNS=${SCAN_RUNS:-5}
: "${SOCKSCAN:=$top_builddir/tests/tools/sockscan}"
: "${DIAGPOLL:=$top_builddir/tests/tools/diagpoll}"
NS="sfscanbench-$$"

require_root
require_tools ip ss
[[ -x "$SOCKSCAN" ]] || skip "sockscan not built ($SOCKSCAN); run make check"
[[ -x "$DIAGPOLL" ]] || skip "diagpoll not built ($DIAGPOLL); run make check"

bench_cleanup() {
	local rc=$?
	set +e
	ip netns del "$NS" 2>/dev/null
	(exit "$rc")
	lib_cleanup
}
trap bench_cleanup EXIT

now_ns() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

ip netns add "$NS"
ip -n "$NS" link set lo up
start=$(now_ns)
for i in $(seq "$HOLDERS"); do
	bg_start pid "$TEST_TMP/hold-$i.log" ip netns exec "$NS" "$DIAGPOLL" hold --conns "$CONNS"
	wait_for 120 "holder $i" grep -qs '^ready' "$TEST_TMP/hold-$i.log" ||
		fail "holder $i did not start: $(cat "$TEST_TMP/hold-$i.log")"
done
log "$(nproc) CPUs, kernel $(uname -r): $HOLDERS holders x $CONNS connections set up in" \
	"$(( ($(now_ns) - start) / 1000000 )) ms; nf_conntrack_count" \
	"$(sysctl -n net.netfilter.nf_conntrack_count 2>/dev/null || echo n/a)"

ns_ino=$(stat -L -c %i "/run/netns/$NS")
for run in $(seq "$RUNS"); do
	t0=$(now_ns)
	"$SOCKSCAN" >"$TEST_TMP/scan.out" || fail "sockscan failed"
	t1=$(now_ns)
	{ ss -Htuanp; ip netns exec "$NS" ss -Htuanp; } >"$TEST_TMP/ss.out"
	t2=$(now_ns)
	tail -n 1 "$TEST_TMP/scan.out" >>"$TEST_TMP/summaries"
	awk '$1 == "namespaces" { print $NF }' "$TEST_TMP/scan.out" >>"$TEST_TMP/scan.ms"
	echo $(((t1 - t0) / 1000)) >>"$TEST_TMP/scan.wall"
	echo $(((t2 - t1) / 1000)) >>"$TEST_TMP/ss.wall"
	log "run $run: $(tail -n 1 "$TEST_TMP/scan.out")"
done
found=$(awk -v ns="$ns_ino" '$3 == ns && $2 == "ESTAB" && $10 == "diagpoll"' \
	"$TEST_TMP/scan.out" | wc -l)
((found == 2 * HOLDERS * CONNS)) ||
	log "warning: the last scan found $found of $((2 * HOLDERS * CONNS)) owned connections"

echo
echo "| what | sockets | median ms |"
echo "|---|---|---|"
echo "| sockscan (in-process scan time) | $(awk '{ print $6 }' "$TEST_TMP/summaries" |
	median) | $(median <"$TEST_TMP/scan.ms") |"
echo "| sockscan (process wall time, printing every line) | | $(median <"$TEST_TMP/scan.wall" |
	awk '{ printf "%.1f", $1 / 1000 }') |"
echo "| ss -tuanp, host + bench namespace (wall) | $(wc -l <"$TEST_TMP/ss.out") |" \
	"$(median <"$TEST_TMP/ss.wall" | awk '{ printf "%.1f", $1 / 1000 }') |"
