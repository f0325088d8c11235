#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# file:PATH collectors lose nothing silently:
#   (a) SIGHUP reopens the file for appending, templates first: records from before and
#       after the reload are all in it (never truncated);
#   (b) logrotate's move then SIGHUP: the moved file ends with whole messages, the new
#       file starts with templates and decodes on its own; together they hold every record;
#   (c) a symbolic link planted at the path, or a FIFO, is refused at start (exit 1, the
#       path named), and the link's target is not touched;
#   (d) a new file is created mode 0640 (umask 022), not readable by others;
#   (f) a restart appends to the file; a link planted at the path before a SIGHUP is
#       refused (the log names it), the records meanwhile are counted lost, the link's
#       target is untouched, and a SIGHUP once it is gone opens a new file;
#   (e) a full file system (a 256 KiB tmpfs): records in the file + records counted lost
#       (the exit stats line) == connections made, exactly, and the file decodes whole.
# Only the test's own connections are exported ([filter] include_processes names its
# server), so the exporter's counters can be compared exactly.
# shellcheck disable=SC2154
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_root
require_btf
require_tools ipfixDump jq python3 mount umount
require_sockflow
require_conngen

umask 022
CONF="$TEST_TMP/sockflow.conf"
OUT="$TEST_TMP/flows.ipfix"
SERVER=sffileserver
server_bin=$(conngen_as "$SERVER")

# records_in FILE: flow records in an IPFIX file to the test's server (0 if none).
records_in() {
	[[ -s $1 ]] || { echo 0; return; }
	ipfix_dump_records "$1" | jq -c --argjson port "$CONNGEN_PORT" \
		'select(.destinationTransportPort == $port)' | wc -l
}
has_records() { (($(records_in "$2") >= $1)); }

# connections N: N short connections to the test's server.
connections() {
	"$CONNGEN" client --addr 127.0.0.1 --port "$CONNGEN_PORT" --count "$1" \
		--send 100 --recv 200 >/dev/null || fail "conngen client failed"
}

# write_conf PATH [MORE]: a config exporting the test's connections to file:PATH.
write_conf() {
	printf '[export]\ncollectors = file:%s\n[filter]\ninclude_processes = %s\n%b' \
		"$1" "$SERVER" "${2:-}" >"$CONF"
}

# reload N: SIGHUP, and wait for the Nth "reload: ... applied".
reloaded() { (($(grep -c "reload: .* applied" "$SOCKFLOW_LOG") >= $1)); }
reload() {
	kill -HUP "$SOCKFLOW_PID"
	wait_for 10 "reload $1" reloaded "$1" ||
		fail "reload $1 not applied; log: $(grep reload: "$SOCKFLOW_LOG")"
}

# exit_counts URI: "records sent lost" of URI's exporter in the exit stats line.
exit_counts() {
	grep -F "stats at exit: export $1: " "$SOCKFLOW_LOG" |
		sed -n 's/.*: records \([0-9]*\), sent \([0-9]*\), lost \([0-9]*\),.*/\1 \2 \3/p'
}

# so_far PATH FIELD: records or lost, from the last stats line of file:PATH's exporter.
so_far() {
	grep -F "export file:$1: " "$SOCKFLOW_LOG" | tail -n 1 |
		sed -n "s/.*[:,] $2 \([0-9]*\),.*/\1/p" | grep . || echo 0
}

# decodes_whole FILE [gaps]: ipfixDump reads FILE to its end without complaint (whole
# messages only); with "gaps", sequence numbers may jump where messages were lost.
decodes_whole() {
	local err
	ipfixDump -i "$1" -s >/dev/null 2>"$TEST_TMP/dump.err" ||
		fail "ipfixDump failed on $1: $(cat "$TEST_TMP/dump.err")"
	err=$(grep -v '^$' "$TEST_TMP/dump.err" |
		{ if [[ ${2:-} == gaps ]]; then grep -v 'Message out of sequence'; else cat; fi } ||
		true)
	[[ -z $err ]] || fail "ipfixDump complained about $1: $err"
}

CONNGEN=$server_bin conngen_serve --threads 1

# (c) Refused outputs: a link planted at the path, a FIFO.
echo "not to be touched" >"$TEST_TMP/target"
ln -s "$TEST_TMP/target" "$TEST_TMP/link.ipfix"
mkfifo "$TEST_TMP/fifo.ipfix"
for bad in link fifo; do
	rc=0
	# timeout: opening a FIFO for writing blocks until a reader comes (124: it blocked).
	timeout 20 "$SOCKFLOW" --log-level info --collector "file:$TEST_TMP/$bad.ipfix" \
		>/dev/null 2>"$TEST_TMP/$bad.log" </dev/null || rc=$?
	assert_eq "exit status with a $bad at the output path" 1 "$rc"
	grep -q "open $TEST_TMP/$bad.ipfix: " "$TEST_TMP/$bad.log" ||
		fail "the error does not name the $bad: $(cat "$TEST_TMP/$bad.log")"
done
grep -q "symbolic link" "$TEST_TMP/link.log" ||
	fail "no word of the link: $(cat "$TEST_TMP/link.log")"
grep -q "not a regular file" "$TEST_TMP/fifo.log" ||
	fail "no word of the FIFO: $(cat "$TEST_TMP/fifo.log")"
