#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The start-up socket scan against ss: real TCP listeners, connections (one waiting in an
# accept queue) and UDP sockets, IPv4 and IPv6, held by known processes (one as uid 65534,
# one in a cgroup of its own, one forked so that two processes hold the same sockets) in
# the host namespace, in a namespace made with `ip netns add` and in one that only a
# process made by `unshare -n` keeps. `sockscan` must list exactly what `ss -tuanpe`
# lists there (tuples, states, cookies, inodes, socket uids, the lowest owning pid and its
# comm, cgroups), each owner as /proc describes it (uid, ppid, parent's comm, start
# time), listeners before connections. Then: a holder that exits is gone from the next
# scan; a process that vanishes while the scan reads it (a /proc fixture) is counted and
# names nothing; scans while processes holding sockets come and go all succeed.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

: "${SOCKSCAN:=$top_builddir/tests/tools/sockscan}"
: "${DIAGPOLL:=$top_builddir/tests/tools/diagpoll}"
NS="sfscantest-$$"
CG_ROOT=/sys/fs/cgroup/unified
CG="$CG_ROOT/sfscantest-$$"
SCANS=20

require_root
require_tools ip ss unshare nsenter setpriv
[[ -x "$PYTHON" ]] || skip "no $PYTHON"
[[ -x "$SOCKSCAN" ]] || skip "sockscan not built ($SOCKSCAN); run make check"
[[ -x "$DIAGPOLL" ]] || skip "diagpoll not built ($DIAGPOLL); run make check"
[[ -r /proc/net/if_inet6 ]] || skip "no IPv6 on this host"

# The namespace and the cgroup go on exit, pass or fail; the cgroup once the server in it
# is reaped. Then lib.sh's cleanup (processes, scratch directory) with the test's status.
scan_cleanup() {
	local rc=$? _
	set +e
	[[ -n "${TEST_TMP:-}" ]] && touch "$TEST_TMP/churn.stop"
	ip netns del "$NS" 2>/dev/null
	if [[ -d $CG ]]; then
		[[ -n ${SRV_PID:-} ]] && proc_stop "$SRV_PID" TERM 5
		for _ in $(seq 50); do
			rmdir "$CG" 2>/dev/null && break
			sleep 0.1
		done
		[[ -d $CG ]] && log "could not remove cgroup $CG"
	fi
	(exit "$rc")
	lib_cleanup
}
trap scan_cleanup EXIT

# hold NAME OP...: a process named NAME (its comm) that opens sockets, prints what it
# bound ("tcp PORT", "udp PORT"), "accepted N" as it accepts, "ready", then sleeps.
#   listen=ADDR          TCP listener on ADDR, port 0, accepting in a thread
#   listen-noaccept=ADDR  TCP listener that never accepts
#   connect=ADDR,PORT,N  N TCP connections
#   selfconnect=N        N TCP connections to the last listener
#   udp=ADDR             UDP socket bound to ADDR, port 0
#   udp-connect=ADDR,PORT  UDP socket connected to ADDR:PORT
#   fork=NAME2           fork; the child (comm NAME2) holds everything too, prints "child PID"
HOLD_PY='
import ctypes, os, signal, socket, sys, threading, time
libc = ctypes.CDLL(None)
def name(n):
    libc.prctl(15, n.encode(), 0, 0, 0)
name(sys.argv[1])
keep, last, lock = [], None, threading.Lock()
def out(*a):
    with lock:
        sys.stdout.write(" ".join(map(str, a)) + "\n")
        sys.stdout.flush()
def fam(a):
    return socket.AF_INET6 if ":" in a else socket.AF_INET
def acceptor(l):
    n = 0
    while True:
        keep.append(l.accept()[0])
        n += 1
        out("accepted", n)
