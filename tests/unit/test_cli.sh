#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Command line of the built sockflow: bad options and config files exit 2 naming what is wrong.
#
# Nothing here starts the daemon: every run that succeeds is --help, --version
# or --check, so the test needs neither root nor BPF.

set -u

if [ -z "${SOCKFLOW:-}" ]; then
	echo "SOCKFLOW is not set: run through make check, or set it to src/sockflow" >&2
	exit 99
fi
if [ ! -x "$SOCKFLOW" ]; then
	echo "$SOCKFLOW: not built" >&2
	exit 99
fi
srcdir=${top_srcdir:-$(dirname "$0")/../..}
# The default config path the build compiled in: $(sysconfdir)/sockflow/sockflow.conf.
conf_default=${SOCKFLOW_SYSCONFDIR:-/etc}/sockflow/sockflow.conf

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
failures=0

# run ARGS...: run sockflow; its status in $status, its output in $tmp/out and $tmp/err.
# None of these runs waits for anything: one that hangs (124 from timeout) fails.
run() {
	timeout 60 "$SOCKFLOW" "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
}

fail() {
	echo "FAIL: sockflow $1: $2"
	echo "  stdout:"; sed 's/^/    /' "$tmp/out"
	echo "  stderr:"; sed 's/^/    /' "$tmp/err"
	failures=$((failures + 1))
}

# usage_error TEXT ARGS...: sockflow ARGS must exit 2, print nothing on stdout
# and "sockflow: error: " followed by a line containing TEXT on stderr.
usage_error() {
	want=$1
	shift
	run "$@"
	if [ "$status" -ne 2 ]; then
		fail "$*" "exit status $status, expected 2"
	elif [ -s "$tmp/out" ]; then
		fail "$*" "wrote on stdout"
	elif ! grep -q '^sockflow: error: ' "$tmp/err" || ! grep -qF -- "$want" "$tmp/err"; then
		fail "$*" "message lacks: $want"
	else
		echo "ok: sockflow $* -> 2: $(head -n 1 "$tmp/err")"
	fi
}

# succeeds TEXT ARGS...: sockflow ARGS must exit 0 with TEXT in a line of stdout.
succeeds() {
	want=$1
	shift
	run "$@"
	if [ "$status" -ne 0 ]; then
		fail "$*" "exit status $status, expected 0"
	elif ! grep -qF -- "$want" "$tmp/out"; then
		fail "$*" "stdout lacks: $want"
	else
		echo "ok: sockflow $* -> 0: $want"
	fi
}

empty="$tmp/empty.conf"
: >"$empty"

# --- help and version --------------------------------------------------------
for opt in "-c, --config FILE" "-o, --collector URI" "-p, --print" "-j, --json" \
	   "--active-timeout SECONDS" "--idle-timeout SECONDS" "--odid N" "--log-level LEVEL" \
	   "-t, --check" "-h, --help" "-V, --version" "(default 60)" "(default 15)" "(default 0)" \
	   "(default info)" "(default $conf_default" "--include-container NAME" \
	   "--exclude-container NAME" "--disable-mechanism NAME" "--probe" "--pmacct-primitives" \
	   "?profile=nfdump|pmacct|ntop|wireshark" "&template=NAME" "&observation_domain=N"; do
	succeeds "$opt" --help
done
succeeds "Usage: sockflow" -h
run --help
[ -s "$tmp/err" ] && fail "--help" "wrote on stderr"

version=$(sed -n 's/^AC_INIT(\[sockflow\], \[\([^]]*\)\].*/\1/p' "$srcdir/configure.ac")
if [ -z "$version" ]; then
	echo "FAIL: no version in $srcdir/configure.ac"
	failures=$((failures + 1))
fi
for opt in --version -V; do
	run $opt
	if [ "$status" -ne 0 ] || [ "$(cat "$tmp/out")" != "sockflow $version" ]; then
		fail "$opt" "expected exactly \"sockflow $version\" and status 0"
	else
		echo "ok: sockflow $opt -> sockflow $version"
	fi
