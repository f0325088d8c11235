#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# NetFlow v9 export (udp://HOST:PORT?protocol=v9) to a real nfcapd: 10 loopback
# connections, 5 made as root and 5 as nobody (uid 65534). nfdump shows one record per
# connection whose packets and bytes each way equal a capture's, the client's user in
# NSEL's user name field (%uname), the client's program as its application (%nbnam: name and
# executable, from the options records that map applicationId), both network latencies
# (%cl, %sl) and the start time;
# the options record sent at exit counts the records; tshark decodes every v9 packet on the wire without
# a malformed-packet warning. Then ?profile=nfdump (v9, uniflow), 3 connections
# from nobody to root's server: two records each at nfcapd, the client's (its user
# nobody, the capture's client-to-server counts) and the server's (root, the reverse
# counts), and each its own program as application, with both ends' processes in ntop's
# fields as tshark decodes them. A v9 collector URI over TCP is
# refused by --check.
# shellcheck disable=SC2154,SC2119
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_btf
require_tools nfcapd nfdump tshark dumpcap jq setpriv
require_sockflow
require_conngen

N=5
client_bin=$(conngen_as sfclient)
chmod 755 "$TEST_TMP" "$TEST_TMP/bin"	# nobody runs the client from there

"$SOCKFLOW" --check --collector "tcp://127.0.0.1:9995?protocol=v9" >"$TEST_TMP/check.out" 2>&1 &&
	fail "--check took NetFlow v9 over TCP: $(cat "$TEST_TMP/check.out")"
grep -q 'NetFlow v9 goes over UDP only' "$TEST_TMP/check.out" ||
	fail "--check said: $(cat "$TEST_TMP/check.out")"
log "ok: --check refuses v9 over TCP: $(tail -n 1 "$TEST_TMP/check.out")"

conngen_serve --threads 2
port=$CONNGEN_PORT
nfcapd_start
capture_start "tcp port $port or udp port $NFCAPD_PORT"
sockflow_start --collector "udp://127.0.0.1:$NFCAPD_PORT?protocol=v9" --json

"$client_bin" client --addr 127.0.0.1 --port "$port" --count "$N" --send 100,200,300,400,500 \
	--recv 1000,2000,3000,4000,5000 >"$TEST_TMP/root.out" 2>&1 ||
	fail "client as root: $(cat "$TEST_TMP/root.out")"
setpriv --reuid=65534 --regid=65534 --clear-groups -- "$client_bin" client --addr 127.0.0.1 \
	--port "$port" --count "$N" --send 16,32,64,128,256 --recv 10,20,30,40,50 \
	>"$TEST_TMP/nobody.out" 2>&1 || fail "client as nobody: $(cat "$TEST_TMP/nobody.out")"
wait_for 15 "$((2 * N)) records" has_records_to $((2 * N)) "$port" ||
	fail "sockflow printed $(count_records_to "$port") of $((2 * N)) records"
sockflow_stop
capture_stop
nfcapd_stop

# Counters at nfcapd equal the capture's.
pcap_conns "$CAPTURE_FILE" tcp "$port" >"$TEST_TMP/conns"
assert_eq "connections in the capture" $((2 * N)) "$(wc -l <"$TEST_TMP/conns")"
nfcapd_totals "proto tcp and dst port $port" >"$TEST_TMP/nfcapd.totals"
assert_eq "records at nfcapd" $((2 * N)) "$(wc -l <"$TEST_TMP/nfcapd.totals")"
assert_totals_match "$TEST_TMP/conns" "$TEST_TMP/nfcapd.totals"

# The client's user, per client port.
{
	awk '{ print $1, "root" }' "$TEST_TMP/root.out"
	awk '{ print $1, "nobody" }' "$TEST_TMP/nobody.out"
} | sort -n >"$TEST_TMP/users.expected"
nfdump -R "$NFCAPD_DIR" -q -N -o 'fmt:%sp %uname' "proto tcp and dst port $port" |
	awk '$1 ~ /^[0-9]+$/ { print $1, $2 }' | sort -n >"$TEST_TMP/users"
