#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The systemd unit as built (etc/systemd/sockflow.service): `systemd-analyze verify` finds
# nothing, `systemd-analyze security --offline=yes` rates its exposure at most 4.0 ("OK"),
# and the capabilities it grants (ambient and bounding set) are exactly the ones
# `sockflow --probe` lists. Both analyses read the file offline: they need no systemd as
# PID 1 (there is none where this was written), so the unit is checked, not started.
srcdir=${top_srcdir:-$(dirname "$0")/../..}
builddir=${top_builddir:-$srcdir}
SOCKFLOW=${SOCKFLOW:-$builddir/src/sockflow}
unit=$builddir/etc/systemd/sockflow.service
MAX_EXPOSURE=4.0
failures=0

fail() { echo "FAIL: test_systemd_unit: $*"; failures=$((failures + 1)); }

command -v systemd-analyze >/dev/null 2>&1 || {
	echo "SKIP: test_systemd_unit: systemd-analyze not installed (Debian package systemd)"
	exit 77
}
[ -r "$unit" ] || { echo "FAIL: test_systemd_unit: $unit not built (make check builds it)"; exit 1; }
SOCKFLOW=$(cd "$(dirname "$SOCKFLOW")" && pwd)/$(basename "$SOCKFLOW")
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Every placeholder filled in, with an absolute path (config.status once ate "@sbindir@").
! grep -n '@[a-z_]*@' "$unit" || fail "placeholders left in $unit"
grep -q '^ExecStart=/' "$unit" || fail "ExecStart of $unit is not an absolute path"

# Not installed in $(sbindir) yet: the copy analysed runs the build's daemon (verify
# checks that the commands exist). Man pages are test_man.sh's business.
sed "s|^\(Exec[A-Za-z]*=\)[^ ]*/sockflow|\1$SOCKFLOW|" "$unit" >"$tmp/sockflow.service"
grep -qx "ExecStart=$SOCKFLOW" "$tmp/sockflow.service" ||
	fail "no ExecStart=.../sockflow line in $unit"
if ! (cd "$tmp" && systemd-analyze verify --man=no ./sockflow.service) >"$tmp/verify" 2>&1 ||
	[ -s "$tmp/verify" ]; then
	fail "systemd-analyze verify: $(cat "$tmp/verify")"
else
	echo "ok: systemd-analyze verify finds nothing"
fi

(cd "$tmp" && systemd-analyze security --offline=yes --no-pager ./sockflow.service) \
	>"$tmp/security" 2>&1
exposure=$(sed -n 's/.*Overall exposure level for sockflow.service: \([0-9.]*\).*/\1/p' \
	"$tmp/security")
if [ -z "$exposure" ]; then
	fail "systemd-analyze security gave no exposure level: $(cat "$tmp/security")"
elif awk -v e="$exposure" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e > m) }'; then
	fail "exposure $exposure, over $MAX_EXPOSURE: $(grep '✗' "$tmp/security")"
else
	echo "ok: exposure $exposure (at most $MAX_EXPOSURE); flagged:"
	grep '✗' "$tmp/security" | sed 's/  */ /g'
fi

# caps_of KEY: the capabilities on the unit's KEY= line, one per line, sorted.
caps_of() { sed -n "s/^$1=//p" "$tmp/sockflow.service" | tr ' ' '\n' | grep . | sort; }
"$SOCKFLOW" -c /dev/null --probe 2>/dev/null |
	awk '/^privileges/ { p = 1; next } p && $1 ~ /^CAP_/ { print $1 }' | sort >"$tmp/probe"
[ -s "$tmp/probe" ] || fail "sockflow --probe lists no capability"
for key in AmbientCapabilities CapabilityBoundingSet; do
	caps_of "$key" >"$tmp/$key"
	if cmp -s "$tmp/probe" "$tmp/$key"; then
		echo "ok: $key = --probe's list: $(tr '\n' ' ' <"$tmp/$key")"
	else
		fail "$key differs from --probe's list (< --probe, > unit): $(diff "$tmp/probe" "$tmp/$key")"
	fi
done

[ "$failures" -eq 0 ] || exit 1
