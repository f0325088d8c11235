# SPDX-License-Identifier: GPL-2.0-only
# Shared helpers for integration tests (and bench/): skips, polling, processes, nfcapd,
# packet captures on lo and per-connection totals from them, sockflow start/stop.
#
# Usage, at the top of a test:
#   . "$(dirname "$0")/lib.sh"
#   require_root; require_btf; require_tools nfcapd nfdump tshark
#   require_sockflow; require_conngen
# Every process started through these helpers is killed on exit, the scratch directory
# $TEST_TMP is removed (kept, and its path printed, when the test fails or KEEP_TMP=1),
# and sysctls set with sysctl_set are restored.
#
# Environment (set by `make check`, defaults for running a test by hand from the tree):
#   SOCKFLOW  sockflow binary     CONNGEN  conngen binary
#   SOCKFLOW_READY_RE  extended regex that sockflow's log matches once it is attached
#   SOCKFLOW_EXTRA_ARGS  more sockflow arguments (split at white space) for every sockflow
#                        that sockflow_start runs, e.g. "--disable-mechanism fentry"
#   SOCKFLOW_WRAPPER  a command (split at white space) that sockflow_start puts in front of
#                     sockflow and that execs it, e.g. "setpriv --reuid=nobody ... --"
#                     (least_privilege.sh runs tests as an unprivileged user so)
#
# Exit codes: 0 pass, 1 fail, 77 skip (automake's convention).

# Variables set here are read by the tests that source this file; pids are set by bg_start.
# shellcheck disable=SC2034,SC2153

set -euo pipefail

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$LIB_DIR/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${SOCKFLOW:=$top_builddir/src/sockflow}"
# The build tree's sockflow reads its field lists from the source tree.
: "${SOCKFLOW_TEMPLATES_DIR:=$top_srcdir/templates}"
export SOCKFLOW_TEMPLATES_DIR
: "${CONNGEN:=$top_builddir/tests/tools/conngen}"
: "${SOCKFLOW_READY_RE:=running}"
IPFIX_PROBE="$top_srcdir/tests/tools/ipfix_probe.py"
TSHARK_IPFIX="$top_srcdir/tests/tools/tshark_ipfix.py"
PYTHON=/usr/bin/python3
# Debian keeps bpftool, nfacctd and friends in /usr/sbin, not always on a test's PATH.
PATH="$PATH:/usr/sbin:/sbin"

TEST_NAME=$(basename "$0" .sh)
TEST_TMP=$(mktemp -d "/tmp/sockflow-$TEST_NAME.XXXXXX")
declare -a LIB_PIDS=()		# background processes to kill on exit
declare -a LIB_SYSCTLS=()	# "key=original" pairs to restore on exit

# ---- reporting -------------------------------------------------------------

log() { printf '%s: %s\n' "$TEST_NAME" "$*" >&2; }
skip() { printf 'SKIP: %s: %s\n' "$TEST_NAME" "$*" >&2; exit 77; }
fail() { printf 'FAIL: %s: %s\n' "$TEST_NAME" "$*" >&2; exit 1; }

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
	[[ "$2" == "$3" ]] || fail "$1: expected '$2', got '$3'"
	log "ok: $1 = $3"
}

# assert_lines_eq WHAT EXPECTED_FILE ACTUAL_FILE: same lines; else fail showing the diff.
assert_lines_eq() {
	local d
	d=$(diff "$2" "$3") || fail "$1 differ (< expected, > actual):"$'\n'"$d"
	log "ok: $1 ($(wc -l <"$3") lines as expected)"
}

# ---- preconditions: exit 77 with a reason ------------------------------------

require_root() {
	[[ ${SOCKFLOW_INTEGRATION_TESTS:-yes} != no ]] ||
		skip "integration tests are off in this build (./configure --disable-integration-tests, as make distcheck does)"
	[[ $(id -u) -eq 0 ]] || skip "needs root (eBPF, packet capture)"
}

require_btf() {
	[[ -r /sys/kernel/btf/vmlinux ]] || skip "kernel has no BTF (/sys/kernel/btf/vmlinux)"
}

require_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
			skip "tool '$t' not installed (run scripts/deps.sh)"
	done
}

require_sockflow() {
	[[ -x "$SOCKFLOW" ]] || skip "sockflow binary not built ($SOCKFLOW)"
}

require_conngen() {
	[[ -x "$CONNGEN" ]] || skip "conngen not built ($CONNGEN); run make check"
}

# ---- cleanup ---------------------------------------------------------------

