#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Install what sockflow's build, tests and benchmarks need on Debian 12 (as root).
# Idempotent and quick when everything is there: it asks dpkg first and only runs
# apt-get for packages that are missing.
set -euo pipefail

BUILD_PKGS=(
	autoconf automake libtool pkg-config make gcc
	clang llvm bpftool
	libbpf-dev libelf-dev zlib1g-dev libfixbuf-dev libglib2.0-dev libmnl-dev
	libnetfilter-conntrack-dev libjansson-dev
)
TEST_PKGS=(
	nfdump tshark wireshark-common libfixbuf-tools pmacct
	python3 jq iproute2 nftables procps
	podman runc busybox-static
	qemu-system-x86 cpio
	softflowd curl
	prometheus	# for promtool; its service is stopped and disabled below
	debhelper lintian	# tests/integration/deb_package.sh builds and checks the .deb
	libcap2-bin	# capsh: container_image.sh reads the capabilities sockflow holds
	python3-yaml	# tests/unit/test_kubernetes.sh parses the DaemonSet manifest
	libclang-rt-14-dev	# libFuzzer and the sanitizers' runtimes for tests/fuzz/run.sh
)

missing=()
for pkg in "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
	[[ $status == ii* ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
	echo "deps: all $((${#BUILD_PKGS[@]} + ${#TEST_PKGS[@]})) packages present"
else
	if [[ $(id -u) -ne 0 ]]; then
		echo "deps: missing ${missing[*]}; run this script as root to install them" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# tshark's dumpcap: no setuid bit and no wireshark group; tests run as root.
	echo 'wireshark-common wireshark-common/install-setuid boolean false' |
		debconf-set-selections
	# Refresh the package lists only when they are missing or older than a day, and
	# once more if the install still cannot find a package.
	lists_fresh() {
		[[ -n $(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -1440 \
			-print -quit 2>/dev/null) ]]
	}
	install() {
		apt-get install -y -q --no-install-recommends \
			-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
			"${missing[@]}" </dev/null
	}
	lists_fresh || apt-get update -q </dev/null
	if ! install; then
		apt-get update -q </dev/null
		install
	fi
	# The tests need prometheus's promtool, not a Prometheus server: where the package
	# started and enabled one, stop it.
	if [[ " ${missing[*]} " == *" prometheus "* ]] && [[ -d /run/systemd/system ]]; then
		systemctl disable --now prometheus >/dev/null 2>&1 || true
		echo "deps: stopped and disabled the prometheus service (the tests use promtool only)"
	fi
fi

# Debian installs bpftool (and nfacctd) in /usr/sbin, which is not on every user's PATH;
# configure looks there too.
if ! command -v bpftool >/dev/null 2>&1; then
	if [[ -x /usr/sbin/bpftool ]]; then
		echo "deps: note: bpftool is /usr/sbin/bpftool, not on PATH; configure finds it"
	else
		echo "deps: bpftool missing after install" >&2
		exit 1
	fi
fi
[[ -x /usr/bin/python3 ]] || { echo "deps: /usr/bin/python3 missing" >&2; exit 1; }

# Containers in tests (podman + runc): where runc may not raise rlimits (no
# CAP_SYS_RESOURCE, as in some sandboxes) podman's default ulimits stop every container,
# so ask for none. Only when no containers.conf sets default_ulimits already: a new
# /etc/containers/containers.conf if there is none, else a drop-in file; an existing
# file is never edited.
containers_conf_sets_ulimits() {
	local f
	for f in /etc/containers/containers.conf /etc/containers/containers.conf.d/*.conf; do
		[[ -f $f ]] && grep -Eq '^[[:space:]]*default_ulimits[[:space:]]*=' "$f" && return 0
	done
	return 1
}
if ! containers_conf_sets_ulimits; then
	if [[ $(id -u) -ne 0 ]]; then
		echo "deps: containers.conf sets no default_ulimits; run this script as root" >&2
		exit 1
	fi
	if [[ -e /etc/containers/containers.conf ]]; then
		conf=/etc/containers/containers.conf.d/50-sockflow-tests.conf
		mkdir -p /etc/containers/containers.conf.d
	else
		conf=/etc/containers/containers.conf
		mkdir -p /etc/containers
	fi
	printf '[containers]\ndefault_ulimits = []\n' >"$conf"
	echo "deps: wrote $conf (default_ulimits = [])"
fi
