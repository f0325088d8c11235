#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# sockflow's own container image (scripts/image.sh: FROM scratch, this build's
# `make install-strip` and its shared libraries), run as a node agent is run:
#   podman run --pid=host --network=host --cgroupns=host --cap-drop=all --cap-add=<CAPS>
#   with /sys/fs/cgroup, /sys/kernel/btf, the runtimes' state and the host's user database
#   mounted read-only, podman's default seccomp profile, a file collector in a mounted dir.
# Checked from the IPFIX file it writes (ipfixDump), as from its JSON lines:
#   - a host connection (by server port): both processes named, user root, no container;
#   - a connection between two podman containers (client wget -> server httpd, by port):
#     both processes and both containers named as podman names them;
#   - `podman stop` (SIGTERM) ends it with status 0.
# The image's size is logged.
# shellcheck source=tests/integration/lib.sh disable=SC2154
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/podman.sh
. "$(dirname "$0")/podman.sh"

# The capabilities sockflow documents (README, issue 13 item 2), exactly; the DaemonSet in
# deploy/kubernetes/sockflow.yaml adds the same (tests/unit/test_kubernetes.sh).
CAPS="CAP_BPF CAP_PERFMON CAP_NET_ADMIN CAP_SYS_ADMIN CAP_SYS_PTRACE CAP_DAC_READ_SEARCH"

require_root
require_btf
require_tools ipfixDump jq capsh
require_sockflow
require_conngen
require_podman
"$SOCKFLOW" --help | grep -q 'default /etc/sockflow/sockflow.conf' ||
	skip "this build is not configured with --sysconfdir=/etc (the image's config path)"

IMAGE=localhost/sockflow-test-$$:latest
image_cleanup() {
	local rc=$?
	set +e
	podman_cleanup
	podman rmi -f "$IMAGE" >/dev/null 2>&1
	(exit "$rc")
	lib_cleanup
}
trap image_cleanup EXIT

start=$SECONDS
"$top_srcdir/scripts/image.sh" "$top_builddir" "$IMAGE" >"$TEST_TMP/image.log" 2>&1 ||
	fail "scripts/image.sh failed: $(cat "$TEST_TMP/image.log")"
log "ok: $(cat "$TEST_TMP/image.log") (built in $((SECONDS - start)) s)"

# Read-only: cgroups (sockflow attaches to the v2 root and walks it for container ids),
# the kernel's BTF, the state files the runtimes keep (src/enrich/container.c: podman and
# CRI-O's containers/storage, docker, containerd's task bundles), named network
# namespaces, and the host's user database for user names. Only those that exist here.
mounts=(-v /sys/fs/cgroup:/sys/fs/cgroup:ro -v /sys/kernel/btf:/sys/kernel/btf:ro
	-v /etc/passwd:/etc/passwd:ro -v /etc/group:/etc/group:ro)
for d in /var/lib/containers/storage /run/containers/storage /var/lib/docker/containers \
	/run/containerd/io.containerd.runtime.v2.task; do
	[[ -d $d ]] && mounts+=(-v "$d:$d:ro")
done
[[ -d /run/netns ]] && mounts+=(-v '/run/netns:/run/netns:ro,rslave')
mkdir -p "$TEST_TMP/out"
mounts+=(-v "$TEST_TMP/out:/out")

sf=$(podman_name sockflow)
PODMAN_CONTAINERS+=("$sf")
podman run -d --runtime runc --name "$sf" --pid=host --network=host --cgroupns=host \
	--cap-drop=all --cap-add="${CAPS// /,}" "${mounts[@]}" "$IMAGE" \
	--log-level info --json --collector file:/out/flows.ipfix >"$TEST_TMP/run.log" 2>&1 ||
	fail "podman run $IMAGE failed: $(cat "$TEST_TMP/run.log")"
sockflow_logs() { podman logs "$sf" >"$TEST_TMP/sockflow.all" 2>&1; }
sf_running() {
	sockflow_logs
	[[ $(podman_get "$sf" '{{.State.Running}}') == true ]] ||
		fail "the sockflow container stopped: $(grep -v '^{' "$TEST_TMP/sockflow.all")"
	grep -Eq "$SOCKFLOW_READY_RE" "$TEST_TMP/sockflow.all"
}
wait_for 30 "sockflow in its container to attach" sf_running ||
	fail "sockflow in its container did not attach: $(grep -v '^{' "$TEST_TMP/sockflow.all")"