lib_cleanup() {
	local rc=$? pid kv
	trap - EXIT
	set +e
	for pid in "${LIB_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
		kill -CONT "$pid" 2>/dev/null	# a test may have stopped it
	done
	for pid in "${LIB_PIDS[@]}"; do
		proc_wait "$pid" 5 || kill -KILL "$pid" 2>/dev/null
	done
	for kv in "${LIB_SYSCTLS[@]}"; do
		sysctl -q -w "$kv" >/dev/null 2>&1 || log "could not restore sysctl $kv"
	done
	if [[ $rc -ne 0 && $rc -ne 77 ]] || [[ -n "${KEEP_TMP:-}" ]]; then
		log "scratch files kept in $TEST_TMP"
	else
		rm -rf "$TEST_TMP"
	fi
	exit "$rc"
}
trap lib_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- polling ---------------------------------------------------------------

# wait_for SECONDS DESCRIPTION CMD [ARGS...]: run CMD every 50 ms until it succeeds.
# Returns 1 (after saying what it waited for) when the deadline passes.
wait_for() {
	local timeout=$1 what=$2
	shift 2
	local deadline=$((SECONDS + timeout))
	# SECONDS has 1 s resolution: the deadline is at least timeout, at most timeout + 1.
	until "$@"; do
		if ((SECONDS > deadline)); then
			log "timed out after ${timeout}s waiting for $what"
			return 1
		fi
		sleep 0.05
	done
}

# ---- processes -------------------------------------------------------------

# bg_start VAR LOGFILE CMD [ARGS...]: start CMD in the background, stdout and stderr to
# LOGFILE, killed on exit; its pid goes to variable VAR.
bg_start() {
	local var=$1 logf=$2
	shift 2
	"$@" >"$logf" 2>&1 &
	LIB_PIDS+=("$!")
	printf -v "$var" '%s' "$!"
}

# bg_run VAR LOGFILE CMD [ARGS...]: run CMD to its end as bg_start does (its pid in VAR,
# for tests that check which process made a flow); returns CMD's exit status.
bg_run() {
	local bg_run_pid bg_run_rc=0
	bg_start bg_run_pid "$2" "${@:3}"
	wait "$bg_run_pid" || bg_run_rc=$?
	proc_forget "$bg_run_pid"
	printf -v "$1" '%s' "$bg_run_pid"
	return "$bg_run_rc"
}

proc_alive() { kill -0 "$1" 2>/dev/null; }

# proc_wait PID SECONDS: wait until PID is gone; 1 if it is still there at the deadline.
proc_wait() {
	local pid=$1 timeout=$2 deadline=$((SECONDS + $2))
	while proc_alive "$pid"; do
		((SECONDS > deadline)) && return 1
		sleep 0.05
	done
	return 0
}

# proc_stop PID [SIGNAL] [SECONDS]: signal PID (default TERM), wait for it (default 10 s,
# then KILL), reap it and return its exit status (128+n when killed by signal n).
proc_stop() {
	local pid=$1 sig=${2:-TERM} timeout=${3:-10} rc=0
	kill "-$sig" "$pid" 2>/dev/null || true
	if ! proc_wait "$pid" "$timeout"; then
		log "pid $pid ignored SIG$sig for ${timeout}s, killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || rc=$?
	proc_forget "$pid"
	return "$rc"
}

# proc_forget PID: reaped; cleanup must not signal whatever process reuses the number.
proc_forget() {
	local p keep=()
	for p in "${LIB_PIDS[@]}"; do
		[[ $p == "$1" ]] || keep+=("$p")
	done
	LIB_PIDS=("${keep[@]}")
}

# free_port udp|tcp [ADDR]: a port on ADDR (default 127.0.0.1; ::1 works) that nothing is
# bound to right now.
free_port() {
	"$PYTHON" - "$1" "${2:-127.0.0.1}" <<-'EOF'
	import socket, sys
	kind = socket.SOCK_DGRAM if sys.argv[1] == 'udp' else socket.SOCK_STREAM
	s = socket.socket(socket.AF_INET6 if ':' in sys.argv[2] else socket.AF_INET, kind)
	s.bind((sys.argv[2], 0))
	print(s.getsockname()[1])
	EOF
}

# free_port_other PROTO ADDR PORT...: as free_port, but none of PORT...: IPv4 and IPv6 free
# ports are drawn apart and can coincide, and a capture tells connections apart by port.
free_port_other() {
	local proto=$1 addr=$2 p
	shift 2
	for (( ; ; )); do
		p=$(free_port "$proto" "$addr")
		[[ " $* " == *" $p "* ]] || break
	done
	echo "$p"
}

