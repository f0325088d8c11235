# SPDX-License-Identifier: GPL-2.0-only
# Helpers for integration tests with real podman containers (runc, a busybox image built
# here): skip when containers cannot run, start and inspect containers, remove them on exit.
#
# Usage, after lib.sh:
#   . "$(dirname "$0")/podman.sh"
#   require_podman                    # exit 77 with the reason when no container can run
#   podman_start srv back -v "$dir:/www:ro" -- /bin/httpd -f -p 8080 -h /www
#   podman_wait_listen "$srv" 8080
#   podman_run client -- /bin/wget -q -O - "http://$(podman_ip "$srv"):8080/"
# Containers are named TEST-PID-ROLE (TEST is the test's name) and run with --runtime
# runc (crun fails on this host's hybrid cgroups). Only the containers these helpers
# started are removed on exit, whatever the test's outcome.
#
# Network rule: a test talks only to loopback and to the containers it started. The
# image has no network tools beyond busybox's nc/wget/httpd, and nothing here resolves
# names: tests pass their containers' bridge addresses (podman_ip) explicitly.

# Sourced by bash tests, after lib.sh. Variables set here are read by those tests.
# shellcheck shell=bash disable=SC2034

PODMAN_IMAGE=localhost/sfbusybox
PODMAN_IMAGE_REF=$PODMAN_IMAGE:latest
# The busybox applets linked in the image; the label records them, so an image built
# with fewer (by an older helper, or by hand) is rebuilt.
PODMAN_APPLETS="sh nc httpd wget sleep cat"
PODMAN_LABEL=org.sockflow.test.applets
PODMAN_LOCK=/run/lock/sockflow-sfbusybox.lock
declare -a PODMAN_CONTAINERS=()	# names to remove on exit

# podman_image_build: localhost/sfbusybox from the host's static busybox, unless an image
# with the same applets is there already. Serialised with flock: two tests may build at
# once under make -j.
podman_image_build() {
	local bb rootfs a
	bb=$(command -v busybox) || skip "busybox not installed (apt-get install busybox-static)"
	# ldd fails on a static executable; a dynamic busybox would not run in the image.
	! ldd "$bb" >/dev/null 2>&1 ||
		skip "$bb is not statically linked (apt-get install busybox-static)"
	exec {PODMAN_LOCK_FD}>"$PODMAN_LOCK"
	flock -w 60 "$PODMAN_LOCK_FD" || fail "could not lock $PODMAN_LOCK"
	if [[ $(podman image inspect -f "{{index .Labels \"$PODMAN_LABEL\"}}" "$PODMAN_IMAGE_REF" \
		2>/dev/null) != "$PODMAN_APPLETS" ]]; then
		log "building $PODMAN_IMAGE_REF from $bb"
		rootfs="$TEST_TMP/rootfs"
		mkdir -p "$rootfs/bin" "$rootfs/tmp"
		cp "$bb" "$rootfs/bin/busybox"
		for a in $PODMAN_APPLETS; do
			ln -s busybox "$rootfs/bin/$a"
		done
		tar -C "$rootfs" -c . | podman import -q \
			--change "LABEL $PODMAN_LABEL=\"$PODMAN_APPLETS\"" - "$PODMAN_IMAGE_REF" \
			>"$TEST_TMP/podman-import.log" 2>&1 ||
			fail "podman import failed: $(cat "$TEST_TMP/podman-import.log")"
		rm -rf "$rootfs"
	fi
	flock -u "$PODMAN_LOCK_FD"
	exec {PODMAN_LOCK_FD}>&-
}

# require_podman: podman and runc installed, the image built, and a container really
# runs; otherwise skip (77) with the reason.
require_podman() {
	local out
	require_tools podman runc nsenter flock
	podman_image_build
	PODMAN_CONTAINERS+=("$(podman_name probe)")	# podman_run below runs in a subshell
	if ! out=$(podman_run probe -- /bin/sh -c 'echo sockflow-probe' 2>&1) ||
		[[ $out != *sockflow-probe* ]]; then
		case $out in
		*rlimit*) skip "podman cannot start a container: runc may not set rlimits here;" \
			"set default_ulimits = [] in containers.conf (scripts/deps.sh): $out" ;;
		*) skip "podman cannot start a container: $out" ;;
		esac
	fi
}

