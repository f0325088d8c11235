#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build the container image localhost/sockflow:VERSION FROM scratch out of a configured and
# built tree (default: this checkout; `make image` passes its own): `make install-strip`
# into a scratch root, the shared libraries `ldd` names and the dynamic loader beside it,
# then `podman build` with deploy/container/Containerfile. Nothing comes from a registry.
#
#   scripts/image.sh [BUILDDIR [IMAGE]]      IMAGE default localhost/sockflow:VERSION
#
# The tree must be configured with --sysconfdir=/etc: the image's sockflow reads
# /etc/sockflow/sockflow.conf (a ConfigMap or a bind mount in its place). Prints the image
# name and its size.
set -euo pipefail

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=$(cd "${1:-$srcdir}" && pwd)
[[ -f $builddir/Makefile ]] || { echo "image: $builddir is not configured" >&2; exit 1; }
version=$(sed -n 's/^VERSION = //p' "$builddir/Makefile")
image=${2:-localhost/sockflow:$version}
command -v podman >/dev/null || { echo "image: podman not installed" >&2; exit 1; }

ctx=$(mktemp -d /tmp/sockflow-image.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
root=$ctx/rootfs
# A make of its own: not the flags or variables of a make that runs this script.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	make -s -C "$builddir" install-strip DESTDIR="$root" >"$ctx/install.log" 2>&1 ||
	{ echo "image: make install-strip failed:" >&2; cat "$ctx/install.log" >&2; exit 1; }
bin=$(find "$root" -type f -path '*/sbin/sockflow')
[[ -n $bin ]] || { echo "image: make install put no sbin/sockflow in $root" >&2; exit 1; }
"$bin" --help | grep -q 'default /etc/sockflow/sockflow.conf' ||
	{ echo "image: $builddir is not configured with --sysconfdir=/etc" >&2; exit 1; }
# The entry point is /usr/sbin/sockflow wherever sbindir is; the binary finds its field
# lists and config by the paths configure gave it, which stay where make install put them.
if [[ $bin != "$root/usr/sbin/sockflow" ]]; then
	mkdir -p "$root/usr/sbin"
	mv "$bin" "$root/usr/sbin/sockflow"
fi
# Man pages are for the host.
rm -rf "$root"/usr/share/man "$root"/usr/local/share/man
# Libraries at the paths the loader looks for them ("NAME => PATH (ADDR)"), and the loader
# itself ("PATH (ADDR)"); symlinks resolved, so each soname is a file.
ldd "$root/usr/sbin/sockflow" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
	while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
# sockflow mounts a private cgroup2 below /run/sockflow when the host has none mounted.
mkdir -p "$root/run" "$root/tmp"
chmod 1777 "$root/tmp"

podman build -q --no-cache --layers=false -f "$srcdir/deploy/container/Containerfile" \
	--label "org.opencontainers.image.version=$version" \
	--label "org.opencontainers.image.title=sockflow" -t "$image" "$ctx" >"$ctx/build.log" 2>&1 ||
	{ echo "image: podman build failed:" >&2; cat "$ctx/build.log" >&2; exit 1; }
echo "image: $image, $(podman image inspect -f '{{.Size}}' "$image") bytes"