# sysctl_set KEY VALUE: set a sysctl for this run; the original value is restored on exit.
sysctl_set() {
	local key=$1 val=$2 old
	old=$(sysctl -n "$key") || fail "sysctl $key not available"
	LIB_SYSCTLS+=("$key=$old")
	sysctl -q -w "$key=$val" >/dev/null || fail "cannot set sysctl $key=$val"
}

# ---- conngen ---------------------------------------------------------------

# conngen_serve [ARGS...]: start `conngen serve --port 0 ARGS`; sets CONNGEN_PID and
# CONNGEN_PORT (and CONNGEN_ADDR) once it prints "ready ADDR PORT". A --port P in ARGS
# wins over the --port 0 (for a port chosen earlier, e.g. with free_port, to capture on).
# Its output goes to CONNGEN_LOG (with --udp, "received N dgrams B bytes" after SIGTERM).
conngen_serve() {
	local out="$TEST_TMP/conngen-serve.$RANDOM.log"
	CONNGEN_LOG=$out
	bg_start CONNGEN_PID "$out" "$CONNGEN" serve --port 0 "$@"
	wait_for 5 "conngen serve to listen" grep -qs '^ready ' "$out" ||
		fail "conngen serve did not start: $(cat "$out")"
	read -r _ CONNGEN_ADDR CONNGEN_PORT < <(grep '^ready ' "$out")
}

# conngen_as NAME: a copy of conngen named NAME in $TEST_TMP/bin; prints its path. The
# kernel's comm (what sockflow exports as the process name) is the exec'd file name, cut
# to 15 characters, so a test can tell its client (say "sfclient") from its server
# ("sfserver") and from any other conngen on the host.
conngen_as() {
	mkdir -p "$TEST_TMP/bin"
	cp "$CONNGEN" "$TEST_TMP/bin/$1"
	printf '%s\n' "$TEST_TMP/bin/$1"
}

# ---- nfcapd (nfdump 1.7.1; IPFIX/NetFlow over UDP only) ------------------------

# nfcapd_start [DIR [PORT]]: nfcapd on a free 127.0.0.1 UDP port (or PORT), writing into
# DIR (default $TEST_TMP/nfcapd). Sets NFCAPD_PORT, NFCAPD_DIR, NFCAPD_PID, NFCAPD_LOG.
# Retries when the port was taken meanwhile.
#   nfcapd -w DIR -p PORT -b 127.0.0.1 -t 3600 -B 8388608
# -t 3600: rotation is irrelevant, all records are on disk once nfcapd exits (it renames
# nfcapd.current.PID to nfcapd.YYYYmmddHHMM); -B: a big socket buffer for bursts (the
# kernel caps it at net.core.rmem_max).
nfcapd_start() {
	local attempt
	NFCAPD_DIR=${1:-$TEST_TMP/nfcapd}
	NFCAPD_LOG="$NFCAPD_DIR.log"
	mkdir -p "$NFCAPD_DIR"
	for attempt in 1 2 3; do
		NFCAPD_PORT=${2:-$(free_port udp)}
		bg_start NFCAPD_PID "$NFCAPD_LOG" \
			nfcapd -w "$NFCAPD_DIR" -p "$NFCAPD_PORT" -b 127.0.0.1 -t 3600 -B 8388608
		if wait_for 5 "nfcapd to start" nfcapd_ready; then
			return 0
		fi
		log "nfcapd attempt $attempt on port $NFCAPD_PORT failed"
		proc_stop "$NFCAPD_PID" TERM 2 || true
	done
	fail "nfcapd would not start: $(cat "$NFCAPD_LOG")"
}

nfcapd_ready() {
	proc_alive "$NFCAPD_PID" || return 1
	grep -qs '^Startup' "$NFCAPD_LOG" && udp_port_bound "$NFCAPD_PORT"
}

# udp_port_bound PORT / udp_rx_queue PORT / udp_drops PORT: from /proc/net/udp (a socket
# bound to that port on any IPv4 address): bound?, bytes queued unread, datagrams the
# kernel dropped because the receive buffer was full.
udp_port_bound() { [[ -n $(udp_sock_field "$1" rxq) ]]; }
udp_rx_queue() { udp_sock_field "$1" rxq; }
udp_drops() { udp_sock_field "$1" drops; }
udp_sock_field() {
	awk -v port="$(printf '%04X' "$1")" -v want="$2" '
		function hex(s,   i, v) {
			v = 0
			for (i = 1; i <= length(s); i++)
				v = v * 16 + index("0123456789ABCDEF", toupper(substr(s, i, 1))) - 1
			return v
		}
		NR > 1 {
			split($2, a, ":")
			if (a[2] != port)
				next
			split($5, q, ":")
			print want == "rxq" ? hex(q[2]) : $NF
			exit
		}' /proc/net/udp
}

