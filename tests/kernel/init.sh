#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# /init of the guest.sh initramfs (busybox sh): mount the host root, run the command, power off.
#
# The kernel command line names the scratch share's path (sockflow.scratch=PATH), where the
# host put run.sh and where the command's output, its exit status and boot.s (seconds from
# boot to the command's start) go. The host root is read-only: /tmp, /run, /var/tmp, /dev/shm
# are tmpfs in the guest, and the scratch share is mounted at its host path. /boot is a tmpfs
# with only this kernel's config-RELEASE (/config in the initramfs).
# With sockflow.ip=ADDRESS/PREFIX, eth0 (a virtio network card) gets that address and comes up.
# POSIX sh with busybox: no bash here, and no pipefail.
set -u

PATH=/bin
export PATH
R=/newroot

/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev "$R"
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
# Only errors on the console from here on; dmesg still has everything.
echo 3 >/proc/sys/kernel/printk

say() { echo "guest: $*"; }
halt() {
	sync
	poweroff -f
	reboot -f
}

scratch=
guest_ip=
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
	sockflow.scratch=*) scratch=${arg#sockflow.scratch=} ;;
	sockflow.ip=*) guest_ip=${arg#sockflow.ip=} ;;
	esac
done
[ -n "$scratch" ] || { say "no sockflow.scratch= on the kernel command line"; halt; }

while read -r m; do
	insmod "/modules/$m" || say "insmod $m failed"
done </modules.load

opts=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o "$opts,ro,cache=loose" hostroot "$R" || { say "mounting the host root failed"; halt; }
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
mount -t devtmpfs devtmpfs "$R/dev"
# devtmpfs has device nodes only; bash's <(...) needs /dev/fd, as udev would set it up.
ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"
ln -s /proc/self/fd/1 "$R/dev/stdout"
ln -s /proc/self/fd/2 "$R/dev/stderr"
mkdir -p "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$R/dev/pts"
mount -t tmpfs -o mode=1777 tmpfs "$R/dev/shm"
for d in tmp var/tmp; do
	mount -t tmpfs -o mode=1777 tmpfs "$R/$d"
done
mount -t tmpfs -o mode=0755 tmpfs "$R/run"
mount -t bpf bpf "$R/sys/fs/bpf"
mount -t cgroup2 cgroup2 "$R/sys/fs/cgroup"
mount -t tracefs tracefs "$R/sys/kernel/tracing"
mount -t debugfs debugfs "$R/sys/kernel/debug"
# The host's /boot describes the host's kernel; libbpf (__kconfig) and bpftool read this one's.
mount -t tmpfs -o mode=0755 tmpfs "$R/boot"
cp /config "$R/boot/config-$(uname -r)"
[ -r /sys/kernel/btf/vmlinux ] || say "warning: no /sys/kernel/btf/vmlinux"
ip link set lo up
if [ -n "$guest_ip" ]; then
	ip addr add "$guest_ip" dev eth0 && ip link set eth0 up || say "eth0 with $guest_ip failed"
fi
hostname sockflow-guest

mkdir -p "$R$scratch"
mount -t 9p -o "$opts" scratch "$R$scratch" || { say "mounting the scratch share failed"; halt; }
out=$R$scratch
cut -d' ' -f1 /proc/uptime >"$out/boot.s"

chroot "$R" /bin/bash "$scratch/run.sh" >>"$out/output" 2>&1
echo $? >"$out/status"
umount "$out"
halt
