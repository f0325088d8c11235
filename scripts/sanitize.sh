#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build sockflow with AddressSanitizer and UndefinedBehaviorSanitizer and run
# the unit tests and an integration subset with every report fatal.
#
# The build is a separate one: a copy of the source tree (tracked and new files,
# nothing generated) in build-san/, so it neither disturbs nor is disturbed by
# scripts/test.sh's in-tree build (autoconf refuses a VPATH build of a tree
# configured in place). Each sanitizer writes its reports to build-san/reports/
# (log_path), so a report is seen even when a test keeps its daemon's stderr in
# a directory it removes. Exits non-zero on a failed test or any report; the
# last line is "sanitize: N passed, N failed, N sanitizer reports".
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

# Parsing, export over every transport, a TCP queue filling and draining, reload, exit,
# the metrics endpoint and the resolver thread (collector_dns).
SUBSET=(tests/integration/tooling.sh tests/integration/reload.sh
	tests/integration/tcp_nfcapd.sh tests/integration/tcp_transport.sh
	tests/integration/udp.sh tests/integration/containers.sh tests/integration/filters.sh
	tests/integration/netflow9.sh tests/integration/metrics.sh tests/integration/lifecycle.sh
	tests/integration/late_collector.sh tests/integration/collector_dns.sh)

build=$top/build-san
reports=$build/reports
rm -rf "$build"
mkdir -p "$build/tree" "$reports"
# Tracked and new files as they are in the work tree (one deleted but not committed: skipped).
git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [[ -e $f && $f != build-san/* ]] && printf '%s\0' "$f"; done |
	tar --null -T - -cf - | tar -C "$build/tree" -xf -
cd "$build/tree"

san='-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer'
autoreconf -fi >"$build/autoreconf.log" 2>&1 || { cat "$build/autoreconf.log"; exit 1; }
./configure --enable-werror --sysconfdir=/etc CC=gcc CFLAGS="$san -g -O1" \
	LDFLAGS="-fsanitize=address,undefined" >"$build/configure.log" 2>&1 ||
	{ tail -n 40 "$build/configure.log"; exit 1; }
make -j2 >"$build/make.log" 2>&1 || { tail -n 60 "$build/make.log"; exit 1; }

# A leak's stack stops at GLib (built without frame pointers); to see all of it, run the
# failing program again with fast_unwind_on_malloc=0 added (too slow for every test).
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:log_path=$reports/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"

out=$build/check.out
rc=0
# $(UNIT_TESTS) is make's own list, expanded by make.
make -j1 check AM_COLOR_TESTS=no TESTS="\$(UNIT_TESTS) ${SUBSET[*]}" 2>&1 | tee "$out" ||
	rc=$?
if [[ $rc -ne 0 && -f test-suite.log ]]; then
	echo "---- test-suite.log ----"
	cat test-suite.log
fi
find tests -name '*.log' -exec grep -h '^SKIP: [^ ]*: ' {} + 2>/dev/null || true

# Reports: the files log_path wrote, and any that reached a test's own log.
n_reports=0
for f in "$reports"/*; do
	[[ -s $f ]] || continue
	echo "---- $f ----"
	cat "$f"
	n_reports=$((n_reports + 1))
done
in_logs=$(find tests -name '*.log' -exec grep -l -E \
	'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: ' {} + 2>/dev/null || true)
for f in $in_logs; do
	echo "---- sanitizer report in $f ----"
	grep -E -A 20 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: ' "$f" | head -n 60
	n_reports=$((n_reports + 1))
done

count() { awk -v k="# $1:" '$1 " " $2 == k { n = $3 } END { print n + 0 }' "$out"; }
passed=$(($(count PASS) + $(count XFAIL)))
failed=$(($(count FAIL) + $(count XPASS) + $(count ERROR)))
if [[ $rc -ne 0 && $failed -eq 0 ]]; then
	failed=1
fi
echo "sanitize: $passed passed, $failed failed, $n_reports sanitizer reports"
[[ $rc -eq 0 && $n_reports -eq 0 ]]