for cmd in sys.argv[2:]:
    op, _, arg = cmd.partition("=")
    if op in ("listen", "listen-noaccept"):
        last = socket.socket(fam(arg), socket.SOCK_STREAM)
        last.bind((arg, 0))
        last.listen(16)
        keep.append(last)
        out("tcp", last.getsockname()[1])
        if op == "listen":
            threading.Thread(target=acceptor, args=(last,), daemon=True).start()
    elif op in ("connect", "selfconnect"):
        if op == "connect":
            a, p, n = arg.split(",")
            dst = (a, int(p))
        else:
            n, dst = arg, last.getsockname()[:2]
        for _ in range(int(n)):
            keep.append(socket.create_connection(dst))
    elif op == "udp":
        u = socket.socket(fam(arg), socket.SOCK_DGRAM)
        u.bind((arg, 0))
        keep.append(u)
        out("udp", u.getsockname()[1])
    elif op == "udp-connect":
        a, p = arg.split(",")
        u = socket.socket(fam(a), socket.SOCK_DGRAM)
        u.connect((a, int(p)))
        keep.append(u)
    elif op == "fork":
        child = os.fork()
        if child == 0:
            # The acceptor thread may hold the output lock or the stdout buffer at
            # the fork: the child writes to the descriptor directly.
            libc.prctl(1, signal.SIGTERM, 0, 0, 0)
            name(arg)
            os.write(1, b"child %d\n" % os.getpid())
            while True:
                time.sleep(3600)
        def stop(sig, frame, child=child):
            os.kill(child, signal.SIGTERM)
            os.waitpid(child, 0)
            sys.exit(0)
        signal.signal(signal.SIGTERM, stop)
out("ready")
while True:
    time.sleep(3600)
'

# hold_start VAR LOG [PREFIX...] -- NAME OP...: run a holder (after PREFIX, a command that
# execs its arguments: ip netns exec, setpriv), its pid in VAR; wait until it is ready.
hold_start() {
	local var=$1 logf=$2 pre=()
	shift 2
	while [[ $1 != -- ]]; do
		pre+=("$1")
		shift
	done
	shift
	bg_start "$var" "$logf" "${pre[@]}" "$PYTHON" -c "$HOLD_PY" "$@"
	wait_for 10 "holder $1" grep -qs '^ready' "$logf" ||
		fail "holder $1 did not start: $(cat "$logf")"
}
accepted() { [[ $(grep -c '^accepted' "$1") -ge $2 ]]; }
port_of() { awk -v p="$2" '$1 == p { print $2; exit }' "$1"; }

# ---- the host namespace ------------------------------------------------------------

HOST_INO=$(stat -L -c %i /proc/self/ns/net)
CG_INO=
# The server starts in a cgroup of its own: its sockets carry that cgroup's id.
CG_PREFIX=()
if [[ -w $CG_ROOT/cgroup.procs ]] && mkdir "$CG" 2>/dev/null; then
	CG_INO=$(stat -c %i "$CG")
	# shellcheck disable=SC2016 # expanded by that sh
	CG_PREFIX=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG")
else
	log "no writable cgroup v2 hierarchy at $CG_ROOT: the server stays in its cgroup"
fi
hold_start SRV_PID "$TEST_TMP/srv.log" "${CG_PREFIX[@]}" -- sfscan-srv \
	listen=127.0.0.1 listen=::1 listen-noaccept=127.0.0.1 udp=127.0.0.1 udp=::1
SRV_TCP4=$(sed -n 's/^tcp //p' "$TEST_TMP/srv.log" | sed -n 1p)
SRV_TCP6=$(sed -n 's/^tcp //p' "$TEST_TMP/srv.log" | sed -n 2p)
SRV_QUEUE=$(sed -n 's/^tcp //p' "$TEST_TMP/srv.log" | sed -n 3p)
SRV_UDP4=$(sed -n 's/^udp //p' "$TEST_TMP/srv.log" | sed -n 1p)
SRV_UDP6=$(sed -n 's/^udp //p' "$TEST_TMP/srv.log" | sed -n 2p)
# The client runs as nobody: its sockets and its owner carry uid 65534.
hold_start CLI_PID "$TEST_TMP/cli.log" setpriv --reuid=65534 --regid=65534 --clear-groups -- \
	sfscan-cli "connect=127.0.0.1,$SRV_TCP4,3" "connect=::1,$SRV_TCP6,2" \
	"connect=127.0.0.1,$SRV_QUEUE,1" "udp-connect=127.0.0.1,$SRV_UDP4" \
	"udp-connect=::1,$SRV_UDP6"
wait_for 10 "the server to accept 5 connections" accepted "$TEST_TMP/srv.log" 5 ||
	fail "the server accepted $(grep -c '^accepted' "$TEST_TMP/srv.log") of 5 connections"
