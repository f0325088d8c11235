#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# UDP flood benchmark: one socket sends datagrams at a fixed rate over loopback to conngen
# serve --udp, without and with sockflow (--json to a file), in interleaved runs (off, on,
# off, on, ...). With sockflow it also checks that the records count every datagram and
# byte of the flood. Prints a table; never fails for speed.
#
#   bench/udp_flood.sh                  3 pairs of 10 s floods at 100000 datagrams/s
# Environment:
#   FLOOD_PAIRS=3  FLOOD_DURATION=10  FLOOD_RATE=100000 (datagrams/s)
#   FLOOD_SIZE=64      UDP payload bytes per datagram (conngen's 16-byte header included)
#   SOCKFLOW=path  SOCKFLOW_ARGS="extra sockflow options"  CONNGEN=path
#   FLOOD_SOCKFLOW=0   only the runs without sockflow (also when sockflow is not built)
#   KEEP_TMP=1         keep logs and sockflow's JSON
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../tests/integration/lib.sh"

PAIRS=${FLOOD_PAIRS:-3}
DURATION=${FLOOD_DURATION:-10}
RATE=${FLOOD_RATE:-100000}
SIZE=${FLOOD_SIZE:-64}
read -r -a EXTRA_ARGS <<<"${SOCKFLOW_ARGS:-}"
TARGET_RATIO=0.90

require_root
require_tools jq
require_conngen
WITH_SOCKFLOW=${FLOOD_SOCKFLOW:-1}
if [[ $WITH_SOCKFLOW == 1 && ! -x "$SOCKFLOW" ]]; then
	log "sockflow not built ($SOCKFLOW): running without it only"
	WITH_SOCKFLOW=0
fi

# sysctl_raise KEY MIN: at least MIN for this run (restored on exit), never lowered.
sysctl_raise() {
	(($(sysctl -n "$1") >= $2)) || sysctl_set "$1" "$2"
}

# The default 208 KiB receive buffer overflows at 100k datagrams/s whenever the server
# is off the CPU for a couple of milliseconds; conngen serve takes rmem_default. 32 MiB
# holds ~30k small datagrams (the kernel charges ~1 KiB each), ~0.3 s of the flood.
sysctl_raise net.core.rmem_max 33554432
sysctl_raise net.core.rmem_default 33554432

# udp_rcvbuf_errors: RcvbufErrors from the Udp: lines of /proc/net/snmp (this network
# namespace, every socket in it).
udp_rcvbuf_errors() {
	awk '$1 == "Udp:" {
		if (!col) { for (i = 2; i <= NF; i++) if ($i == "RcvbufErrors") col = i; next }
		print $col; exit
	}' /proc/net/snmp
}

server_drained() { [[ $(udp_rx_queue "$CONNGEN_PORT") == 0 ]]; }


