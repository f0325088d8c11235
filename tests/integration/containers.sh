#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Microservices in real podman containers on the podman bridge, seen by one sockflow run
# that prints JSON and exports IPFIX over UDP to 127.0.0.1 (captured, decoded by tshark):
#   client --wget--> front:8080 (busybox httpd, CGI "fanout") --wget--> back1:8081
#                                                             --wget--> back2:8082
#   host   --wget--> back2:8082        host --wget--> pre:8083 (started before sockflow)
# Asserted from the records, JSON and IPFIX alike:
#   - every connection is exported exactly once, as one record with both ends, counted
#     by (client container, server container, server port), nothing else to or from them;
#   - each container end carries the container's id, name, image (podman inspect), runtime
#     podman, network namespace and cgroup (its main process's); the host end none;
#   - processes: names (wget, httpd), executables (the file the kernel runs, as
#     /proc/PID/exe names it: /bin/busybox behind every applet), command lines, user
#     root, parents (sh, fanout, httpd, bash) and pids: the parent pid is the container's
#     main process (podman inspect .State.Pid) wherever that is the parent, the host
#     clients' pids and parent are exact, and both back-end calls of one request share
#     one fanout parent and lie within that request's client->front connection;
#   - the pre-existing container is named too (names come from the runtime's state);
#   - tshark decodes the same names, pids, users, parents, command lines, container ids
#     and sockflow's container elements from the IPFIX datagrams.
# shellcheck disable=SC2154
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/podman.sh
. "$(dirname "$0")/podman.sh"

require_root
require_btf
require_tools tshark dumpcap jq ss
require_sockflow
require_podman

# Checks on the records go on after a failure, so that one run shows everything that is
# wrong; the test fails at the end if anything was. check CMD...: run an assert_* in a
# subshell (which does not inherit the EXIT trap), note it if it failed.
declare -a PROBLEMS=()
check() {
	( "$@" ) || PROBLEMS+=("$2")
}

N=5	# requests from the client container to front
M=3	# requests from the host to back2

# Document roots: back-ends serve two small files; front runs a CGI that calls both.
mkdir -p "$TEST_TMP/back" "$TEST_TMP/front/cgi-bin"
echo "one-$$" >"$TEST_TMP/back/one.txt"
echo "two-$$" >"$TEST_TMP/back/two.txt"
# The host's client: a copy of busybox, which runs the applet named by its first argument
# when its own name starts with "busybox"; a name (comm) no other process has.
host_bb="$TEST_TMP/bin/busybox-sfhost"
mkdir -p "$TEST_TMP/bin"
cp "$(command -v busybox)" "$host_bb"

# host_get URL BODY: one request from the host by busybox-sfhost, which must get BODY;
# its pid is appended to host_pids.
host_pids=()
host_get() {
	local pid out="$TEST_TMP/host.${#host_pids[@]}.out"
	bg_run pid "$out" "$host_bb" wget -q -O - "$1" || fail "host wget $1 failed: $(cat "$out")"
	[[ $(cat "$out") == "$2" ]] || fail "host wget $1 got '$(cat "$out")', expected '$2'"
	host_pids+=("$pid")
}

# A container that runs before sockflow starts: its name can only come from the
# runtime's state, not from watching it being made.
podman_start pre pre -v "$TEST_TMP/back:/www:ro" -- /bin/httpd -f -p 8083 -h /www
podman_wait_listen "$pre" 8083

ipfix_port=$(free_port udp)
capture_start "udp port $ipfix_port"
sockflow_start --collector "udp://127.0.0.1:$ipfix_port" --json

podman_start back1 back1 -v "$TEST_TMP/back:/www:ro" -- /bin/httpd -f -p 8081 -h /www
podman_start back2 back2 -v "$TEST_TMP/back:/www:ro" -- /bin/httpd -f -p 8082 -h /www
back1_ip=$(podman_ip "$back1")
back2_ip=$(podman_ip "$back2")
cat >"$TEST_TMP/front/cgi-bin/fanout" <<-EOF
	#!/bin/sh
	echo "Content-Type: text/plain"
	echo
	wget -q -O - http://$back1_ip:8081/one.txt
	wget -q -O - http://$back2_ip:8082/two.txt
EOF
chmod 755 "$TEST_TMP/front/cgi-bin/fanout"
podman_start front front -v "$TEST_TMP/front:/www:ro" -- /bin/httpd -f -p 8080 -h /www
front_ip=$(podman_ip "$front")
podman_wait_listen "$back1" 8081
podman_wait_listen "$back2" 8082
podman_wait_listen "$front" 8080

