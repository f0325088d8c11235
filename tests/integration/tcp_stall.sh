#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A TCP collector that stalls, then dies with unread data (issue 14 item 3): it reads its
# templates and a few KB of records in whole messages, then reads no more (16 KiB receive
# buffer), while sockflow exports the records of N connections into it. Killed (SIGKILL
# with unread data: its kernel resets the connection), it is replaced by a good collector,
# which gets the records of N2 connections made while none was up.
# Every connection arrives at most once across both collectors, and what did not arrive
# is counted: arrived + lost + unconfirmed >= made, sent - unconfirmed <= arrived, and the
# unread bound sockflow logs (2 x the largest window) >= the dead collector's Recv-Q; the
# unconfirmed count is the same in the exit stats line, the metrics and the options record.
# Pids come from bg_start (printf -v); lib.sh functions take optional arguments.
# shellcheck disable=SC2154,SC2119
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_btf
require_tools ipfixDump jq ss curl
require_sockflow
require_conngen

N=${STALL_CONNECTIONS:-170}	# connections into the stall: ~3 times what it takes
N2=20				# connections while no collector is up
# Bytes the stalling collector reads (whole messages): ~6 KB of templates and type
# records, then ~6 KB of records.
STALL_AFTER=12000
RCVBUF=16384			# its SO_RCVBUF, set before listen()
TCP_SINK="$top_srcdir/tests/tools/tcp_sink.py"

sink_says() { grep -qs "$2" "$TEST_TMP/$1.log"; }
# The collector's end of the connection from sockflow: "RECV_Q SEND_Q".
collector_queues() { ss -tnH state established "sport = :$sink_port" | awk '{ print $1, $2 }'; }
# sockflow's end: its Send-Q (bytes not acknowledged, written or not).
exporter_send_q() {
	ss -tnH state established "dport = :$sink_port" | awk '{ print $2 } END { if (!NR) print 0 }'
}
# The stall is full: sockflow's bytes wait unacknowledged, the collector's queue holds
# still (a zero window), and sockflow has handed over every record it has.
stall_full() {
	local a b
	a=$(collector_queues)
	(($(exporter_send_q) > 0)) || return 1
	sleep 0.3
	b=$(collector_queues)
	[[ -n $a && $a == "$b" ]]
}
# Records (JSON lines) each collector decoded: stalled.N / good.N are the streams.
decode() {
	local f
	for f in "$TEST_TMP/$1".[0-9]*; do
		[[ -s $f ]] && ipfix_dump_records "$f"
	done
	return 0
}
ours() { jq -c --argjson port "$port" 'select(.destinationTransportPort == $port)' "$1"; }
reset_line() { grep -m1 'connection reset:' "$SOCKFLOW_LOG"; }
accounted() {
	local lost unc
	[[ -n $(reset_line) ]] || return 1
	read -r lost unc < <(reset_line |
		sed -n 's/.*: \([0-9]*\) records lost .*, \([0-9]*\) unconfirmed .*/\1 \2/p')
	decode good >"$TEST_TMP/good.jsonl"
	(($(ours "$TEST_TMP/good.jsonl" | wc -l) + $(ours "$TEST_TMP/stalled.jsonl" | wc -l) +
		lost + unc >= N + N2))
}

CONNGEN=$(conngen_as sfserver) conngen_serve --threads 2
port=$CONNGEN_PORT
sink_port=$(free_port tcp)

# 1. The stalling collector; sockflow connects to it.
bg_start stall_pid "$TEST_TMP/stall.log" "$PYTHON" "$TCP_SINK" --port "$sink_port" \
	--out "$TEST_TMP/stalled" --rcvbuf "$RCVBUF" --stall-after "$STALL_AFTER"
wait_for 5 "the stalling collector to listen" sink_says stall '^listening' ||
	fail "the stalling collector did not start: $(cat "$TEST_TMP/stall.log")"
metrics_port=$(free_port tcp)
printf '[metrics]\nlisten = 127.0.0.1:%s\n' "$metrics_port" >"$TEST_TMP/sockflow.conf"
sockflow_start -c "$TEST_TMP/sockflow.conf" --collector "tcp://127.0.0.1:$sink_port" --json
wait_for 10 "sockflow to connect" sink_says stall '^accepted' ||
	fail "sockflow did not connect to the collector"

# 2. N connections; their records go into the stall.
client_bin=$(conngen_as sfclient)
"$client_bin" client --addr 127.0.0.1 --port "$port" --count "$N" \
	>"$TEST_TMP/client.out" 2>&1 || fail "conngen client: $(cat "$TEST_TMP/client.out")"
wait_for 30 "$N records from sockflow" has_records_to "$N" "$port" ||
	fail "sockflow printed $(count_records_to "$port") of $N records"
wait_for 10 "the collector to stall" sink_says stall '^stalled' ||
	fail "the collector did not read $STALL_AFTER bytes: $(cat "$TEST_TMP/stall.log")"
wait_for 30 "the stall to fill (a zero window)" stall_full ||
	fail "the stall did not fill: collector queues $(collector_queues), sockflow's" \
		"Send-Q $(exporter_send_q)"

# 3. Killed with unread data: its kernel resets the connection.
read -r unread _ < <(collector_queues)
read_bytes=$(awk '/^stalled/ { print $3 }' "$TEST_TMP/stall.log")
proc_stop "$stall_pid" KILL 5 || true
decode stalled >"$TEST_TMP/stalled.jsonl"
wait_for 10 "sockflow to see the reset" reset_line >/dev/null ||
	fail "sockflow did not log the reset: $(tail -n 5 "$SOCKFLOW_LOG")"