# nfcapd_stop: wait until nfcapd has read everything queued on its socket (it does not
# drain the socket on SIGTERM), then SIGTERM: it writes and closes its file and exits.
nfcapd_stop() {
	wait_for 30 "nfcapd to drain its socket" nfcapd_drained || true
	NFCAPD_DROPS=$(udp_drops "$NFCAPD_PORT")
	proc_stop "$NFCAPD_PID" TERM 30 || fail "nfcapd exited with status $?: $(cat "$NFCAPD_LOG")"
	[[ ${NFCAPD_DROPS:-0} == 0 ]] ||
		log "warning: the kernel dropped $NFCAPD_DROPS datagrams at nfcapd's socket"
}

nfcapd_drained() { [[ $(udp_rx_queue "$NFCAPD_PORT") == 0 ]]; }

# nfcapd_flows [FILTER]: one line per record, after nfcapd_stop:
#   SRCADDR SRCPORT DSTADDR DSTPORT PROTO PKTS BYTES REVPKTS REVBYTES  (all numeric, -N)
# nfdump maps octetDeltaCount/packetDeltaCount to in_bytes/in_packets and the RFC 5103
# reverse elements to out_bytes/out_packets. FILTER is nfdump syntax ("dst port 8080").
nfcapd_flows() {
	nfdump -R "$NFCAPD_DIR" -q -N -o 'fmt:%sa %sp %da %dp %pr %ipkt %ibyt %opkt %obyt' \
		"$@" | awk '$1 ~ /^[0-9a-fA-F.:]+$/ { $1 = $1; print }' # skips "No matching flows"
}

# nfcapd_count [FILTER]: number of records.
nfcapd_count() { nfcapd_flows "$@" | wc -l; }

# nfcapd_json: nfdump's full JSON (a list of objects: in_bytes, out_bytes, src_port, ...).
nfcapd_json() { nfdump -R "$NFCAPD_DIR" -o json "$@"; }

# ---- nfacctd (pmacct 1.7.7; IPFIX/NetFlow over UDP only) -----------------------

# nfacctd_start [DIR [PORT]]: nfacctd with the shipped etc/pmacct/nfacctd.conf and the
# primitives sockflow prints (--pmacct-primitives), on UDP PORT (default a free one) of
# 127.0.0.1 (NFACCTD_PORT), its print plugin appending JSON lines to DIR/flows.json
# (NFACCTD_JSON) every second.
nfacctd_start() {
	local dir=${1:-$TEST_TMP/nfacctd}
	mkdir -p "$dir"
	NFACCTD_JSON=$dir/flows.json
	NFACCTD_LOG=$dir/nfacctd.log
	NFACCTD_PORT=${2:-$(free_port udp)}
	"$SOCKFLOW" --pmacct-primitives >"$dir/sockflow.primitives" ||
		fail "sockflow --pmacct-primitives failed"
	sed -e "s|^nfacctd_port:.*|nfacctd_port: $NFACCTD_PORT|" \
		-e "s|^aggregate_primitives:.*|aggregate_primitives: $dir/sockflow.primitives|" \
		-e "s|^\(print_output_file\[[a-z]*\]\):.*|\1: $NFACCTD_JSON|" \
		-e "s|^\(print_refresh_time\[[a-z]*\]\):.*|\1: 1|" \
		"$top_srcdir/etc/pmacct/nfacctd.conf" >"$dir/nfacctd.conf"
	bg_start NFACCTD_PID "$NFACCTD_LOG" nfacctd -f "$dir/nfacctd.conf"
	wait_for 10 "nfacctd to listen" nfacctd_ready ||
		fail "nfacctd would not start: $(cat "$NFACCTD_LOG")"
}

nfacctd_ready() { proc_alive "$NFACCTD_PID" && udp_port_bound "$NFACCTD_PORT"; }