# The client's main process (sh) makes the requests, then execs sleep: its pid stays the
# container's main pid, which podman inspect reports while it runs.
front_url="http://$front_ip:8080/cgi-bin/fanout"
podman_start client client -- /bin/sh -c "i=0; while [ \$i -lt $N ]; do
	wget -q -O - $front_url || exit 1; i=\$((i + 1)); done; echo client-done; exec sleep 600"
client_done() { podman logs "$client" 2>/dev/null | grep -q '^client-done$'; }
wait_for 30 "the client's $N requests" client_done ||
	fail "client container: $(podman logs "$client" 2>&1 | tail -n 5)"
expected_body=$(for ((i = 0; i < N; i++)); do echo "one-$$"; echo "two-$$"; done)
assert_eq "bodies the client got from front" "$expected_body" \
	"$(podman logs "$client" 2>/dev/null | grep -v '^client-done$')"

for ((i = 0; i < M; i++)); do
	host_get "http://$back2_ip:8082/two.txt" "two-$$"
done
host_get "http://$(podman_ip "$pre"):8083/one.txt" "one-$$"

# What podman says about each container: id, name, image, main pid, netns, cgroup.
gateway=$(podman_get "$front" '{{.NetworkSettings.Gateway}}')
for role in pre back1 back2 front client; do
	name=${!role}
	pid=$(podman_pid "$name")
	[[ $pid != 0 ]] || fail "container $name is not running"
	jq -n --arg role "$role" --arg name "$name" --arg id "$(podman_id "$name")" \
		--arg image "$(podman_image "$name")" --arg ip "$(podman_ip "$name")" \
		--argjson pid "$pid" --arg exe "$(readlink "/proc/$pid/exe")" \
		--argjson netns "$(stat -L -c %i "/proc/$pid/ns/net")" \
		--arg cgroup "$(sed -n 's/^0:://p' "/proc/$pid/cgroup")" \
		'{role: $role, name: $name, id: $id, image: $image, ip: $ip, pid: $pid, exe: $exe,
		  netns: $netns, cgroup: $cgroup}'
done | jq -s --arg gw "$gateway" --argjson hostns "$(stat -L -c %i /proc/self/ns/net)" \
	'{ctr: (map({key: .role, value: .}) | from_entries),
	  byip: (map({key: .ip, value: .role}) | from_entries + {($gw): "host"}),
	  hostns: $hostns}' >"$TEST_TMP/podman.json"
jq -c '.ctr[]' "$TEST_TMP/podman.json" >&2
for role in pre back1 back2 front client; do
	assert_eq "image of $role (podman inspect)" "$PODMAN_IMAGE_REF" \
		"$(jq -r --arg r "$role" '.ctr[$r].image' "$TEST_TMP/podman.json")"
done

# Records of connections to or from these containers (by address, so that a record
# missing its container fields still counts), with roles by address.
ours() {
	jq -cR --slurpfile p "$TEST_TMP/podman.json" 'fromjson? | select(.sourceTransportPort)
		| select(any(.sourceIPv4Address, .destinationIPv4Address; IN($p[0].ctr[].ip)))
		| . + {_src: ($p[0].byip[.sourceIPv4Address] // "other"),
		       _dst: ($p[0].byip[.destinationIPv4Address] // "other")}' "$1"
}
expected_total=$((3 * N + M + 1))
json_has_all() { (($(ours "$SOCKFLOW_OUT" | wc -l) >= expected_total)); }
wait_for 15 "$expected_total records" json_has_all ||
	log "only $(ours "$SOCKFLOW_OUT" | wc -l) of $expected_total records so far"
sockflow_stop
capture_stop

ours "$SOCKFLOW_OUT" >"$TEST_TMP/json.records"
tshark_ipfix "$CAPTURE_FILE" "$ipfix_port" >"$TEST_TMP/ipfix.all"
ours "$TEST_TMP/ipfix.all" >"$TEST_TMP/ipfix.records"

jq -r '[._src, ._dst, .destinationTransportPort, .sourceTransportPort,
	.SRC_PROC_NAME, .SRC_PROC_PID, .SRC_FATHER_PROC_NAME, .SRC_FATHER_PROC_PID,
	.sockflowSourceContainerName, .DST_PROC_NAME, .DST_PROC_PID, .DST_FATHER_PROC_NAME,
	.DST_FATHER_PROC_PID, .sockflowDestinationContainerName] | map(tostring) | join(" ")' \
	"$TEST_TMP/json.records" | sort >&2

# 1. Each connection once: counts by (client, server, server port).
cat >"$TEST_TMP/counts.expected" <<-EOF
	client front 8080 $N
	front back1 8081 $N
	front back2 8082 $N
	host back2 8082 $M
	host pre 8083 1
EOF
count_table() {
	jq -r '[._src, ._dst, .destinationTransportPort] | map(tostring) | join(" ")' "$1" |
		sort | uniq -c | awk '{ print $2, $3, $4, $1 }'
}
count_table "$TEST_TMP/json.records" >"$TEST_TMP/counts.json"
check assert_lines_eq "JSON records by (client, server, server port)" "$TEST_TMP/counts.expected" \
	"$TEST_TMP/counts.json"
count_table "$TEST_TMP/ipfix.records" >"$TEST_TMP/counts.ipfix"
check assert_lines_eq "IPFIX records by (client, server, server port)" \
	"$TEST_TMP/counts.expected" "$TEST_TMP/counts.ipfix"
for f in json ipfix; do
	check assert_eq "distinct connections in the $f records" "$expected_total" "$(jq -r \
		'[.sourceIPv4Address, .sourceTransportPort, .destinationIPv4Address,
		  .destinationTransportPort] | map(tostring) | join(" ")' "$TEST_TMP/$f.records" |
		sort -u | wc -l)"
