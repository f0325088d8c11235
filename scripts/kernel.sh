#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Fetch and cache a Debian kernel for QEMU guests: scripts/kernel.sh [SERIES] prints its directory.
#
# SERIES is a kernel version prefix (default 6.1). The newest linux-image-SERIES.*-amd64-unsigned
# the apt archive has is downloaded (apt-get download), unpacked (dpkg -x) and reduced to what
# tests/kernel/guest.sh boots:
#   CACHE/RELEASE/vmlinuz       the kernel (RELEASE is its `uname -r`, e.g. 6.1.0-57-amd64)
#   CACHE/RELEASE/vmlinux       the same uncompressed, for QEMU's PVH boot (when the kernel
#                               has CONFIG_PVH): under TCG it saves ~6 s of decompression a boot
#   CACHE/RELEASE/config        its build configuration
#   CACHE/RELEASE/package       "PACKAGE VERSION"
#   CACHE/RELEASE/modules/      the modules in MODULES below and everything they depend on
#   CACHE/RELEASE/modules.load  those modules in an order insmod accepts, one path a line
# CACHE is $SOCKFLOW_KERNEL_CACHE, default /var/cache/sockflow/kernels. A kernel already there is
# reused; without apt lists or archive the newest cached kernel of SERIES is used.
# Needs dpkg, apt and busybox (its depmod writes the modules.dep the package lacks).
set -euo pipefail

# Modules a guest loads, in this order (each after the modules it depends on): the 9p root and
# scratch shares over virtio-pci, sock_diag for TCP/UDP/raw (sockflow's socket dumps and ss),
# conntrack over netlink (sockflow's NAT source), veth and overlay for tests that want
# them, and virtio_net for a guest with a network card (a peer on another machine).
# crc32c_generic comes before libcrc32c, which only names it as a soft dependency. A cached
# kernel made for another list is made again (CACHE/RELEASE/modules.wanted).
MODULES=(
	virtio_pci 9pnet_virtio 9p
	inet_diag tcp_diag udp_diag raw_diag
	crc32c_generic nf_conntrack_netlink
	veth overlay virtio_net
)

series=${1:-6.1}
cache=${SOCKFLOW_KERNEL_CACHE:-/var/cache/sockflow/kernels}
BUSYBOX=${BUSYBOX:-/bin/busybox}

die() { printf 'kernel: %s\n' "$*" >&2; exit 1; }
note() { printf 'kernel: %s\n' "$*" >&2; }

[[ $series =~ ^[0-9]+\.[0-9]+$ ]] || die "series must look like 6.1, not '$series'"

# newest_package: "PACKAGE VERSION" of the newest linux-image-SERIES.*-amd64-unsigned that
# apt can download (not -cloud- or -rt-), or nothing.
newest_package() {
	local re="^linux-image-${series//./\\.}\\.[^ ]*-amd64-unsigned\$" pkgs
	pkgs=$(apt-cache search --names-only "$re" 2>/dev/null |
		awk '$1 !~ /-(cloud|rt)-amd64-/ { print $1 }')
	[[ -n $pkgs ]] || return 0
	# shellcheck disable=SC2086 # one package name a word
	apt-cache policy $pkgs | awk '
		/^[^ ]/ { pkg = $1; sub(/:$/, "", pkg) }
		$1 == "Candidate:" && $2 != "(none)" { print pkg, $2 }' |
		while read -r pkg ver; do
			if [[ -z ${best:-} ]] || dpkg --compare-versions "$ver" gt "$best_ver"; then
				best=$pkg best_ver=$ver
			fi
			printf '%s %s\n' "$best" "$best_ver"
		done | tail -n 1
}

# is_current DIR: DIR is a complete cached kernel made for this MODULES list.
is_current() {
	[[ -f $1/.complete && $(cat "$1/modules.wanted" 2>/dev/null) == "${MODULES[*]}" ]]
}

# newest_cached: the directory of the newest current kernel of SERIES in the cache, or nothing.
newest_cached() {
	local d
	for d in "$cache/$series".*-amd64; do
		if is_current "$d"; then
			printf '%s\n' "$d"
		fi
	done | sort -V | tail -n 1
}

