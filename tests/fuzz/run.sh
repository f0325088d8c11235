#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build each fuzz target (tests/fuzz/fuzz_*.c) with libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer, and run it for a bounded time from its seed corpus.
#   tests/fuzz/run.sh            30 s per target (make check runs this)
#   tests/fuzz/run.sh 3600       the long mode: an hour per target
#   tests/fuzz/run.sh 60 config  only the targets whose names contain "config"
# Runs of 60 s or less use libFuzzer's seed 1 (repeatable), longer ones a random seed;
# FUZZ_SEED=N picks one.
# A target names what it links on its own lines: "// fuzz-sources: src/a.c ..." and
# "// fuzz-pkgs: glib-2.0 ...". A crash leaves its input in tests/fuzz/build/ and fails;
# reproduce it with tests/fuzz/build/<target> <input>, then fix it and add a unit test.
# Exits 77 (skipped) when clang or libFuzzer is missing.
set -euo pipefail

name=tests/fuzz/run.sh
seconds=${1:-${FUZZ_SECONDS:-30}}
only=${2:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${top_srcdir:-$(cd "$here/../.." && pwd)}
bld=${top_builddir:-$src}
out=$bld/tests/fuzz/build
cc=${FUZZ_CC:-clang}

skip() {
	echo "SKIP: $name: $*"
	exit 77
}

# The short run (make check, CI) starts from one fixed seed, so it explores the same way
# each time and a CI run fails only for a change in the code; longer runs take a random
# seed (0: libFuzzer picks) and explore further. FUZZ_SEED=N chooses.
if [[ -n ${FUZZ_SEED:-} ]]; then
	seed=$FUZZ_SEED
elif ((${seconds//[^0-9]/} + 0 <= 60)); then
	seed=1
else
	seed=0
fi
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
	echo "$name: seconds must be a positive integer, got '$seconds'" >&2
	exit 2
fi
command -v "$cc" >/dev/null 2>&1 || skip "$cc not found; install the Debian package clang"
mkdir -p "$out"
# libFuzzer and the sanitizer runtimes are libclang-rt-14-dev on Debian 12.
probe_log=$out/probe.log
if ! printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' |
	"$cc" -fsanitize=fuzzer,address,undefined -x c - -o "$out/probe" >"$probe_log" 2>&1; then
	skip "$cc cannot link -fsanitize=fuzzer,address,undefined" \
		"(install libclang-rt-14-dev): $(head -c 200 "$probe_log")"
fi

cflags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-fno-omit-frame-pointer -D_GNU_SOURCE -I"$src/src" -I"$src/bpf" -I"$bld/bpf"
	-Wall -Wno-unused-parameter -Werror)
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# The value of a "// fuzz-KEY:" line of file $1.
header() {
	sed -n "s|^// fuzz-$2:[[:space:]]*||p" "$1" | head -n 1
}

failed=()
ran=0
for target in "$here"/fuzz_*.c; do
	t=$(basename "$target" .c)
	t=${t#fuzz_}
	[[ -z $only || $t == *"$only"* ]] || continue
	sources=$(header "$target" sources)
	pkgs=$(header "$target" pkgs)
	[[ -n $sources ]] || { echo "$name: $target has no '// fuzz-sources:' line" >&2; exit 2; }
	srcs=()
	for s in $sources; do
		srcs+=("$src/$s")
	done
	pc_cflags=() pc_libs=()
	if [[ -n $pkgs ]]; then
		read -r -a pc_cflags <<<"$(pkg-config --cflags $pkgs)" ||
			skip "pkg-config does not know $pkgs"
		read -r -a pc_libs <<<"$(pkg-config --libs $pkgs)"
	fi
	echo "fuzz: building $t"
	if ! "$cc" "${cflags[@]}" "${pc_cflags[@]}" "$target" "${srcs[@]}" "${pc_libs[@]}" \
		-o "$out/$t" 2>"$out/$t.build.log"; then
		cat "$out/$t.build.log" >&2
		echo "$name: $t does not build" >&2
		exit 1
	fi
	seeds=$src/tests/fuzz/corpus/$t
	[[ -d $seeds ]] || { echo "$name: no seed corpus $seeds" >&2; exit 1; }
	# New inputs go to a working corpus in the build tree; the seeds stay as committed.
	mkdir -p "$out/corpus/$t"
	echo "fuzz: running $t for $seconds s ($(find "$seeds" -type f | wc -l) seeds)"
	if "$out/$t" -max_total_time="$seconds" -seed="$seed" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 -artifact_prefix="$out/$t-" \
		"$out/corpus/$t" "$seeds" >"$out/$t.log" 2>&1; then
		grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$out/$t.log" |
			sed "s/^/fuzz: $t: /"
	else
		# The report's head names the fault; its tail, the input (a deep stack fills the middle).
		head -n 30 "$out/$t.log" >&2
		echo "[...]" >&2
		tail -n 12 "$out/$t.log" >&2
		echo "fuzz: $t FAILED; input: $(ls -t "$out/$t"-* 2>/dev/null | head -n 1)" >&2
		failed+=("$t")
	fi
	ran=$((ran + 1))
done
((ran > 0)) || { echo "$name: no target matches '$only'" >&2; exit 2; }
if ((${#failed[@]})); then
	echo "$name: ${failed[*]} failed; reproduce with tests/fuzz/build/TARGET INPUT" >&2
	exit 1
fi
echo "fuzz: $ran targets, $seconds s each, no crash"
