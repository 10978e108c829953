#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine, as root: installs the packages, builds the shim
# and the guest image, installs them, then runs a busybox container in a VM through
# containerd and prints the proof (the guest kernel, the SEV status and its reason).
#
#   /usr/local/bin/containerd-shim-sevshim-v2
#   /usr/local/share/sevshim/{vmlinuz,initrd.img,manifest.json}
#   /usr/local/share/sevshim/OVMF.amdsev.fd{,.manifest}  (the configured vm.firmware, when missing or built by us)
#   /etc/sevshim/config.toml          (an existing one is kept)
#   /usr/local/lib/sevshim/qemu/      (SEVSHIM_QEMU=backports only: QEMU 10 from bookworm-backports)
#
# The firmware: when the file the configuration's vm.firmware names does not exist, it is built
# by scripts/build-firmware.sh (edk2's AmdSev OVMF from Debian 13's edk2 source, about 7 minutes;
# Debian ships no build of it). A file that script built before (its FILE.manifest is there) is
# handed to the script again, which does nothing when it is the pinned version and rebuilds it
# when the pin moved on (the 2022.11 build had no SNP_KERNEL_HASHES); a file without a manifest is
# the operator's own and is never replaced. SEVSHIM_SKIP_FIRMWARE=1 skips all of this; SEV pods
# then cannot start until the firmware is there.
#
# QEMU: Debian 12's 7.2 launches SEV and SEV-ES pods but has no sev-snp-guest object.
# SEVSHIM_QEMU=backports runs scripts/qemu-backports.sh, which unpacks QEMU 10 from Debian's
# bookworm-backports privately under /var/cache/sevshim/qemu (SEVSHIM_QEMU_CACHE overrides; the
# system's QEMU and apt sources stay untouched), copies it to /usr/local/lib/sevshim/qemu, and sets
# vm.qemu in /etc/sevshim/config.toml to its binary there (an existing configuration is kept otherwise; only its [vm] qemu line changes). Unset,
# vm.qemu stays as it is. `containerd-shim-sevshim-v2 check` reports what each QEMU can launch.
#
# containerd: the one answering on /run/containerd/containerd.sock, else a private instance
# (state, sockets and FIFOs under /run/sevshim-containerd, data under /var/lib/sevshim-containerd).
# A private instance this script starts is stopped again at its end, whatever the outcome, so
# nothing it started stays running; SEVSHIM_KEEP_CONTAINERD=1 leaves it running for your own
# `ctr` commands (the script prints how). One it finds already running is left alone.
#
# Safe to run again: the packages and the build are checked, the files reinstalled, the
# configuration kept, the image re-imported and a new demo pod run.
#
# SEVSHIM_SKIP_DEPS=1 and SEVSHIM_SKIP_BUILD=1 skip the package check and the build, for a tree that
# scripts/test.sh (or scripts/build.sh) has just built: the CI test that follows the README's
# Kubernetes section runs this script so, without rebuilding the assemblies it is running from.
#
# Every ctr call is limited to SEVSHIM_CTR_TIMEOUT seconds (default 300; a pod boots under TCG
# in 5 to 60 s on a loaded machine): a pod that never answers ends the script with a message
# and the logs to read, not a hang.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "install.sh: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (with sudo: sudo $0)"
# sudo's secure_path normally has it; containerd must find the shim there.
case ":$PATH:" in *:/usr/local/bin:*) ;; *) export PATH="/usr/local/bin:$PATH" ;; esac

ctr_timeout=${SEVSHIM_CTR_TIMEOUT:-300}
[[ "$ctr_timeout" =~ ^[1-9][0-9]*$ ]] || die "SEVSHIM_CTR_TIMEOUT must be a number of seconds, got '$ctr_timeout'"
shim=/usr/local/bin/containerd-shim-sevshim-v2
image=docker.io/sevshim/busybox:local
case "${SEVSHIM_QEMU:-}" in
  ""|system) qemu_choice=system ;;
  backports) qemu_choice=backports ;;
  *) die "SEVSHIM_QEMU must be 'backports' (QEMU 10 from bookworm-backports, for SEV-SNP) or unset (vm.qemu as configured), got '$SEVSHIM_QEMU'" ;;
esac