done

# --- options -----------------------------------------------------------------
usage_error 'unknown option "--frobnicate"' --frobnicate
usage_error 'unknown option "--frobnicate"' -c "$empty" --frobnicate=1
usage_error 'unknown option "-x"' -x
usage_error 'unknown option "-x"' -pjx
usage_error '"--co" is ambiguous' --co x
usage_error '--help: takes no value' --help=1
usage_error '--odid: missing value' -c "$empty" --odid
usage_error '-c: missing value' -c
usage_error '--config: missing value' --config
usage_error 'unexpected argument "extra"; sockflow takes options only' -c "$empty" extra
usage_error '--odid: "abc" is not a number; expected 0..4294967295' -c "$empty" --odid abc
usage_error '--odid: "4294967296" is out of range; expected 0..4294967295' -c "$empty" \
	--odid 4294967296
usage_error '--odid: "-1" is not a number' -c "$empty" --odid=-1
usage_error '--active-timeout: "0" is out of range; expected seconds 1..86400' -c "$empty" \
	--active-timeout 0
usage_error '--active-timeout: "1m" is not a number; expected seconds 1..86400' -c "$empty" \
	--active-timeout 1m
usage_error '--idle-timeout: " 5" is not a number' -c "$empty" --idle-timeout " 5"
usage_error '--idle-timeout: "86401" is out of range' -c "$empty" --idle-timeout 86401
usage_error '--log-level: "loud" is not a log level; expected error, warn, info or debug' \
	-c "$empty" --log-level loud
usage_error '--collector: "udp://h": missing port' -c "$empty" --collector udp://h
usage_error '--collector: "udp://::1:4739": IPv6 address without brackets' -c "$empty" \
	-o udp://::1:4739
usage_error '--collector: "udp://h:0": port "0" is out of range' -c "$empty" -o udp://h:0
usage_error '--collector: "http://h:80": unknown scheme' -c "$empty" -o http://h:80
usage_error '--collector: "udp://[fe80::1%nosuchif0]:4739": zone "nosuchif0" is not an interface' \
	-c "$empty" --check -o 'udp://[fe80::1%nosuchif0]:4739'
succeeds 'collectors=udp://[fe80::1%lo]:4739' -c "$empty" --check -o 'udp://[fe80::1%lo]:4739'
printf '[export]\ncollectors = tcp://[fe80::2%%nosuchif0]:4739\n' >"$tmp/zone.conf"
usage_error "$tmp/zone.conf:2: collectors: \"tcp://[fe80::2%nosuchif0]:4739\": zone \"nosuchif0\"" \
	-c "$tmp/zone.conf" --check
usage_error '--collector: "udp://h:9": too many collectors; expected at most 8' -c "$empty" \
	-o udp://h:1 -o udp://h:2 -o udp://h:3 -o udp://h:4 -o udp://h:5 -o udp://h:6 \
	-o udp://h:7 -o udp://h:8 -o udp://h:9

# --- config files ------------------------------------------------------------
usage_error "$tmp/none.conf: no such file; check the -c/--config path" -c "$tmp/none.conf"
usage_error "$tmp: not a regular file; expected a sockflow config file" -c "$tmp" --check
# A FIFO must be refused, not waited on for a writer that never comes.
mkfifo "$tmp/fifo.conf"
usage_error "$tmp/fifo.conf: not a regular file; expected a sockflow config file" \
	-c "$tmp/fifo.conf" --check
succeeds 'collectors=' -c /dev/null --check

bad() {
	printf "%b" "$1" >"$tmp/bad.conf"
	shift
	usage_error "$tmp/bad.conf:$1" -c "$tmp/bad.conf" --check
}
bad '[flow]\nactive_timeout = abc\n' \
	'2: active_timeout: "abc" is not a number; expected seconds 1..86400'
bad '# comment\n\n[kernel]\n  ringbuf_size_kib =  100\n' \
	'4: ringbuf_size_kib: "100" is not a power of two'
