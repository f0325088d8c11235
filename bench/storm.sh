#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Connection-storm benchmark: short TCP connections over loopback at the highest rate
# conngen reaches, without and with sockflow exporting to a real nfcapd over UDP, in
# interleaved runs (off, on, off, on, ...). Prints a table; never fails for speed.
#
#   bench/storm.sh                      3 pairs of 10 s runs
# Environment:
#   STORM_PAIRS=3  STORM_DURATION=10  STORM_THREADS=(conngen's default, 2 x CPUs)
#   SOCKFLOW=path  SOCKFLOW_ARGS="extra sockflow options"  CONNGEN=path
#   STORM_SOCKFLOW=0   only the runs without sockflow (also when sockflow is not built)
#   STORM_EXPORT=none  sockflow exports nothing (no collector, no printing): how much of
#                      the cost is sockflow's capture alone, without the export and
#                      the collector sharing the CPUs (flows_recv and lost show -)
#   STORM_NAT=1        clients connect to another port that an nft rule DNATs to the
#                      server (both kinds of run): sockflow joins the ends through
#                      conntrack and the post_nat column counts records with the
#                      server's port after NAT
#   KEEP_TMP=1         keep logs and nfcapd files
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../tests/integration/lib.sh"

PAIRS=${STORM_PAIRS:-3}
DURATION=${STORM_DURATION:-10}
THREADS=${STORM_THREADS:-}
read -r -a EXTRA_ARGS <<<"${SOCKFLOW_ARGS:-}"

require_root
require_tools nfcapd nfdump
require_conngen
WITH_SOCKFLOW=${STORM_SOCKFLOW:-1}
NAT=${STORM_NAT:-0}
NAT_TABLE="sfstorm$$"
((NAT)) && require_tools nft
# The DNAT table goes with the test, whatever happens.
storm_cleanup() {
	local rc=$?
	set +e	# or a failing command here would end the trap before the sysctls are restored
	((NAT)) && nft delete table ip "$NAT_TABLE" 2>/dev/null
	(exit "$rc")
	lib_cleanup
}
trap storm_cleanup EXIT
if [[ $WITH_SOCKFLOW == 1 && ! -x "$SOCKFLOW" ]]; then
	log "sockflow not built ($SOCKFLOW): running without it only"
	WITH_SOCKFLOW=0
fi

# The hazards in DESIGN.md: conntrack fills at ~2k conn/s with 120 s TIME_WAIT entries,
# ephemeral ports run out. Everything is restored on exit.
if sysctl -n net.netfilter.nf_conntrack_max >/dev/null 2>&1; then
	sysctl_set net.netfilter.nf_conntrack_max 2097152
	sysctl_set net.netfilter.nf_conntrack_tcp_timeout_time_wait 5
	HAVE_CT=1
else
	HAVE_CT=0
fi
sysctl_set net.ipv4.ip_local_port_range "10240 65535"
sysctl_set net.ipv4.tcp_tw_reuse 1
sysctl_set net.core.rmem_max 33554432	# nfcapd -B 8 MiB (it asks for more as root)

conntrack_count() {
	((HAVE_CT)) && sysctl -n net.netfilter.nf_conntrack_count || echo -
}


