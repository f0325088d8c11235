#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# TCP quality and coverage, with sockflow polling sock_diag every second:
#   - retransmissions: an nft rule in a test network namespace drops every 10th data
#     packet each way at input; the client's retransmissions in sockflow's records add
#     up to what the kernel's TCP_INFO says for that socket at close, the server's are
#     counted too, and both ends have an RTT;
#   - resets: a server that closes with unread data sends a reset; sockflow counts it as
#     sent by the server and received by the client;
#   - a connection open before sockflow started is exported with both processes and
#     says its start is unknown;
#   - namespaces made and deleted while sockflow polls them disturb nothing else.
# Pids come from bg_start/bg_run (printf -v); lib.sh functions take optional arguments.
# shellcheck disable=SC2154,SC2119
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_btf
require_tools nft ip jq
require_sockflow
require_conngen
[[ -x ${DIAGPOLL:-} ]] || skip "diagpoll not built (make check builds it)"

NS="sfquality-$$"
CHURN_PREFIX="sfqchurn-$$-"
# The test's namespaces go too, then lib.sh's cleanup runs with the test's exit status.
cleanup_ns() {
	local rc=$? ns
	set +e
	for ns in $(ip netns list | awk '{ print $1 }'); do
		[[ $ns == "$NS" || $ns == "$CHURN_PREFIX"* ]] && ip netns delete "$ns"
	done
	(exit "$rc")
	lib_cleanup
}
trap cleanup_ns EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up

# ---- a connection that is already open when sockflow starts -------------------------
old_port=$(free_port tcp)
CONNGEN=$(conngen_as sfoldsrv) conngen_serve --threads 1 --port "$old_port"
old_server_pid=$CONNGEN_PID
bg_start old_client_pid "$TEST_TMP/old.out" "$(conngen_as sfoldcli)" client \
	--addr 127.0.0.1 --port "$old_port" --hold 6 --chunk 500 --interval 100
wait_for 5 "the old connection" grep -q '^open ' "$TEST_TMP/old.out" ||
	fail "the client did not connect: $(cat "$TEST_TMP/old.out")"

sockflow_start --json --poll-interval 1 --active-timeout 2
grep -q 'found [1-9][0-9]* TCP connection(s) open before start' "$SOCKFLOW_LOG" ||
	fail "sockflow did not report the connections open at start: $(cat "$SOCKFLOW_LOG")"

# ---- retransmissions in a lossy namespace -------------------------------------------
loss_port=$(free_port tcp)
ip netns exec "$NS" nft -f - <<EOF
table inet sfloss {
	chain in {
		type filter hook input priority 0;
		tcp dport $loss_port meta length > 200 numgen inc mod 10 == 3 counter drop
		tcp sport $loss_port meta length > 200 numgen inc mod 10 == 3 counter drop
	}
}
EOF
bg_start loss_server_pid "$TEST_TMP/loss_srv.out" ip netns exec "$NS" "$CONNGEN" serve \
	--threads 1 --port "$loss_port"
wait_for 5 "the server in $NS" grep -q '^ready' "$TEST_TMP/loss_srv.out" ||
	fail "server in $NS did not start"
ip netns exec "$NS" "$CONNGEN" client --addr 127.0.0.1 --port "$loss_port" --tcpinfo \
	--send 2000000 --recv 2000000 >"$TEST_TMP/loss.out" ||
	fail "client in $NS failed: $(cat "$TEST_TMP/loss.out")"
read -r kernel_retrans loss_cport < <(sed -n \
	's/^tcpinfo total_retrans=\([0-9]*\) .* local_port=\([0-9]*\)$/\1 \2/p' "$TEST_TMP/loss.out")
drops=$(ip netns exec "$NS" nft list ruleset | awk '/counter packets/ {
	for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) } END { print n + 0 }')
log "nft dropped $drops packets; client's TCP_INFO total_retrans $kernel_retrans"
((drops > 0 && kernel_retrans > 0)) || fail "the nft rule caused no retransmission"

# ---- resets: the server closes with unread data ---------------------------------------
rst_port=$(free_port tcp)
"$PYTHON" - "$rst_port" >"$TEST_TMP/rst.out" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
srv = socket.socket(); srv.bind(("127.0.0.1", port)); srv.listen(1)
cli = socket.create_connection(("127.0.0.1", port))
conn, _ = srv.accept()
cli.sendall(b"x" * 100)
time.sleep(0.2)
conn.close()        # 100 bytes unread: the kernel sends a reset
try:
    cli.recv(10); cli.recv(10)
except ConnectionResetError:
    pass
print(cli.getsockname()[1])
cli.close()
EOF
rst_cport=$(cat "$TEST_TMP/rst.out")

