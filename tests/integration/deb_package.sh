#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The Debian package, as an operator gets it:
#   (a) `dpkg-buildpackage -us -uc -b` builds it from `make distdir` output (a release
#       tarball's tree) in a scratch directory; lintian finds no error (its warnings and
#       notes are logged);
#   (b) `dpkg -i` installs the daemon in /usr/sbin, /etc/sockflow/sockflow.conf as a conffile,
#       the field lists and pmacct files in /usr/share/sockflow, the man pages; no service is
#       enabled or started;
#   (c) the installed `sockflow --check` reads /etc/sockflow/sockflow.conf (a value changed
#       there shows) and finds its field lists without the build tree;
#   (d) the unit's command line (ExecStart of the installed sockflow.service, else
#       /usr/sbin/sockflow) runs once: a connection's record reaches a file collector,
#       SIGTERM ends it with status 0;
#   (e) `dpkg --purge` leaves none of the package's files, no conffile, no dpkg state.
# The package is purged on exit whatever the outcome, and users its sysusers.d file made
# are removed (a purge keeps them, as Debian's policy wants).
# shellcheck source=tests/integration/lib.sh disable=SC2154
. "$(dirname "$0")/lib.sh"

require_root
require_btf
require_tools dpkg-buildpackage dpkg-checkbuilddeps dh lintian ipfixDump jq make
require_conngen
[[ -f $top_builddir/Makefile ]] || skip "no configured build tree at $top_builddir (make distdir)"
# This test installs and purges the package: never over an operator's own sockflow.
[[ $(dpkg-query -W -f='${db:Status-Abbrev}' sockflow 2>/dev/null) != ?i* ]] ||
	skip "a sockflow package is installed on this host; the test would replace and purge it"
for p in /usr/sbin/sockflow /etc/sockflow /usr/share/sockflow; do
	[[ ! -e $p ]] || skip "$p exists (a make install?); the test would overwrite it"
done
# The installed sockflow must find its own field lists, not the source tree's.
unset SOCKFLOW_TEMPLATES_DIR
# The package build is a make of its own: not this make's flags or variables (TESTS=...).
unset MAKEFLAGS MFLAGS MAKELEVEL

DEB_INSTALLED=no
declare -a DEB_NEW_USERS=()	# system users the package's sysusers.d made here
deb_cleanup() {
	local rc=$? u
	set +e
	if [[ $DEB_INSTALLED == yes ]]; then
		dpkg_locked --purge sockflow >"$TEST_TMP/purge-on-exit.log" 2>&1 ||
			log "could not purge sockflow: $(cat "$TEST_TMP/purge-on-exit.log")"
	fi
	# A purge keeps the users a package made (Debian policy); this host was lent to a
	# test, so they go.
	for u in "${DEB_NEW_USERS[@]}"; do
		userdel "$u" >/dev/null 2>&1 || log "could not remove user $u"
		! getent group "$u" >/dev/null || groupdel "$u" >/dev/null 2>&1 ||
			log "could not remove group $u"
	done
	(exit "$rc")
	lib_cleanup
}
trap deb_cleanup EXIT

# dpkg_locked ARGS...: dpkg ARGS, waited for while apt or dpkg elsewhere holds the lock.
dpkg_locked() {
	local deadline=$((SECONDS + 120)) out rc
	for (( ; ; )); do
		rc=0
		out=$(dpkg "$@" 2>&1) || rc=$?
		[[ $rc -ne 0 && $out == *"lock"* && $SECONDS -lt $deadline ]] || break
		sleep 1
	done
	printf '%s\n' "$out"
	return "$rc"
}

# ---- (a) build -------------------------------------------------------------
version=$(sed -n 's/^VERSION = //p' "$top_builddir/Makefile")
src="$TEST_TMP/sockflow-$version"
make -s -C "$top_builddir" distdir distdir="$src" >"$TEST_TMP/distdir.log" 2>&1 ||
	fail "make distdir failed: $(tail -n 20 "$TEST_TMP/distdir.log")"
(cd "$src" && dpkg-checkbuilddeps) >"$TEST_TMP/builddeps.log" 2>&1 ||
	skip "build dependencies missing (run scripts/deps.sh): $(cat "$TEST_TMP/builddeps.log")"
start=$SECONDS
# nocheck: make check's unit tests have run in this very build already; a package build
# runs them (and skips the integration tests) without it.
(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -b) \
	>"$TEST_TMP/build.log" 2>&1 ||
	fail "dpkg-buildpackage failed: $(tail -n 30 "$TEST_TMP/build.log")"
