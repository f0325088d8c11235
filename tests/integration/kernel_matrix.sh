#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Other kernels: boot Debian's stock kernels under QEMU (TCG) over this host's root and run a
# subset of the integration tests inside, against this build's sockflow, once per round of
# extra sockflow arguments. Passes only when every test passes in every kernel and round.
#   KERNELS  kernel series that scripts/kernel.sh fetches (KERNEL_MATRIX_KERNELS overrides)
#   ROUNDS   SOCKFLOW_EXTRA_ARGS per round; "" is sockflow's defaults
#   TESTS    tests/integration/ names (KERNEL_MATRIX_TESTS overrides)
# Skips (77) only where QEMU cannot run: no qemu-system-x86_64, busybox or cpio, or no kernel
# to fetch. Under TCG a guest runs the tests about 5-20x slower than the host: a test gets
# KERNEL_MATRIX_TEST_TIMEOUT_S (default 240) in the guest, and a whole guest is stopped after
# 60 s plus that and another 60 s for each test in each round.
# shellcheck disable=SC2154
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

KERNELS=(6.1)
ROUNDS=(
	""
)
# probe logs what the guest kernel gives each capability; fallbacks forces, inside the guest,
# the fallbacks this host cannot run at all (FALLBACK_ROUNDS: kprobes where 6.1 would choose
# fentry). The long run: KERNEL_MATRIX_KERNELS="6.1 6.12" and KERNEL_MATRIX_FALLBACKS="map_batch
# map_lookup sock_diag_scan kprobe exec_filename tcp_socket_counters"
# KERNEL_MATRIX_TEST_TIMEOUT_S=1200 (fallbacks then runs 14 tests in each guest; about 30 min). active_timeout: interim counters read through
# 6.1's map iterator, which only this guest uses. socket_counters: the cheaper TCP counter
# mode reads tcp_sock's own counters, whose layout is the guest kernel's.
TESTS=(probe tcp_nfcapd udp lifecycle active_timeout socket_counters fallbacks)
export FALLBACK_ROUNDS=${KERNEL_MATRIX_FALLBACKS:-kprobe}

[[ -z ${KERNEL_MATRIX_KERNELS:-} ]] || read -r -a KERNELS <<<"$KERNEL_MATRIX_KERNELS"
[[ -z ${KERNEL_MATRIX_TESTS:-} ]] || read -r -a TESTS <<<"$KERNEL_MATRIX_TESTS"

require_root
command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	skip "qemu-system-x86_64 not installed (qemu-system-x86; run scripts/deps.sh)"
[[ -x /bin/busybox ]] || skip "/bin/busybox missing (busybox-static; run scripts/deps.sh)"
require_tools cpio
for t in "${TESTS[@]}"; do
	[[ -f $top_srcdir/tests/integration/$t.sh ]] || fail "no test tests/integration/$t.sh"
done

kdirs=()
for series in "${KERNELS[@]}"; do
	kdir=$("$top_srcdir/scripts/kernel.sh" "$series" 2>"$TEST_TMP/kernel-$series.log") ||
		skip "kernel $series cannot be fetched: $(tail -n 1 "$TEST_TMP/kernel-$series.log")"
	kdirs+=("$kdir")
done

# The guest starts in this directory: the build tree, which the guest sees as it is here.
cd "$top_builddir"
failed=0
summary=()
for kdir in "${kdirs[@]}"; do
	release=$(basename "$kdir")
	out=$TEST_TMP/$release
	mkdir -p "$out"
	log "kernel $release: booting ($(cat "$kdir/package")), ${#ROUNDS[@]} round(s) of ${TESTS[*]}"
	start=$SECONDS
	rc=0
	GUEST_SCRATCH=$out \
		GUEST_TIMEOUT_S=$((60 + ${#ROUNDS[@]} * ${#TESTS[@]} * (${KERNEL_MATRIX_TEST_TIMEOUT_S:-240} + 60))) \
		"$top_srcdir/tests/kernel/guest.sh" "$kdir" -- bash "$top_srcdir/tests/kernel/run_subset.sh" \
		"$out" "${TESTS[*]}" "${ROUNDS[@]}" >&2 || rc=$?
	log "kernel $release: guest done in $((SECONDS - start))s (exit $rc)"
	if [[ ! -f $out/results ]]; then
		summary+=("kernel $release: guest failed (exit $rc), no test ran")
		failed=1
		continue
	fi
	[[ $(cat "$out/kernel") == *" yes" ]] || log "kernel $release: no BTF in the guest"
	r=0
	for args in "${ROUNDS[@]}"; do
		r=$((r + 1))
		for t in "${TESTS[@]}"; do
			read -r _ _ trc secs < <(awk -v r="$r" -v t="$t" '$1 == r && $2 == t' \
				"$out/results") || trc=
			case $trc in
			0) verdict="PASS (${secs}s)" ;;
			77) verdict="SKIP (${secs}s)" ;;
			'') verdict="NOT RUN" ;;
			124 | 137 | 143) verdict="FAIL: timed out after ${secs}s" ;;
			*) verdict="FAIL (exit $trc, ${secs}s)" ;;
			esac
			summary+=("kernel $release: round $r [${args:-default}] $t $verdict")
			[[ $trc == 0 ]] && continue
			failed=1
			[[ -f $out/$r.$t.log ]] || continue
			printf -- '---- %s, round %s, %s: log ----\n' "$release" "$r" "$t" >&2
			cat "$out/$r.$t.log" >&2
			[[ ! -d $out/$r.$t.tmp ]] || log "its scratch files: $out/$r.$t.tmp"
		done
	done
done

printf '%s\n' "${summary[@]}"
((failed == 0)) || fail "some tests failed in a guest kernel (logs above)"
log "all ${#TESTS[@]} tests passed in ${#kdirs[@]} kernel(s), ${#ROUNDS[@]} round(s)"