# ---- namespaces come and go while sockflow polls them ---------------------------------
churn() {
	local i ns
	for ((i = 0; i < 12; i++)); do
		ns="$CHURN_PREFIX$i"
		ip netns add "$ns" && ip -n "$ns" link set lo up
		ip netns exec "$ns" "$DIAGPOLL" hold --conns 50 >/dev/null &
		sleep 0.3
		kill $! 2>/dev/null
		wait $! 2>/dev/null || true	# killed: status 143
		ip netns delete "$ns"
	done
}
host_port=$(free_port tcp)
CONNGEN=$(conngen_as sfhostsrv) conngen_serve --threads 1 --port "$host_port"
bg_start host_client_pid "$TEST_TMP/host.out" "$CONNGEN" client --addr 127.0.0.1 \
	--port "$host_port" --hold 4 --chunk 1000 --interval 100
churn
host_done() { grep -qv '^open' "$TEST_TMP/host.out"; }
wait_for 10 "the host client" host_done ||
	fail "host client did not finish"
read -r host_cport host_sent _ < <(grep -v '^open' "$TEST_TMP/host.out")

final_to() { records_to "$1" | jq -e -s 'any(.[]; .flowEndReason == 3)' >/dev/null; }
wait_for 15 "the old connection's final record" final_to "$old_port" ||
	fail "no final record for the old connection: $(records_to "$old_port")"
wait_for 10 "the lossy connection's final record" final_to "$loss_port" ||
	fail "no final record for port $loss_port"
sockflow_stop

# Retransmissions: the client's add up to the kernel's count; the server's were seen.
records_to "$loss_port" >"$TEST_TMP/loss.records"
assert_eq "client retransmissions (records' sum vs TCP_INFO)" "$kernel_retrans" \
	"$(jq -s 'map(.RETRANSMITTED_IN_PKTS // 0) | add' "$TEST_TMP/loss.records")"
(($(jq -s 'map(.RETRANSMITTED_OUT_PKTS // 0) | add' "$TEST_TMP/loss.records") > 0)) ||
	fail "no server retransmission counted: $(cat "$TEST_TMP/loss.records")"
assert_eq "both ends' RTT in the final record" "true" "$(jq -s '.[-1] |
	(.sockflowSourceRttMicroseconds > 0 and .sockflowDestinationRttMicroseconds > 0)' \
	"$TEST_TMP/loss.records")"
assert_eq "lossy connection's client port" "$loss_cport" \
	"$(jq -r .sourceTransportPort "$TEST_TMP/loss.records" | sort -u)"

# Resets on the right ends, and on no other flow.
assert_eq "resets (client sent/received, server sent/received)" "0 1 1 0" \
	"$(records_to "$rst_port" | jq -r --argjson c "$rst_cport" 'select(.sourceTransportPort
		== $c) | [.sockflowSourceResetsSent // 0, .sockflowSourceResetsReceived // 0,
		.sockflowDestinationResetsSent // 0, .sockflowDestinationResetsReceived // 0]
		| map(tostring) | join(" ")')"
assert_eq "flows with a reset" 1 "$(jq -s 'map(select(.sockflowSourceResetsSent or
	.sockflowSourceResetsReceived or .sockflowDestinationResetsSent or
	.sockflowDestinationResetsReceived)) | length' "$SOCKFLOW_OUT")"

# The connection from before the start: both processes, start unknown, no SYN claimed.
records_to "$old_port" >"$TEST_TMP/old.records"
assert_eq "old connection: processes, start unknown, SYN bit" \
	"sfoldcli $old_client_pid sfoldsrv $old_server_pid 1 0" \
	"$(jq -r '[.SRC_PROC_NAME, .SRC_PROC_PID, .DST_PROC_NAME, .DST_PROC_PID,
		.sockflowFlowStartUnknown, (.tcpControlBits / 2 | floor % 2)] | map(tostring)
		| join(" ")' "$TEST_TMP/old.records" | sort -u)"

# Namespace churn disturbed nothing: the host connection is whole, sockflow logged no error.
records_to "$host_port" >"$TEST_TMP/host.records"
assert_eq "host connection during the churn: client port, payload sent" \
	"$host_cport $host_sent" "$(jq -s -r '"\(.[0].sourceTransportPort) \(map(
		.sockflowPayloadOctets) | add)"' "$TEST_TMP/host.records")"
! grep -E '^sockflow: (error|warn)' "$SOCKFLOW_LOG" || fail "sockflow logged errors or warnings"
log "sock_diag at exit: $(grep -o 'sock_diag: [^;]*' "$SOCKFLOW_LOG" | tail -n 1)"
