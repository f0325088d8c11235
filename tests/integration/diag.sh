#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The sock_diag poller against ss: three network namespaces made with `ip netns add`, each
# with a `diagpoll hold` of its own size (one over IPv6), must show in one poll exactly the
# established sockets ss lists there, with an RTT and the namespace's inode. Then 50 polls
# while namespaces come and go (bind-mounted ones, ones that only a process keeps, ones
# left empty) must all succeed and find the three namespaces' sockets every time.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

: "${DIAGPOLL:=$top_builddir/tests/tools/diagpoll}"
NS_PREFIX="sfdiagtest-$$"
CONNS=(10 20 30)
POLLS=50

require_root
require_tools ip ss jq unshare
[[ -x "$DIAGPOLL" ]] || skip "diagpoll not built ($DIAGPOLL); run make check"

# Every namespace this test made, stable or churned, goes on exit, pass or fail; then
# lib.sh's cleanup (processes, scratch directory) with the test's exit status.
diag_cleanup() {
	local rc=$? ns
	set +e
	[[ -n "${TEST_TMP:-}" ]] && touch "$TEST_TMP/churn.stop"
	for ns in $(ip netns list | awk -v p="$NS_PREFIX-" 'index($1, p) == 1 { print $1 }'); do
		ip netns del "$ns" || log "could not delete netns $ns"
	done
	(exit "$rc")
	lib_cleanup
}
trap diag_cleanup EXIT

ADDR6=::1
[[ -r /proc/net/if_inet6 ]] || ADDR6=127.0.0.1

# ---- three stable namespaces, each with its own number of connections --------------

declare -a NS=() INO=()
for i in 0 1 2; do
	ns="$NS_PREFIX-$i"
	addr=127.0.0.1
	((i == 2)) && addr=$ADDR6
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	NS+=("$ns")
	INO+=("$(stat -L -c %i "/run/netns/$ns")")
	bg_start pid "$TEST_TMP/hold-$i.log" ip netns exec "$ns" "$DIAGPOLL" hold \
		--conns "${CONNS[$i]}" --addr "$addr"
	wait_for 10 "diagpoll hold in $ns" grep -qs '^ready' "$TEST_TMP/hold-$i.log" ||
		fail "diagpoll hold in $ns did not start: $(cat "$TEST_TMP/hold-$i.log")"
done
log "namespaces ${NS[*]} (inodes ${INO[*]}), ${CONNS[*]} connections"

# established_json POLLFILE INO [POLL]: "LOCAL REMOTE" of the established sockets (state 1)
# diagpoll found in namespace INO (in poll POLL, default every poll), sorted.
established_json() {
	jq -r --argjson ino "$2" --argjson poll "${3:-0}" \
		'select(.netns == $ino and .state == 1 and ($poll == 0 or .poll == $poll))
		 | "\(.local) \(.remote)"' "$1" | sort
}

"$DIAGPOLL" poll --json >"$TEST_TMP/poll.out" || fail "diagpoll poll exited with $?"
grep '^{' "$TEST_TMP/poll.out" >"$TEST_TMP/poll.json" || true
log "$(grep '^namespaces ' "$TEST_TMP/poll.out")"

