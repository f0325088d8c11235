#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The man pages keep step with the program: every option --help lists is in sockflow(8),
# every key --check prints is in sockflow.conf(5) (under its group) and in the shipped
# etc/sockflow.conf, and groff reads both pages without a warning.
srcdir=${top_srcdir:-$(dirname "$0")/../..}
builddir=${top_builddir:-$srcdir}
SOCKFLOW=${SOCKFLOW:-$builddir/src/sockflow}
man8=$builddir/man/sockflow.8
man5=$builddir/man/sockflow.conf.5
conf=$srcdir/etc/sockflow.conf
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

for f in "$man8" "$man5"; do
	[ -r "$f" ] || { echo "FAIL: $f not built (make check builds it)"; exit 1; }
done

# Options: "--name" in --help is "\-\-name" in the page.
for opt in $("$SOCKFLOW" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	roff=$(printf '%s' "$opt" | sed 's/-/\\-/g')
	grep -qF -- "$roff" "$man8" || fail "option $opt is not in sockflow(8)"
done

# Keys: each under its group's section in sockflow.conf(5), and in etc/sockflow.conf.
keys=$("$SOCKFLOW" -c /dev/null --check) || { echo "FAIL: sockflow --check failed"; exit 1; }
group=
n=0
for line in $keys; do
	case $line in
	\[*\]) group=$line; continue ;;
	*=*) key=${line%%=*} ;;
	*) continue ;;
	esac
	n=$((n + 1))
	awk -v g=".SH $group" -v k="$key" '
		$0 == g { in_g = 1; next }
		/^\.SH / { in_g = 0 }
		in_g && /^\.B/ && (" " $0 " ") ~ ("[ \"]" k "[ \",]") { found = 1 }
		END { exit !found }' "$man5" || fail "key $group $key is not in sockflow.conf(5)"
	grep -Eq "^#$key =( |$)" "$conf" || fail "key $group $key is not in etc/sockflow.conf"
done
[ "$n" -gt 20 ] || fail "only $n keys from --check"

# groff: no warnings.
for f in "$man8" "$man5"; do
	out=$(groff -man -ww -z "$f" 2>&1)
	[ -z "$out" ] || fail "groff warns about $f: $out"
done

[ "$failures" -eq 0 ] || { echo "$failures failures"; exit 1; }
echo "ok: $n keys and every option documented; groff reads both pages without a warning"