bad '[flow]\nactive_timeout = 60 # seconds\n' '2: active_timeout: "60 # seconds" is not a number'
bad '[flows]\n' \
	'1: unknown group [flows]; expected [export], [flow], [filter], [kernel], [log] or [metrics]'
bad '[flow]\nactive_timout = 5\n' '2: unknown key "active_timout" in [flow]'
bad '[flow]\nidle_timeout = 5\nidle_timeout = 6\n' '3: idle_timeout is set twice (first on line 2)'
bad '[flow]\nactive_timeout\n' '2: "active_timeout" is not a setting'
bad 'active_timeout = 5\n' '1: "active_timeout = 5" comes before any group'
bad '[log]\nlevel = info\n[export\n' '3: "[export" is not a group header'
bad '[export]\nenterprise_id = 35632\n' '2: enterprise_id: 35632 is taken by elements sockflow'
bad '[export]\ntemplate = my list\n' \
	'2: template: "my list" is not a template; expected default, full, ntop, pmacct, minimal'
bad '[export]\ncollectors = udp://a:1; tcp://[::1]:99999\n' \
	'2: collectors: "tcp://[::1]:99999": port "99999" is out of range; expected 1..65535'
bad '[filter]\ninclude_containers = web bad/name\n' \
	'2: include_containers: "bad/name" is not a container name or id; expected a container name'
bad '[filter]\ninclude_users = no-such-user-here\n' \
	'2: include_users: no user "no-such-user-here" on this host'
bad '[filter]\ninclude_cgroups = /a\nexclude_cgroups = /b/ /a/\n' \
	'3: exclude_cgroups: "/a/" (/a) is in include_cgroups too'

# --- filter options ----------------------------------------------------------
usage_error '--include-container: "bad/name" is not a container name or id; expected' \
	-c "$empty" --include-container bad/name
usage_error '--exclude-container: "web" is in include_containers too' \
	-c "$empty" --include-container web --exclude-container db --exclude-container web
usage_error '--include-container: missing value' -c "$empty" --include-container
printf '[filter]\ninclude_containers = web\nexclude_containers = db\n' >"$tmp/filter.conf"
succeeds "include_containers=web" -c "$tmp/filter.conf" -t
# The first option replaces the file's list, the next ones add to it.
succeeds "include_containers=a b" -c "$tmp/filter.conf" --include-container a \
	--include-container b -t
succeeds "exclude_containers=db" -c "$tmp/filter.conf" --include-container a -t
# Each list is replaced before any is checked against the other.
succeeds "exclude_containers=web" -c "$tmp/filter.conf" --exclude-container web \
	--include-container db -t
usage_error '--exclude-container: "web" is in include_containers too' \
	-c "$tmp/filter.conf" --exclude-container web

# A bad file is an error even when options would override the bad key.
printf '[flow]\nactive_timeout = x\n' >"$tmp/bad.conf"
usage_error "$tmp/bad.conf:2: active_timeout" -c "$tmp/bad.conf" --active-timeout 5 --check

# --- what --check prints: defaults, then the file, then options --------------
cat >"$tmp/good.conf" <<'EOF'
# a comment
[export]
collectors = udp://127.0.0.1:4739; udp://[::1]:4739
observation_domain_id = 7
print = json
template = ntop
enterprise_id = 4294967295

[flow]
active_timeout = 30
idle_timeout = 20
EOF
succeeds "active_timeout=30" -c "$tmp/good.conf" --check
succeeds "collectors=udp://127.0.0.1:4739 udp://[::1]:4739" -c "$tmp/good.conf" --check
succeeds "print=json" -c "$tmp/good.conf" --check
succeeds "max_flows=262144" -c "$tmp/good.conf" --check
succeeds "template=ntop" -c "$tmp/good.conf" --check
succeeds "enterprise_id=4294967295" -c "$tmp/good.conf" --check
succeeds "template=default" -c "$empty" --check
succeeds "enterprise_id=32473" -c "$empty" --check
succeeds "tcp_buffer_records=20000" -c "$empty" --check
succeeds "exit_drain=5" -c "$empty" --check
printf '[export]\nexit_drain = 0\n' >"$tmp/drain.conf"
succeeds "exit_drain=0" -c "$tmp/drain.conf" --check
printf '[export]\nexit_drain = 61\n' >"$tmp/drain.conf"
usage_error "$tmp/drain.conf:2: exit_drain: \"61\" is out of range; expected seconds 0..60" \
	-c "$tmp/drain.conf" --check