# The container was given exactly CAPS (podman's record), and the running sockflow holds
# nothing else (the kernel's: it may hold fewer once attached); podman's default seccomp
# filter is on ("Seccomp: 2" is filter mode).
podman_get "$sf" '{{range .EffectiveCaps}}{{println .}}{{end}}' | sed '/^$/d' | sort \
	>"$TEST_TMP/caps.granted"
tr ' ' '\n' <<<"$CAPS" | sort >"$TEST_TMP/caps.want"
assert_lines_eq "capabilities granted to the container" "$TEST_TMP/caps.want" \
	"$TEST_TMP/caps.granted"
sf_pid=$(podman_pid "$sf")
capsh --decode="$(awk '/^CapEff:/ { print $2 }' "/proc/$sf_pid/status")" |
	sed 's/.*=//' | tr ',' '\n' | tr '[:lower:]' '[:upper:]' | sed '/^$/d' | sort >"$TEST_TMP/caps.have"
caps_extra=$(comm -13 "$TEST_TMP/caps.want" "$TEST_TMP/caps.have")
[[ -z $caps_extra ]] || fail "sockflow in the container holds more than CAPS: $caps_extra"
assert_eq "seccomp mode" 2 "$(awk '/^Seccomp:/ { print $2 }' "/proc/$sf_pid/status")"

# A host connection, by names no other process has.
host_port=$(free_port tcp)
CONNGEN=$(conngen_as sfimgserver) conngen_serve --threads 1 --port "$host_port"
"$(conngen_as sfimgclient)" client --addr 127.0.0.1 --port "$host_port" --count 1 \
	>"$TEST_TMP/client.out" 2>&1 || fail "conngen client: $(cat "$TEST_TMP/client.out")"

# Two containers: a client's wget to a server's httpd (on the podman bridge).
ctr_port=$(free_port tcp)
mkdir -p "$TEST_TMP/www"
echo "sockflow-image-$$" >"$TEST_TMP/www/index.html"
podman_start srv srv -v "$TEST_TMP/www:/www:ro" -- /bin/httpd -f -p "$ctr_port" -h /www
podman_wait_listen "$srv" "$ctr_port"
podman_start cli cli -- /bin/sh -c \
	"wget -q -O /tmp/got http://$(podman_ip "$srv"):$ctr_port/index.html && sleep 600"

# JSON lines on the container's stdout say when the records are there.
json_to() { sockflow_logs; grep '^{' "$TEST_TMP/sockflow.all" | records_to "$1" /dev/stdin; }
has_json_to() { [[ -n $(json_to "$1") ]]; }
wait_for 20 "the host connection's record" has_json_to "$host_port" ||
	fail "no record to port $host_port"
wait_for 20 "the containers' connection's record" has_json_to "$ctr_port" ||
	fail "no record to port $ctr_port; cli: $(podman logs "$cli" 2>&1 | tail -n 3)"

stop_rc=0
stop_start=$(date +%s%N)
podman stop -t 30 "$sf" >"$TEST_TMP/stop.log" 2>&1 || stop_rc=$?
assert_eq "podman stop status" 0 "$stop_rc"
log "podman stop took $((($(date +%s%N) - stop_start) / 1000000)) ms"
assert_eq "sockflow's exit status in the container" 0 "$(podman_get "$sf" '{{.State.ExitCode}}')"

# The records in the IPFIX file the container wrote.
ipfix_dump_records "$TEST_TMP/out/flows.ipfix" >"$TEST_TMP/file.jsonl"
rec_fields='[.SRC_PROC_NAME, .DST_PROC_NAME, .SRC_PROC_USER_NAME, .DST_PROC_USER_NAME,
	.sockflowSourceContainerName // "-", .sockflowDestinationContainerName // "-"]
	| map(tostring | if . == "" then "-" else . end) | join(" ")'
assert_eq "host connection: processes, users, containers" \
	"sfimgclient sfimgserver root root - -" \
	"$(records_to "$host_port" "$TEST_TMP/file.jsonl" | jq -r "$rec_fields")"
assert_eq "containers' connection: processes, users, containers" \
	"wget httpd root root $cli $srv" \
	"$(records_to "$ctr_port" "$TEST_TMP/file.jsonl" | jq -r "$rec_fields")"
log "ok: image $IMAGE: $(podman image inspect -f '{{.Size}}' "$IMAGE") bytes"