hold_start FORK_PID "$TEST_TMP/fork.log" -- sfscan-parent listen=127.0.0.1 selfconnect=1 \
	udp=::1 fork=sfscan-child
wait_for 10 "the forked child" grep -qs '^child' "$TEST_TMP/fork.log" || fail "no child"
wait_for 10 "sfscan-parent to accept" accepted "$TEST_TMP/fork.log" 1 || fail "no accept"
CHILD_PID=$(awk '$1 == "child" { print $2 }' "$TEST_TMP/fork.log")
HOST_PORTS=$(awk '$1 == "tcp" || $1 == "udp" { print $2 }' "$TEST_TMP/srv.log" \
	"$TEST_TMP/fork.log" | sort -u | tr '\n' ' ')
log "host: server $SRV_PID, client $CLI_PID, fork $FORK_PID/$CHILD_PID; ports $HOST_PORTS"

# ---- a namespace of ip netns, and one only a process keeps --------------------------

ip netns add "$NS"
ip -n "$NS" link set lo up
NS_INO=$(stat -L -c %i "/run/netns/$NS")
hold_start NSA_PID "$TEST_TMP/nsa.log" ip netns exec "$NS" -- sfscan-nsa listen=127.0.0.1 \
	selfconnect=2 listen=::1 selfconnect=1 udp=0.0.0.0 udp=::
wait_for 10 "sfscan-nsa to accept 3 connections" accepted "$TEST_TMP/nsa.log" 3 ||
	fail "sfscan-nsa accepted $(grep -c '^accepted' "$TEST_TMP/nsa.log") of 3 connections"
NSA_UDP4=$(port_of "$TEST_TMP/nsa.log" udp)
hold_start NSB_PID "$TEST_TMP/nsb.log" ip netns exec "$NS" -- sfscan-nsb \
	"udp-connect=127.0.0.1,$NSA_UDP4" "connect=::1,$(sed -n 's/^tcp //p' "$TEST_TMP/nsa.log" |
	sed -n 2p),1"
hold_start EXIT_PID "$TEST_TMP/exit.log" ip netns exec "$NS" -- sfscan-exit \
	listen-noaccept=::1 udp=127.0.0.1
wait_for 10 "sfscan-nsa to accept the 4th connection" accepted "$TEST_TMP/nsa.log" 4 ||
	fail "sfscan-nsa did not accept sfscan-nsb's connection"
hold_start UNSH_PID "$TEST_TMP/unsh.log" unshare -n sh -c \
	'ip link set lo up && exec "$@"' unshare-holder -- sfscan-unsh listen=127.0.0.1 \
	selfconnect=2 udp=::1
wait_for 10 "sfscan-unsh to accept 2 connections" accepted "$TEST_TMP/unsh.log" 2 ||
	fail "sfscan-unsh did not accept its connections"
UNSH_INO=$(stat -L -c %i "/proc/$UNSH_PID/ns/net")
[[ $UNSH_INO != "$HOST_INO" && $UNSH_INO != "$NS_INO" ]] || fail "unshare -n made no namespace"
log "namespaces: host $HOST_INO, $NS $NS_INO, unshared $UNSH_INO"

# ---- one scan, and ss in each namespace ----------------------------------------------

