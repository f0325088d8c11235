# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# What the side-by-side benchmarks share (sourced after tests/integration/lib.sh): a flow
# probe to run beside a workload on loopback, exporting IPFIX to a real nfcapd, and what
# the host spent meanwhile.
#
#   off        no probe (nfcapd still runs, idle)
#   sockflow   sockflow --collector udp://nfcapd   (plus $SOCKFLOW_ARGS; with
#              PROBE_EXPORT=none, no collector and no printing)
#   sockflow_sc  the same in the cheaper TCP counter mode: --disable-mechanism
#              tcp_packets (tcp_socket_counters: no work per TCP packet)
#   softflowd  softflowd capturing lo with libpcap (32 MiB buffer), IPFIX to nfcapd
#
# probe_start NAME DIR   start nfcapd (files in DIR) and the probe
# probe_begin            just before the workload: host CPU and lo packets so far
# probe_end              after the workload: waits until the probe has worked off its
#                        backlog, then sets HOST_CPU_S (every CPU's busy time since
#                        probe_begin, the BPF programs run in the workload's context
#                        included), LO_PACKETS, PROBE_CPU_S (the probe's own CPU since
#                        probe_begin), PROBE_RSS_MIB (its peak) and, for
#                        softflowd, PCAP_DROPS and PROBE_EXPORTED from softflowctl
# probe_stop             stop the probe and nfcapd; sets COLL_DROPS (datagrams the kernel
#                        dropped at nfcapd's socket) and NFCAPD_DIR stays readable
# probe_order ROUND P... the probes rotated by ROUND, so none always runs first
# tcpbench_serve         start `tcpbench serve` (TCPBENCH, default the built one); sets
#                        TCPBENCH_PORT
#
# Needs: nfcapd, and softflowd/softflowctl (scripts/deps.sh) when it is asked for.

read -r -a PROBE_SOCKFLOW_ARGS <<<"${SOCKFLOW_ARGS:-}"

# Busy seconds of every CPU (user, nice, system, irq, softirq) from /proc/stat.
host_busy_s() {
	awk -v hz="$(getconf CLK_TCK)" '$1 == "cpu" { printf "%.2f\n", ($2 + $3 + $4 + $7 + $8) / hz }' \
		/proc/stat
}
lo_packets() { cat /sys/class/net/lo/statistics/tx_packets; }

tcpbench_serve() {
	: "${TCPBENCH:=$top_builddir/tests/tools/tcpbench}"
	[[ -x $TCPBENCH ]] || skip "tcpbench not built ($TCPBENCH); run make check"
	bg_start TCPBENCH_PID "$TEST_TMP/tcpbench-serve.log" "$TCPBENCH" serve --port 0
	wait_for 5 "tcpbench serve" grep -qs '^ready ' "$TEST_TMP/tcpbench-serve.log" ||
		fail "tcpbench serve did not start: $(cat "$TEST_TMP/tcpbench-serve.log")"
	TCPBENCH_PORT=$(awk '{ print $2; exit }' "$TEST_TMP/tcpbench-serve.log")
}

probe_require() {
	local p
	for p in "$@"; do
		case $p in
		off) ;;
		sockflow | sockflow_sc) require_sockflow ;;
		softflowd) require_tools softflowd softflowctl ;;
		*) fail "unknown probe '$p' (off, sockflow, sockflow_sc, softflowd)" ;;
		esac
	done
}

probe_order() {
	local round=$1 n i
	shift
	n=$#
	local all=("$@")
	for ((i = 0; i < n; i++)); do
		printf '%s ' "${all[(i + round) % n]}"
	done
}

probe_start() {
	PROBE=$1
	PROBE_DIR=$2
	PROBE_PID=
	PCAP_DROPS=-
	PROBE_EXPORTED=-
	mkdir -p "$PROBE_DIR"
	nfcapd_start "$PROBE_DIR/nfcapd"
	case $PROBE in
	off) ;;
	sockflow | sockflow_sc)
		local args=("${PROBE_SOCKFLOW_ARGS[@]}")
		[[ $PROBE == sockflow ]] || args+=(--disable-mechanism tcp_packets)
		if [[ ${PROBE_EXPORT:-nfcapd} == none ]]; then
			printf '[export]\nprint = none\n' >"$PROBE_DIR/sockflow.conf"
			sockflow_start -c "$PROBE_DIR/sockflow.conf" "${args[@]}"
		else
			sockflow_start --collector "udp://127.0.0.1:$NFCAPD_PORT" "${args[@]}"
		fi
		PROBE_PID=$SOCKFLOW_PID
		;;
	softflowd)
		# -m: room for every flow of a storm; short TCP timeouts so closed flows are
		# exported as they end, as sockflow exports them; -6: IPv6 too.
		bg_start PROBE_PID "$PROBE_DIR/softflowd.log" softflowd -d -i lo -6 -v 10 \
			-n "127.0.0.1:$NFCAPD_PORT" -c "$PROBE_DIR/softflowd.ctl" \
			-p "$PROBE_DIR/softflowd.pid" -m 1048576 -B 33554432 \
			-t tcp.fin=1 -t tcp.rst=1 -t expint=1
		wait_for 10 "softflowd to start" softflowd_ready ||
			fail "softflowd did not start: $(cat "$PROBE_DIR/softflowd.log")"
		;;
	esac
}

softflowd_ready() {
	proc_alive "$PROBE_PID" || return 1
	softflowctl -c "$PROBE_DIR/softflowd.ctl" statistics >/dev/null 2>&1
}

