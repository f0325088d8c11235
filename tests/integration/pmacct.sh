#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# pmacct: sockflow's ?profile=pmacct records through a real nfacctd, set up with the
# shipped etc/pmacct/nfacctd.conf and the primitives sockflow prints, written by its print
# plugin as JSON. The shipped etc/pmacct/sockflow.primitives is what --pmacct-primitives
# prints. Traffic: 3 loopback connections from a program run as nobody to a server run as
# root, and 2 HTTP requests from one podman container to another. Every connection
# arrives as two rows, one per direction: packets and bytes equal to that direction of a
# capture, and both ends' program, user and parent (loopback), and both ends' program and
# container name and runtime (containers), each end on its own side of the row. tshark
# decodes the uniflow records on the wire, without a warning.
# shellcheck disable=SC2154,SC2119
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/podman.sh
. "$(dirname "$0")/podman.sh"

require_root
require_btf
require_tools nfacctd tshark dumpcap jq setpriv
require_sockflow
require_conngen
require_podman

M=3
R=2
HTTP_PORT=8085

# The shipped primitives are the ones sockflow makes for the pmacct field list.
"$SOCKFLOW" --pmacct-primitives >"$TEST_TMP/primitives" || fail "--pmacct-primitives failed"
diff -u "$top_srcdir/etc/pmacct/sockflow.primitives" "$TEST_TMP/primitives" >&2 ||
	fail "etc/pmacct/sockflow.primitives differs from sockflow --pmacct-primitives"
log "ok: etc/pmacct/sockflow.primitives is what sockflow prints ($(grep -c '^name=' \
	"$TEST_TMP/primitives") primitives)"

client_bin=$(conngen_as sfclient)
chmod 755 "$TEST_TMP" "$TEST_TMP/bin"	# nobody runs the client from there
mkdir -p "$TEST_TMP/www"
head -c 20000 /dev/urandom >"$TEST_TMP/www/blob"
podman_start srv srv -v "$TEST_TMP/www:/www:ro" -- /bin/httpd -f -p "$HTTP_PORT" -h /www
podman_wait_listen "$srv" "$HTTP_PORT"
srv_ip=$(podman_ip "$srv")

conngen_serve
port=$CONNGEN_PORT
# The parents' names as the kernel has them, while both processes run.
parent=$(cat /proc/$$/comm)
server_parent=$(cat "/proc/$(awk '{ print $4 }' "/proc/$CONNGEN_PID/stat")/comm")
nfacctd_start
capture_start "tcp port $port or udp port $NFACCTD_PORT"
# The containers' traffic goes over podman's bridge, not lo: a capture of its own there.
bridge=$(ip -o route get "$srv_ip" | sed -n 's/.* dev \([^ ]*\).*/\1/p')
[[ -n $bridge ]] || fail "no route to the server container at $srv_ip"
bg_start http_cap_pid "$TEST_TMP/dumpcap-http.log" dumpcap -i "$bridge" \
	-f "tcp port $HTTP_PORT" -w "$TEST_TMP/http.pcapng" -q
wait_for 10 "dumpcap on $bridge" grep -qs '^Capturing on' "$TEST_TMP/dumpcap-http.log" ||
	fail "dumpcap on $bridge did not start: $(cat "$TEST_TMP/dumpcap-http.log")"
sockflow_start --collector "udp://127.0.0.1:$NFACCTD_PORT?profile=pmacct" --json

setpriv --reuid=65534 --regid=65534 --clear-groups -- "$client_bin" client --addr 127.0.0.1 \
	--port "$port" --count "$M" --send 16,1000,20000 --recv 5,500,50000 \
	>"$TEST_TMP/client.out" 2>&1 || fail "client as nobody: $(cat "$TEST_TMP/client.out")"
podman_run cli -- /bin/sh -c "i=0; while [ \$i -lt $R ]; do
	wget -q -O /dev/null http://$srv_ip:$HTTP_PORT/blob || exit 1; i=\$((i + 1)); done" ||
	fail "the client container's requests failed"
wait_for 15 "$M loopback records" has_records_to "$M" "$port" ||
	fail "sockflow printed $(count_records_to "$port") of $M loopback records"
wait_for 15 "$R container records" has_records_to "$R" "$HTTP_PORT" ||
	fail "sockflow printed $(count_records_to "$HTTP_PORT") of $R container records"