done

# 2. Container and process identity of both ends of every JSON record; every mismatch is
# listed. A host end has no container fields.
host_pid_list=$(IFS=,; echo "${host_pids[*]}")
jq -r --slurpfile p "$TEST_TMP/podman.json" --argjson testpid "$$" \
	--argjson hostpids "[$host_pid_list]" --arg hostbb "$host_bb" --arg front_url "$front_url" \
	--arg b1 "http://$back1_ip:8081/one.txt" --arg b2 "http://$back2_ip:8082/two.txt" \
	--arg pre_url "http://$(podman_ip "$pre"):8083/one.txt" '
	def want_ctr($role; $side):
		($p[0].ctr[$role]) as $c
		| if $side == "src" then
			{SRC_PROC_CONTAINER_ID: $c.id, sockflowSourceContainerName: $c.name,
			 sockflowSourceContainerRuntime: "podman",
			 sockflowSourceContainerImage: $c.image, sockflowSourceNetnsInode: $c.netns,
			 sockflowSourceCgroupPath: $c.cgroup}
		  else
			{DST_PROC_CONTAINER_ID: $c.id, sockflowDestinationContainerName: $c.name,
			 sockflowDestinationContainerRuntime: "podman",
			 sockflowDestinationContainerImage: $c.image,
			 sockflowDestinationNetnsInode: $c.netns,
			 sockflowDestinationCgroupPath: $c.cgroup}
		  end;
	def host_src:
		{SRC_PROC_CONTAINER_ID: null, sockflowSourceContainerName: null,
		 sockflowSourceContainerRuntime: null, sockflowSourceContainerImage: null,
		 sockflowSourceNetnsInode: $p[0].hostns, SRC_PROC_NAME: "busybox-sfhost",
		 sockflowSourceExecutable: $hostbb, SRC_FATHER_PROC_PID: $testpid,
		 SRC_FATHER_PROC_NAME: "bash"};
	def wget_src($role; $url; $parent):
		{SRC_PROC_NAME: "wget", sockflowSourceExecutable: $p[0].ctr[$role].exe,
		 SRC_PROC_CMDLINE: "wget -q -O - \($url)", SRC_FATHER_PROC_NAME: $parent};
	def httpd_dst($role; $port):
		{DST_PROC_NAME: "httpd", sockflowDestinationExecutable: $p[0].ctr[$role].exe,
		 DST_PROC_CMDLINE: "/bin/httpd -f -p \($port) -h /www",
		 DST_FATHER_PROC_NAME: "httpd", DST_FATHER_PROC_PID: $p[0].ctr[$role].pid};
	def users:
		{SRC_PROC_USER_NAME: "root", SRC_PROC_UID: 0, DST_PROC_USER_NAME: "root",
		 DST_PROC_UID: 0};
	def want:
		users + httpd_dst(._dst; .destinationTransportPort)
		+ (if ._src == "host" then host_src else want_ctr(._src; "src") end)
		+ want_ctr(._dst; "dst")
		+ if ._src == "client" then wget_src("client"; $front_url; "sh")
			+ {SRC_FATHER_PROC_PID: $p[0].ctr.client.pid}
		  elif ._src == "front" and ._dst == "back1" then wget_src("front"; $b1; "fanout")
		  elif ._src == "front" and ._dst == "back2" then wget_src("front"; $b2; "fanout")
		  elif ._dst == "back2" then {SRC_PROC_CMDLINE: "\($hostbb) wget -q -O - \($b2)"}
		  else {SRC_PROC_CMDLINE: "\($hostbb) wget -q -O - \($pre_url)"} end;
	. as $r
	| ($r | want) as $w
	| ($w | keys[]) as $k
	| (if $k | endswith("_UID") then ($r[$k] // 0) else $r[$k] end) as $got
	| select($got != $w[$k])
	| "\($r._src)->\($r._dst):\($r.destinationTransportPort) port \($r.sourceTransportPort): "
	  + "\($k) = \($got | tojson), expected \($w[$k] | tojson)"
	' "$TEST_TMP/json.records" >"$TEST_TMP/identity.bad"
if [[ -s $TEST_TMP/identity.bad ]]; then
	log "NOT OK: $(wc -l <"$TEST_TMP/identity.bad") wrong fields in the JSON records:"$'\n'"$(
		cat "$TEST_TMP/identity.bad")"
	PROBLEMS+=("container and process fields of the JSON records")
else
	log "ok: container and process fields of $expected_total JSON records"
fi

# 3. Pids that only relations between records can check.
check assert_eq "host clients' pids (sorted)" \
	"$(printf '%s\n' "${host_pids[@]}" | sort -n | xargs)" \
	"$(jq -r 'select(._src == "host") | .SRC_PROC_PID' "$TEST_TMP/json.records" |
		sort -n | xargs)"
