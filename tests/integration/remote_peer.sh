#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A peer on another machine, so that only one end of each connection is on this host: a
# QEMU guest (Debian 12's 6.1 kernel, tests/kernel/guest.sh) on a tap device runs the
# server; a program run as nobody here connects to it. sockflow names the local client and
# no server process; with ?profile=nfdump, nfcapd gets two records per connection, each
# direction's packets and bytes equal to a capture on the tap device, and both naming the
# one local end: user nobody (%uname) and program sfclient (%nbnam).
# Skips (77) where no guest can run: no QEMU, no 6.1 kernel package, no tap device.
# shellcheck disable=SC2154,SC2119
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_btf
require_tools nfcapd nfdump tshark dumpcap jq setpriv ip
require_sockflow
require_conngen
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
case $PWD/ in
/tmp/* | /run/* | /var/tmp/* | /dev/*) skip "the guest cannot see the current directory $PWD" ;;
esac
kdir=$("$top_srcdir/scripts/kernel.sh" 6.1 2>"$TEST_TMP/kernel.log") ||
	skip "no Debian 6.1 kernel for a guest: $(tail -n 1 "$TEST_TMP/kernel.log")"

N=3
NET=10.234.$(($$ % 250)).
HOST_IP=${NET}1
PEER_IP=${NET}2
PEER_PORT=5001
TAP=sfpeer$(($$ % 100000))

peer_cleanup() {
	local rc=$?
	set +e
	[[ -n ${GUEST_DIR:-} ]] && touch "$GUEST_DIR/done"
	[[ -n ${guest_pid:-} ]] && proc_wait "$guest_pid" 20
	ip link delete "$TAP" 2>/dev/null
	(exit "$rc")
	lib_cleanup
}
trap peer_cleanup EXIT

ip tuntap add dev "$TAP" mode tap 2>"$TEST_TMP/tap.err" ||
	skip "no tap device: $(cat "$TEST_TMP/tap.err")"
ip addr add "$HOST_IP/24" dev "$TAP"
ip link set "$TAP" up

# The guest serves until the host says it is done (a file on the scratch share).
GUEST_DIR=$TEST_TMP/guest
mkdir -p "$GUEST_DIR"
bg_start guest_pid "$TEST_TMP/guest.log" env GUEST_SCRATCH="$GUEST_DIR" GUEST_TAP="$TAP" \
	GUEST_IP="$PEER_IP/24" GUEST_TIMEOUT_S=300 "$top_srcdir/tests/kernel/guest.sh" "$kdir" -- \
	bash -c "'$CONNGEN' serve --addr $PEER_IP --port $PEER_PORT --threads 1 &
		while [ ! -e '$GUEST_DIR/done' ]; do sleep 0.2; done; kill \$!"
wait_for 180 "the guest's server" grep -qs '^ready ' "$TEST_TMP/guest.log" ||
	fail "the guest's server did not start: $(tail -n 20 "$TEST_TMP/guest.log")"
log "$(grep -m1 'booted in' "$TEST_TMP/guest.log" || echo 'guest up')"

client_bin=$(conngen_as sfclient)
chmod 755 "$TEST_TMP" "$TEST_TMP/bin"	# nobody runs the client from there
client_exe=$(readlink -f "$client_bin")
nfcapd_start
capture_start "tcp port $PEER_PORT" "$TAP"
sockflow_start --collector "udp://127.0.0.1:$NFCAPD_PORT?profile=nfdump" --json

setpriv --reuid=65534 --regid=65534 --clear-groups -- "$client_bin" client --addr "$PEER_IP" \
	--port "$PEER_PORT" --count "$N" --send 100,600,1200 --recv 50,900,1300 \
	>"$TEST_TMP/client.out" 2>&1 || fail "client as nobody: $(cat "$TEST_TMP/client.out")"
wait_for 30 "$N records" has_records_to "$N" "$PEER_PORT" ||
	fail "sockflow printed $(count_records_to "$PEER_PORT") of $N records"
sleep 1	# the exporter flushes at its next tick
sockflow_stop
sleep 1	# dumpcap writes in bursts
capture_stop
nfcapd_stop

# One end local: the client (nobody's sfclient), no server process.
assert_eq "records naming the local client and no server process" "$N" \
	"$(records_to "$PEER_PORT" | jq -s --arg ip "$PEER_IP" '[.[] | select(
		.SRC_PROC_NAME == "sfclient" and .SRC_PROC_USER_NAME == "nobody"
		and (.DST_PROC_PID // 0) == 0 and .destinationIPv4Address == $ip)] | length')"

# nfcapd: each direction a record with the capture's counts and the local end's identity.
pcap_conns "$CAPTURE_FILE" tcp "$PEER_PORT" >"$TEST_TMP/conns"
assert_eq "connections in the capture" "$N" "$(wc -l <"$TEST_TMP/conns")"
awk -v p="$PEER_PORT" -v a="sfclient/$client_exe" '{
	print $1, p, $2, $3, "nobody", a
	print p, $1, $5, $6, "nobody", a
}' "$TEST_TMP/conns" | sort -k1,1n -k2,2n >"$TEST_TMP/expected"
nfdump -R "$NFCAPD_DIR" -q -N -o 'fmt:%sp %dp %ipkt %ibyt %uname %nbnam' \
	"proto tcp and port $PEER_PORT" |
	awk '$1 ~ /^[0-9]+$/ { print $1, $2, $3, $4, $5, $6 }' | sort -k1,1n -k2,2n \
	>"$TEST_TMP/records"
assert_lines_eq "records at nfcapd (sport dport pkts bytes user application)" \
	"$TEST_TMP/expected" "$TEST_TMP/records"
