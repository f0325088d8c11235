#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Process identity of short-lived and pid-reusing clients, and of a client container that
# exits at once; sockflow --json, connections on loopback and to a test container:
#   (a) clients that connect and exit within a few ms (a conngen copy "sfshort", exec'd
#       by a relative path, from a parent "sfparent"): name, executable (absolute, the
#       file itself as /proc/PID/exe names it, also when exec'd through a symlink
#       "sflink"), command line, pid, parent pid and name;
#   (b) pid reuse: "sfshortA" connects and exits while the server keeps the connection
#       open; "sfshortB" is then forked with the same pid (kernel.ns_last_pid, 50 ms
#       later: start times have clock-tick precision) and runs; only then is A's
#       connection closed. A's record must carry A's executable, command line and parent,
#       B's record B's; a lookup by pid alone gives A's record B's identity;
#   (c) `podman run --rm … wget`: the record names the container's id and runtime, the
#       executable (/bin/busybox), and its name and image, if given, are the container's
#       (whether they are given is logged: it depends on when the runtime's state is read).
# The parts go on after a wrong record; the test fails at the end, listing every one.
# shellcheck disable=SC2154
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/podman.sh
. "$(dirname "$0")/podman.sh"

require_root
require_btf
require_tools jq
require_sockflow
require_conngen
[[ -w /proc/sys/kernel/ns_last_pid ]] ||
	skip "kernel.ns_last_pid not writable (needs CONFIG_CHECKPOINT_RESTORE)"
require_podman

BIN="$TEST_TMP/bin"
server_bin=$(conngen_as sfserver)
short_bin=$(conngen_as sfshort)
ln -s sfshort "$BIN/sflink"
cp "$(command -v bash)" "$BIN/sfparent"
a_bin=$(conngen_as sfshortA)
b_bin=$(conngen_as sfshortB)

# records_from ADDR PORT: the records from source address ADDR to server port PORT.
records_from() {
	jq -cR --arg a "$1" --argjson p "$2" 'fromjson?
		| select(.sourceIPv4Address == $a and .destinationTransportPort == $p)' \
		"$SOCKFLOW_OUT"
}
has_record_from() { [[ -n $(records_from "$1" "$2") ]]; }

# The parts are independent: a wrong record is noted (problem) and the test goes on, so
# that one run reports every part; it fails at the end if anything was wrong.
declare -a PROBLEMS=()
problem() {
	PROBLEMS+=("$*")
	log "NOT OK: $*"
}

# check_record WHAT ADDR PORT KEY=VALUE...: exactly one record from ADDR to PORT, and
# each KEY (a JSON key; numbers compared as text) has VALUE.
check_record() {
	local what=$1 addr=$2 port=$3 recs kv got bad=""
	shift 3
	recs=$(records_from "$addr" "$port")
	if [[ $(grep -c . <<<"$recs") != 1 ]]; then
		problem "$what: expected one record from $addr to port $port, got:"$'\n'"$recs"
		return
	fi
	for kv in "$@"; do
		got=$(jq -r --arg k "${kv%%=*}" '.[$k] // "(none)" | tostring' <<<"$recs")
		[[ $got == "${kv#*=}" ]] || bad+=$'\n'"  ${kv%%=*}: got '$got', expected '${kv#*=}'"
	done
	if [[ -n $bad ]]; then
		problem "$what: wrong fields in the record from $addr:$bad"$'\n'"  record: $recs"
		return
	fi
	log "ok: $what: $*"
}

# A server that holds every connection after its client closed, until SIGUSR1: then it
# closes those whose client has gone (their flows end), and keeps the others.
cat >"$TEST_TMP/hold_server.py" <<-'EOF'
	import select, signal, socket
	ls = socket.socket()
	ls.bind(('127.0.0.1', 0))
	ls.listen(64)
	print('ready', ls.getsockname()[1])
	flush = False
	def on_usr1(*_):
	    global flush
	    flush = True
	signal.signal(signal.SIGUSR1, on_usr1)
	live, gone = [], []
	while True:
	    try:
	        r, _, _ = select.select([ls] + live, [], [], 0.05)
	    except InterruptedError:
	        r = []
	    for s in r:
	        if s is ls:
	            live.append(ls.accept()[0])
	        elif not s.recv(65536):
	            live.remove(s)
	            gone.append(s)
	    if flush:
	        flush = False
	        for s in gone:
	            s.close()
	        print('closed', len(gone))
	        gone = []
	EOF