assert_eq "the link's target" "not to be touched" "$(cat "$TEST_TMP/target")"
log "ok: a planted link and a FIFO are refused"

# (a) SIGHUP keeps every record.
write_conf "$OUT"
sockflow_start -c "$CONF"
assert_eq "mode of a new output file" 640 "$(stat -c %a "$OUT")"
connections 4
wait_for 15 "4 records in the file" has_records 4 "$OUT" ||
	fail "$(records_in "$OUT") of 4 records in the file"
reload 1
connections 3
wait_for 15 "7 records in the file" has_records 7 "$OUT" ||
	fail "$(records_in "$OUT") of 7 records in the file after a SIGHUP"

# (b) logrotate: move, then SIGHUP; records in flight at the move go to the old file.
mv "$OUT" "$OUT.1"
connections 2
reload 2
connections 3
wait_for 15 "a new file" test -s "$OUT" || fail "no new file after the move and SIGHUP"
sockflow_stop
assert_eq "mode of the file made after the move" 640 "$(stat -c %a "$OUT")"
decodes_whole "$OUT.1"
decodes_whole "$OUT"
old=$(records_in "$OUT.1")
new=$(records_in "$OUT")
((old >= 7)) || fail "the moved file lost records: $old, expected at least 7"
assert_eq "records in the moved and the new file" 12 "$((old + new))"
# The new file alone: its first message holds templates, every record decodes.
((new >= 3)) || fail "the new file holds $new records, expected at least 3"
ipfixDump -i "$OUT" >"$TEST_TMP/new.dump"
first=$(grep -m 1 -E -- '^--- .*record ---' "$TEST_TMP/new.dump")
[[ $first == *template* ]] || fail "the new file does not start with templates: $first"
assert_eq "exit counters (records sent lost)" "12 12 0" "$(exit_counts "file:$OUT")"
log "ok: 7 records kept across a SIGHUP; after a move, $old in the old file, $new in the new"

# (f) A restart appends. Then a link planted at the path before a SIGHUP: refused, named
# in the log, the records meanwhile counted lost, the target untouched; once the link is
# gone, the next SIGHUP opens a new file.
write_conf "$OUT" '[log]\nstats_interval = 1\n'
sockflow_start -c "$CONF"
connections 2
wait_for 15 "$((new + 2)) records in the file" has_records "$((new + 2))" "$OUT" ||
	fail "$(records_in "$OUT") of $((new + 2)) records: truncated at start?"
mv "$OUT" "$OUT.2"
ln -s "$TEST_TMP/target" "$OUT"
reload 1
grep -q "reload: file:$OUT: open $OUT: a symbolic link" "$SOCKFLOW_LOG" ||
	fail "no error for the link at reload: $(grep reload: "$SOCKFLOW_LOG")"
connections 3
lost3() { (($(so_far "$OUT" lost) >= 3)); }
wait_for 15 "3 records counted lost" lost3 ||
	fail "records to a refused link not counted lost: $(so_far "$OUT" lost)"
rm "$OUT"
reload 2
connections 1
wait_for 15 "a record in the new file" has_records 1 "$OUT" ||
	fail "no record in the file opened after the link went"
sockflow_stop
assert_eq "exit counters (records sent lost)" "6 3 3" "$(exit_counts "file:$OUT")"
assert_eq "records in the file written before and after the restart" "$((new + 2))" \
	"$(records_in "$OUT.2")"
assert_eq "records in the file opened once the link went" 1 "$(records_in "$OUT")"
assert_eq "the link's target" "not to be touched" "$(cat "$TEST_TMP/target")"
log "ok: a restart appends; a link planted before a SIGHUP refused, 3 records counted lost"

# (e) A full file system: everything is in the file or counted lost.
SMALL="$TEST_TMP/small"
mkdir "$SMALL"
mount -t tmpfs -o size=256k,mode=0755 sockflow-test "$SMALL" || skip "cannot mount a tmpfs"
# Lazily: sockflow may still hold the file when a failed test gets here.
trap 'rc=$?; set +e; umount -l "$SMALL" 2>/dev/null; (exit $rc); lib_cleanup' EXIT
FULL="$SMALL/flows.ipfix"
write_conf "$FULL" '[log]\nstats_interval = 1\n'
sockflow_start -c "$CONF"
handed() { (($(so_far "$FULL" records) >= $1)); }
some_lost() { (($(so_far "$FULL" lost) > 0)); }
made=0
for ((round = 1; round <= 20; round++)); do
	connections 250
	made=$((made + 250))
	wait_for 15 "$made records handed to the exporter" handed "$made" ||
		fail "the exporter got $(so_far "$FULL" records) of $made records"
	some_lost && break
done
some_lost || fail "$made connections did not fill 256 KiB: $(df -k "$SMALL" | tail -n 1)"
connections 50	# after the disk is full: the file is retried, these are lost too
made=$((made + 50))
sockflow_stop
read -r records sent lost < <(exit_counts "file:$FULL")
decodes_whole "$FULL" gaps
in_file=$(records_in "$FULL")
log "$made connections: $in_file records in $(stat -c %s "$FULL") bytes, $lost counted lost"
assert_eq "records handed to the file exporter" "$made" "$records"
assert_eq "records the exporter says it wrote" "$in_file" "$sent"
assert_eq "records in the file + lost" "$made" "$((in_file + lost))"
log "ok: a full file system: every record written whole or counted lost"
