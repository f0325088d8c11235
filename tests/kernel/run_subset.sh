#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Inside a guest.sh guest: run integration tests once per round of extra sockflow arguments.
#
# Usage: tests/kernel/run_subset.sh OUTDIR "TEST..." [ROUND...]
#   TEST is a name under tests/integration/ (tcp_nfcapd); each ROUND is a string for
#   SOCKFLOW_EXTRA_ARGS ("" for sockflow's defaults; no ROUND means one default round).
# For round R (1, 2, ...) and test T it writes OUTDIR/R.T.log and one line
#   R T EXIT_STATUS SECONDS
# to OUTDIR/results, and copies the scratch directory a failed test kept to OUTDIR/R.T.tmp.
# Each test gets KERNEL_MATRIX_TEST_TIMEOUT_S seconds (default 240), then SIGTERM.
# OUTDIR/kernel gets "RELEASE BTF" (BTF is yes when /sys/kernel/btf/vmlinux is readable).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$HERE/../.." && pwd)}"

(($# >= 2)) || { echo "usage: run_subset.sh OUTDIR \"TEST...\" [ROUND...]" >&2; exit 2; }
out=$1
read -r -a tests <<<"$2"
shift 2
rounds=("$@")
((${#rounds[@]} > 0)) || rounds=("")
timeout_s=${KERNEL_MATRIX_TEST_TIMEOUT_S:-240}

btf=no
[[ -r /sys/kernel/btf/vmlinux ]] && btf=yes
echo "$(uname -r) $btf" >"$out/kernel"
echo "guest: kernel $(uname -r), BTF $btf, tests: ${tests[*]}, rounds: ${#rounds[@]}"
: >"$out/results"

r=0
for args in "${rounds[@]}"; do
	r=$((r + 1))
	for t in "${tests[@]}"; do
		log=$out/$r.$t.log
		start=$SECONDS
		rc=0
		SOCKFLOW_EXTRA_ARGS=$args timeout -k 10 "$timeout_s" \
			bash "$top_srcdir/tests/integration/$t.sh" >"$log" 2>&1 || rc=$?
		echo "$r $t $rc $((SECONDS - start))" >>"$out/results"
		echo "guest: round $r [${args:-default}] $t: exit $rc in $((SECONDS - start))s"
		kept=$(sed -n 's/^[^ ]*: scratch files kept in //p' "$log" | tail -n 1)
		if [[ -n $kept && -d $kept ]]; then
			cp -r "$kept" "$out/$r.$t.tmp"
		fi
	done
done