succeeds "active_timeout=40" -c "$tmp/good.conf" --active-timeout 40 --check
# [kernel] disable_mechanisms and --disable-mechanism (--check never touches the kernel).
printf '[kernel]\ndisable_mechanisms = map_iter\n' >"$tmp/mech.conf"
succeeds "disable_mechanisms=map_iter" -c "$tmp/mech.conf" --check
succeeds "disable_mechanisms=map_batch fentry" -c "$tmp/mech.conf" \
	--disable-mechanism fentry --disable-mechanism map_batch --check
usage_error '--disable-mechanism: "kprobes" is not a mechanism that can be disabled; expected' \
	-c "$empty" --disable-mechanism kprobes
usage_error '"ringbuf" is not a mechanism that can be disabled (nothing would replace it)' \
	-c "$empty" --disable-mechanism ringbuf
printf '[kernel]\ndisable_mechanisms = fentry,,bogus\n' >"$tmp/mech.conf"
usage_error "$tmp/mech.conf:2: disable_mechanisms: \"bogus\"" -c "$tmp/mech.conf" --check
succeeds "idle_timeout=20" -c "$tmp/good.conf" --active-timeout 40 --check
succeeds "observation_domain_id=8" -c "$tmp/good.conf" --odid 8 -t
succeeds "collectors=tcp://h:1 file:/tmp/x" -c "$tmp/good.conf" -o tcp://h:1 -o file:/tmp/x -t
succeeds "print=text" -c "$tmp/good.conf" --print -t
succeeds "print=text" -c "$empty" -t
succeeds "print=none" -c "$empty" -o udp://127.0.0.1:4739 -t
succeeds "print=json" -c "$empty" -o udp://127.0.0.1:4739 --json -t
succeeds "level=warn" -c "$empty" --log-level warn -t
succeeds "ringbuf_size_kib=8192" -c "$srcdir/etc/sockflow.conf" -t

# --log-level reaches the logger, in its "sockflow: LEVEL: " form.
run -c "$empty" --log-level debug -t
if ! grep -q '^sockflow: debug: config: ' "$tmp/err"; then
	fail "--log-level debug -t" "no debug line on stderr"
fi
run -c "$empty" -t
if [ -s "$tmp/err" ]; then
	fail "-t" "wrote on stderr at the default level"
fi

# --- per-collector field lists: --check reads them as the sinks would ------------
usage_error 'collector udp://127.0.0.1:4739?template=nosuch: ' -c "$empty" --check \
	--collector 'udp://127.0.0.1:4739?template=nosuch'
usage_error 'nosuch' -c "$empty" --check --collector 'udp://127.0.0.1:4739?template=nosuch'
printf 'flowStartMilliseconds\nsourceIPv4Address\nsourceIPv6Address\nnoSuchElement\n' \
	>"$tmp/bad.tmpl"
usage_error "$tmp/bad.tmpl:4: unknown element \"noSuchElement\"" -c "$empty" --check \
	--collector "tcp://127.0.0.1:4739?template=$tmp/bad.tmpl"
mkfifo "$tmp/fifo.tmpl"
usage_error "template $tmp/fifo.tmpl: not a regular file; expected a field list file" \
	-c "$empty" --check --collector "udp://127.0.0.1:4739?template=$tmp/fifo.tmpl"
# A host name that does not resolve (.invalid never does, RFC 6761) is a warning, not an
# error: the daemon keeps looking it up.
succeeds 'collectors=udp://sockflow-test.invalid:4739' -c "$empty" --check \
	-o udp://sockflow-test.invalid:4739
