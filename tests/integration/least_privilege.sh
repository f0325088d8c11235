#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# sockflow as an unprivileged user with exactly the capabilities `sockflow --probe` lists,
# started as a systemd unit starts it (setpriv: uid nobody, no groups, the capabilities as
# inheritable, ambient and bounding set), without systemd:
#   - once attached it holds only what it still needs: /proc/PID/status shows uid nobody,
#     CapEff = CapPrm = the list without the load-only ones (CAP_BPF, CAP_PERFMON), no
#     inheritable or ambient capabilities, no_new_privs; a root process's executable (a
#     server started before sockflow) and a container's name are in its records;
#   - the integration subset passes that way, each test run with SOCKFLOW_WRAPPER (lib.sh
#     starts sockflow through it): tcp_nfcapd (flows to nfcapd, both processes named, all
#     of them another user's: root's), tcp_quality (sock_diag polls in another namespace, a
#     connection open before start), nat (conntrack in other namespaces), containers
#     (names from the runtimes' state directories);
#   - with each capability taken away in turn, sockflow warns that it is missing and what
#     is lost, and the loss is real where a record shows it (no executable of root's
#     server without CAP_SYS_PTRACE, no container name without CAP_DAC_READ_SEARCH, no
#     conntrack without CAP_NET_ADMIN; nothing lost where CAP_SYS_ADMIN stands in for
#     CAP_BPF or CAP_PERFMON), or it exits 1 with an error naming it when it cannot run
#     without it (CAP_SYS_ADMIN on kernels that ask it for tp_btf programs);
#   - started as root, it ends with the same reduced sets and its bounding set cut to them.
# shellcheck disable=SC2154
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/podman.sh
. "$(dirname "$0")/podman.sh"
require_root
require_btf
require_tools setpriv capsh jq busybox
require_sockflow
require_conngen
SUBSET=(tcp_nfcapd tcp_quality nat containers)

# ---- the documented list, from --probe -------------------------------------------------
"$SOCKFLOW" --probe >"$TEST_TMP/probe" 2>/dev/null || fail "sockflow --probe failed as root"
mapfile -t CAPS < <(awk '/^privileges/ { p = 1; next } p && $1 ~ /^CAP_/ { print $1 }' \
	"$TEST_TMP/probe")