# nfacctd_stop: once its socket is drained, SIGINT (nfacctd ignores SIGTERM while idle):
# its print plugin writes what it holds and it exits.
nfacctd_stop() {
	wait_for 30 "nfacctd to drain its socket" nfacctd_drained || true
	sleep 1.5	# its core hands records to the plugin in batches
	proc_stop "$NFACCTD_PID" INT 30 || fail "nfacctd exited with status $?: $(cat "$NFACCTD_LOG")"
}

nfacctd_drained() { [[ $(udp_rx_queue "$NFACCTD_PORT") == 0 ]]; }

# ---- packet capture on lo -----------------------------------------------------

# Capture readiness marker: one ICMP echo to an address on lo nobody uses. Raw ICMP, so
# sockflow (TCP/UDP) never sees it. dumpcap writes each packet out within ~0.1 s.
CAPTURE_MARK_ADDR=127.255.255.254
# Each marker carries its own number, "sockflow-mark-N" (N in CAPTURE_MARK_N), so the test
# can tell that this very packet, and so every packet before it, is in the file.
CAPTURE_MARK_N=0
capture_mark() {
	CAPTURE_MARK_N=$((CAPTURE_MARK_N + 1))
	"$PYTHON" - "$CAPTURE_MARK_ADDR" "sockflow-mark-$CAPTURE_MARK_N." <<-'EOF'
	import socket, sys
	s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
	pkt = bytearray(b'\x08\x00\x00\x00\x53\x46\x00\x01' + sys.argv[2].encode())
	c = sum((pkt[i] << 8) + pkt[i + 1] for i in range(0, len(pkt) - 1, 2))
	c += pkt[-1] << 8 if len(pkt) % 2 else 0
	c = (c >> 16) + (c & 0xffff)
	c = ~(c + (c >> 16)) & 0xffff
	pkt[2], pkt[3] = c >> 8, c & 0xff
	s.sendto(bytes(pkt), (sys.argv[1], 0))
	EOF
}

file_size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# capture_has_mark N: marker N is in the capture file (dumpcap writes packets in order).
capture_has_mark() { grep -aqF "sockflow-mark-$1." "$CAPTURE_FILE" 2>/dev/null; }

# capture_mark_seen: send a new marker, then true if it is in the file within a second.
capture_mark_seen() {
	local i
	capture_mark
	for i in 1 2 3 4 5 6 7 8 9 10; do
		capture_has_mark "$CAPTURE_MARK_N" && return 0
		sleep 0.1
	done
	return 1
}
capture_running() { proc_alive "$CAPTURE_PID" && grep -qs '^Capturing on' "$CAPTURE_LOG"; }

# capture_start FILTER [IFACE]: dumpcap on IFACE (default lo) with a BPF capture FILTER
# into $TEST_TMP/capture.pcapng; sets CAPTURE_FILE and CAPTURE_PID. Returns once a marker
# packet sent afterwards is in the file, so the capture really sees traffic.
#   dumpcap -i lo -f "(FILTER) or (icmp and host 127.255.255.254)" -B 64 -s SNAPLEN -w FILE -q
# -B 64: a 64 MiB kernel buffer; the default 2 MiB drops packets when a test moves a few
# MB over lo (64 KiB packets). CAPTURE_SNAPLEN=128 keeps headers only, enough for
# pcap_conns (tcp.len comes from the IP length); the default 0 keeps whole packets, which
# tshark_ipfix needs.
# The marker works on lo only; on another IFACE readiness is dumpcap's "Capturing on".
capture_start() {
	local filter=$1 iface=${2:-lo}
	CAPTURE_IFACE=$iface
	CAPTURE_FILE="$TEST_TMP/capture.pcapng"
	CAPTURE_LOG="$TEST_TMP/dumpcap.log"
	[[ $iface == lo ]] && filter="($filter) or (icmp and host $CAPTURE_MARK_ADDR)"
	bg_start CAPTURE_PID "$CAPTURE_LOG" dumpcap -i "$iface" -f "$filter" -B 64 \
		-s "${CAPTURE_SNAPLEN:-0}" -w "$CAPTURE_FILE" -q
	wait_for 10 "dumpcap to start" capture_running ||
		fail "dumpcap did not start: $(cat "$CAPTURE_LOG")"
	[[ $iface == lo ]] || return 0
	# Markers until one is on disk: one may go by before the capture is live, and
	# dumpcap writes its file in bursts.
	wait_for 30 "a capture marker to be written" capture_mark_seen ||
		fail "dumpcap is running but captures nothing: $(cat "$CAPTURE_LOG")"
}