sockflow_start --json
CONNGEN=$server_bin conngen_serve --threads 1
server_pid=$CONNGEN_PID
port=$CONNGEN_PORT
bg_start hold_pid "$TEST_TMP/hold.log" "$PYTHON" -u "$TEST_TMP/hold_server.py"
wait_for 5 "the holding server" grep -qs '^ready ' "$TEST_TMP/hold.log" ||
	fail "holding server did not start: $(cat "$TEST_TMP/hold.log")"
read -r _ hold_port < <(grep '^ready ' "$TEST_TMP/hold.log")

# ---- (a) short-lived clients ------------------------------------------------------
# sfparent (bash) starts the client by a relative path, notes its pid and its lifetime
# (fork to reaped, in µs), and waits for it. sockflow is stopped meanwhile, so every
# client has exited and been reaped before sockflow could look at /proc: what it
# reports can only come from what the kernel told it while the client lived.
K=10
kill -STOP "$SOCKFLOW_PID"
for ((i = 1; i <= K; i++)); do
	prog=sfshort
	((i == K)) && prog=sflink
	sends=0
	((i % 2)) || sends=16
	# shellcheck disable=SC2016 # the script is sfparent's, its $1.. are the arguments after it
	bg_run parent_pid "$TEST_TMP/short.$i.log" "$BIN/sfparent" -c '
		cd "$1" || exit 1
		t0=${EPOCHREALTIME/./}
		"./$2" client --addr 127.0.0.1 --port "$3" --bind "$4" --send "$5" --recv 0 &
		pid=$!
		wait "$pid"; rc=$?
		echo "pid $pid lifetime_us $((${EPOCHREALTIME/./} - t0))"
		exit "$rc"' sfparent "$BIN" "$prog" "$port" "127.0.2.$i" "$sends" ||
		fail "short client $i failed: $(cat "$TEST_TMP/short.$i.log")"
	read -r _ pid _ lifetime < <(grep '^pid ' "$TEST_TMP/short.$i.log")
	# The client's own report, "LOCAL_PORT SENT RECEIVED": it exits once the server has
	# closed (--recv 0), by design, so its life is one whole conversation.
	read -r lport sent recvd < <(grep -E '^[0-9]+ [0-9]+ [0-9]+$' "$TEST_TMP/short.$i.log")
	[[ ${lport:-} && $sent == "$sends" && $recvd == 0 ]] ||
		fail "short client $i: its report is not \"PORT $sends 0\": $(cat "$TEST_TMP/short.$i.log")"
	echo "$i $prog $pid $parent_pid $lifetime $lport" >>"$TEST_TMP/short.runs"
