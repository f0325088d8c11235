#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build sockflow from scratch with warnings as errors and run its test suite.
# Exit status is `make check`'s; the last line is "tests: N passed, N failed, N skipped".
#
# An integration test that fails is run once more, alone: on a loaded 2-core machine a
# test that waits on real traffic can miss a deadline. Both runs' logs are kept and the
# rerun is named in the output ("rerun: ... passed the second time"); a test that fails
# twice fails the suite. Unit tests are never rerun.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
autoreconf -fi
./configure --enable-werror --sysconfdir=/etc
make -j2

out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
make -j1 check AM_COLOR_TESTS=no 2>&1 | tee "$out" || rc=$?
if [[ $rc -ne 0 && -f test-suite.log ]]; then
	echo "---- test-suite.log ----"
	cat test-suite.log
fi

# Why tests were skipped (lib.sh's skip prints "SKIP: test: reason" into the test's log).
find tests -name '*.log' -exec grep -h '^SKIP: [^ ]*: ' {} + 2>/dev/null || true

# automake's summary ("# PASS:  4") as one plain closing line.
count() { awk -v k="# $1:" '$1 " " $2 == k { n = $3 } END { print n + 0 }' "$out"; }
passed=$(($(count PASS) + $(count XFAIL)))
failed=$(($(count FAIL) + $(count XPASS) + $(count ERROR)))
skipped=$(count SKIP)

# A second, lone run for each failed integration test.
rerun_ok=()
if [[ $rc -ne 0 ]]; then
	mapfile -t again < <(sed -n 's/^\(FAIL\|ERROR\): \(tests\/integration\/[^ ]*\.sh\)$/\2/p' "$out")
	unit_failed=$((failed - ${#again[@]}))
	for t in "${again[@]}"; do
		cp "${t%.sh}.log" "${t%.sh}.first.log" 2>/dev/null || true
		echo "---- rerun: $t (first run's log kept as ${t%.sh}.first.log) ----"
		if make -j1 check TESTS="$t" AM_COLOR_TESTS=no >/dev/null 2>&1; then
			rerun_ok+=("$t")
			failed=$((failed - 1))
			passed=$((passed + 1))
		else
			cat "${t%.sh}.log" 2>/dev/null || true
		fi
	done
	if [[ $failed -eq 0 && $unit_failed -eq 0 && ${#again[@]} -gt 0 ]]; then
		rc=0
	fi
fi
for t in "${rerun_ok[@]}"; do
	echo "rerun: $t failed the first time and passed the second time"
done

# make check can fail before any test runs (a build error in a test program).
if [[ $rc -ne 0 && $failed -eq 0 ]]; then
	failed=1
fi
echo "tests: $passed passed, $failed failed, $skipped skipped${rerun_ok:+ (${#rerun_ok[@]} passed on a rerun)}"
exit "$rc"