# capture_stop: send a marker and wait until it is written (so every earlier packet is
# too), then stop dumpcap.
capture_stop() {
	if [[ $CAPTURE_IFACE == lo ]]; then
		capture_mark
		wait_for 10 "the final capture marker" capture_has_mark "$CAPTURE_MARK_N" ||
			fail "the final capture marker never reached the file: $(cat "$CAPTURE_LOG")"
	fi
	proc_stop "$CAPTURE_PID" TERM 10 || true
	# "Packets received/dropped on interface 'Loopback: lo': 123/0 (...)"
	if ! grep -Eq 'received/dropped on interface .*: [0-9]+/0 ' "$CAPTURE_LOG"; then
		log "warning: dumpcap may have dropped packets: $(cat "$CAPTURE_LOG")"
	fi
}

# pcap_conns PCAP tcp|udp SERVER_PORT: per-connection totals, one line per client port,
# sorted by port:
#   CLIENT_PORT FWD_PKTS FWD_IP_BYTES FWD_PAYLOAD REV_PKTS REV_IP_BYTES REV_PAYLOAD
# forward = client -> server (packets to SERVER_PORT). IP bytes are IP-layer lengths with
# headers (ip.len, or ipv6.plen + 40), as octetDeltaCount counts them; PAYLOAD is tcp.len
# (or udp.length - 8). Only the first header of each kind counts, so an ICMP error that
# quotes a packet does not count twice:
#   tshark -r PCAP -n -Y "tcp.port == P" -T fields -E separator=, -E occurrence=f \
#     -e tcp.srcport -e tcp.dstport -e ip.len -e ipv6.plen -e tcp.len \
#     -e tcp.flags.fin -e tcp.flags.ack -e tcp.ack -e tcp.nxtseq
# A TCP connection's count ends with the ACK of its second FIN: both sockets are closed
# then, and what the kernel still sends for them (a TIME_WAIT's ACK, a reset from no
# socket) belongs to no socket, so no socket-level counter can see it.
pcap_conns() {
	local pcap=$1 proto=$2 port=$3 len_field fields=()
	case $proto in
	tcp) len_field=tcp.len
		fields=(-e tcp.flags.fin -e tcp.flags.ack -e tcp.ack -e tcp.nxtseq) ;;
	udp) len_field=udp.length ;;
	*) fail "pcap_conns: protocol must be tcp or udp" ;;
	esac
	tshark -r "$pcap" -n -Y "$proto.port == $port and not icmp and not icmpv6" -T fields \
		-E separator=, -E occurrence=f -e "$proto.srcport" -e "$proto.dstport" \
		-e ip.len -e ipv6.plen -e "$len_field" "${fields[@]}" 2>/dev/null |
		awk -F, -v sport="$port" -v proto="$proto" '
		{
			ipb = $3 != "" ? $3 : $4 + 40
			pl = proto == "udp" ? $5 - 8 : $5
			if ($2 == sport) { c = $1; d = "f" }
			else if ($1 == sport) { c = $2; d = "r" }
			else next
			if (done[c]) next
			if (d == "f") { fp[c]++; fb[c] += ipb; fl[c] += pl }
			else { rp[c]++; rb[c] += ipb; rl[c] += pl }
			seen[c] = 1
			if (proto != "tcp") next
			other = d == "f" ? "r" : "f"
			# The connection is over once the FIN of each side has been acknowledged
			# by the other, whichever order they came in (FINs may cross: then each
			# side acknowledges the FIN of the other, and either ACK can come last).
			if ($7 == 1 && (c, other) in fin_next && $8 + 0 >= fin_next[c, other])
				fin_acked[c, other] = 1
			if ($6 == 1 && !((c, d) in fin_next))
				fin_next[c, d] = $9
			if (((c, "f") in fin_acked) && ((c, "r") in fin_acked))
				done[c] = 1
		}
		END {
			for (c in seen)
				printf "%s %d %d %d %d %d %d\n",
					c, fp[c], fb[c], fl[c], rp[c], rb[c], rl[c]
		}' | sort -n
}

# tshark_ipfix PCAP PORT [udp|tcp]: the IPFIX records in a capture of traffic to a
# collector on PORT, one JSON object per record with IPFIX element names as keys
# (octetDeltaCount, reverseOctetDeltaCount, SRC_PROC_NAME, ...), like sockflow --json.
#   tshark -r PCAP -d udp.port==PORT,cflow -T pdml | tests/tools/tshark_ipfix.py
tshark_ipfix() {
	local pcap=$1 port=$2 proto=${3:-udp}
	tshark -r "$pcap" -n -d "$proto.port==$port,cflow" -Y cflow -T pdml 2>/dev/null |
		"$PYTHON" "$TSHARK_IPFIX"
}