for i in 0 1 2; do
	ss -N "${NS[$i]}" -Htan state established | awk '{ print $3, $4 }' | sort \
		>"$TEST_TMP/ss-$i"
	assert_eq "established sockets ss lists in ${NS[$i]}" "$((2 * CONNS[i]))" \
		"$(wc -l <"$TEST_TMP/ss-$i")"
	established_json "$TEST_TMP/poll.json" "${INO[$i]}" >"$TEST_TMP/diag-$i"
	assert_lines_eq "established sockets in ${NS[$i]} (netns ${INO[$i]})" \
		"$TEST_TMP/ss-$i" "$TEST_TMP/diag-$i"
	no_rtt=$(jq -r --argjson ino "${INO[$i]}" \
		'select(.netns == $ino and .state == 1 and (.has_info != true or .rtt_us <= 0))
		 | .local + " " + .remote' "$TEST_TMP/poll.json")
	[[ -z $no_rtt ]] || fail "sockets in ${NS[$i]} without tcp_info or rtt_us:"$'\n'"$no_rtt"
	log "ok: every established socket in ${NS[$i]} has rtt_us > 0"
done
cookies=$(jq -r 'select(.state == 1) | .cookie' "$TEST_TMP/poll.json" | sort | uniq -d)
[[ -z $cookies ]] || fail "cookies reported twice: $cookies"

# sockflow's poll: the same established sockets, each asked for by tuple and cookie,
# answer with the same identity and a tcp_info.
"$DIAGPOLL" poll --lookup --json >"$TEST_TMP/lookup.out" || fail "diagpoll poll --lookup failed"
grep '^{' "$TEST_TMP/lookup.out" >"$TEST_TMP/lookup.json" || true
log "lookups: $(grep '^namespaces ' "$TEST_TMP/lookup.out")"
identity() { jq -r 'select(.state == 1) | "\(.netns) \(.cookie) \(.local) \(.remote)"' "$1" | sort; }
identity "$TEST_TMP/poll.json" >"$TEST_TMP/poll.ids"
identity "$TEST_TMP/lookup.json" >"$TEST_TMP/lookup.ids"
assert_lines_eq "established sockets found by exact lookups vs the dump" "$TEST_TMP/poll.ids" \
	"$TEST_TMP/lookup.ids"
assert_eq "lookups without tcp_info" 0 "$(jq -s 'map(select(.has_info != true)) | length' \
	"$TEST_TMP/lookup.json")"

# ---- churn: namespaces appear and vanish while diagpoll polls -----------------------

# churn_loop: until $TEST_TMP/churn.stop exists, cycle through three kinds of short-lived
# namespace: bind-mounted and empty; bind-mounted with a holder, unmounted while the
# holder still runs (so only /proc/PID/ns/net names it) and then killed; never mounted,
# made by unshare for one process. Counts iterations in $TEST_TMP/churn.count.
churn_loop() {
	local i=0 ns pid=
	set +e
	# Stopped early (the test failed): take the current holder along.
	trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null; exit 0' TERM
	while [[ ! -e "$TEST_TMP/churn.stop" ]]; do
		ns="$NS_PREFIX-c$((i % 8))"
		case $((i % 3)) in
		0)
			ip netns add "$ns" && ip netns del "$ns"
			;;
		1)
			ip netns add "$ns" && ip -n "$ns" link set lo up
			ip netns exec "$ns" "$DIAGPOLL" hold --conns 3 >/dev/null &
			pid=$!
			sleep 0.02
			ip netns del "$ns"
			sleep 0.02
			kill "$pid"
			wait "$pid" 2>/dev/null
			pid=
			;;
		2)
			unshare -n sh -c 'ip link set lo up && exec "$0" hold --conns 3' \
				"$DIAGPOLL" >/dev/null &
			pid=$!
			sleep 0.03
			kill "$pid"
			wait "$pid" 2>/dev/null
			pid=
			;;
		esac
		i=$((i + 1))
		echo "$i" >"$TEST_TMP/churn.count"
	done
}

churn_stopped() { ! proc_alive "$CHURN_PID"; }
churned() { (($(cat "$TEST_TMP/churn.count" 2>/dev/null || echo 0) >= $1)); }

bg_start CHURN_PID "$TEST_TMP/churn.log" churn_loop
wait_for 10 "namespace churn to start" churned 3 || fail "churn loop does not run"
start_count=$(cat "$TEST_TMP/churn.count")
"$DIAGPOLL" poll --repeat "$POLLS" --json >"$TEST_TMP/churn.out" 2>"$TEST_TMP/churn.err" ||
	fail "diagpoll poll --repeat $POLLS exited with $? during churn: $(cat "$TEST_TMP/churn.err")"
touch "$TEST_TMP/churn.stop"
wait_for 10 "the churn loop to finish its round" churn_stopped || true
proc_stop "$CHURN_PID" TERM 10 || true
log "$(( $(cat "$TEST_TMP/churn.count") - start_count )) namespaces churned during the polls"

grep '^namespaces ' "$TEST_TMP/churn.out" >"$TEST_TMP/churn.summary" || true
assert_eq "summary lines" "$POLLS" "$(wc -l <"$TEST_TMP/churn.summary")"
failed=$(awk '{ s += $10 } END { print s + 0 }' "$TEST_TMP/churn.summary")
vanished=$(awk '{ s += $4 } END { print s + 0 }' "$TEST_TMP/churn.summary")
assert_eq "namespaces failed over $POLLS polls" 0 "$failed"
log "namespaces vanished over $POLLS polls: $vanished"

grep '^{' "$TEST_TMP/churn.out" >"$TEST_TMP/churn.json" || true
for i in 0 1 2; do
	# Per poll, the number of established sockets found in the namespace.
	counts=$(jq -r --argjson ino "${INO[$i]}" 'select(.netns == $ino and .state == 1) | .poll' \
		"$TEST_TMP/churn.json" | sort -n | uniq -c |
		awk -v want="$((2 * CONNS[i]))" '$1 == want { n++ } END { print n + 0 }')
	assert_eq "polls that found all $((2 * CONNS[i])) sockets of ${NS[$i]}" "$POLLS" "$counts"
done
# The last poll lists exactly what ss lists, not only as many.
for i in 0 1 2; do
	established_json "$TEST_TMP/churn.json" "${INO[$i]}" "$POLLS" >"$TEST_TMP/last-$i"
	assert_lines_eq "established sockets in ${NS[$i]}, poll $POLLS" "$TEST_TMP/ss-$i" \
		"$TEST_TMP/last-$i"
done
log "pass"