if ! grep -qF 'warn: collector udp://sockflow-test.invalid:4739: sockflow-test.invalid does not resolve now' \
	"$tmp/err"; then
	fail "--check -o udp://sockflow-test.invalid:4739" "no warning that the name does not resolve"
fi

# TCP queues: their fullest, all collectors together, must fit in half the memory.
tcp8=""
for p in 1 2 3 4 5 6 7 8; do tcp8="$tcp8 -o tcp://127.0.0.1:$p"; done
printf '[export]\ntcp_buffer_records = 10000000\n' >"$tmp/queue.conf"
# shellcheck disable=SC2086
usage_error '[export] tcp_buffer_records: 8 TCP collectors x 10000000 records x ' \
	-c "$tmp/queue.conf" --check $tcp8
most=$(sed -n 's/.*; expected at most \([0-9]*\)$/\1/p' "$tmp/err")
if [ -z "$most" ]; then
	fail "--check $tcp8" "no \"expected at most N\" in the message"
else
	printf '[export]\ntcp_buffer_records = %s\n' "$most" >"$tmp/queue.conf"
	# shellcheck disable=SC2086
	succeeds "tcp_buffer_records=$most" -c "$tmp/queue.conf" --check $tcp8
	printf '[export]\ntcp_buffer_records = %s\n' $((most + 1)) >"$tmp/queue.conf"
	# shellcheck disable=SC2086
	usage_error "expected at most $most" -c "$tmp/queue.conf" --check $tcp8
fi
printf '[export]\ntcp_buffer_records = 10000000\n' >"$tmp/queue.conf"
succeeds 'tcp_buffer_records=10000000' -c "$tmp/queue.conf" --check -o udp://127.0.0.1:4739
printf '[export]\ntemplate = nosuch\n' >"$tmp/tmpl.conf"
usage_error '[export] template: ' -c "$tmp/tmpl.conf" --check
succeeds 'template=default' -c "$empty" --check --collector 'udp://127.0.0.1:4739?profile=pmacct'
usage_error 'collector file:/tmp/x.ipfix?template=nosuch: ' -c "$empty" --check \
	--collector 'file:/tmp/x.ipfix?template=nosuch'
succeeds 'collectors=file:/tmp/a%3Fb.ipfix?records=uniflow' -c "$empty" --check \
	--collector 'file:/tmp/a%3Fb.ipfix?records=uniflow'
usage_error 'NetFlow v9 records have fixed fields' -c "$empty" --check \
	--collector 'udp://127.0.0.1:4739?protocol=v9&template=full'

# --- --pmacct-primitives: one line per ntop and sockflow element of the list ----------
succeeds 'name=src_proc_name	field_type=35632:169	len=vlen	semantics=str' \
	-c "$empty" --pmacct-primitives
succeeds 'name=sockflow_source_container_name	field_type=32473:1004	len=vlen' \
	-c "$empty" --pmacct-primitives
printf '[export]\nenterprise_id = 64000\n' >"$tmp/pen.conf"
succeeds 'field_type=64000:1001	len=8	semantics=u_int' -c "$tmp/pen.conf" \
	--collector 'udp://127.0.0.1:4739?profile=pmacct' --pmacct-primitives
succeeds 'name=sockflow_source_cgroup_path' -c "$empty" \
	--collector 'udp://127.0.0.1:4739?records=uniflow&template=default' --pmacct-primitives
usage_error 'more than 48 ntop and sockflow elements' -c "$empty" \
	--collector 'udp://127.0.0.1:4739?records=uniflow&template=full' --pmacct-primitives

# Without -c, a missing default file is fine; only testable where it is missing.
if [ ! -e "$conf_default" ]; then
	succeeds "active_timeout=60" --check
fi

if [ "$failures" -ne 0 ]; then
	echo "$failures failures"
	exit 1
fi
echo "all passed"
exit 0