# What a scan reports that ss also shows: PROTO STATE LOCAL REMOTE COOKIE INODE UID PID COMM
# CGROUP, for namespace INO, sorted. With PORTS, only lines with one of them at either end.
scan_view() {
	awk -v ns="$2" -v ports="${3:-}" '
		function port(ep) { sub(/.*:/, "", ep); return ep }
		BEGIN { n = split(ports, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
		$1 ~ /^(tcp|udp)$/ && $3 == ns {
			if (n && !(port($4) in want) && !(port($5) in want))
				next
			print $1, $2, $4, $5, $6, $7, $8, $9, $10, $15
		}' "$1" | sort
}

# ss_view [PORTS] -- SS_PREFIX...: the same from `ss -Htuanpe` (run after SS_PREFIX, e.g.
# `nsenter -t PID -n`), left out what the scan leaves out by design (TIME-WAIT, SYN-RECV,
# bound TCP sockets, orphans: FIN states without inode). The lowest pid of users:(...) is
# the owner; the cgroup path becomes its id, the inode of its directory (ss run where no
# cgroup2 is mounted, as under ip netns exec, prints "unreachable:ID" in hex).
ss_view() {
	local ports=$1 line path
	shift 2
	declare -A cg_id=()
	"$@" ss -Htuanpe 2>>"$TEST_TMP/ss.err" | awk -v ports="$ports" '
		function port(ep) { sub(/.*:/, "", ep); return ep }
		# ss: "*" for port 0, and for the IPv6 wildcard address of a dual-stack socket.
		function ep(s) { sub(/:\*$/, ":0", s); sub(/^\*:/, "[::]:", s); return s }
		BEGIN { n = split(ports, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
		{
			if (n && !(port($5) in want) && !(port($6) in want))
				next
			pid = 0; comm = "-"; uid = 0; ino = ""; sk = ""; cg = "-"
			for (i = 7; i <= NF; i++) {
				if ($i ~ /^users:/) {
					u = $i
					while (match(u, /\("[^"]*",pid=[0-9]+/)) {
						m = substr(u, RSTART + 2, RLENGTH - 2)
						u = substr(u, RSTART + RLENGTH)
						c = m; sub(/",pid=.*/, "", c)
						p = m; sub(/.*pid=/, "", p)
						if (pid == 0 || p + 0 < pid) {
							pid = p + 0
							comm = c
						}
					}
				} else if ($i ~ /^uid:/) uid = substr($i, 5)
				else if ($i ~ /^ino:/) ino = substr($i, 5)
				else if ($i ~ /^sk:/) sk = substr($i, 4)
				else if ($i ~ /^cgroup:/) cg = substr($i, 8)
			}
			if ($2 == "TIME-WAIT" || $2 == "SYN-RECV")
				next
			if ($1 == "tcp" && $2 == "UNCONN")
				next
			if (ino == 0 && $2 ~ /^(FIN-WAIT-1|FIN-WAIT-2|CLOSING|LAST-ACK)$/)
				next
			print $1, $2, ep($5), ep($6), sk, ino, uid, pid, comm, cg
		}' | while read -r -a line; do
		path=${line[9]}
		if [[ $path == unreachable:* ]]; then
			cg_id[$path]=$((16#${path#unreachable:}))
		elif [[ -z ${cg_id[$path]:-} ]]; then
			cg_id[$path]=$(stat -c %i "$CG_ROOT$path" 2>/dev/null || echo "?$path")
		fi
		line[9]=${cg_id[$path]}
		echo "${line[*]}"
	done | sort
}

"$SOCKSCAN" >"$TEST_TMP/scan1" 2>"$TEST_TMP/scan1.err" ||
	fail "sockscan failed: $(cat "$TEST_TMP/scan1.err")"
log "$(tail -n 1 "$TEST_TMP/scan1")"

scan_view "$TEST_TMP/scan1" "$HOST_INO" "$HOST_PORTS" >"$TEST_TMP/host.scan"
ss_view "$HOST_PORTS" -- >"$TEST_TMP/host.ss"
# 3 listeners, 5 accepted and 5 client ends, 1 queued and its client, 4 UDP; the fork's
# listener, its 2 ends, its UDP.
assert_eq "sockets ss lists on the host's test ports" 23 "$(wc -l <"$TEST_TMP/host.ss")"
assert_lines_eq "host sockets, scan vs ss" "$TEST_TMP/host.ss" "$TEST_TMP/host.scan"
scan_view "$TEST_TMP/scan1" "$NS_INO" >"$TEST_TMP/ns.scan"
ss_view "" -- ip netns exec "$NS" >"$TEST_TMP/ns.ss"
assert_eq "sockets ss lists in $NS" 15 "$(wc -l <"$TEST_TMP/ns.ss")"
assert_lines_eq "sockets in $NS, scan vs ss" "$TEST_TMP/ns.ss" "$TEST_TMP/ns.scan"
scan_view "$TEST_TMP/scan1" "$UNSH_INO" >"$TEST_TMP/unsh.scan"
ss_view "" -- nsenter -t "$UNSH_PID" -n >"$TEST_TMP/unsh.ss"
assert_eq "sockets ss lists in the unshared namespace" 6 "$(wc -l <"$TEST_TMP/unsh.ss")"
assert_lines_eq "sockets in the unshared namespace, scan vs ss" "$TEST_TMP/unsh.ss" \
	"$TEST_TMP/unsh.scan"

# ---- what ss does not show: owners as /proc describes them, order, cgroup, uid -----------

# PID OWNER_UID PPID PARENT_COMM START_NS of every test process that owns a socket.
hz=$(getconf CLK_TCK)
awk '$10 ~ /^sfscan-/ { print $9 }' "$TEST_TMP/scan1" | sort -un | while read -r pid; do
	ppid=$(awk '{ sub(/.*\) /, ""); print $2 }' "/proc/$pid/stat")
	ticks=$(awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$pid/stat")
	echo "$pid $(awk '/^Uid:/ { print $2 }' "/proc/$pid/status") $ppid" \
		"$(cat "/proc/$ppid/comm") $((ticks * (1000000000 / hz)))"
done >"$TEST_TMP/owners.proc"
awk '$10 ~ /^sfscan-/ { print $9, $11, $12, $13, $14 }' "$TEST_TMP/scan1" | sort -u \
	>"$TEST_TMP/owners.scan"
assert_eq "test processes owning sockets" 7 "$(wc -l <"$TEST_TMP/owners.proc")"
assert_lines_eq "owners (uid, ppid, parent comm, start time) vs /proc" \
	"$TEST_TMP/owners.proc" "$TEST_TMP/owners.scan"
assert_eq "owner uid of sfscan-cli's sockets" 65534 \
	"$(awk '$10 == "sfscan-cli" { print $11 }' "$TEST_TMP/scan1" | sort -u)"
assert_eq "socket uid of sfscan-cli's sockets" 65534 \
	"$(awk '$10 == "sfscan-cli" { print $8 }' "$TEST_TMP/scan1" | sort -u)"
# Parent and child hold the same sockets: the lower pid is named, the other never.
low=$FORK_PID high=$CHILD_PID
((CHILD_PID > FORK_PID)) || { low=$CHILD_PID high=$FORK_PID; log "pid wrapped: child first"; }
assert_eq "sockets named after the higher pid of parent and child" 0 \
	"$(awk -v c="$high" '$9 == c' "$TEST_TMP/scan1" | wc -l)"
assert_eq "sockets named after the lower pid of parent and child" 4 \
	"$(awk -v c="$low" '$9 == c' "$TEST_TMP/scan1" | wc -l)"
# The connection waiting in the accept queue: no inode, no owner, reported all the same.
assert_eq "queued connection (server end, inode, pid)" "ESTAB 0 0" \
	"$(awk -v p="127.0.0.1:$SRV_QUEUE" '$1 == "tcp" && $4 == p && $2 != "LISTEN" {
		print $2, $7, $9 }' "$TEST_TMP/scan1")"
if [[ -n $CG_INO ]]; then
	assert_eq "cgroup ids of sfscan-srv's sockets" "$CG_INO" \
		"$(awk '$10 == "sfscan-srv" { print $15 }' "$TEST_TMP/scan1" | sort -u)"
fi
first_conn=$(awk '$1 ~ /^(tcp|udp)$/ && $2 != "LISTEN" { print NR; exit }' "$TEST_TMP/scan1")
last_listener=$(awk '$2 == "LISTEN" { n = NR } END { print n + 0 }' "$TEST_TMP/scan1")
((last_listener < first_conn)) ||
	fail "a listener (line $last_listener) comes after a connection (line $first_conn)"
log "ok: the $(grep -c ' LISTEN ' "$TEST_TMP/scan1") listeners come first"
dups=$(awk '$1 ~ /^(tcp|udp)$/ { print $6 }' "$TEST_TMP/scan1" | sort | uniq -d)
[[ -z $dups ]] || fail "cookies reported twice: $dups"

# ---- a holder exits: the next scan knows nothing of it ----------------------------------

exit_inodes=$(awk -v p="$EXIT_PID" '$9 == p { print $7 }' "$TEST_TMP/scan1" | sort | tr '\n' ' ')
assert_eq "sockets of sfscan-exit before it exits" 2 "$(wc -w <<<"$exit_inodes")"
proc_stop "$EXIT_PID" TERM 10 || true
"$SOCKSCAN" >"$TEST_TMP/scan2" || fail "sockscan failed after sfscan-exit exited"
assert_eq "sockets of the exited pid $EXIT_PID or its inodes" 0 \
	"$(awk -v p="$EXIT_PID" -v i=" $exit_inodes" '$1 ~ /^(tcp|udp)$/ &&
		($9 == p || index(i, " " $7 " "))' "$TEST_TMP/scan2" | wc -l)"
scan_view "$TEST_TMP/scan2" "$NS_INO" >"$TEST_TMP/ns2.scan"
ss_view "" -- ip netns exec "$NS" >"$TEST_TMP/ns2.ss"
assert_eq "sockets ss lists in $NS after sfscan-exit exited" 13 "$(wc -l <"$TEST_TMP/ns2.ss")"
assert_lines_eq "sockets in $NS after the exit, scan vs ss" "$TEST_TMP/ns2.ss" "$TEST_TMP/ns2.scan"

# ---- a process that vanishes while the scan reads it -----------------------------------

# A /proc fixture: pid 100 lists a socket of sfscan-srv among its fds and then has no stat,
# as a process that exits between the two reads; pid 200 is sfscan-cli's real directory.
FIX="$TEST_TMP/proc"
mkdir -p "$FIX/100/fd"
srv_udp_ino=$(awk -v p="127.0.0.1:$SRV_UDP4" '$1 == "udp" && $4 == p { print $7 }' \
	"$TEST_TMP/scan1")
ln -s "socket:[$srv_udp_ino]" "$FIX/100/fd/3"
ln -s "pipe:[1]" "$FIX/100/fd/4"
ln -s "/proc/$CLI_PID" "$FIX/200"
"$SOCKSCAN" --proc "$FIX" --netns-dir "$TEST_TMP/none" >"$TEST_TMP/scan3" ||
	fail "sockscan --proc $FIX failed"
assert_eq "processes read, vanished, failed" "2 1 0" \
	"$(awk '$1 == "namespaces" { print $12, $14, $16 }' "$TEST_TMP/scan3")"
assert_eq "owner of the socket whose holder vanished" "0 -" \
	"$(awk -v i="$srv_udp_ino" '$1 == "udp" && $7 == i { print $9, $10 }' "$TEST_TMP/scan3")"
assert_eq "owners of sfscan-cli's 8 sockets" "8 200 sfscan-cli 65534" \
	"$(awk '$10 == "sfscan-cli" { n++; o = $9 " " $10 " " $11 } END { print n, o }' \
		"$TEST_TMP/scan3")"

# ---- scans while processes holding sockets come and go ---------------------------------

churn_loop() {
	local pid=
	set +e
	trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null; exit 0' TERM
	while [[ ! -e "$TEST_TMP/churn.stop" ]]; do
		"$DIAGPOLL" hold --conns 3 >/dev/null &
		pid=$!
		sleep 0.01
		kill "$pid"
		wait "$pid" 2>/dev/null
		pid=
		echo x >>"$TEST_TMP/churn.count"
	done
}
bg_start CHURN_PID "$TEST_TMP/churn.log" churn_loop
wait_for 10 "the churn to start" test -s "$TEST_TMP/churn.count" || fail "churn does not run"
"$SOCKSCAN" --repeat "$SCANS" >"$TEST_TMP/churn.scan" 2>"$TEST_TMP/churn.err" ||
	fail "sockscan --repeat $SCANS failed during churn: $(cat "$TEST_TMP/churn.err")"
touch "$TEST_TMP/churn.stop"
proc_stop "$CHURN_PID" TERM 10 || true
log "$(wc -l <"$TEST_TMP/churn.count") holders came and went; vanished over $SCANS scans:" \
	"$(awk '$1 == "namespaces" { v += $14 } END { print v + 0 }' "$TEST_TMP/churn.scan")"
# Every scan names sfscan-srv as the owner of its 10 sockets (3 listeners, 5 accepted, 2 UDP).
assert_eq "scans that found sfscan-srv's 10 sockets" "$SCANS" \
	"$(awk -v p="$SRV_PID" '$1 == "namespaces" { if (n == 10) ok++; n = 0; next }
		$9 == p && $10 == "sfscan-srv" { n++ }
		END { print ok + 0 }' "$TEST_TMP/churn.scan")"
log "pass"
