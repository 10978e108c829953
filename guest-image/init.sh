#!/bin/sh
# /init of the sevshim guest (busybox sh). Two stages:
#  1. in the initramfs: mount proc, sys and devtmpfs, load the kernel modules listed by the image
#     build (/etc/modules-load, dependency order), copy the tree into a tmpfs and switch_root into
#     it. The copy is needed because pivot_root cannot move away from an initramfs root, and crun
#     pivot_roots into every container (ARCHITECTURE.md, "Facts measured").
#  2. in the tmpfs root: the mounts crun expects (cgroup2, devpts, shm, run), then exec the agent,
#     which stays PID 1 for the life of the VM (it enables the cgroup controllers itself).
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

  # One modprobe for all modules: busybox modprobe follows the image's trimmed modules.dep, and a
  # single process is much cheaper under TCG than one insmod per module.
  # shellcheck disable=SC2046
  modprobe -a $(cat /etc/modules-load) || say "warning: some modules failed to load: $(cat /etc/modules-load)"
  say "modules loaded at $(uptime_s)s"

  mount -t tmpfs -o mode=0755 rootfs /newroot || fail "mount tmpfs /newroot"
  # One cp for the whole tree (one process is what costs under TCG), then drop the kernel modules,
  # which are all loaded now.
  for entry in /*; do
    case "$entry" in
      /proc | /sys | /dev | /newroot) mkdir -p "/newroot$entry" ;;
      *) set -- "$@" "$entry" ;;
    esac
  done
  cp -a "$@" /newroot/ || fail "copy the root tree to the tmpfs root"
  rm -rf /newroot/lib/modules
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
  hostname -F /etc/hostname 2>/dev/null || true
  ip link set lo up 2>/dev/null || true
  say "agent start at $(uptime_s)s"
  # sevagent.log_level=debug|info|warning|error on the kernel command line (the shim's
  # agent.log_level) sets the agent's log level; anything else keeps its default.
  for word in $(cat /proc/cmdline); do
    case "$word" in
      sevagent.log_level=debug | sevagent.log_level=info | sevagent.log_level=warning | sevagent.log_level=error)
        exec /sbin/sevagent --log-level "${word#sevagent.log_level=}" ;;
    esac
  done
  exec /sbin/sevagent
  fail "exec /sbin/sevagent"
}

case "${1:-}" in
  stage2) stage2 ;;
  *) stage1 ;;
esac
