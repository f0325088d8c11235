#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build sockflow from scratch with warnings as errors and run its test suite.
# Exit status is `make check`'s; the last line is "tests: N passed, N failed, N skipped".
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
# make check can fail before any test runs (a build error in a test program).
if [[ $rc -ne 0 && $failed -eq 0 ]]; then
	failed=1
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$rc"