sockflow_stop
capture_stop
sleep 1	# dumpcap writes in bursts
proc_stop "$http_cap_pid" TERM 10 || true
nfacctd_stop

[[ -s $NFACCTD_JSON ]] || fail "nfacctd wrote nothing: $(tail -n 5 "$NFACCTD_LOG")"
grep -q 'plugin_buffer_size' "$NFACCTD_LOG" && fail "nfacctd: $(grep plugin_buffer_size \
	"$NFACCTD_LOG")"

# One row per direction: source port, destination port, packets, bytes, then each end's
# program, user and parent program.
rows() {
	jq -r --argjson p "$1" 'select(.port_src == $p or .port_dst == $p)
		| [.port_src, .port_dst, .packets, .bytes, .src_proc_name, .src_proc_user_name,
		   .src_father_proc_name, .dst_proc_name, .dst_proc_user_name,
		   .dst_father_proc_name, .sockflow_source_container_name,
		   .sockflow_source_container_runtime, .sockflow_destination_container_name,
		   .sockflow_destination_container_runtime]
		| map(if . == "" then "-" else tostring end) | join(" ")' "$NFACCTD_JSON" |
		awk -v c="$2" '{ NF = c; print }' | sort -k1,1n -k2,2n
}

# Loopback: the capture's counts each way; the client's end is nobody's sfclient (its
# parent this shell's bash), the server's root's conngen.
pcap_conns "$CAPTURE_FILE" tcp "$port" >"$TEST_TMP/conns"
assert_eq "loopback connections in the capture" "$M" "$(wc -l <"$TEST_TMP/conns")"
awk -v p="$port" -v bash="$parent" -v sp="$server_parent" '{
	print $1, p, $2, $3, "sfclient nobody", bash, "conngen root", sp
	print p, $1, $5, $6, "conngen root", sp, "sfclient nobody", bash
}' "$TEST_TMP/conns" | sort -k1,1n -k2,2n >"$TEST_TMP/loop.expected"
rows "$port" 10 >"$TEST_TMP/loop.rows"
assert_lines_eq "loopback rows at nfacctd (sport dport pkts bytes, source's program user \
parent, destination's)" "$TEST_TMP/loop.expected" "$TEST_TMP/loop.rows"

# Containers: wget in the client container, httpd in the server container, named and
# run by podman on both sides of each row.
cli=$(podman_name cli)
pcap_conns "$TEST_TMP/http.pcapng" tcp "$HTTP_PORT" >"$TEST_TMP/http.conns"
assert_eq "container connections in the capture" "$R" "$(wc -l <"$TEST_TMP/http.conns")"
awk -v p="$HTTP_PORT" -v cli="$cli" -v srv="$srv" '{
	print $1, p, $2, $3, "wget", "httpd", cli, "podman", srv, "podman"
	print p, $1, $5, $6, "httpd", "wget", srv, "podman", cli, "podman"
}' "$TEST_TMP/http.conns" | sort -k1,1n -k2,2n >"$TEST_TMP/http.expected"
rows "$HTTP_PORT" 14 | awk '{ print $1, $2, $3, $4, $5, $8, $11, $12, $13, $14 }' \
	>"$TEST_TMP/http.rows"
assert_lines_eq "container rows at nfacctd (sport dport pkts bytes, programs, source's \
container runtime, destination's)" "$TEST_TMP/http.expected" "$TEST_TMP/http.rows"

# tshark decodes the IPFIX uniflow records on the wire without a warning, each direction
# of each connection with its biflowDirection (1: the source is the client; 2: the server).
tshark_ipfix "$CAPTURE_FILE" "$NFACCTD_PORT" | jq -r --argjson p "$port" \
	'select(.destinationTransportPort == $p or .sourceTransportPort == $p)
	 | "\(.biflowDirection) \(.reverseOctetDeltaCount // "none")"' | sort | uniq -c \
	| awk '{ print $1, $2, $3 }' >"$TEST_TMP/wire"
assert_eq "IPFIX records of the loopback connections on the wire (count, biflowDirection, \
reverse counters)" "$M 1 none;$M 2 none" "$(paste -sd';' "$TEST_TMP/wire")"
assert_eq "malformed IPFIX packets (tshark)" 0 "$(tshark -r "$CAPTURE_FILE" -n \
	-d "udp.port==$NFACCTD_PORT,cflow" -Y "_ws.malformed or _ws.expert.severity >= warning" \
	2>/dev/null | wc -l)"
