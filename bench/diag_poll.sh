#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# sock_diag poll benchmark: NS network namespaces, each with a `diagpoll hold` of CONNS
# loopback connections (2 x CONNS + 1 sockets), then, in interleaved runs: sockflow's
# poll (`diagpoll poll --lookup`: TCP_INFO of the known established sockets, asked for
# one by one), a full dump of every namespace (`diagpoll poll`), and `ss -N NS -tin` over
# the same namespaces as the baseline. Prints a markdown table of medians; never fails
# for speed.
#
#   bench/diag_poll.sh                  100 namespaces x 500 connections, 3 runs each
# Environment:
#   DIAG_NS=100  DIAG_CONNS=500  DIAG_RUNS=3  DIAGPOLL=path  KEEP_TMP=1 (keep logs)
#   DIAG_CHILD_EHASH=N  give each new namespace a private TCP hash of N buckets
#                       (net.ipv4.tcp_child_ehash_entries, Linux 6.1+; restored on exit)
#
# Why the second knob matters: by default all namespaces share one established hash,
# and inet_diag walks all of it (every namespace's sockets) for each namespace's dump, so
# a full poll costs namespaces x all sockets, for ss and diagpoll alike.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../tests/integration/lib.sh"

N_NS=${DIAG_NS:-100}
CONNS=${DIAG_CONNS:-500}
RUNS=${DIAG_RUNS:-3}
: "${DIAGPOLL:=$top_builddir/tests/tools/diagpoll}"
NS_PREFIX="sfdiagbench-$$"

require_root
require_tools ip ss
[[ -x "$DIAGPOLL" ]] || skip "diagpoll not built ($DIAGPOLL); run make check"

# The namespaces go on exit, whatever happened; then lib.sh's cleanup kills the holders.
bench_cleanup() {
	local rc=$? ns
	set +e
	for ns in $(ip netns list | awk -v p="$NS_PREFIX-" 'index($1, p) == 1 { print $1 }'); do
		ip netns del "$ns"
	done
	(exit "$rc")
	lib_cleanup
}
trap bench_cleanup EXIT

CHILD_EHASH=${DIAG_CHILD_EHASH:-0}
if ((CHILD_EHASH)); then
	sysctl -n net.ipv4.tcp_child_ehash_entries >/dev/null 2>&1 ||
		skip "net.ipv4.tcp_child_ehash_entries not available (Linux 6.1+)"
	sysctl_set net.ipv4.tcp_child_ehash_entries "$CHILD_EHASH"
fi

# Each holder raises its own descriptor limit; this shell only needs room for the pipes.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

now_ns() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -a NS=()
log "$(nproc) CPUs, kernel $(uname -r): $N_NS namespaces x $CONNS connections," \
	"tcp_child_ehash_entries $CHILD_EHASH"
start=$(now_ns)
for ((i = 0; i < N_NS; i++)); do
	ns="$NS_PREFIX-$i"
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	NS+=("$ns")
	bg_start pid "$TEST_TMP/hold-$i.log" ip netns exec "$ns" "$DIAGPOLL" hold --conns "$CONNS"
done
all_ready() {
	local i
	for ((i = 0; i < N_NS; i++)); do
		grep -qs '^ready' "$TEST_TMP/hold-$i.log" || return 1
	done
}
wait_for 300 "every holder to connect" all_ready ||
	fail "holders did not all start: $(grep -Lx 'ready.*' "$TEST_TMP"/hold-*.log | head -3)"
log "set up in $(( ($(now_ns) - start) / 1000000 )) ms"

ss_all() {
	local ns
	for ns in "${NS[@]}"; do
		ss -N "$ns" -tin
	done
}

: >"$TEST_TMP/diag.s"
: >"$TEST_TMP/diag.ms"
: >"$TEST_TMP/ss.s"
: >"$TEST_TMP/lookup.s"
for ((r = 1; r <= RUNS; r++)); do
	# sockflow's own poll: it knows its sockets, and asks for each by its tuple and cookie.
	# (The dump that finds them first is not timed: diagpoll's summary line times only
	# the lookups, namespace scan and setns included.)
	"$DIAGPOLL" poll --lookup >"$TEST_TMP/lookup-$r.out" || fail "diagpoll poll --lookup failed"
	read -r _ l_ns _ _ _ l_socks _ l_ms _ <"$TEST_TMP/lookup-$r.out"
	awk -v m="$l_ms" 'BEGIN { printf "%.3f\n", m / 1000 }' >>"$TEST_TMP/lookup.s"
	t0=$(now_ns)
	"$DIAGPOLL" poll >"$TEST_TMP/poll-$r.out" || fail "diagpoll poll exited with $?"
	t1=$(now_ns)
	ss_all >/dev/null
	t2=$(now_ns)
	# namespaces N vanished N sockets N ms X failed N
	read -r _ d_ns _ _ _ d_socks _ d_ms _ <"$TEST_TMP/poll-$r.out"
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }' >>"$TEST_TMP/diag.s"
	awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }' >>"$TEST_TMP/ss.s"
	echo "$d_ms" >>"$TEST_TMP/diag.ms"
	log "run $r: diagpoll $(tail -n 1 "$TEST_TMP/diag.s") s ($(cat "$TEST_TMP/poll-$r.out")), ss $(tail -n 1 "$TEST_TMP/ss.s") s"
done

# Sockets ss sees (all but listening, its default), counted outside the timed runs.
ss_socks=$(for ns in "${NS[@]}"; do ss -N "$ns" -Htn; done | wc -l)
diag_s=$(median <"$TEST_TMP/diag.s")
diag_ms=$(median <"$TEST_TMP/diag.ms")
ss_s=$(median <"$TEST_TMP/ss.s")
ratio=$(awk -v a="$ss_s" -v b="$diag_s" 'BEGIN { printf "%.1f", a / b }')
lookup_s=$(median <"$TEST_TMP/lookup.s")
lratio=$(awk -v a="$ss_s" -v b="$lookup_s" 'BEGIN { printf "%.1f", a / b }')

printf '\nsock_diag poll, %s namespaces x %s connections, median of %s interleaved runs, %s\n\n' \
	"$N_NS" "$CONNS" "$RUNS" \
	"$( ((CHILD_EHASH)) && echo "private hash of $CHILD_EHASH buckets per namespace" ||
		echo "one shared TCP hash (default)")"
printf '| tool | namespaces | sockets | seconds | ss ÷ this |\n'
printf '|---|---:|---:|---:|---:|\n'
printf '| diagpoll poll --lookup (what sockflow polls: exact lookups) | %s | %s | %s | %s |\n' \
	"$l_ns" "$l_socks" "$lookup_s" "$lratio"
printf '| diagpoll poll (dump of every namespace) | %s | %s | %s | %s |\n' "$d_ns" "$d_socks" \
	"$diag_s" "$ratio"
printf '| ss -N NS -tin (loop, baseline) | %s | %s | %s | 1.0 |\n' "$N_NS" "$ss_socks" "$ss_s"
printf '\ndiagpoll own poll time (summary line, median): %s ms\n' "$diag_ms"
printf 'diagpoll namespaces include the host'"'"'s own and any others present.\n'