if [ "${SEVSHIM_SKIP_DEPS:-0}" != 1 ]; then
  scripts/deps.sh || die "scripts/deps.sh failed (see above): the Debian packages are needed; check apt-get and the mirror"
fi
if [ "${SEVSHIM_SKIP_BUILD:-0}" != 1 ]; then
  scripts/build.sh || die "scripts/build.sh failed (see above): the shim, the agent and the guest image must build first"
fi

for tool in containerd ctr timeout setsid; do
  command -v "$tool" >/dev/null || die "$tool not found after scripts/deps.sh: apt-get install containerd util-linux coreutils"
done
[ -x artifacts/bin/containerd-shim-sevshim-v2 ] || die "artifacts/bin/containerd-shim-sevshim-v2 missing after the build: run scripts/build.sh and read its errors"
for f in vmlinuz initrd.img; do
  [ -f "artifacts/guest/$f" ] || die "the guest image file artifacts/guest/$f is missing after the build: run guest-image/build.sh --out artifacts/guest --agent artifacts/agent/sevagent and read its errors"
done

echo "== install"
install -m 0755 artifacts/bin/containerd-shim-sevshim-v2 "$shim"
install -d -m 0755 /usr/local/share/sevshim
install -m 0644 artifacts/guest/* /usr/local/share/sevshim/
install -d -m 0755 /etc/sevshim
if [ -f /etc/sevshim/config.toml ]; then
  echo "keeping the existing /etc/sevshim/config.toml"
else
  install -m 0644 config/config.toml /etc/sevshim/config.toml
fi
echo "installed $shim and /usr/local/share/sevshim/"

echo "== firmware"
# vm.firmware of the installed configuration (a `firmware = "..."` line under [vm]), else the default.
firmware=$(awk '/^[[:space:]]*\[/ { vm = ($0 ~ /^[[:space:]]*\[vm\][[:space:]]*(#.*)?$/) }
  vm && /^[[:space:]]*firmware[[:space:]]*=/ { sub(/^[^=]*=[[:space:]]*"/, ""); sub(/".*/, ""); print; exit }' /etc/sevshim/config.toml)
firmware=${firmware:-/usr/local/share/sevshim/OVMF.amdsev.fd}
if [ -f "$firmware" ] && [ ! -f "$firmware.manifest" ]; then
  echo "keeping the existing firmware $firmware (no $firmware.manifest: not built by scripts/build-firmware.sh)"
elif [ "${SEVSHIM_SKIP_FIRMWARE:-0}" = 1 ]; then
  if [ -f "$firmware" ]; then
    echo "SEVSHIM_SKIP_FIRMWARE=1: keeping $firmware as it is"
  else
    echo "install.sh: $firmware is missing and SEVSHIM_SKIP_FIRMWARE=1: SEV pods cannot start until it is there (scripts/build-firmware.sh builds it)"
  fi
elif [ -f "$firmware" ]; then
  echo "checking the SEV firmware $firmware against scripts/build-firmware.sh's pin"
  scripts/build-firmware.sh --out "$firmware" || die "scripts/build-firmware.sh failed (see above) refreshing $firmware; rerun it, or SEVSHIM_SKIP_FIRMWARE=1 to keep the file as it is"
else
  echo "building the SEV firmware $firmware with scripts/build-firmware.sh (about 7 minutes; SEVSHIM_SKIP_FIRMWARE=1 skips it)"
  scripts/build-firmware.sh --out "$firmware" || die "scripts/build-firmware.sh failed (see above): SEV pods need $firmware; rerun it, or SEVSHIM_SKIP_FIRMWARE=1 to install without it"
fi