# flood_records JSONL PORT: "RECORDS PACKETS OCTETS" summed over sockflow's UDP records
# to PORT; a line sockflow left half-written is skipped.
flood_records() {
	jq -nrR --argjson port "$2" '
		[inputs | fromjson? | select(.protocolIdentifier == 17
			and .destinationTransportPort == $port)]
		| [length, (map(.packetDeltaCount // 0) | add // 0),
		   (map(.octetDeltaCount // 0) | add // 0)] | @tsv' "$1"
}

# run_once N on|off: one flood; appends a row to $TEST_TMP/rows.
run_once() {
	local n=$1 mode=$2 dir="$TEST_TMP/run$1-$2" line sent rate recv drops err0 err1
	local cpu0 cpu=- rss=- recs=- pkts=- octets=- want_octets=- exact=- rc=0
	mkdir -p "$dir"
	conngen_serve --udp --threads 1
	if [[ $mode == on ]]; then
		sockflow_start --json --idle-timeout 2 "${EXTRA_ARGS[@]}"
		cpu0=$(proc_cpu_s "$SOCKFLOW_PID")
	fi
	err0=$(udp_rcvbuf_errors)
	line=$("$CONNGEN" flood --addr 127.0.0.1 --port "$CONNGEN_PORT" --rate "$RATE" \
		--duration "$DURATION" --size "$SIZE" 2>"$dir/flood.err") ||
		fail "conngen flood failed: $(cat "$dir/flood.err")"
	log "run $n $mode: $line"
	[[ ! -s $dir/flood.err ]] || log "$(cat "$dir/flood.err")" # fell behind
	sent=$(sed -n 's/^flood sent \([0-9]*\) dgrams.*/\1/p' <<<"$line")
	rate=$(sed -n 's/.* rate \([0-9.]*\)\/s.*/\1/p' <<<"$line")
	wait_for 10 "conngen serve to read its socket" server_drained || true
	drops=$(udp_drops "$CONNGEN_PORT")
	err1=$(udp_rcvbuf_errors)
	proc_stop "$CONNGEN_PID" TERM 5 || true
	recv=$(sed -n 's/^received \([0-9]*\) dgrams.*/\1/p' "$CONNGEN_LOG")
	cp "$CONNGEN_LOG" "$dir/serve.log"
	if [[ $mode == on ]]; then
		wait_for 30 "sockflow to settle" cpu_settled "$SOCKFLOW_PID" || true
		cpu=$(awk -v a="$cpu0" -v b="$(proc_cpu_s "$SOCKFLOW_PID")" \
			'BEGIN { printf "%.2f", b - a }')
		rss=$(awk -v k="$(proc_peak_rss_kb "$SOCKFLOW_PID")" \
			'BEGIN { printf "%.1f", k / 1024 }')
		# SIGTERM exports the open flows. A bad exit is reported in the table, not fatal.
		proc_stop "$SOCKFLOW_PID" TERM 20 || rc=$?
		cp "$SOCKFLOW_OUT" "$dir/sockflow.json"
		cp "$SOCKFLOW_LOG" "$dir/sockflow.log"
		want_octets=$((sent * (SIZE + 28))) # IPv4 20 + UDP 8 header bytes
		if ((rc != 0)); then
			log "sockflow exited with status $rc; its log: $(tail -n 5 "$SOCKFLOW_LOG")"
			exact=error
		elif read -r recs pkts octets < <(flood_records "$dir/sockflow.json" \
			"$CONNGEN_PORT") && [[ -n $octets ]]; then
			if [[ $recs -gt 0 && $pkts == "$sent" && $octets == "$want_octets" ]]; then
				exact=yes
			else
				exact=no
			fi
		else
			log "cannot read sockflow's JSON records ($dir/sockflow.json)"
			recs=- pkts=- octets=- exact=error
		fi
	fi
	printf '%s %s %s %s %s %s %s %s %s %s %s %s %s %s\n' "$n" "$mode" "$sent" "$rate" \
		"${recv:--}" "${drops:--}" "$((err1 - err0))" "$recs" "$pkts" "$octets" \
		"$want_octets" "$exact" "$cpu" "$rss" >>"$TEST_TMP/rows"
}

log "$(nproc) CPUs, kernel $(uname -r), $PAIRS pairs of ${DURATION}s floods," \
	"$RATE datagrams/s of $SIZE bytes"
: >"$TEST_TMP/rows"
for ((i = 1; i <= PAIRS; i++)); do
	run_once "$i" off
	((WITH_SOCKFLOW)) && run_once "$i" on
done

printf '\nUDP flood: %s s per run, %s datagrams/s of %s bytes, loopback, sockflow %s\n\n' \
	"$DURATION" "$RATE" "$SIZE" \
	"$( ((WITH_SOCKFLOW)) && echo "--json --idle-timeout 2 ${SOCKFLOW_ARGS:-}" ||
		echo "not run")"
echo '| run | sockflow | dgrams sent | rate/s | server recv | sock drops | RcvbufErrors' \
	'| records | packets | octets | expected octets | exact | cpu_s | peak RSS MiB |'
echo '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|'
while read -r -a f; do
	printf '| %s ' "${f[@]}"
	printf '|\n'
done <"$TEST_TMP/rows"

awk -v target="$TARGET_RATIO" '
	$2 == "off" { offsum += $4; noff++ }
	$2 == "on" { onsum += $4; non++; if ($12 == "yes") nexact++ }
	END {
		printf "\nmean rate without sockflow: %.1f/s", offsum / noff
		if (!non) { printf "\n"; exit }
		ratio = (onsum / non) / (offsum / noff)
		printf "; with: %.1f/s; ratio %.3f (target >= %.2f: %s)\n", onsum / non, ratio,
			target, (ratio >= target ? "met" : "NOT met")
		printf "exact counts in %d of %d runs with sockflow\n", nexact, non
	}' "$TEST_TMP/rows"
echo "server recv = datagrams conngen serve read; sock drops = datagrams the kernel dropped" \
	"at its socket (/proc/net/udp); RcvbufErrors = change in /proc/net/snmp during the" \
	"run, every UDP socket in this namespace; packets and octets are summed over" \
	"sockflow's UDP records to the server port, expected octets = sent x (size + 28);" \
	"cpu_s = sockflow's CPU time from after start-up until it settled after the flood"