# unpack PACKAGE VERSION DIR: download, unpack and reduce the package into DIR (new).
unpack() {
	local pkg=$1 ver=$2 dir=$3 tmp release mods m
	tmp=$(mktemp -d "$cache/.unpack.XXXXXX")
	# shellcheck disable=SC2064 # expand now: tmp is local
	trap "rm -rf '$tmp'" EXIT
	note "downloading $pkg $ver"
	# apt-get download writes into the current directory.
	(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" </dev/null >&2) ||
		die "apt-get download $pkg=$ver failed"
	dpkg -x "$tmp"/*.deb "$tmp/root" || die "dpkg -x of $pkg failed"
	release=$(basename "$dir")
	mods=$tmp/root/lib/modules/$release
	[[ -f $tmp/root/boot/vmlinuz-$release && -d $mods ]] ||
		die "$pkg holds no vmlinuz-$release and modules"
	"$BUSYBOX" depmod -b "$tmp/root" "$release" || die "depmod for $release failed"

	mkdir -p "$tmp/out/modules"
	cp "$tmp/root/boot/vmlinuz-$release" "$tmp/out/vmlinuz"
	cp "$tmp/root/boot/config-$release" "$tmp/out/config"
	printf '%s %s\n' "$pkg" "$ver" >"$tmp/out/package"
	extract_vmlinux "$tmp/out/vmlinuz" "$tmp/out/config" "$tmp/out/vmlinux" || {
		note "no uncompressed kernel from vmlinuz-$release; guests boot the slower bzImage"
		rm -f "$tmp/out/vmlinux"
	}
	for m in "${MODULES[@]}"; do
		load_order "$mods" "$m"
	done | awk '!seen[$0]++' >"$tmp/out/modules.load"
	while read -r m; do
		mkdir -p "$tmp/out/modules/$(dirname "$m")"
		cp "$mods/$m" "$tmp/out/modules/$m"
	done <"$tmp/out/modules.load"
	printf '%s\n' "${MODULES[*]}" >"$tmp/out/modules.wanted"
	touch "$tmp/out/.complete"
	mv "$tmp/out" "$dir"
	rm -rf "$tmp"
	trap - EXIT
}

# extract_vmlinux BZIMAGE CONFIG OUT: the ELF kernel inside a bzImage, from the payload that
# its setup header locates (boot protocol 2.08+: setup_sects at 0x1f1, payload_offset and
# payload_length at 0x248, counted from the end of the setup sectors). The compressors append
# the uncompressed size (4 bytes) to the payload. Returns 1 when that does not work out.
extract_vmlinux() {
	local bz=$1 config=$2 out=$3 sects off len
	grep -q '^CONFIG_PVH=y' "$config" || return 1
	sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$bz" | tr -d ' ')
	((sects != 0)) || sects=4
	read -r off len < <(od -An -tu4 -j $((0x248)) -N8 "$bz")
	payload() {
		dd if="$bz" bs=64K iflag=skip_bytes,count_bytes skip=$(((sects + 1) * 512 + off)) \
			count=$((len - 4)) status=none
	}
	if grep -q '^CONFIG_KERNEL_XZ=y' "$config"; then
		payload | xz -dc >"$out" || return 1
	elif grep -q '^CONFIG_KERNEL_GZIP=y' "$config"; then
		payload | gzip -dc >"$out" || return 1
	elif grep -q '^CONFIG_KERNEL_ZSTD=y' "$config" && command -v zstd >/dev/null; then
		payload | zstd -q -dc >"$out" || return 1
	else
		return 1
	fi
	[[ $(head -c 4 "$out") == $'\x7fELF' ]]
}

# load_order MODDIR NAME: the path of module NAME (relative to MODDIR) after those of the
# modules it needs, as modules.dep says; nothing when NAME is built into the kernel.
load_order() {
	local dir=$1 name=$2 line path dep
	grep -Eq "/${name}\\.ko(\\.[a-z]+)?\$" "$dir/modules.builtin" && return 0
	line=$(grep -E "(^|/)${name}\\.ko(\\.[a-z]+)?:" "$dir/modules.dep") ||
		die "no module $name in $(basename "$dir")"
	path=${line%%:*}
	for dep in ${line#*:}; do
		dep=$(basename "$dep")
		load_order "$dir" "${dep%%.ko*}"
	done
	printf '%s\n' "$path"
}

mkdir -p "$cache" || die "cannot create the cache $cache"
# One fetch at a time per cache; a second waits and then finds the kernel there.
exec 9>"$cache/.lock"
flock 9 || die "cannot lock $cache/.lock"
read -r pkg ver < <(newest_package) || true
if [[ -z ${pkg:-} && $(id -u) -eq 0 ]]; then
	note "no linux-image-$series package known to apt; running apt-get update"
	apt-get update -q </dev/null >&2 || note "apt-get update failed"
	read -r pkg ver < <(newest_package) || true
fi
# use_cached WHY: fall back to the newest cached kernel of SERIES, if there is one.
use_cached() {
	local dir
	dir=$(newest_cached)
	[[ -n $dir ]] || die "$1, and no linux-image-$series kernel is cached"
	note "$1; using the cached $(basename "$dir")"
	printf '%s\n' "$dir"
	exit 0
}

[[ -n ${pkg:-} ]] || use_cached "apt knows no linux-image-$series.*-amd64-unsigned"

# linux-image-6.1.0-57-amd64-unsigned boots as 6.1.0-57-amd64.
release=${pkg#linux-image-}
release=${release%-unsigned}
dir=$cache/$release
if is_current "$dir" && [[ $(cat "$dir/package") == "$pkg $ver" ]]; then
	printf '%s\n' "$dir"
	exit 0
fi
# A half-written or older build of the same release is replaced.
rm -rf "$dir"
# In a subshell: its die ends only the attempt, and an older cached kernel may do.
(unpack "$pkg" "$ver" "$dir") || use_cached "fetching $pkg $ver failed"
note "cached $release in $dir"
printf '%s\n' "$dir"