echo "== qemu"
if [ "$qemu_choice" = backports ]; then
  qemu_cache=${SEVSHIM_QEMU_CACHE:-/var/cache/sevshim/qemu}
  scripts/qemu-backports.sh --cache "$qemu_cache" \
    || die "scripts/qemu-backports.sh failed (see above): rerun it (--refresh renews its lists), or unset SEVSHIM_QEMU to keep vm.qemu as it is"
  # Pods run it from /usr/local/lib/sevshim/qemu, not from the cache: /var/cache may be emptied at
  # any time (FHS), which would stop every new pod. The tree is copied whole (its ROMs, which the
  # shim passes with -L, and modules) into qemu.new and swapped in; running pods keep their inode.
  qemu_root=/usr/local/lib/sevshim/qemu
  install -d -m 0755 /usr/local/lib/sevshim
  rm -rf "$qemu_root.new" "$qemu_root.old"
  cp -a "$(readlink -f "$qemu_cache/10")" "$qemu_root.new"
  if [ -e "$qemu_root" ]; then mv "$qemu_root" "$qemu_root.old"; fi
  mv "$qemu_root.new" "$qemu_root"
  rm -rf "$qemu_root.old"
  qemu_binary="$qemu_root/usr/bin/qemu-system-x86_64"
  "$qemu_binary" --version >/dev/null 2>&1 || die "$qemu_binary does not run after scripts/qemu-backports.sh: delete $qemu_cache and $qemu_root and rerun"
  # Rewrite the qemu line of [vm] (or add one after the [vm] header, or a [vm] table at the end);
  # every other line stays as the operator wrote it.
  conf=/etc/sevshim/config.toml
  awk -v line="qemu = \"$qemu_binary\"" '
    /^[[:space:]]*\[/ { if (vm && !done) { print line; done = 1 } vm = ($0 ~ /^[[:space:]]*\[vm\][[:space:]]*(#.*)?$/) }
    vm && !done && /^[[:space:]]*qemu[[:space:]]*=/ { print line; done = 1; next }
    { print }
    END { if (!done) { if (!vm) print "[vm]"; print line } }' "$conf" >"$conf.new"
  chmod 0644 "$conf.new"
  mv "$conf.new" "$conf"
  echo "vm.qemu = \"$qemu_binary\" in $conf ($("$qemu_binary" --version | head -n1))"
else
  echo "keeping vm.qemu as configured (SEVSHIM_QEMU=backports installs QEMU 10 from bookworm-backports, for SEV-SNP pods)"
fi

# ctr against the chosen containerd, never longer than $ctr_timeout seconds. stdin is /dev/null:
# timeout(1) runs ctr outside the terminal's foreground group, where reading the terminal (ctr
# run copies its stdin to the container) would stop it.
ctrc() { timeout --kill-after=10 "$ctr_timeout" ctr --address "$address" "$@" </dev/null; }
answers() { timeout 30 ctr --address "$1" version >/dev/null 2>&1 </dev/null; }

echo "== containerd"
private=/run/sevshim-containerd
started=
fifo_args=()
address=/run/containerd/containerd.sock
stop_private() {
  [ -n "$started" ] || return 0
  if [ "${SEVSHIM_KEEP_CONTAINERD:-0}" = 1 ]; then
    echo "the private containerd (pid $started) keeps running, as SEVSHIM_KEEP_CONTAINERD=1 asked:"
    echo "  ctr --address $address run --rm --runtime io.containerd.sevshim.v2 --fifo-dir $private/fifo ${runtime_config[*]:-} $image demo uname -r"
    echo "  stop it with: kill $started"
    return 0
  fi
  kill -TERM "$started" 2>/dev/null || return 0
  for _ in $(seq 1 150); do kill -0 "$started" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$started" 2>/dev/null || true
  echo "stopped the private containerd (pid $started); the imported image stays in /var/lib/sevshim-containerd"
}
if answers "$address"; then
  echo "using the containerd answering on $address"
else
  address=$private/containerd.sock
  fifo_args=(--fifo-dir "$private/fifo")
  if answers "$address"; then
    echo "using the private containerd already answering on $address (left running)"
  else
    mkdir -p "$private/fifo" "$private/s" /var/lib/sevshim-containerd
    # CRI off: this instance serves ctr only, and CRI would set up CNI and image-pull state.
    cat > "$private/config.toml" <<TOML
version = 2
root = "/var/lib/sevshim-containerd"
state = "$private/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$address"
[ttrpc]
  address = "$address.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "/var/lib/sevshim-containerd/opt"
TOML
    echo "starting a private containerd on $address (log: $private/containerd.log)"
    # SEVSHIM_SOCKET_DIR keeps the shims' sockets with this instance, out of /run/containerd.
    # setsid: a Ctrl-C in the terminal reaches the script (whose EXIT trap stops containerd),
    # not containerd half-way through a pod.
    SEVSHIM_SOCKET_DIR=$private/s setsid containerd --config "$private/config.toml" >"$private/containerd.log" 2>&1 </dev/null &
    started=$!
    trap stop_private EXIT
    for _ in $(seq 1 120); do
      answers "$address" && break
      kill -0 "$started" 2>/dev/null || break
      sleep 1
    done
    if ! answers "$address"; then
      tail -n 30 "$private/containerd.log" >&2 || true
      die "the private containerd did not answer on $address (its log: $private/containerd.log, tail above)"
    fi
  fi
fi

echo "== image"
scripts/make-busybox-image.sh artifacts/busybox-oci.tar "$image" >/dev/null
ctrc images import artifacts/busybox-oci.tar >/dev/null || die "ctr images import of artifacts/busybox-oci.tar into $address failed or took over $ctr_timeout s"
echo "imported $image"

echo "== SEV status on this host"
runtime_config=()
if ! "$shim" check; then
  # The installed configuration requires SEV, which this host cannot give: a pod would be refused
  # (never run unencrypted in its place). To show the rest working, this one demo pod says
  # explicitly that it accepts no encryption.
  demo=/etc/sevshim/demo-unencrypted.toml
  printf '# Written by scripts/install.sh for its demo pod on a host without SEV.\n[confidential]\nmode = "none"\n[rootfs]\nmode = "shared"\n' > "$demo"
  # The demo boots with the QEMU the installed configuration names, SEVSHIM_QEMU=backports' included.
  if [ -n "${qemu_binary:-}" ]; then
    printf '[vm]\nqemu = "%s"\n' "$qemu_binary" >> "$demo"
  fi
  runtime_config=(--runtime-config-path "$demo")
  echo "install.sh: this host cannot run SEV pods (see above); the demo pod runs UNENCRYPTED with $demo"
fi

echo "== a container in a VM"
id=sevshim-demo-$$
# Removes the demo pod after a failure or a timeout. A pod still in Create ignores `ctr task
# kill`, so its shim and QEMU are ended by pid: their command lines name the unique id (-id <id>,
# -name sevshim-<id>). containerd then sees the shim gone and lets task and container go. The
# killed shim never ran its own clean-up, so its pod folder (sockets, console, the share with the
# rootfs mounts) is removed here, mounts first.
remove_demo() {
  local short=60 pids pod=/run/sevshim/$id
  timeout "$short" ctr --address "$address" task kill -s SIGKILL "$id" </dev/null >/dev/null 2>&1 || true
  pids=$(pgrep -f -- "$id" || true)
  if [ -n "$pids" ]; then
    echo "install.sh: ending what is left of the demo pod $id: pids $(echo $pids)" >&2
    kill -KILL $pids 2>/dev/null || true
    for _ in $(seq 1 50); do pgrep -f -- "$id" >/dev/null || break; sleep 0.2; done
  fi
  timeout "$short" ctr --address "$address" task delete -f "$id" </dev/null >/dev/null 2>&1 || true
  timeout "$short" ctr --address "$address" container delete "$id" </dev/null >/dev/null 2>&1 || true
  if [ -d "$pod" ]; then
    awk -v p="$pod" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
      while read -r mount; do umount -l "$mount" || true; done
    rm -rf --one-file-system "$pod"
  fi
}
set +e
guest=$(ctrc run --rm --runtime io.containerd.sevshim.v2 "${fifo_args[@]}" "${runtime_config[@]}" "$image" "$id" uname -r 2>&1)
rc=$?
set -e
echo "host kernel:  $(uname -r)"
echo "guest kernel: $guest"
if [ "$rc" -ne 0 ]; then
  # The pod's state folder (with the guest console) goes with the pod: show its tail first.
  console=/run/sevshim/$id/console.log
  if [ -f "$console" ]; then
    echo "--- guest console ($console, last 20 lines) ---" >&2
    tail -n 20 "$console" >&2 || true
  fi
  remove_demo
  logs="the shim's lines in containerd's log"
  [ -n "$started" ] && logs="$private/containerd.log"
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    die "the demo container did not finish within $ctr_timeout s (SEVSHIM_CTR_TIMEOUT); read $logs"
  fi
  die "the demo container did not run (ctr exited $rc): $guest; read $logs"
fi
if [ "$guest" = "$(uname -r)" ]; then
  die "the guest kernel equals the host's: the container did not run in a VM"
fi
echo "install.sh: the container ran in its own VM (guest kernel $guest)"