# ---- IPFIX files (file:PATH collector) ------------------------------------------

# ipfix_file_records FILE: number of data records, from `ipfixDump -i FILE -s`
# ("*** File Stats: 1 Messages, 2 Data Records, 1 Template Records ***"). To see records:
#   ipfixDump -i FILE -d --rfc5610
# --rfc5610 names enterprise elements described in-band; without it ntop's elements show
# as "(35632/169) _alienInformationElement".
ipfix_file_records() {
	ipfixDump -i "$1" -s | sed -n 's/.*File Stats: [0-9]* Messages, \([0-9]*\) Data Records.*/\1/p'
}

# ipfix_dump_records FILE: the flow records in an IPFIX file (or a saved TCP export stream,
# which is the same sequence of messages) as JSON lines keyed by element name, like
# sockflow --json and tshark_ipfix; records without sourceTransportPort (RFC 5610 type
# records) are left out. Numbers become numbers; strings lose ipfixDump's "(len: N) ";
# IPv6 addresses are written the usual way ("::1", where ipfixDump prints "::0001").
#   ipfixDump --rfc5610 -d -i FILE
ipfix_dump_records() {
	ipfixDump --rfc5610 -d -i "$1" | "$PYTHON" -c '
import ipaddress, json, re, sys
FIELD = re.compile(r"^\s*\(([0-9/]+)\)\s*(?:\(S\))?\s*(\S+)\s+:\s?(.*)$")
rec = None
def done(r):
    if r and "sourceTransportPort" in r:
        print(json.dumps(r, sort_keys=True))
for line in sys.stdin:
    if line.startswith("--- data record"):
        done(rec)
        rec = {}
        continue
    m = FIELD.match(line) if rec is not None else None
    if not m:
        continue
    v = re.sub(r"^\(len: \d+\) ?", "", m.group(3).rstrip("\n"))
    if m.group(2).endswith("IPv6Address"):
        v = str(ipaddress.ip_address(v))
    rec[m.group(2)] = int(v) if re.fullmatch(r"-?\d+", v) else v
done(rec)
'
}

# ---- comparing records with captures ------------------------------------------

# Per-flow totals, one line per source (client) port, sorted:
#   SRC_PORT PKTS BYTES REV_PKTS REV_BYTES RECORDS
# Interim records (active timeout) of one flow are summed; RECORDS says how many there were.
sum_by_port() {
	awk '{ p[$1] += $2; b[$1] += $3; rp[$1] += $4; rb[$1] += $5; n[$1]++ }
		END { for (k in p) printf "%s %d %d %d %d %d\n", k, p[k], b[k], rp[k], rb[k], n[k] }' |
		sort -n
}