deb="$TEST_TMP/sockflow_${version}_$(dpkg --print-architecture).deb"
changes="$TEST_TMP/sockflow_${version}_$(dpkg --print-architecture).changes"
[[ -f $deb ]] || fail "dpkg-buildpackage made no $deb: $(ls "$TEST_TMP")"
log "ok: built $(basename "$deb") ($(stat -c %s "$deb") bytes) in $((SECONDS - start)) s"

lintian_rc=0
lintian --fail-on error --display-info --pedantic "$changes" >"$TEST_TMP/lintian.log" 2>&1 ||
	lintian_rc=$?
grep -v 'running with root privileges' "$TEST_TMP/lintian.log" | sed 's/^/lintian: /' >&2 || true
[[ $lintian_rc -eq 0 ]] || fail "lintian found errors (or failed, status $lintian_rc)"
log "ok: lintian: no errors ($(grep -c '^[WIP]: ' "$TEST_TMP/lintian.log") warnings and notes)"

# ---- (b) install -----------------------------------------------------------
# No maintainer script enables or starts a unit: the shipped config names no collector.
# (dh_installsystemd --no-enable still re-enables, on upgrade, a unit the admin enabled:
# a "deb-systemd-helper enable" under "was-enabled" keeps their choice and is fine.)
dpkg-deb -e "$deb" "$TEST_TMP/control"
awk '/was-enabled/ { guarded = 1; next }
	/deb-systemd-helper +enable/ && !guarded { bad = 1 }
	/deb-systemd-invoke +(start|restart)|systemctl +(enable|start)/ { bad = 1 }
	/^[[:space:]]*fi[[:space:]]*$/ { guarded = 0 }
	END { exit bad }' "$TEST_TMP/control"/* ||
	fail "the package's maintainer scripts enable or start a unit"
# Users its sysusers.d files ask for ("u NAME ..."), those this host has not yet.
mkdir -p "$TEST_TMP/data"
dpkg-deb -x "$deb" "$TEST_TMP/data"
while read -r u; do
	getent passwd "$u" >/dev/null || DEB_NEW_USERS+=("$u")
