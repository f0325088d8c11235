#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The local program as applicationId over IPFIX, to a real nfcapd: with a field list that
# has applicationId (?template=full), connections from two programs (copies of conngen
# named sfclient and sfother) each carry their client's application, and nfdump names it
# (%nbnam: file name and path) from the options records that map it, sent the way nfcapd
# 1.7.1 reads them over IPFIX (fixed-length names, each mapping in a data set of its
# own). The NetFlow v9 side is in netflow9.sh.
# shellcheck disable=SC2154,SC2119
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_btf
require_tools nfcapd nfdump jq
require_sockflow
require_conngen

N=3
conngen_serve --threads 1
port=$CONNGEN_PORT
nfcapd_start
sockflow_start --collector "udp://127.0.0.1:$NFCAPD_PORT?template=full" --json

for program in sfclient sfother; do
	bin=$(conngen_as "$program")
	"$bin" client --addr 127.0.0.1 --port "$port" --count "$N" \
		>"$TEST_TMP/$program.out" 2>&1 || fail "$program: $(cat "$TEST_TMP/$program.out")"
done
wait_for 15 "$((2 * N)) records" has_records_to $((2 * N)) "$port" ||
	fail "sockflow printed $(count_records_to "$port") of $((2 * N)) records"
sleep 1	# the exporter flushes at its next tick
sockflow_stop
nfcapd_stop

for program in sfclient sfother; do
	exe=$(readlink -f "$TEST_TMP/bin/$program")
	awk -v a="$program/$exe" '{ print $1, a }' "$TEST_TMP/$program.out"
done | sort -n >"$TEST_TMP/apps.expected"
nfdump -R "$NFCAPD_DIR" -q -N -o 'fmt:%sp %nbnam' "proto tcp and dst port $port" |
	awk '$1 ~ /^[0-9]+$/ { print $1, $2 }' | sort -n >"$TEST_TMP/apps"
assert_lines_eq "nfdump %nbnam per client port over IPFIX" "$TEST_TMP/apps.expected" \
	"$TEST_TMP/apps"
ids=$(nfdump -R "$NFCAPD_DIR" -q -N -o 'fmt:%nbid' "proto tcp and dst port $port" |
	sort -u | grep -c '^ *20\.\.32473\.\.[0-9]')
assert_eq "applicationIds (engine 20, PEN 32473) of two programs" 2 "$ids"