assert_lines_eq "nfdump %uname per client port" "$TEST_TMP/users.expected" "$TEST_TMP/users"

# The client's program as the record's application: the mapping options records give
# nfdump its name and executable path ("name/path"), under sockflow's PEN.
client_exe=$(readlink -f "$client_bin")
nfdump -R "$NFCAPD_DIR" -q -N -o 'fmt:%sp %nbid %nbnam' "proto tcp and dst port $port" |
	awk '$1 ~ /^[0-9]+$/ { print $2, $3 }' | sort | uniq -c >"$TEST_TMP/apps"
log "applications (records, %nbid, %nbnam):"$'\n'"$(cat "$TEST_TMP/apps")"
assert_eq "records naming the client program" "$((2 * N)) sfclient/$client_exe" \
	"$(awk '{ print $1, $3 }' "$TEST_TMP/apps")"
grep -Eq '^ *[0-9]+ 20\.\.32473\.\.[0-9]+ ' "$TEST_TMP/apps" ||
	fail "applicationId is not engine 20 (PANA-L7-PEN) under PEN 32473: $(cat "$TEST_TMP/apps")"

# Both network latencies, as nfdump reads nProbe's fields: half each socket's RTT (on
# loopback tens of microseconds, so above 0 and below 50 ms).
nfdump -R "$NFCAPD_DIR" -q -N -o 'fmt:%sp %cl %sl' "proto tcp and dst port $port" |
	awk '$1 ~ /^[0-9]+$/' >"$TEST_TMP/latencies"
log "latencies (client port, %cl, %sl, ms):"$'\n'"$(cat "$TEST_TMP/latencies")"
assert_eq "records with both latencies above 0 and below 50 ms" $((2 * N)) \
	"$(awk '$2 > 0 && $2 < 50 && $3 > 0 && $3 < 50' "$TEST_TMP/latencies" | wc -l)"

# Start times to the millisecond, as sockflow --json printed them.
records_to "$port" | jq -r '[.sourceTransportPort, (.flowStartMilliseconds / 1000 * 1000 | floor)]
	| "\(.[0]) \(.[1])"' | sort -n >"$TEST_TMP/starts.expected"
nfdump -R "$NFCAPD_DIR" -q -N -o 'fmt:%sp %tsr' "proto tcp and dst port $port" |
	awk '$1 ~ /^[0-9]+$/ { split($2, t, "."); print $1, t[1] t[2] }' | sort -n \
	>"$TEST_TMP/starts"
assert_lines_eq "start times at nfcapd (ms)" "$TEST_TMP/starts.expected" "$TEST_TMP/starts"

# tshark: every v9 packet decodes, none malformed.
packets=$(tshark -r "$CAPTURE_FILE" -n -d "udp.port==$NFCAPD_PORT,cflow" -Y "cflow.version == 9" \
	2>/dev/null | wc -l)
((packets > 0)) || fail "tshark found no NetFlow v9 packet"
assert_eq "malformed v9 packets (tshark)" 0 "$(tshark -r "$CAPTURE_FILE" -n \
	-d "udp.port==$NFCAPD_PORT,cflow" -Y "_ws.malformed or _ws.expert.severity >= warning" \
	2>/dev/null | wc -l)"
log "ok: tshark decoded $packets NetFlow v9 packets"
# The exporter's counters in the options record sent at exit: every flow record before it
# (these connections' and any other flow's), as many as nfcapd got in all.
stats=$(tshark -r "$CAPTURE_FILE" -n -d "udp.port==$NFCAPD_PORT,cflow" \
	-Y "cflow.flowset_id == 258" -T fields -e cflow.flowsexp -e cflow.notsent_flows \
	2>/dev/null | tail -n 1)
assert_eq "options record: flow records sent, records lost (tshark)" "$(nfcapd_count) 0" \
	"$(tr '\t' ' ' <<<"$stats")"

