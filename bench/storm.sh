#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Connection-storm benchmark: short TCP connections over loopback at the highest rate
# conngen reaches, side by side in one run: no probe, sockflow and softflowd (capturing
# lo), both exporting to a real nfcapd over UDP, order rotated each round. Prints a table
# and each probe's median ratio to the unmonitored run of the same round; never fails
# for speed.
#
#   bench/storm.sh                      3 rounds of 10 s runs per probe
# Environment:
#   STORM_ROUNDS=3  STORM_DURATION=10  STORM_THREADS=(conngen's default, 2 x CPUs)
#   STORM_PROBES="off sockflow softflowd"  (also sockflow_sc: the cheaper TCP counter mode)
#   SOCKFLOW=path  SOCKFLOW_ARGS="extra sockflow options"  CONNGEN=path
#   STORM_SOCKFLOW=0   only the runs without a probe (also when sockflow is not built)
#   STORM_EXPORT=none  sockflow exports nothing (no collector, no printing): how much of
#                      the cost is sockflow's capture alone (flows and lost show -)
#   STORM_NAT=1        clients connect to another port that an nft rule DNATs to the
#                      server (every run): sockflow joins the ends through conntrack and
#                      the post_nat column counts records with the server's port after NAT
#   STORM_TW_BUCKETS=1024  net.ipv4.tcp_max_tw_buckets for the run (restored after):
#                      kept small, the TIME_WAIT sockets of one run (60 s each) do not
#                      slow the next, so runs compare better; empty: the host's
#   KEEP_TMP=1         keep logs and nfcapd files
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../tests/integration/lib.sh"
# shellcheck source=bench/probes.sh
. "$(dirname "$0")/probes.sh"

ROUNDS=${STORM_ROUNDS:-3}
DURATION=${STORM_DURATION:-10}
THREADS=${STORM_THREADS:-}
PROBES=${STORM_PROBES:-off sockflow softflowd}
NAT=${STORM_NAT:-0}
NAT_TABLE="sfstorm$$"
PROBE_EXPORT=${STORM_EXPORT:-nfcapd}

require_root
require_tools nfcapd nfdump
require_conngen
((NAT)) && require_tools nft
if [[ ${STORM_SOCKFLOW:-1} == 0 ]] || { [[ $PROBES == *sockflow* ]] && [[ ! -x $SOCKFLOW ]]; }; then
	log "runs without sockflow only"
	PROBES=$(tr ' ' '\n' <<<"$PROBES" | grep -v '^sockflow' | tr '\n' ' ')
fi
# shellcheck disable=SC2086 # a word list
probe_require $PROBES
# The DNAT table goes with the test, whatever happens.
storm_cleanup() {
	local rc=$?
	set +e	# or a failing command here would end the trap before the sysctls are restored
	((NAT)) && nft delete table ip "$NAT_TABLE" 2>/dev/null
	(exit "$rc")
	lib_cleanup
}
trap storm_cleanup EXIT

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
TW_BUCKETS=${STORM_TW_BUCKETS-1024}
[[ -z $TW_BUCKETS ]] || sysctl_set net.ipv4.tcp_max_tw_buckets "$TW_BUCKETS"

conntrack_count() {
	((HAVE_CT)) && sysctl -n net.netfilter.nf_conntrack_count || echo -
}

conngen_serve
TARGET=$CONNGEN_PORT
((NAT)) && TARGET=$(free_port tcp)

# storm_run: one storm; prints "connections rate conntrack_entries".
storm_run() {
	local line
	if ((NAT)); then
		nft -f - <<-EOF2
		table ip $NAT_TABLE {
			chain out {
				type nat hook output priority -100;
				ip daddr 127.0.0.1 tcp dport $TARGET dnat to 127.0.0.1:$CONNGEN_PORT
			}
		}
		EOF2
	fi
	line=$("$CONNGEN" storm --port "$TARGET" --duration "$DURATION" \
		${THREADS:+--threads "$THREADS"} 2>>"$TEST_TMP/storm.err") || return 1
	((NAT)) && nft delete table ip "$NAT_TABLE"
	echo "$(sed -n 's/.*connections=\([0-9]*\).*/\1/p' <<<"$line")" \
		"$(sed -n 's/.*rate_per_s=\([0-9.]*\).*/\1/p' <<<"$line")" "$(conntrack_count)"
}

