#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# [filter]: with real podman containers A and B (busybox httpd), and the host fetching a
# page from each:
#   - include_containers = A: every record printed has an end in A, A's flows are all
#     there, B's are not (and are counted as filtered out);
#   - started like that, then SIGHUP with exclude_containers = A: B's flows are printed
#     (the reload rebuilt the filter), A's are not;
#   - --include-container with A's id shortened to 12 digits: A's flows only;
#   - a config naming "bad/name" exits 2 with FILE:LINE and what is expected.
# shellcheck disable=SC2154
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/podman.sh
. "$(dirname "$0")/podman.sh"

require_sockflow
require_tools jq busybox timeout

CONF="$TEST_TMP/sockflow.conf"
PORT=8080

# A filter that names nothing valid stops sockflow before it starts anything.
printf '[export]\nprint = json\n[filter]\ninclude_containers = web bad/name\n' >"$CONF"
rc=0
timeout 20 "$SOCKFLOW" -c "$CONF" >"$TEST_TMP/bad.out" 2>"$TEST_TMP/bad.err" || rc=$?
assert_eq "exit status with a bad container name" 2 "$rc"
grep -qF "$CONF:4: include_containers: \"bad/name\" is not a container name or id; expected" \
	"$TEST_TMP/bad.err" || fail "no FILE:LINE message: $(cat "$TEST_TMP/bad.err")"
[[ ! -s $TEST_TMP/bad.out ]] || fail "a bad config printed records"
log "ok: $(cat "$TEST_TMP/bad.err")"

require_root
require_btf
require_podman

mkdir -p "$TEST_TMP/www"
echo "sockflow filter test" >"$TEST_TMP/www/index.html"
podman_start A a -v "$TEST_TMP/www:/www:ro" -- /bin/httpd -f -p "$PORT" -h /www
podman_start B b -v "$TEST_TMP/www:/www:ro" -- /bin/httpd -f -p "$PORT" -h /www
podman_wait_listen "$A" "$PORT"
podman_wait_listen "$B" "$PORT"
IP_A=$(podman_ip "$A")
IP_B=$(podman_ip "$B")
ID_A=$(podman_id "$A")
[[ -n $IP_A && -n $IP_B && $IP_A != "$IP_B" ]] || fail "containers have no addresses: A $IP_A, B $IP_B"
log "A: $A $IP_A $ID_A; B: $B $IP_B"

# fetch N: N pages from each container, from the host (busybox wget, HTTP/1.0: one
# connection per page).
fetch() {
	local i
	for ((i = 0; i < $1; i++)); do
		busybox wget -q -O /dev/null "http://$IP_A:$PORT/" || fail "wget from A failed"
		busybox wget -q -O /dev/null "http://$IP_B:$PORT/" || fail "wget from B failed"
	done
}

# count_to IP: records printed for flows to IP:PORT.
count_to() {
	records_to "$PORT" | jq -c --arg ip "$1" 'select(.destinationIPv4Address == $ip)' | wc -l
}

# has_to N IP: N or more such records (other tests may talk to port PORT too).
has_to() { (($(count_to "$2") >= $1)); }

# count_ends_in NAME / count_not_in NAME: records with an end in container NAME / without.
count_ends_in() {
	jq -cR --arg n "$1" 'fromjson? | select(.sockflowSourceContainerName == $n or
		.sockflowDestinationContainerName == $n)' "$SOCKFLOW_OUT" | wc -l
}
count_not_in() {
	jq -cR --arg n "$1" 'fromjson? | select(.sockflowSourceContainerName != $n and
		.sockflowDestinationContainerName != $n)' "$SOCKFLOW_OUT" | wc -l
}

# filtered_at_exit: the "filtered out N" of sockflow's last stats line.
filtered_at_exit() {
	sed -n 's/.*stats at exit: .*filtered out \([0-9]*\),.*/\1/p' "$SOCKFLOW_LOG" | tail -n 1
}

# sockflow stops with SIGTERM and exports every flow it still holds, so after
# sockflow_stop each connection made has been either printed or filtered out.

# --- include_containers = A ---------------------------------------------------------
printf '[export]\nprint = json\n[filter]\ninclude_containers = %s\n' "$A" >"$CONF"
sockflow_start -c "$CONF"
grep -q "filter: 1 include and 0 exclude pattern(s)" "$SOCKFLOW_LOG" ||
	fail "no filter line in the log: $(cat "$SOCKFLOW_LOG")"
fetch 3
wait_for 10 "A's 3 records" has_to 3 "$IP_A" ||
	fail "records of A missing: $(count_to "$IP_A") of 3"
sockflow_stop
cp "$SOCKFLOW_OUT" "$TEST_TMP/include.out"
assert_eq "include A: records to A" 3 "$(count_to "$IP_A")"
assert_eq "include A: records to B" 0 "$(count_to "$IP_B")"
assert_eq "include A: records without an end in A" 0 "$(count_not_in "$A")"
(($(filtered_at_exit) >= 3)) ||
	fail "B's 3 flows not counted as filtered out: $(grep 'stats at exit' "$SOCKFLOW_LOG")"
log "ok: $(filtered_at_exit) records filtered out"

# --- SIGHUP: exclude_containers = A -----------------------------------------------------
printf '[export]\nprint = json\n[filter]\ninclude_containers = %s\n' "$A" >"$CONF"
sockflow_start -c "$CONF"
printf '[export]\nprint = json\n[filter]\nexclude_containers = %s\n' "$A" >"$CONF"
kill -HUP "$SOCKFLOW_PID"
wait_for 10 "the reload" grep -q "reload: $CONF applied" "$SOCKFLOW_LOG" ||
	fail "no reload message; log: $(cat "$SOCKFLOW_LOG")"
grep -q "filter: 0 include and 1 exclude pattern(s)" "$SOCKFLOW_LOG" ||
	fail "the reload did not rebuild the filter: $(cat "$SOCKFLOW_LOG")"
fetch 3
wait_for 10 "B's 3 records" has_to 3 "$IP_B" ||
	fail "records of B missing after the reload: $(count_to "$IP_B") of 3"
sockflow_stop
cp "$SOCKFLOW_OUT" "$TEST_TMP/exclude.out"
assert_eq "exclude A: records to B" 3 "$(count_to "$IP_B")"
assert_eq "exclude A: records to A" 0 "$(count_to "$IP_A")"
assert_eq "exclude A: records with an end in A" 0 "$(count_ends_in "$A")"
assert_eq "exclude A: B named in its records" 3 "$(count_ends_in "$B")"

# --- --include-container with an id prefix ------------------------------------------------
: >"$TEST_TMP/empty.conf"
sockflow_start -c "$TEST_TMP/empty.conf" --json --include-container "${ID_A:0:12}"
fetch 2
wait_for 10 "A's 2 records" has_to 2 "$IP_A" ||
	fail "records of A missing: $(count_to "$IP_A") of 2"
sockflow_stop
assert_eq "--include-container ${ID_A:0:12}: records to A" 2 "$(count_to "$IP_A")"
assert_eq "--include-container ${ID_A:0:12}: records to B" 0 "$(count_to "$IP_B")"
assert_eq "--include-container ${ID_A:0:12}: records without an end in A" 0 \
	"$(count_not_in "$A")"
log "ok: containers selected by name, by id prefix, after a reload; a bad name refused"