# run_once N on|off: one storm; appends a row to $TEST_TMP/rows.
run_once() {
	local n=$1 mode=$2 dir="$TEST_TMP/run$1-$2" line conns rate flows lost ct
	local cpu=- rss=- cpu_per_1k=- drops target natted=-
	mkdir -p "$dir"
	nfcapd_start "$dir/nfcapd"
	conngen_serve
	target=$CONNGEN_PORT
	if ((NAT)); then
		target=$(free_port tcp)
		nft -f - <<-EOF
		table ip $NAT_TABLE {
			chain out {
				type nat hook output priority -100;
				ip daddr 127.0.0.1 tcp dport $target dnat to 127.0.0.1:$CONNGEN_PORT
			}
		}
		EOF
	fi
	if [[ $mode == on ]]; then
		if [[ ${STORM_EXPORT:-nfcapd} == none ]]; then
			printf '[export]\nprint = none\n' >"$dir/sockflow.conf"
			sockflow_start -c "$dir/sockflow.conf" "${EXTRA_ARGS[@]}"
		else
			sockflow_start --collector "udp://127.0.0.1:$NFCAPD_PORT" "${EXTRA_ARGS[@]}"
		fi
	fi
	line=$("$CONNGEN" storm --port "$target" --duration "$DURATION" \
		${THREADS:+--threads "$THREADS"} 2>"$dir/storm.err")
	ct=$(conntrack_count)
	log "run $n $mode: $line"
	conns=$(sed -n 's/.*connections=\([0-9]*\).*/\1/p' <<<"$line")
	rate=$(sed -n 's/.*rate_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
	if [[ $mode == on ]]; then
		wait_for 60 "sockflow to finish exporting" cpu_settled "$SOCKFLOW_PID" || true
		cpu=$(proc_cpu_s "$SOCKFLOW_PID")
		rss=$(proc_peak_rss_kb "$SOCKFLOW_PID")
		sockflow_stop
		cp "$SOCKFLOW_LOG" "$dir/sockflow.log"
	fi
	proc_stop "$CONNGEN_PID" TERM 5 || true
	nfcapd_stop
	drops=${NFCAPD_DROPS:-0}
	# One line per record; with none, nfdump prints "No matching flows".
	flows=$(nfdump -R "$NFCAPD_DIR" -q -N -o 'fmt:%dp' "proto tcp and dst port $target" |
		grep -c '^ *[0-9]' || true)
	lost=$((conns - flows))
	if ((NAT)); then
		nft delete table ip "$NAT_TABLE"
		[[ $mode == on ]] && natted=$(nfdump -R "$NFCAPD_DIR" -q -N -o 'fmt:%xdp' \
			"proto tcp and dst port $target" | grep -c "^ *$CONNGEN_PORT *$" || true)
	fi
	if [[ $mode == on ]]; then
		rss=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')
		((flows == 0)) || cpu_per_1k=$(awk -v c="$cpu" -v f="$flows" \
			'BEGIN { printf "%.3f", c * 1000 / f }')
	fi
	[[ $mode == on && ${STORM_EXPORT:-nfcapd} != none ]] || { flows=-; lost=-; }
	printf '%s %s %s %s %s %s %s %s %s %s %s %s\n' "$n" "$mode" "$conns" "$rate" "$flows" \
		"$lost" "$drops" "$cpu" "$cpu_per_1k" "$rss" "$ct" "$natted" >>"$TEST_TMP/rows"
}

log "$(nproc) CPUs, kernel $(uname -r), $PAIRS pairs of ${DURATION}s storms"
: >"$TEST_TMP/rows"
for ((i = 1; i <= PAIRS; i++)); do
	run_once "$i" off
	((WITH_SOCKFLOW)) && run_once "$i" on
done

printf '\nconnection storm: %s s per run, loopback%s, sockflow %s\n' "$DURATION" \
	"$( ((NAT)) && echo ", DNAT by nft in the path")" \
	"$( ((WITH_SOCKFLOW)) || { echo "not run"; exit; }
	[[ ${STORM_EXPORT:-nfcapd} == none ]] && echo "exporting nothing ${SOCKFLOW_ARGS:-}" ||
		echo "-> nfcapd over UDP ${SOCKFLOW_ARGS:-}")"
printf '%-4s %-8s %12s %10s %12s %8s %10s %8s %12s %9s %10s %10s\n' run sockflow \
	connections rate/s flows_recv lost coll_drops cpu_s cpu_s/1kflow rss_MiB conntrack post_nat
while read -r n mode conns rate flows lost drops cpu cpu1k rss ct natted; do
	printf '%-4s %-8s %12s %10s %12s %8s %10s %8s %12s %9s %10s %10s\n' "$n" "$mode" \
		"$conns" "$rate" "$flows" "$lost" "$drops" "$cpu" "$cpu1k" "$rss" "$ct" "$natted"
done <"$TEST_TMP/rows"

# Rate with sockflow / rate without, per pair and overall.
awk '
	$2 == "off" { off[$1] = $4; offsum += $4; noff++ }
	$2 == "on" { on[$1] = $4; onsum += $4; non++ }
	END {
		if (!non) { printf "\nmean rate without sockflow: %.0f/s\n", offsum / noff; exit }
		printf "\nrate with / without sockflow:"
		for (p in on) printf " pair %s %.3f", p, on[p] / off[p]
		printf "; mean %.3f\n", (onsum / non) / (offsum / noff)
	}' "$TEST_TMP/rows"
echo "lost = connections made - flow records at nfcapd for the storm's port;" \
	"coll_drops = datagrams the kernel dropped at nfcapd's socket"