log "sockflow: $(reset_line | sed 's/.*warn[^:]*: //')"

# 4. Connections while no collector is up, then a good collector on the same port:
# sockflow reconnects and sends their records, and none of those it had sent before.
"$client_bin" client --addr 127.0.0.1 --port "$port" --count "$N2" \
	>>"$TEST_TMP/client.out" 2>&1 || fail "conngen client: $(cat "$TEST_TMP/client.out")"
made=$(wc -l <"$TEST_TMP/client.out")
wait_for 30 "$((N + N2)) records from sockflow" has_records_to "$((N + N2))" "$port" ||
	fail "sockflow printed $(count_records_to "$port") of $((N + N2)) records"
bg_start good_pid "$TEST_TMP/good.log" "$PYTHON" "$TCP_SINK" --port "$sink_port" \
	--out "$TEST_TMP/good"
wait_for 5 "the good collector to listen" sink_says good '^listening' ||
	fail "the good collector did not start: $(cat "$TEST_TMP/good.log")"
wait_for 10 "sockflow to reconnect" sink_says good '^accepted' ||
	fail "sockflow did not reconnect to the good collector"
wait_for 20 "every record arrived or counted" accounted ||
	fail "records missing: see $TEST_TMP/good.jsonl and $TEST_TMP/stalled.jsonl"
# The metric, scraped now: unconfirmed changes only on a reset, so it is final.
metric_unconfirmed=$(curl -sS "http://127.0.0.1:$metrics_port/metrics" | awk -v \
	m="sockflow_exporter_records_unconfirmed_total{exporter=\"tcp://127.0.0.1:$sink_port\"}" \
	'$1 == m { print $2 }')
sockflow_stop
wait_for 10 "the good collector to read to the end" sink_says good '^closed' ||
	fail "the good collector's connection did not end: $(tail -n 3 "$TEST_TMP/good.log")"
proc_stop "$good_pid" TERM 5 || true
decode good >"$TEST_TMP/good.jsonl"

# 5. Compare.
exit_line=$(grep 'stats at exit: export tcp:' "$SOCKFLOW_LOG") ||
	fail "no exit stats line for the collector"
read -r sent lost unconfirmed < <(sed -n \
	's/.*, sent \([0-9]*\), lost \([0-9]*\), unconfirmed \([0-9]*\),.*/\1 \2 \3/p' \
	<<<"$exit_line")
[[ -n $unconfirmed ]] || fail "cannot read the exit stats line: $exit_line"
bound=$(reset_line | sed -n 's/.*within the last \([0-9]*\) bytes.*/\1/p')
# The options record sent at exit carries the same count (its sent may be a message behind),
# and so does the metric.
options_unconfirmed=$(ipfixDump --rfc5610 -d -i "$TEST_TMP/good.1" |
	sed -n 's/.*)sockflowUnconfirmedFlowTotalCount : \([0-9]*\)$/\1/p' | tail -n 1)
arrived_stalled=$(ours "$TEST_TMP/stalled.jsonl" | wc -l)
arrived_good=$(ours "$TEST_TMP/good.jsonl" | wc -l)
arrived=$((arrived_stalled + arrived_good))
arrived_all=$(cat "$TEST_TMP/stalled.jsonl" "$TEST_TMP/good.jsonl" | wc -l)

# Counters are sockflow's, for every flow; made and arrived are the test's connections.
printf '%6s %8s %8s %6s %6s %12s %13s %12s %11s\n' made arrived "(stall)" sent lost \
	unconfirmed "unread bytes" "bound bytes" "read bytes" >&2
printf '%6s %8s %8s %6s %6s %12s %13s %12s %11s\n' "$made" "$arrived" "($arrived_stalled)" \
	"$sent" "$lost" "$unconfirmed" "$unread" "$bound" "$read_bytes" >&2

assert_eq "connections made" "$((N + N2))" "$made"
dups=$(cat "$TEST_TMP/stalled.jsonl" "$TEST_TMP/good.jsonl" |
	jq -r --argjson port "$port" 'select(.destinationTransportPort == $port)
		| "\(.sourceTransportPort) \(.flowStartMilliseconds)"' | sort | uniq -d)
[[ -z $dups ]] || fail "records that arrived twice (port start):"$'\n'"$dups"
log "ok: no connection arrived twice"
((arrived_stalled > 0)) || fail "no record among what the stalled collector read"
((arrived_good >= N2)) || fail "the good collector got $arrived_good records, < the $N2 made for it"
((unread > 0 && lost > 0 && unconfirmed > 0)) ||
	fail "no stall to account for: unread $unread bytes, lost $lost, unconfirmed $unconfirmed"
((arrived + lost + unconfirmed >= made)) ||
	fail "arrived $arrived + lost $lost + unconfirmed $unconfirmed < made $made: lost silently"
log "ok: arrived $arrived + lost $lost + unconfirmed $unconfirmed >= made $made"
((sent - unconfirmed <= arrived_all)) ||
	fail "sent $sent - unconfirmed $unconfirmed > $arrived_all records arrived: sent is not honest"
log "ok: sent $sent - unconfirmed $unconfirmed <= $arrived_all records arrived (all flows)"
assert_eq "unconfirmed in the options record sent at exit" "$unconfirmed" \
	"$options_unconfirmed"
assert_eq "unconfirmed in the metrics" "$unconfirmed" "$metric_unconfirmed"
((bound >= unread)) || fail "the unread bound $bound bytes < $unread bytes left unread"
log "ok: the unread bound $bound bytes >= $unread bytes the collector left unread"
