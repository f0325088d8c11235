#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Every fallback this kernel can run, forced: integration tests again with better mechanisms disabled.
#
# Each round disables mechanisms so that the next one down is chosen, checks with
# `sockflow --probe` that it really is, and re-runs the tests that exercise it with
# SOCKFLOW_EXTRA_ARGS (lib.sh adds them to every sockflow it starts). A round whose
# mechanism this kernel refuses, or that this kernel chooses anyway (the plain test
# run covers it), is left out and said so. FALLBACK_ROUNDS (names, space-separated)
# picks rounds; the kernel matrix runs this script inside its guests.
. "$(dirname "$0")/lib.sh"

require_root
require_btf
require_sockflow

# name | mechanisms to disable | mechanism that must then be chosen | tests
ROUNDS=(
	"map_batch|map_iter|map_batch|tcp_nfcapd udp active_timeout"
	"map_lookup|map_iter map_batch|map_lookup|tcp_nfcapd udp active_timeout"
	"sock_diag_scan|task_file_iter|sock_diag_scan|lifecycle"
	"fentry|sock_length_tp|fentry|tcp_nfcapd udp lifecycle"
	"kprobe|sock_length_tp fentry|kprobe|tcp_nfcapd udp lifecycle"
	"exec_filename|exec_path_walk|exec_filename|tcp_nfcapd"
	"tcp_socket_counters|tcp_packets|tcp_socket_counters|tcp_nfcapd lifecycle active_timeout"
)

# chosen_by_probe MECH [sockflow args...]: whether `sockflow --probe ARGS` chooses MECH.
chosen_by_probe() {
	local mech=$1
	shift
	"$SOCKFLOW" --probe "$@" >"$TEST_TMP/probe" 2>/dev/null || true
	probe_table "$TEST_TMP/probe" | awk -v m="$mech" '$2 == m && $3 == "chosen" { f = 1 }
		END { exit !f }'
}

declare -a results=()
failed=0
ran=0
for round in "${ROUNDS[@]}"; do
	IFS='|' read -r name disable want tests <<<"$round"
	if [[ -n ${FALLBACK_ROUNDS:-} && " $FALLBACK_ROUNDS " != *" $name "* ]]; then
		continue
	fi
	args=()
	for m in $disable; do
		args+=(--disable-mechanism "$m")
	done
	if chosen_by_probe "$want"; then
		results+=("$name: this kernel chooses $want by default; the plain tests cover it")
		continue
	fi
	if ! chosen_by_probe "$want" "${args[@]}"; then
		results+=("$name: this kernel refuses $want; not run here")
		continue
	fi
	for t in $tests; do
		tlog="$TEST_TMP/$name-$t.log"
		rc=0
		SOCKFLOW_EXTRA_ARGS="${args[*]}" bash "$LIB_DIR/$t.sh" >"$tlog" 2>&1 || rc=$?
		ran=$((ran + 1))
		case $rc in
		0) results+=("$name: $t PASS") ;;
		77) results+=("$name: $t SKIP: $(grep -m1 '^SKIP' "$tlog" || true)") ;;
		*)
			results+=("$name: $t FAIL (exit $rc)")
			failed=$((failed + 1))
			log "---- $name: $t log ----"
			tail -n 40 "$tlog" >&2
			;;
		esac
		log "${results[-1]}"	# as it happens: a run stopped midway still shows these
	done
done

log "summary:"
for r in "${results[@]}"; do
	log "  $r"
done
((failed == 0)) || fail "$failed test run(s) failed with a fallback forced"
((ran > 0)) || skip "no fallback can be forced on this kernel"
log "ok: $ran test run(s) with a fallback forced"