# flow_totals JSONL [DST_PORT]: from sockflow --json output or tshark_ipfix output.
flow_totals() {
	jq -r --arg dport "${2:-}" 'select(.sourceTransportPort != null)
		| select($dport == "" or (.destinationTransportPort | tostring) == $dport)
		| [.sourceTransportPort, .packetDeltaCount // 0, .octetDeltaCount // 0,
		   .reversePacketDeltaCount // 0, .reverseOctetDeltaCount // 0] | @tsv' "$1" |
		sum_by_port
}

# records_to PORT [JSONL]: the records (JSON lines, from sockflow --json or tshark_ipfix;
# default $SOCKFLOW_OUT) whose destinationTransportPort is PORT, one object a line. A last
# line that sockflow is still writing is skipped, so this can be polled.
records_to() {
	jq -cR --argjson port "$1" 'fromjson? | select(.destinationTransportPort == $port)' \
		"${2:-$SOCKFLOW_OUT}"
}

# count_records_to PORT [JSONL] / has_records_to N PORT [JSONL] (N or more), for wait_for.
count_records_to() { records_to "$@" | wc -l; }
has_records_to() { (($(count_records_to "${@:2}") >= $1)); }

# nfcapd_totals [FILTER]: the same from nfcapd's files (after nfcapd_stop).
nfcapd_totals() { nfcapd_flows "$@" | awk '{ print $2, $6, $7, $8, $9 }' | sum_by_port; }

# assert_totals_match CONNS TOTALS: every connection in CONNS (pcap_conns output) has a
# flow in TOTALS (flow_totals / nfcapd_totals output) with the same packets and IP bytes
# each way. Extra flows in TOTALS are not an error here.
assert_totals_match() {
	local conns=$1 totals=$2 bad
	bad=$(awk 'NR == FNR { t[$1] = $2 " " $3 " " $4 " " $5; next }
		{
			want = $2 " " $3 " " $5 " " $6
			if (!($1 in t)) print "port " $1 ": no flow record (capture: " want ")"
			else if (t[$1] != want)
				print "port " $1 ": record " t[$1] ", capture " want \
					" (pkts bytes rev_pkts rev_bytes)"
		}' "$totals" "$conns")
	[[ -z $bad ]] || fail "records differ from the capture:"$'\n'"$bad"
	log "ok: $(wc -l <"$conns") connections match the capture"
}

# ---- sockflow ----------------------------------------------------------------

# sockflow_start [ARGS...]: run sockflow in the background; stdout (--print/--json lines)
# to $SOCKFLOW_OUT, stderr (log) to $SOCKFLOW_LOG; sets SOCKFLOW_PID. Then waits until
# it is attached (sockflow_ready). $SOCKFLOW_EXTRA_ARGS come after ARGS; $SOCKFLOW_WRAPPER
# before sockflow (it must exec sockflow: SOCKFLOW_PID is the wrapper's pid).
sockflow_start() {
	local extra=() wrapper=()
	read -r -a extra <<<"${SOCKFLOW_EXTRA_ARGS:-}"
	read -r -a wrapper <<<"${SOCKFLOW_WRAPPER:-}"
	((${#extra[@]} == 0)) || log "sockflow with extra arguments: ${extra[*]}"
	((${#wrapper[@]} == 0)) || log "sockflow started through: ${wrapper[*]}"
	SOCKFLOW_OUT="$TEST_TMP/sockflow.out"
	SOCKFLOW_LOG="$TEST_TMP/sockflow.log"
	# Emptied here, not by the redirection below: a second sockflow_start would otherwise
	# find the first run's "running" before the new process has truncated the file.
	: >"$SOCKFLOW_LOG"
	"${wrapper[@]}" "$SOCKFLOW" --log-level info "$@" "${extra[@]}" >"$SOCKFLOW_OUT" \
		2>"$SOCKFLOW_LOG" &
	SOCKFLOW_PID=$!
	LIB_PIDS+=("$SOCKFLOW_PID")
	wait_for 20 "sockflow to attach" sockflow_ready ||
		fail "sockflow did not become ready; its log: $(cat "$SOCKFLOW_LOG")"
}

# probe_table FILE: `sockflow --probe`'s table as "capability mechanism result" lines (the
# capability carried down to the rows of its later mechanisms).
probe_table() {
	awk '/^capability / { m = index($0, "mechanism"); r = index($0, "result"); next }
		/^probed in/ { next }
		/^privileges/ { exit }
		{ cap = substr($0, 1, m - 2); name = substr($0, m, r - m - 1); res = substr($0, r, 9)
		  gsub(/ /, "", cap); gsub(/ /, "", name); gsub(/ /, "", res) }
		cap != "" { current = cap }
		name != "" { print current, name, res }' "$1"
}

# sockflow_ready: the one place that knows what "attached and running" looks like.
sockflow_ready() {
	proc_alive "$SOCKFLOW_PID" ||
		fail "sockflow exited during start-up; its log: $(cat "$SOCKFLOW_LOG")"
	grep -Eqs "$SOCKFLOW_READY_RE" "$SOCKFLOW_LOG"
}

# sockflow_stop: SIGTERM (sockflow exports open flows with reason 4 and exits); fails
# the test unless it exits 0 within 20 s.
sockflow_stop() {
	local rc=0
	proc_stop "$SOCKFLOW_PID" TERM 20 || rc=$?
	[[ $rc -eq 0 ]] ||
		fail "sockflow exited with status $rc; its log: $(tail -n 30 "$SOCKFLOW_LOG")"
}

# proc_cpu_s PID: user+system CPU seconds so far; proc_peak_rss_kb PID: peak RSS (VmHWM).
proc_cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz }' \
		"/proc/$1/stat"
}
proc_peak_rss_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

# cpu_settled PID: true once PID used at most 2 clock ticks (~4%) of CPU in the last 0.5 s,
# i.e. it has worked off its backlog (benchmarks wait for this before reading its CPU).
cpu_settled() {
	local a b
	a=$(proc_cpu_s "$1")
	sleep 0.5
	b=$(proc_cpu_s "$1")
	awk -v a="$a" -v b="$b" 'BEGIN { exit !(b - a < 0.025) }'
}
