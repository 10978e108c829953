#!/bin/sh
# /init of the sevshim guest (busybox sh). Two stages:
#  1. in the initramfs: mount proc, sys and devtmpfs, load the kernel modules listed by the image
#     build (/etc/modules-load, dependency order), copy the tree into a tmpfs and switch_root into
#     it. The copy is needed because pivot_root cannot move away from an initramfs root, and crun
#     pivot_roots into every container (ARCHITECTURE.md, "Facts measured").
#  2. in the tmpfs root: the mounts crun expects (cgroup2, devpts, shm, run), then exec the agent,
#     which stays PID 1 for the life of the VM.
# Any failure prints one line on the console and powers the VM off, so QEMU (-no-reboot) exits
# and the host reads the reason from the console log.
PATH=/sbin:/bin:/usr/sbin:/usr/bin
export PATH

say() { echo "sevshim-init: $*" >/dev/console; }
fail() {
  say "FATAL: $*"
  poweroff -f
  sleep 5
  exit 1
}
uptime_s() { cut -d' ' -f1 /proc/uptime; }

stage1() {
  mount -t proc -o nosuid,nodev,noexec proc /proc || fail "mount /proc"
  mount -t sysfs -o nosuid,nodev,noexec sysfs /sys || fail "mount /sys"
  mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev || fail "mount /dev"
  say "stage1 at $(uptime_s)s"

  while read -r ko; do
    [ -n "$ko" ] || continue
    insmod "$ko" 2>/dev/null || say "warning: insmod $ko failed"
  done </etc/modules-load
  say "modules loaded at $(uptime_s)s"

  mount -t tmpfs -o mode=0755 rootfs /newroot || fail "mount tmpfs /newroot"
  for entry in /*; do
    case "$entry" in
      /proc | /sys | /dev | /newroot) mkdir -p "/newroot$entry" ;;
      *) cp -a "$entry" /newroot/ || fail "copy $entry to the tmpfs root" ;;
    esac
  done
  for m in /proc /sys /dev; do
    mount --move "$m" "/newroot$m" || fail "move $m into the tmpfs root"
  done
  exec switch_root -c /dev/console /newroot /init stage2
  fail "switch_root"
}

stage2() {
  mkdir -p /dev/pts /dev/shm /sys/fs/cgroup
  mount -t devpts -o nosuid,noexec,gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts || fail "mount /dev/pts"
  mount -t tmpfs -o nosuid,nodev,mode=1777 shm /dev/shm || fail "mount /dev/shm"
  mount -t tmpfs -o nosuid,nodev,mode=0755 run /run || fail "mount /run"
  mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup || fail "mount cgroup2 on /sys/fs/cgroup"
  # Delegate the usual controllers so that container cgroups get memory, cpu, io and pids
  # accounting (the stats and OOM events the agent reports come from them).
  for c in cpu io memory pids; do
    echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || say "warning: cgroup controller $c unavailable"
  done
  hostname -F /etc/hostname 2>/dev/null || true
  ip link set lo up 2>/dev/null || true
  say "agent start at $(uptime_s)s"
  exec /sbin/sevagent
  fail "exec /sbin/sevagent"
}

case "${1:-}" in
  stage2) stage2 ;;
  *) stage1 ;;
esac