# ---- uniflow: a record per direction, each with its own source's user ------------------
M=3
nfcapd_start "$TEST_TMP/uniflow"
capture_start "tcp port $port or udp port $NFCAPD_PORT"
sockflow_start --collector "udp://127.0.0.1:$NFCAPD_PORT?profile=nfdump" --json
before=$(count_records_to "$port")
setpriv --reuid=65534 --regid=65534 --clear-groups -- "$client_bin" client --addr 127.0.0.1 \
	--port "$port" --count "$M" --send 16,1000,20000 --recv 5,500,50000 \
	>"$TEST_TMP/uni.out" 2>&1 || fail "client as nobody: $(cat "$TEST_TMP/uni.out")"
wait_for 15 "$M records" has_records_to $((before + M)) "$port" ||
	fail "sockflow printed $(($(count_records_to "$port") - before)) of $M records"
sockflow_stop
capture_stop
nfcapd_stop
pcap_conns "$CAPTURE_FILE" tcp "$port" >"$TEST_TMP/uni.conns"
assert_eq "uniflow: connections in the capture" "$M" "$(wc -l <"$TEST_TMP/uni.conns")"
server_exe=$(readlink -f "$CONNGEN")
awk -v p="$port" -v c="sfclient/$client_exe" -v s="${server_exe##*/}/$server_exe" \
	'{ print $1, p, $2, $3, "nobody", c; print p, $1, $5, $6, "root", s }' \
	"$TEST_TMP/uni.conns" | sort -k1,1n -k2,2n >"$TEST_TMP/uni.expected"
nfdump -R "$NFCAPD_DIR" -q -N -o 'fmt:%sp %dp %ipkt %ibyt %uname %nbnam' \
	"proto tcp and port $port" |
	awk '$1 ~ /^[0-9]+$/ { print $1, $2, $3, $4, $5, $6 }' | sort -k1,1n -k2,2n \
	>"$TEST_TMP/uni.records"
assert_lines_eq "uniflow records at nfcapd (sport dport pkts bytes user application)" \
	"$TEST_TMP/uni.expected" "$TEST_TMP/uni.records"
assert_eq "malformed v9 uniflow packets (tshark)" 0 "$(tshark -r "$CAPTURE_FILE" -n \
	-d "udp.port==$NFCAPD_PORT,cflow" -Y "_ws.malformed or _ws.expert.severity >= warning" \
	2>/dev/null | wc -l)"
# ntop's process fields over v9 (57472 + ntop's id), as tshark decodes them: each record's
# source and destination process and user, for the connections' records.
tshark -r "$CAPTURE_FILE" -n -d "udp.port==$NFCAPD_PORT,cflow" -Y "cflow.flowset_id == 256" \
	-T fields -e cflow.srcport -e cflow.dstport -e cflow.pie.ntop.src_proc_name \
	-e cflow.pie.ntop.src_proc_user_name -e cflow.pie.ntop.dst_proc_name \
	-e cflow.pie.ntop.dst_proc_user_name 2>/dev/null |
	awk -F'\t' -v p="$port" '{
		n = split($1, sp, ","); split($2, dp, ","); split($3, sn, ","); split($4, su, ",")
		split($5, dn, ","); split($6, du, ",")
		for (i = 1; i <= n; i++)
			if (sp[i] == p || dp[i] == p)
				print sp[i], dp[i], sn[i], su[i], dn[i], du[i]
	}' | sort -k1,1n -k2,2n >"$TEST_TMP/uni.ntop"
awk -v p="$port" '{ print $1, p, "sfclient nobody conngen root"; print p, $1,
	"conngen root sfclient nobody" }' "$TEST_TMP/uni.conns" | sort -k1,1n -k2,2n \
	>"$TEST_TMP/uni.ntop.expected"
assert_lines_eq "ntop's process fields over v9 (tshark: sport dport, source's name user, \
destination's)" "$TEST_TMP/uni.ntop.expected" "$TEST_TMP/uni.ntop"
