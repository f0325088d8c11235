#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The Prometheus endpoint ([metrics] listen): scraped with curl while sockflow exports 6
# connections to an IPFIX file, it serves text that promtool accepts, whose counters say
# what happened (records and exported records at least 6, kernel events, one
# capability_info line per capability, each naming the mechanism the start-up log named);
# a path other than /metrics is a 404; a bad listen address is a config error naming it.
# shellcheck disable=SC2154
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_btf
require_tools curl promtool
require_sockflow
require_conngen

N=6
port=$(free_port tcp)
printf '[metrics]\nlisten = 127.0.0.1:%s\n' "$port" >"$TEST_TMP/sockflow.conf"
printf '[metrics]\nlisten = 127.0.0.1:http\n' >"$TEST_TMP/bad.conf"
"$SOCKFLOW" -c "$TEST_TMP/bad.conf" --check >"$TEST_TMP/check.out" 2>&1 &&
	fail "--check took listen = 127.0.0.1:http"
grep -q "bad.conf:2: listen: \"127.0.0.1:http\"" "$TEST_TMP/check.out" ||
	fail "--check said: $(cat "$TEST_TMP/check.out")"
log "ok: a bad listen address: $(tail -n 1 "$TEST_TMP/check.out")"

conngen_serve --threads 1
sockflow_start -c "$TEST_TMP/sockflow.conf" --collector "file:$TEST_TMP/flows.ipfix" --json
"$CONNGEN" client --addr 127.0.0.1 --port "$CONNGEN_PORT" --count "$N" >/dev/null ||
	fail "conngen client failed"
wait_for 15 "$N records" has_records_to "$N" "$CONNGEN_PORT" ||
	fail "sockflow printed $(count_records_to "$CONNGEN_PORT") of $N records"
sleep 1	# handed to the exporters at the next tick

curl -sS -D "$TEST_TMP/headers" "http://127.0.0.1:$port/metrics" >"$TEST_TMP/metrics" ||
	fail "curl of /metrics failed"
grep -q '^Content-Type: text/plain; version=0.0.4' "$TEST_TMP/headers" ||
	fail "no Prometheus content type: $(cat "$TEST_TMP/headers")"
promtool check metrics <"$TEST_TMP/metrics" >"$TEST_TMP/promtool.out" 2>&1 ||
	fail "promtool check metrics: $(cat "$TEST_TMP/promtool.out")"
[[ ! -s $TEST_TMP/promtool.out ]] || fail "promtool warns: $(cat "$TEST_TMP/promtool.out")"
log "ok: promtool check metrics accepts $(grep -vc '^#' "$TEST_TMP/metrics") samples"

value() { awk -v m="$1" '$1 == m { print $2 }' "$TEST_TMP/metrics"; }
at_least() {
	local got
	got=$(value "$1")
	[[ -n $got ]] && awk -v g="$got" -v w="$2" 'BEGIN { exit !(g >= w) }' ||
		fail "$1 is '${got:-missing}', expected at least $2"
	log "ok: $1 = $got (at least $2)"
}
at_least sockflow_records_total "$N"
at_least sockflow_flows_created_total "$N"
at_least sockflow_kernel_events_total 1
at_least "sockflow_exporter_records_sent_total{exporter=\"file:$TEST_TMP/flows.ipfix\"}" "$N"
assert_eq "records lost by the file exporter" 0 \
	"$(value "sockflow_exporter_records_lost_total{exporter=\"file:$TEST_TMP/flows.ipfix\"}")"

# The capabilities, as the start-up lines name them ("kernel: CAPABILITY: MECHANISM ...").
grep -o 'capability="[a-z_]*",mechanism="[a-z_]*"' "$TEST_TMP/metrics" |
	sed 's/capability="\([a-z_]*\)",mechanism="\([a-z_]*\)"/\1 \2/' | sort >"$TEST_TMP/caps"
[[ -s $TEST_TMP/caps ]] || fail "no capability_info"
grep -o 'kernel: [a-z_]*: [a-z_]* ' "$SOCKFLOW_LOG" | awk '{ sub(/:$/, "", $2); print $2, $3 }' |
	sort >"$TEST_TMP/caps.log"
assert_lines_eq "capability_info against the start-up lines" "$TEST_TMP/caps.log" \
	"$TEST_TMP/caps"
log "ok: $(wc -l <"$TEST_TMP/caps") capability_info lines"

code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")
assert_eq "HTTP status of /" 404 "$code"
sockflow_stop
