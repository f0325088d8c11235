#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# sockflow --probe and the start-up choice: every capability gets a mechanism or a stated loss,
# disabling the chosen one moves to the next, and missing privileges are named as such.
. "$(dirname "$0")/lib.sh"

require_root
require_btf
require_sockflow
require_tools setpriv

CAPS=(tcp_lifecycle packet_counters event_ring live_counters existing_sockets socket_owner
	tcp_resets tcp_retransmits process_events exec_path)

# chosen TABLE CAP: the mechanism TABLE (a --probe output) chose for CAP, or "none".
chosen() {
	probe_table "$1" | awk -v c="$2" '$1 == c && $3 == "chosen" { print $2; f = 1 }
		END { if (!f) print "none" }'
}

# result_of TABLE MECH: what TABLE says of mechanism MECH.
result_of() { probe_table "$1" | awk -v m="$2" '$2 == m { print $3 }'; }

# The table: every capability, required ones chosen, privileges read.
"$SOCKFLOW" --probe >"$TEST_TMP/probe" 2>"$TEST_TMP/probe.err" ||
	fail "sockflow --probe exited $?: $(cat "$TEST_TMP/probe.err")"
for c in "${CAPS[@]}"; do
	grep -q "^$c " "$TEST_TMP/probe" || fail "--probe lists no capability $c"
	log "this kernel: $c -> $(chosen "$TEST_TMP/probe" "$c")"
done
for c in tcp_lifecycle packet_counters event_ring live_counters; do
	[[ $(chosen "$TEST_TMP/probe" "$c") != none ]] || fail "required $c has no mechanism"
done
for c in CAP_BPF CAP_PERFMON; do
	grep -Eq "^  $c +held " "$TEST_TMP/probe" ||
		fail "--probe does not report $c held: $(sed -n '/^privileges/,$p' "$TEST_TMP/probe")"
done

# Disabling the chosen live-counter mechanism moves to the next one down, on any kernel.
first=$(chosen "$TEST_TMP/probe" live_counters)
if [[ $first != map_lookup ]]; then
	"$SOCKFLOW" --probe --disable-mechanism "$first" >"$TEST_TMP/probe2" 2>/dev/null ||
		fail "--probe --disable-mechanism $first failed"
	next=$(chosen "$TEST_TMP/probe2" live_counters)
	[[ $next != "$first" && $next != none ]] ||
		fail "disabling $first left live_counters on '$next'"
	[[ $(result_of "$TEST_TMP/probe2" "$first") == disabled ]] ||
		fail "$first not shown as disabled"
	log "ok: live_counters with $first disabled -> $next"
fi

# The daemon says, one line per capability, what it uses.
sockflow_start --print
for c in "${CAPS[@]}"; do
	n=$(grep -c "kernel: $c: " "$SOCKFLOW_LOG" || true)
	assert_eq "start-up lines about $c" 1 "$n"
done
sockflow_stop

# without_caps CAP... : --probe without CAPs (and CAP_SYS_ADMIN, which stands in for them)
# exits 1 naming the first CAP as missing, and does not blame the kernel.
without_caps() {
	local set="-sys_admin" c rc=0 err="$TEST_TMP/without-$1"
	for c in "$@"; do
		set+=",-${c,,}"
	done
	setpriv --inh-caps=-all --bounding-set="$set" -- "$SOCKFLOW" --probe >/dev/null \
		2>"$err" || rc=$?
	assert_eq "exit status of --probe without CAP_$1" 1 "$rc"
	grep -q "does not hold CAP_$1" "$err" ||
		fail "without CAP_$1 the error does not say so: $(grep error "$err")"
	! grep error "$err" | grep -q 'Linux .* or later' ||
		fail "without CAP_$1 the error blames the kernel: $(grep error "$err")"
	log "ok: without CAP_$1: $(grep error "$err")"
}

# Missing privileges are named as such, not as missing kernel features.
without_caps BPF
without_caps PERFMON