probe_begin() {
	PROBE_BUSY0=$(host_busy_s)
	PROBE_PKTS0=$(lo_packets)
	PROBE_CPU0=0
	[[ -z $PROBE_PID ]] || PROBE_CPU0=$(proc_cpu_s "$PROBE_PID")
}

probe_end() {
	local stats
	PROBE_CPU_S=-
	PROBE_RSS_MIB=-
	if [[ -n $PROBE_PID ]]; then
		wait_for 60 "$PROBE to work off its backlog" cpu_settled "$PROBE_PID" || true
		PROBE_CPU_S=$(awk -v a="$PROBE_CPU0" -v b="$(proc_cpu_s "$PROBE_PID")" \
			'BEGIN { printf "%.2f", b - a }')
		PROBE_RSS_MIB=$(awk -v k="$(proc_peak_rss_kb "$PROBE_PID")" \
			'BEGIN { printf "%.1f", k / 1024 }')
	fi
	HOST_CPU_S=$(awk -v a="$PROBE_BUSY0" -v b="$(host_busy_s)" 'BEGIN { printf "%.2f", b - a }')
	LO_PACKETS=$(($(lo_packets) - PROBE_PKTS0))
	if [[ $PROBE == softflowd ]]; then
		stats=$(softflowctl -c "$PROBE_DIR/softflowd.ctl" statistics 2>&1) || true
		printf '%s\n' "$stats" >"$PROBE_DIR/softflowd.stats"
		PCAP_DROPS=$(sed -n 's/^Packets dropped by libpcap: *\([0-9]*\).*/\1/p' <<<"$stats")
	fi
}

probe_stop() {
	case $PROBE in
	sockflow | sockflow_sc)
		sockflow_stop
		cp "$SOCKFLOW_LOG" "$PROBE_DIR/sockflow.log"
		;;
	softflowd)
		# shutdown exports the flows still active, then softflowd exits.
		softflowctl -c "$PROBE_DIR/softflowd.ctl" shutdown >/dev/null 2>&1 || true
		proc_stop "$PROBE_PID" TERM 20 || true
		PROBE_EXPORTED=$(sed -n 's/^Flows exported: *\([0-9]*\).*/\1/p' \
			"$PROBE_DIR/softflowd.stats")
		;;
	esac
	nfcapd_stop
	COLL_DROPS=${NFCAPD_DROPS:-0}
}

# bench_summary ROWS KEYCOL VALCOL NAME [HIGHER=1]: for each KEYCOL group (a workload),
# each probe's median VALCOL and the median of its per-round ratios to "off" in the same
# round. ROWS lines: "round probe key... values...". Prints one line per workload/probe.
bench_summary() {
	local rows=$1 key=$2 val=$3 name=$4
	awk -v key="$key" -v val="$val" -v name="$name" '
		function median(list,   a, n, i, j, t) {
			n = split(list, a, " ")
			for (i = 1; i <= n; i++)
				for (j = i + 1; j <= n; j++)
					if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
			if (!n) return "-"
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		{ v[$1, $2, $key] = $val; probes[$2] = 1; keys[$key] = 1; rounds[$1] = 1 }
		END {
			for (k in keys) for (p in probes) {
				vals = ""; ratios = ""
				for (r in rounds) {
					if (!((r, p, k) in v)) continue
					vals = vals " " v[r, p, k]
					if (((r, "off", k) in v) && v[r, "off", k] + 0 > 0)
						ratios = ratios " " v[r, p, k] / v[r, "off", k]
				}
				if (vals == "") continue
				printf "%-14s %-11s %-22s median %12s   ratio to off %s\n", k, p, name,
					median(vals), ratios == "" ? "-" : sprintf("%.3f", median(ratios))
			}
		}' "$rows" | sort
}

# bench_rounds ROUNDS "WORKLOADS" "PROBES" FN: ROUNDS times, each workload under each probe
# (rotated per round): probe_start, probe_begin, `FN WORKLOAD` (prints its own values,
# space separated, on one line), probe_end, probe_stop, then `FN_collected WORKLOAD` if
# there is such a function (values from the collector's files, printed the same way).
# Appends to $TEST_TMP/rows:
#   round probe workload VALUES... host_cpu_s lo_packets probe_cpu_s rss_mib pcap_drops
#   coll_drops COLLECTED_VALUES...
bench_rounds() {
	local rounds=$1 workloads=$2 probes=$3 fn=$4 r w p values collected
	: >"$TEST_TMP/rows"
	for ((r = 1; r <= rounds; r++)); do
		for w in $workloads; do
			# shellcheck disable=SC2086 # word lists
			for p in $(probe_order "$r" $probes); do
				probe_start "$p" "$TEST_TMP/r$r-$w-$p"
				probe_begin
				values=$("$fn" "$w") || fail "workload $w under $p failed"
				probe_end
				probe_stop
				collected=
				if declare -F "${fn}_collected" >/dev/null; then
					collected=$("${fn}_collected" "$w") || fail "reading $w's records failed"
				fi
				log "round $r $w $p: $values $collected; host cpu $HOST_CPU_S s," \
					"$LO_PACKETS packets"
				echo "$r $p $w $values $HOST_CPU_S $LO_PACKETS $PROBE_CPU_S" \
					"$PROBE_RSS_MIB $PCAP_DROPS $COLL_DROPS $collected" >>"$TEST_TMP/rows"
			done
		done
	done
}