mapfile -t LOAD_ONLY < <(awk '/^privileges/ { p = 1; next }
	p && $1 ~ /^CAP_/ && /dropped once attached/ { print $1 }' "$TEST_TMP/probe")
((${#CAPS[@]} > 0)) || fail "--probe lists no capability: $(cat "$TEST_TMP/probe")"
log "--probe lists ${CAPS[*]} (load only: ${LOAD_ONLY[*]})"

# wrapper CAP...: the setpriv command line giving nobody exactly CAP...
wrapper() {
	local spec=-all c
	for c in "$@"; do
		spec+=",+${c#CAP_}"
	done
	spec=${spec,,}
	printf 'setpriv --reuid=nobody --regid=%s --clear-groups --inh-caps=%s --ambient-caps=%s --bounding-set=%s --' \
		"$(id -g nobody)" "$spec" "$spec" "$spec"
}

# names [CAP...]: CAP... (or stdin's lines) sorted, lower case, comma-separated, as
# capsh_names prints them.
names() {
	{ (($#)) && printf '%s\n' "$@" || cat; } | tr '[:upper:]' '[:lower:]' | grep . | sort |
		paste -sd, - || true
}
# status DIR FIELD: a line of DIR/status (DIR: /proc/PID or /proc/PID/task/TID), value only.
status() { awk -v f="$2:" '$1 == f { print $2 }' "$1/status"; }
# capsh_names DIR FIELD: a capability set in DIR/status as names, like names.
capsh_names() {
	capsh --decode="0x$(status "$1" "$2")" | sed 's/^0x[0-9a-f]*=//' | tr , '\n' | grep . |
		sort | paste -sd, - || true
}
# without CAP LIST...: LIST without CAP.
without() {
	local c rest=()
	for c in "${@:2}"; do
		[[ $c == "$1" ]] || rest+=("$c")
	done
	printf '%s\n' "${rest[@]}"
}

# What sockflow still needs once attached: the list without the load-only ones, unless
# this kernel refused a map read without them (the log says so).
kept_expected() {
	local c kept=()
	if grep -q 'this kernel refuses map reads without them' "$1"; then
		names "${CAPS[@]}"
		return
	fi
	for c in "${CAPS[@]}"; do
		[[ " ${LOAD_ONLY[*]} " == *" $c "* ]] || kept+=("$c")
	done
	names "${kept[@]}"
}

# check_sets DIR LOG BOUNDING WHO: the sets a running sockflow holds, in each of its threads
# (capabilities belong to threads: one started before the drop would keep them all).
check_sets() {
	local dir=$1 logf=$2 bnd=$3 who=$4 want task tid
	want=$(kept_expected "$logf")
	for task in "$dir/task/"*; do
		tid="$who: thread ${task##*/} ($(cat "$task/comm"))"
		assert_eq "$tid: CapEff" "$want" "$(capsh_names "$task" CapEff)"
		assert_eq "$tid: CapPrm" "$want" "$(capsh_names "$task" CapPrm)"
		assert_eq "$tid: CapInh" "" "$(capsh_names "$task" CapInh)"
		assert_eq "$tid: CapAmb" "" "$(capsh_names "$task" CapAmb)"
		assert_eq "$tid: CapBnd" "$bnd" "$(capsh_names "$task" CapBnd)"
		assert_eq "$tid: NoNewPrivs" 1 "$(status "$task" NoNewPrivs)"
	done
	assert_eq "$who: kept, as the log says" "$want" "$(sed -n \
		's/.*privileges: kept \([^;]*\);.*/\1/p' "$logf" | tr -d ' ' | tr , '\n' | names)"
}

# ---- what the runs below connect to ----------------------------------------------------
# A root server started before any sockflow (its executable is read from /proc/PID/exe,
# another user's for nobody), and a container's httpd if podman works here.
CONNGEN=$(conngen_as sfprivsrv) conngen_serve --threads 1
SRV_PORT=$CONNGEN_PORT
client_bin=$(conngen_as sfprivcli)
HAVE_PODMAN=no
if (trap - EXIT; require_podman) >"$TEST_TMP/podman.check" 2>&1; then
	HAVE_PODMAN=yes
	mkdir -p "$TEST_TMP/www"
	echo hello >"$TEST_TMP/www/index.html"
	podman_start ctr web -v "$TEST_TMP/www:/www:ro" -- /bin/httpd -f -p 8080 -h /www
	podman_wait_listen "$ctr" 8080
	CTR_IP=$(podman_ip "$ctr")
	CTR_ID=$(podman_id "$ctr")
else
	log "no container part: $(tail -n 1 "$TEST_TMP/podman.check")"
fi

# workload OUT: one connection to the root server and one to the container; waits for
# both records in OUT (sockflow --json) and leaves them in $TEST_TMP/srv.json, ctr.json.
workload() {
	local out=$1 cport
	"$client_bin" client --addr 127.0.0.1 --port "$SRV_PORT" --send 100 --recv 100 \
		>"$TEST_TMP/client.out" || fail "client failed: $(cat "$TEST_TMP/client.out")"
	read -r cport _ <"$TEST_TMP/client.out"
	wait_for 20 "the record of the connection to sfprivsrv" srv_record "$out" "$cport" ||
		fail "no record of the connection from port $cport: $(tail -n 5 "$out")"
	[[ $HAVE_PODMAN == yes ]] || return 0
	busybox wget -q -O /dev/null "http://$CTR_IP:8080/" || fail "wget to the container failed"
	wait_for 20 "the record of the connection to the container" ctr_record "$out" ||
		fail "no record of the connection to $CTR_IP:8080: $(tail -n 5 "$out")"
}
srv_record() {
	jq -c --argjson p "$SRV_PORT" --argjson c "$2" 'select(.destinationTransportPort == $p
		and .sourceTransportPort == $c)' "$1" 2>/dev/null >"$TEST_TMP/srv.json" &&
		[[ -s "$TEST_TMP/srv.json" ]]
}
ctr_record() {
	jq -c --arg a "$CTR_IP" 'select(.destinationIPv4Address == $a and
		.destinationTransportPort == 8080)' "$1" 2>/dev/null >"$TEST_TMP/ctr.json" &&
		[[ -s "$TEST_TMP/ctr.json" ]]
}
field() { jq -r "$1 // \"\"" "$TEST_TMP/$2.json" | head -n 1; }

# ---- nobody with exactly the documented capabilities -------------------------------------
SOCKFLOW_WRAPPER=$(wrapper "${CAPS[@]}") sockflow_start --json
assert_eq "uid of sockflow" "65534 65534 65534 65534" \
	"$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$SOCKFLOW_PID/status")"
check_sets "/proc/$SOCKFLOW_PID" "$SOCKFLOW_LOG" "$(names "${CAPS[@]}")" nobody
! grep -q 'privileges: .* not held' "$SOCKFLOW_LOG" ||
	fail "a capability reported missing: $(grep 'not held' "$SOCKFLOW_LOG")"
workload "$SOCKFLOW_OUT"
assert_eq "nobody: server name" sfprivsrv "$(field .DST_PROC_NAME srv)"
assert_eq "nobody: root's server executable" "$TEST_TMP/bin/sfprivsrv" \
	"$(field .sockflowDestinationExecutable srv)"
if [[ $HAVE_PODMAN == yes ]]; then
	assert_eq "nobody: container id" "$CTR_ID" "$(field .DST_PROC_CONTAINER_ID ctr)"
	assert_eq "nobody: container name" "$ctr" "$(field .sockflowDestinationContainerName ctr)"
fi
sockflow_stop

# ---- the integration subset, run as nobody ------------------------------------------------
for t in "${SUBSET[@]}"; do
	rc=0
	SOCKFLOW_WRAPPER=$(wrapper "${CAPS[@]}") bash "$LIB_DIR/$t.sh" >"$TEST_TMP/sub-$t.log" \
		2>&1 || rc=$?
	case $rc in
	0) grep -q 'sockflow started through: setpriv --reuid=nobody' "$TEST_TMP/sub-$t.log" ||
		fail "$t passed without starting sockflow as nobody"
	   log "ok: $t passes as nobody" ;;
	77) log "$t skipped itself: $(grep '^SKIP' "$TEST_TMP/sub-$t.log")" ;;
	*) fail "$t fails as nobody (exit $rc): $(tail -n 20 "$TEST_TMP/sub-$t.log")" ;;
	esac
done

# ---- each capability taken away ---------------------------------------------------------
for c in "${CAPS[@]}"; do
	mapfile -t rest < <(without "$c" "${CAPS[@]}")
	read -r -a w <<<"$(wrapper "${rest[@]}")"
	out="$TEST_TMP/without-$c.out" logf="$TEST_TMP/without-$c.log"
	"${w[@]}" "$SOCKFLOW" --json --log-level info >"$out" 2>"$logf" &
	pid=$!
	LIB_PIDS+=("$pid")
	wait_for 30 "sockflow without $c to run or exit" \
		bash -c "grep -q running '$logf' || ! kill -0 $pid 2>/dev/null" ||
		fail "sockflow without $c neither ran nor exited: $(cat "$logf")"
	grep -Eq "warn: privileges: $c not held \(it is for .*\): (lost: |CAP_SYS_ADMIN stands in)" \
		"$logf" ||
		fail "without $c no warning names it: $(grep privileges "$logf")"
	log "ok: $(grep "privileges: $c not held" "$logf")"
	if ! proc_alive "$pid" || ! grep -q running "$logf"; then
		rc=0
		proc_stop "$pid" TERM 20 || rc=$?
		assert_eq "exit status without $c" 1 "$rc"
		grep -q "error: .*$c" "$logf" ||
			fail "without $c the error does not name it: $(grep error "$logf")"
		log "ok: cannot run without $c: $(grep error "$logf")"
		continue
	fi
	case $c in
	CAP_BPF|CAP_PERFMON)
		grep -q "privileges: $c not held .*CAP_SYS_ADMIN stands in for it, nothing lost" \
			"$logf" || fail "without $c sockflow runs but does not say why" ;;
	CAP_SYS_PTRACE|CAP_DAC_READ_SEARCH)
		workload "$out"
		if [[ $c == CAP_SYS_PTRACE ]]; then
			assert_eq "without $c: server name" sfprivsrv "$(field .DST_PROC_NAME srv)"
			assert_eq "without $c: root's server executable" "" \
				"$(field .sockflowDestinationExecutable srv)"
		elif [[ $HAVE_PODMAN == yes ]]; then
			assert_eq "without $c: container id" "$CTR_ID" \
				"$(field .DST_PROC_CONTAINER_ID ctr)"
			assert_eq "without $c: container name" "" \
				"$(field .sockflowDestinationContainerName ctr)"
		fi ;;
	CAP_NET_ADMIN)
		grep -q 'conntrack: .*Operation not permitted' "$logf" ||
			fail "without $c conntrack did not fail: $(grep conntrack "$logf")" ;;
	esac
	rc=0
	proc_stop "$pid" TERM 20 || rc=$?
	assert_eq "exit status without $c" 0 "$rc"
done

# ---- root: the same reduced sets, the bounding set cut ----------------------------------
sockflow_start --print
root_kept=$(kept_expected "$SOCKFLOW_LOG")
check_sets "/proc/$SOCKFLOW_PID" "$SOCKFLOW_LOG" "$root_kept" root
assert_eq "uid of sockflow as root" 0 "$(awk '$1 == "Uid:" { print $2 }' \
	"/proc/$SOCKFLOW_PID/status")"
sockflow_stop