# podman_name ROLE: the name of this test run's container ROLE.
podman_name() { printf '%s-%s-%s\n' "$TEST_NAME" "$$" "$1"; }

# podman_start VAR ROLE [PODMAN-RUN-OPTIONS...] -- CMD [ARGS...]: start a detached
# container of the image, named podman_name ROLE; its name goes to VAR.
podman_start() {
	local var=$1 name opts=()
	name=$(podman_name "$2")
	shift 2
	while (($#)) && [[ $1 != -- ]]; do
		opts+=("$1")
		shift
	done
	[[ ${1:-} == -- ]] || fail "podman_start: no -- before the command"
	shift
	PODMAN_CONTAINERS+=("$name")
	podman run -d --runtime runc --name "$name" "${opts[@]}" "$PODMAN_IMAGE_REF" "$@" \
		>"$TEST_TMP/podman-start.$name.log" 2>&1 ||
		fail "podman run $name failed: $(cat "$TEST_TMP/podman-start.$name.log")"
	printf -v "$var" '%s' "$name"
}

# podman_run ROLE [PODMAN-RUN-OPTIONS...] -- CMD [ARGS...]: run a container to its end
# (--rm) in the foreground; its output on stdout, its exit status returned. Removed on exit
# if still there, unless run in a subshell such as $(podman_run ...): register the name
# first then (PODMAN_CONTAINERS+=("$(podman_name ROLE)")).
podman_run() {
	local name opts=()
	name=$(podman_name "$1")
	shift
	while (($#)) && [[ $1 != -- ]]; do
		opts+=("$1")
		shift
	done
	[[ ${1:-} == -- ]] || fail "podman_run: no -- before the command"
	shift
	PODMAN_CONTAINERS+=("$name")
	podman run --rm --runtime runc --name "$name" "${opts[@]}" "$PODMAN_IMAGE_REF" "$@"
}

# podman_get NAME FORMAT: one field of `podman inspect`, e.g. '{{.State.Pid}}'.
podman_get() { podman inspect -f "$2" "$1"; }
podman_id() { podman_get "$1" '{{.Id}}'; }
podman_ip() { podman_get "$1" '{{.NetworkSettings.IPAddress}}'; }
# podman_pid NAME: host pid of the container's main process (0 once it has stopped).
podman_pid() { podman_get "$1" '{{.State.Pid}}'; }
podman_image() { podman_get "$1" '{{.ImageName}}'; }

# podman_listening NAME PORT: something in the container listens on TCP PORT. Looked up
# in the container's network namespace (nsenter + ss), so no connection is made: a
# readiness probe would be a flow of its own in the records under test.
podman_listening() {
	local pid
	pid=$(podman_pid "$1") && [[ $pid != 0 ]] || return 1
	[[ -n $(nsenter -t "$pid" -n ss -tlnH "sport = :$2" 2>/dev/null) ]]
}

# podman_wait_listen NAME PORT: wait (10 s) until podman_listening; fail otherwise.
podman_wait_listen() {
	wait_for 10 "$1 to listen on port $2" podman_listening "$1" "$2" ||
		fail "container $1 does not listen on port $2: $(podman logs "$1" 2>&1 | tail -n 5)"
}

# podman_cleanup: remove this run's containers (only those), whether or not they run.
podman_cleanup() {
	((${#PODMAN_CONTAINERS[@]})) || return 0
	podman rm -f -i -t 0 "${PODMAN_CONTAINERS[@]}" >/dev/null 2>&1 ||
		log "could not remove containers ${PODMAN_CONTAINERS[*]}"
	PODMAN_CONTAINERS=()
}

# Containers go first, then lib.sh's cleanup, which sees the test's exit status ($? set
# by the subshell; set +e, or errexit would end the trap right there on a failure).
podman_lib_cleanup() {
	local rc=$?
	set +e
	podman_cleanup
	(exit "$rc")
	lib_cleanup
}
trap podman_lib_cleanup EXIT