done < <(cat "$TEST_TMP"/data/usr/lib/sysusers.d/*.conf 2>/dev/null | awk '$1 == "u" { print $2 }')
DEB_INSTALLED=yes
dpkg_locked -i "$deb" >"$TEST_TMP/install.log" 2>&1 ||
	fail "dpkg -i failed: $(cat "$TEST_TMP/install.log")"
assert_eq "package state" "ii " "$(dpkg-query -W -f='${db:Status-Abbrev}' sockflow)"
assert_eq "conffiles" "/etc/sockflow/sockflow.conf" \
	"$(dpkg-query -W -f='${Conffiles}\n' sockflow | awk 'NF { print $1 }')"
dpkg-query -L sockflow >"$TEST_TMP/files"
[[ -x /usr/sbin/sockflow ]] || fail "no /usr/sbin/sockflow"
# Every field list of the source tree, and the pmacct examples, where the binary looks.
for f in "$top_srcdir"/templates/*.tmpl "$top_srcdir"/etc/pmacct/*; do
	case $f in
	*.tmpl) want=/usr/share/sockflow/templates/$(basename "$f") ;;
	*) want=/usr/share/sockflow/pmacct/$(basename "$f") ;;
	esac
	cmp -s "$f" "$want" || fail "$want is not the source tree's $(basename "$f")"
done
log "ok: field lists and pmacct files in /usr/share/sockflow"
for page in man8/sockflow.8.gz man5/sockflow.conf.5.gz; do
	[[ -f /usr/share/man/$page ]] || fail "no /usr/share/man/$page"
	# The install paths are filled in (no @sysconfdir@ left, /etc named).
	text=$(zcat "/usr/share/man/$page")
	[[ $text == *'/etc/sockflow/sockflow.conf'* ]] ||
		fail "$page does not name /etc/sockflow/sockflow.conf"
	[[ ! $text =~ @[a-z]+@ ]] || fail "$page has unsubstituted ${BASH_REMATCH[0]}"
done
log "ok: man pages sockflow(8), sockflow.conf(5)"
if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
	for unit in $(grep -E '/systemd/system/[^/]+\.service$' "$TEST_TMP/files" || true); do
		u=$(basename "$unit")
		[[ $(systemctl is-enabled "$u" 2>/dev/null) != enabled ]] || fail "$u enabled on install"
		[[ $(systemctl is-active "$u" 2>/dev/null) != active ]] || fail "$u started on install"
	done
fi

for u in "${DEB_NEW_USERS[@]}"; do
	getent passwd "$u" >/dev/null || fail "no user $u after install (sysusers.d)"
	log "ok: user $u made on install"
done

# ---- (c) the installed config and field lists ---------------------------------
/usr/sbin/sockflow --check >"$TEST_TMP/check.out" 2>&1 ||
	fail "sockflow --check with the installed config: $(cat "$TEST_TMP/check.out")"
grep -qx 'template=default' "$TEST_TMP/check.out" || fail "--check: $(cat "$TEST_TMP/check.out")"
# A value changed in /etc/sockflow/sockflow.conf shows: the default path is the one read.
# Other tests running now read that file too (their sockflow has no -c): the change is
# one nobody notices (one flow fewer in a table of 262144) and is undone at once.
max_flows=$(($(sed -n 's/^max_flows=//p' "$TEST_TMP/check.out") - 1))
cp -p /etc/sockflow/sockflow.conf "$TEST_TMP/sockflow.conf.orig"
sed -i "s/^#max_flows = .*/max_flows = $max_flows/" /etc/sockflow/sockflow.conf
read_max_flows=$(/usr/sbin/sockflow --check | sed -n 's/^max_flows=//p')
cp -p "$TEST_TMP/sockflow.conf.orig" /etc/sockflow/sockflow.conf
assert_eq "max_flows as --check reads it from /etc/sockflow/sockflow.conf" "$max_flows" \
	"$read_max_flows"
/usr/sbin/sockflow --collector 'file:/dev/null?template=full' --check >/dev/null 2>&1 ||
	fail "the installed sockflow does not find field list full in /usr/share/sockflow"

# ---- (d) the unit's command line, once ---------------------------------------
cmdline=(/usr/sbin/sockflow)
unitfile=$(grep -E '/systemd/system/sockflow\.service$' "$TEST_TMP/files" || true)
if [[ -n $unitfile ]]; then
	# ExecStart=[-@:+!]PATH ARGS...: the prefixes change how systemd runs it, not what.
	read -r -a cmdline < <(sed -n 's/^ExecStart=[-@:+!]*//p' "$unitfile" | head -n 1)
	log "the unit's command line: ${cmdline[*]}"
fi
[[ ${cmdline[0]} == /usr/sbin/sockflow ]] || fail "ExecStart runs ${cmdline[0]}, not /usr/sbin/sockflow"
SOCKFLOW=${cmdline[0]}	# what sockflow_start runs
IPFIX_FILE="$TEST_TMP/flows.ipfix"
sockflow_start "${cmdline[@]:1}" --collector "file:$IPFIX_FILE" --json
conngen_serve --threads 1
client=$(conngen_as sfdebclient)
"$client" client --addr 127.0.0.1 --port "$CONNGEN_PORT" --count 1 >"$TEST_TMP/client.out" 2>&1 ||
	fail "conngen client: $(cat "$TEST_TMP/client.out")"
wait_for 15 "the connection's record" has_records_to 1 "$CONNGEN_PORT" ||
	fail "no record to port $CONNGEN_PORT; log: $(tail -n 20 "$SOCKFLOW_LOG")"
assert_eq "client process of the record" sfdebclient \
	"$(records_to "$CONNGEN_PORT" | jq -r .SRC_PROC_NAME)"
sockflow_stop
assert_eq "records to port $CONNGEN_PORT in the IPFIX file" 1 \
	"$(ipfix_dump_records "$IPFIX_FILE" | jq -c "select(.destinationTransportPort == $CONNGEN_PORT)" | wc -l)"

# ---- (e) purge ----------------------------------------------------------------
dpkg_locked --purge sockflow >"$TEST_TMP/purge.log" 2>&1 ||
	fail "dpkg --purge failed: $(cat "$TEST_TMP/purge.log")"
DEB_INSTALLED=no
state=$(dpkg-query -W -f='${db:Status-Abbrev}' sockflow 2>/dev/null || true)
[[ -z ${state// /} || $state == un* ]] || fail "dpkg still knows sockflow after purge: '$state'"
left=$(while read -r f; do
	# Directories other packages share (/etc, /usr/share/man/man8) stay, rightly.
	if [[ -e $f && ! -d $f ]] || [[ -d $f && $f == *sockflow* ]]; then echo "$f"; fi
done <"$TEST_TMP/files")
[[ -z $left ]] || fail "left after purge: $left"
[[ ! -e /etc/sockflow ]] || fail "/etc/sockflow left after purge"
! ls /var/lib/systemd/deb-systemd-helper-enabled/*sockflow* >/dev/null 2>&1 ||
	fail "systemd enable state left after purge"
log "ok: purge leaves none of the $(wc -l <"$TEST_TMP/files") files and directories"