# Server ends are httpd's per-connection children: new pids, never the main process.
check assert_eq "distinct server pids, none a container's main pid" "$expected_total" \
	"$(jq -r --slurpfile p "$TEST_TMP/podman.json" \
		'select(.DST_PROC_PID | IN($p[0].ctr[].pid) | not) | .DST_PROC_PID' \
		"$TEST_TMP/json.records" | sort -u | wc -l)"
# One fanout process per request, parent of exactly one wget to back1 and one to back2.
check assert_eq "fanout parents: one back1 and one back2 call each" \
	"$(for ((i = 0; i < N; i++)); do echo "back1 back2"; done)" \
	"$(jq -r 'select(._src == "front") | [.SRC_FATHER_PROC_PID, ._dst] | @tsv' \
		"$TEST_TMP/json.records" | sort -k1,1n -k2,2 |
		awk '$1 != p { if (NR > 1) print l; l = $2; p = $1; next } { l = l " " $2 }
			END { if (NR) print l }')"
check assert_eq "back-end calls within a client->front connection of the same time" 0 \
	"$(jq -s '(map(select(._src == "client"))) as $outer
		| map(select(._src == "front")
		      | . as $in
		      | select([$outer[]
		                | select(.flowStartMilliseconds <= $in.flowStartMilliseconds
		                         and .flowEndMilliseconds >= $in.flowEndMilliseconds)]
		               | length != 1))
		| length' "$TEST_TMP/json.records")"

# 4. The IPFIX datagrams, as tshark decodes them, carry what the JSON records say.
ipfix_fields() {
	jq -r --arg pen 32473 '
		def v($k; $num): if $num then ($k // 0) else ($k // "") end;
		[.sourceIPv4Address, .sourceTransportPort, .destinationIPv4Address,
		 .destinationTransportPort,
		 .SRC_PROC_PID, .SRC_PROC_NAME, v(.SRC_PROC_UID; true), .SRC_PROC_USER_NAME,
		 .SRC_FATHER_PROC_PID, .SRC_FATHER_PROC_NAME,
		 .DST_PROC_PID, .DST_PROC_NAME, v(.DST_PROC_UID; true), .DST_PROC_USER_NAME,
		 .DST_FATHER_PROC_PID, .DST_FATHER_PROC_NAME,
		 v(.SRC_PROC_CMDLINE // ."35632/556"; false),
		 v(.DST_PROC_CMDLINE // ."35632/557"; false),
		 v(.SRC_PROC_CONTAINER_ID // ."35632/558"; false),
		 v(.DST_PROC_CONTAINER_ID // ."35632/559"; false),
		 v(.sockflowSourceExecutable // .["\($pen)/1002"]; false),
		 v(.sockflowDestinationExecutable // .["\($pen)/1003"]; false),
		 v(.sockflowSourceContainerName // .["\($pen)/1004"]; false),
		 v(.sockflowDestinationContainerName // .["\($pen)/1005"]; false),
		 v(.sockflowSourceContainerRuntime // .["\($pen)/1006"]; false),
		 v(.sockflowDestinationContainerRuntime // .["\($pen)/1007"]; false),
		 v(.sockflowSourceContainerImage // .["\($pen)/1008"]; false),
		 v(.sockflowDestinationContainerImage // .["\($pen)/1009"]; false)]
		| map(tostring) | join(" ")' "$1" | sort
}
ipfix_fields "$TEST_TMP/json.records" >"$TEST_TMP/fields.json"
ipfix_fields "$TEST_TMP/ipfix.records" >"$TEST_TMP/fields.ipfix"
check assert_lines_eq "process and container fields, JSON vs IPFIX decoded by tshark" \
	"$TEST_TMP/fields.json" "$TEST_TMP/fields.ipfix"

((${#PROBLEMS[@]} == 0)) ||
	fail "${#PROBLEMS[@]} check(s) failed:"$'\n'"$(printf '  %s\n' "${PROBLEMS[@]}")"
