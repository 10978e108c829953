#!/bin/sh
# /init of the sevshim guest (busybox sh). Two stages:
#  1. in the initramfs: mount proc, sys and devtmpfs, load the agent channel's kernel modules
#     (/etc/modules-boot, dependency order), then make the root a bind mount of itself and chroot
#     into it. crun pivot_roots into every container, and pivot_root refuses a root that is the
#     initramfs itself (rootfs has no parent mount; ARCHITECTURE.md, "Facts measured"); a bind
#     mount of it moved onto / has one. This replaced copying the tree into a tmpfs and
#     switch_root (about 0.5 s under TCG, and a second copy of the image in guest memory).
#  2. in the new root: the mounts crun expects (cgroup2, devpts, shm, run), start loading the
#     other modules (/etc/modules-later) at low priority in the background, then exec the agent,
#     which stays PID 1 for the life of the VM (it enables the cgroup controllers itself). The
#     agent waits for that load (src/SevAgent/Guest/ModuleLoadGate.cs) before anything needing
#     those modules; /run/sevshim/modules.loading exists until modprobe is done.
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

  # One modprobe for the group: busybox modprobe follows the image's trimmed modules.dep, and a
  # single process is much cheaper under TCG than one insmod per module. The list is empty when the
  # kernel has the channel's drivers built in (Debian 6.12: virtio_pci, virtio_console), and
  # `modprobe -a` with no name fails.
  if [ -s /etc/modules-boot ]; then
    # shellcheck disable=SC2046
    modprobe -a $(cat /etc/modules-boot) || fail "loading the agent channel's modules: $(cat /etc/modules-boot)"
  fi
  say "modules loaded at $(uptime_s)s"

  mount --bind / /newroot || fail "bind-mount the root onto /newroot"
  for m in /proc /sys /dev; do
    mount --move "$m" "/newroot$m" || fail "move $m into the new root"
  done
  cd /newroot || fail "cd /newroot"
  mount --move . / || fail "move the new root onto /"
  exec chroot . /init stage2
  fail "chroot into the new root"
}

stage2() {
  mkdir -p /dev/pts /dev/shm /sys/fs/cgroup
  mount -t devpts -o nosuid,noexec,gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts || fail "mount /dev/pts"
  mount -t tmpfs -o nosuid,nodev,mode=1777 shm /dev/shm || fail "mount /dev/shm"
  mount -t tmpfs -o nosuid,nodev,mode=0755 run /run || fail "mount /run"
  mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup || fail "mount cgroup2 on /sys/fs/cgroup"
  hostname -F /etc/hostname 2>/dev/null || true
  ip link set lo up 2>/dev/null || true

  # The other modules, off the path to the agent's start: nice 19 leaves the CPU to the agent while
  # it starts and fills the time it then waits on the host. The marker goes when modprobe is done
  # (success or not: a missing module fails the operation needing it, with its own error); the
  # module files go too, since nothing loads modules after this.
  mkdir -p /run/sevshim
  : >/run/sevshim/modules.loading
  # busybox-static has renice, not nice: the child shell writes its pid into the marker (the agent
  # raises it back to nice 0 once something waits for the modules, so an agent or container busy on
  # the one vCPU cannot starve it), lowers its own priority, then becomes modprobe.
  (
    # shellcheck disable=SC2016
    if sh -c 'echo $$ >/run/sevshim/modules.loading; renice -n 19 -p $$ >/dev/null; exec modprobe -a $(cat /etc/modules-later)'; then
      say "background modules loaded at $(uptime_s)s"
    else
      say "warning: some modules failed to load: $(tr '\n' ' ' </etc/modules-later)"
    fi
    rm -rf /lib/modules
    rm -f /run/sevshim/modules.loading
  ) </dev/null >/dev/null 2>&1 &

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