done
kill -CONT "$SOCKFLOW_PID"
log "short clients, all gone before sockflow ran again (i name pid parent lifetime_us port):"$'\n'"$(cat "$TEST_TMP/short.runs")"
has_short_records() { (($(jq -cR --argjson p "$port" 'fromjson? | select(.destinationTransportPort
	== $p and (.sourceIPv4Address | startswith("127.0.2.")))' "$SOCKFLOW_OUT" | wc -l) >= K)); }
wait_for 10 "$K records of short clients" has_short_records || true
while read -r i prog pid parent_pid lifetime lport; do
	sends=0
	((i % 2)) || sends=16
	cmdline="./$prog client --addr 127.0.0.1 --port $port --bind 127.0.2.$i --send $sends"
	check_record "short client $i ($prog, ${lifetime} µs)" "127.0.2.$i" "$port" \
		"sourceTransportPort=$lport" \
		"SRC_PROC_PID=$pid" "SRC_PROC_NAME=$prog" "sockflowSourceExecutable=$short_bin" \
		"SRC_PROC_CMDLINE=$cmdline --recv 0" \
		"SRC_FATHER_PROC_PID=$parent_pid" "SRC_FATHER_PROC_NAME=sfparent" \
		"SRC_PROC_USER_NAME=root" "DST_PROC_PID=$server_pid" "DST_PROC_NAME=sfserver"
done <"$TEST_TMP/short.runs"

# ---- (b) a pid reused while the first holder's flow is still open -----------------
# spawn_at_pid PID OUT BIN ARGS...: fork a subshell that gets PID (ns_last_pid = PID - 1
# just before the fork) and, once it has that pid, execs BIN; sets SPAWNED_PID. Returns 1
# if another process took PID first (the subshell is killed before it runs anything).
spawn_at_pid() {
	local want=$1 out=$2 fifo="$TEST_TMP/go.$RANDOM" got
	shift 2
	mkfifo "$fifo"
	echo $((want - 1)) >/proc/sys/kernel/ns_last_pid
	( read -r _ <"$fifo" && exec "$@" ) >"$out" 2>&1 &
	got=$!
	if [[ $got != "$want" ]]; then
		kill -KILL "$got" 2>/dev/null
		wait "$got" 2>/dev/null
		rm -f "$fifo"
		return 1
	fi
	LIB_PIDS+=("$got")
	echo go >"$fifo"
	rm -f "$fifo"
	SPAWNED_PID=$got
}

b_args=(client --addr 127.0.0.1 --port "$hold_port" --bind 127.0.3.100 --hold 30 --chunk 100
	--interval 100)
reused=""
for attempt in 1 2 3 4 5; do
	a_addr=127.0.3.$attempt
	a_args=(client --addr 127.0.0.1 --port "$hold_port" --bind "$a_addr" --send 0 --recv 0)
	bg_run a_pid "$TEST_TMP/a.$attempt.log" "$a_bin" "${a_args[@]}" ||
		fail "sfshortA failed: $(cat "$TEST_TMP/a.$attempt.log")"
	# Not a wait for a condition: processes are told apart by pid and start time, which
	# /proc gives in clock ticks (10 ms at USER_HZ 100), so B must start a few ticks
	# after A did; a pid cannot naturally come round again that fast.
	sleep 0.05
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		if spawn_at_pid "$a_pid" "$TEST_TMP/b.log" "$b_bin" "${b_args[@]}"; then
			reused=$a_pid
			break 2
		fi
	done
	log "attempt $attempt: pid $a_pid was taken by another process; again"
done
[[ -n $reused ]] || fail "could not make a pid be reused (other processes kept taking it)"
b_pid=$SPAWNED_PID
log "sfshortA ran as pid $a_pid from $a_addr and exited; sfshortB now runs as pid $b_pid"
wait_for 5 "sfshortB to connect" grep -qs '^open ' "$TEST_TMP/b.log" ||
	fail "sfshortB did not connect: $(cat "$TEST_TMP/b.log")"
assert_eq "sfshortB's pid (A's, reused)" "$a_pid" "$b_pid"
assert_eq "comm of pid $b_pid now" sfshortB "$(cat "/proc/$b_pid/comm")"
# A's connection is still held open by the server, so its flow has not ended yet.
if has_record_from "$a_addr" "$hold_port"; then
	log "note: A's record was out before its connection closed; reuse is less of a test"
fi
# flush_until ADDR: have the server close its connections whose client has gone (again
# and again: it may not have read the client's FIN yet) until the record from ADDR is out.
flush_until() {
	kill -USR1 "$hold_pid"
	has_record_from "$1" "$hold_port"
}
wait_for 10 "sfshortA's record" flush_until "$a_addr" ||
	problem "no record of sfshortA's connection after the server closed it"
check_record "sfshortA (pid $a_pid, since reused by sfshortB)" "$a_addr" "$hold_port" \
	"SRC_PROC_PID=$a_pid" "SRC_PROC_NAME=sfshortA" "sockflowSourceExecutable=$a_bin" \
	"SRC_PROC_CMDLINE=$a_bin ${a_args[*]}" \
	"SRC_FATHER_PROC_PID=$$" "SRC_FATHER_PROC_NAME=bash"
# B ends; its record, made after A's, must be B's.
proc_stop "$b_pid" TERM 5 || true
wait_for 10 "sfshortB's record" flush_until 127.0.3.100 ||
	problem "no record of sfshortB's connection"
check_record "sfshortB (pid $b_pid, A's pid reused)" 127.0.3.100 "$hold_port" \
	"SRC_PROC_PID=$b_pid" "SRC_PROC_NAME=sfshortB" "sockflowSourceExecutable=$b_bin" \
	"SRC_PROC_CMDLINE=$b_bin ${b_args[*]}" \
	"SRC_FATHER_PROC_PID=$$" "SRC_FATHER_PROC_NAME=bash"

# ---- (c) a client container that exits at once ------------------------------------
mkdir -p "$TEST_TMP/www"
echo "hello-$$" >"$TEST_TMP/www/a.txt"
podman_start srv srv -v "$TEST_TMP/www:/www:ro" -- /bin/httpd -f -p 8081 -h /www
podman_wait_listen "$srv" 8081
srv_ip=$(podman_ip "$srv")
srv_id=$(podman_id "$srv")
# The image's one executable, as the kernel names it (/proc/PID/exe): what every applet runs.
ctr_exe=$(readlink "/proc/$(podman_pid "$srv")/exe")
for run in 1 2 3; do
	name=$(podman_name "wget$run")
	PODMAN_CONTAINERS+=("$name")	# podman_run runs in a subshell here
	out=$(podman_run "wget$run" --cidfile "$TEST_TMP/wget$run.cid" -- \
		/bin/wget -q -O - "http://$srv_ip:8081/a.txt") ||
		fail "client container $name failed: $out"
	assert_eq "body fetched by $name" "hello-$$" "$out"
	cid=$(cat "$TEST_TMP/wget$run.cid")
	has_ctr_record() {
		[[ -n $(jq -cR --arg id "$cid" 'fromjson? | select(.SRC_PROC_CONTAINER_ID == $id)' \
			"$SOCKFLOW_OUT") ]]
	}
	wait_for 10 "the record of $name" has_ctr_record ||
		fail "no record with client container id $cid; records to port 8081:"$'\n'"$(
			records_to 8081)"
	rec=$(jq -cR --arg id "$cid" 'fromjson? | select(.SRC_PROC_CONTAINER_ID == $id)' \
		"$SOCKFLOW_OUT")
	assert_eq "records from $name" 1 "$(grep -c . <<<"$rec")"
	fields=$(jq -r '[.sockflowSourceContainerRuntime, .SRC_PROC_NAME,
		.sockflowSourceExecutable, .destinationIPv4Address, .destinationTransportPort,
		.DST_PROC_CONTAINER_ID] | map(tostring) | join(" ")' <<<"$rec")
	want="podman wget $ctr_exe $srv_ip 8081 $srv_id"
	[[ $fields == "$want" ]] ||
		problem "$name record: client runtime, name, executable, server address, port," \
			"server container: '$fields', expected '$want'"
	got_name=$(jq -r '.sockflowSourceContainerName // ""' <<<"$rec")
	got_image=$(jq -r '.sockflowSourceContainerImage // ""' <<<"$rec")
	[[ -z $got_name || $got_name == "$name" ]] ||
		problem "$name record: container name '$got_name', expected '$name' or none"
	[[ -z $got_image || $got_image == "$PODMAN_IMAGE_REF" ]] ||
		problem "$name record: image '$got_image', expected '$PODMAN_IMAGE_REF' or none"
	log "observed: container $name (exited at once): name ${got_name:-(none)}," \
		"image ${got_image:-(none)}," \
		"parent $(jq -r '.SRC_FATHER_PROC_NAME // "(none)"' <<<"$rec")"
done
sockflow_stop
((${#PROBLEMS[@]} == 0)) ||
	fail "${#PROBLEMS[@]} problem(s):"$'\n'"$(printf '%s\n' "${PROBLEMS[@]}")"