# storm_run_collected: "flows post_nat" from nfcapd's files: records of the storm's
# port (softflowd: its client-to-server records), those with the server's port after NAT.
storm_run_collected() {
	local flows natted=-
	if [[ $PROBE == off || ($PROBE == sockflow* && $PROBE_EXPORT == none) ]]; then
		echo "- -"
		return
	fi
	# One line per record; with none, nfdump prints "No matching flows".
	flows=$(nfdump -R "$NFCAPD_DIR" -q -N -o 'fmt:%dp' "proto tcp and dst port $TARGET" |
		grep -c '^ *[0-9]' || true)
	if ((NAT)) && [[ $PROBE == sockflow* ]]; then
		natted=$(nfdump -R "$NFCAPD_DIR" -q -N -o 'fmt:%xdp' \
			"proto tcp and dst port $TARGET" | grep -c "^ *$CONNGEN_PORT *$" || true)
	fi
	echo "$flows $natted"
}

log "$(nproc) CPUs, kernel $(uname -r), $ROUNDS rounds of ${DURATION}s storms: $PROBES"
bench_rounds "$ROUNDS" storm "$PROBES" storm_run

# Columns of rows: 1 round 2 probe 3 storm 4 connections 5 rate 6 conntrack 7 host_cpu_s
# 8 lo_packets 9 probe_cpu_s 10 rss 11 pcap_drops 12 coll_drops 13 flows 14 post_nat;
# added: 15 host CPU us per connection, 16 lost, 17 probe CPU us per connection.
awk '{ $15 = sprintf("%.1f", $7 * 1e6 / $4)
       $16 = $13 == "-" ? "-" : $4 - $13
       $17 = $9 == "-" ? "-" : sprintf("%.1f", $9 * 1e6 / $4); print }' "$TEST_TMP/rows" \
	>"$TEST_TMP/rows2"
printf '\nconnection storm: %s s per run, loopback%s, export %s %s\n' "$DURATION" \
	"$( ((NAT)) && echo ", DNAT by nft in the path")" \
	"$([[ $PROBE_EXPORT == none ]] && echo "none (sockflow)" || echo "to nfcapd over UDP")" \
	"${SOCKFLOW_ARGS:-}"
printf '%-5s %-11s %11s %9s %9s %7s %10s %10s %10s %11s %8s %9s %8s\n' round probe \
	connections rate/s flows lost coll_drops pcap_drops probe_us/c host_us/conn \
	rss_MiB conntrack post_nat
while read -r r p _ conns rate ct _ _ _ rss pdrop cdrop flows natted hostus lost probeus; do
	printf '%-5s %-11s %11s %9.0f %9s %7s %10s %10s %10s %11s %8s %9s %8s\n' "$r" "$p" \
		"$conns" "$rate" "$flows" "$lost" "$cdrop" "$pdrop" "$probeus" "$hostus" "$rss" \
		"$ct" "$natted"
done <"$TEST_TMP/rows2"
echo
bench_summary "$TEST_TMP/rows2" 3 5 "connections/s"
bench_summary "$TEST_TMP/rows2" 3 15 "host_cpu_us/conn"
echo "lost = connections made - records at nfcapd for the storm's port (softflowd: its" \
	"client-to-server records); coll_drops = datagrams the kernel dropped at nfcapd's" \
	"socket; pcap_drops = packets libpcap dropped (softflowd); probe_us/c = the probe's" \
	"own CPU per connection; host_us/conn = every CPU's busy time per connection, BPF" \
	"programs in the workload's context included"
