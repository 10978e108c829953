#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine, as root: installs the packages, builds the shim
# and the guest image, installs them, then runs a busybox container in a VM through
# containerd and prints the proof (the guest kernel, the SEV status and its reason).
#
#   /usr/local/bin/containerd-shim-sevshim-v2
#   /usr/local/share/sevshim/{vmlinuz,initrd.img,manifest.json}
#   /etc/sevshim/config.toml          (an existing one is kept)
#
# containerd: the one answering on /run/containerd/containerd.sock, else a private instance
# started here (state under /run/sevshim-containerd, data under /var/lib/sevshim-containerd).
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root: sudo $0" >&2; exit 1; }

scripts/deps.sh
scripts/build.sh

echo "== install"
install -m 0755 artifacts/bin/containerd-shim-sevshim-v2 /usr/local/bin/containerd-shim-sevshim-v2
if [ -d artifacts/guest ]; then
  install -d -m 0755 /usr/local/share/sevshim
  install -m 0644 artifacts/guest/* /usr/local/share/sevshim/
fi
install -d -m 0755 /etc/sevshim
if [ -f /etc/sevshim/config.toml ]; then
  echo "keeping the existing /etc/sevshim/config.toml"
elif [ -f config/config.toml ]; then
  install -m 0644 config/config.toml /etc/sevshim/config.toml
fi

echo "== containerd"
address=/run/containerd/containerd.sock
if ! ctr --address "$address" version >/dev/null 2>&1; then
  private=/run/sevshim-containerd
  address=$private/containerd.sock
  if ! ctr --address "$address" version >/dev/null 2>&1; then
    mkdir -p "$private" /var/lib/sevshim-containerd
    cat > "$private/config.toml" <<TOML
version = 2
root = "/var/lib/sevshim-containerd"
state = "$private/state"
[grpc]
  address = "$address"
[ttrpc]
  address = "$address.ttrpc"
TOML
    echo "starting a private containerd on $address (log: $private/containerd.log)"
    setsid containerd --config "$private/config.toml" >"$private/containerd.log" 2>&1 < /dev/null &
    for _ in $(seq 1 50); do ctr --address "$address" version >/dev/null 2>&1 && break; sleep 0.2; done
  fi
fi
ctr --address "$address" version >/dev/null

echo "== image"
image=docker.io/sevshim/busybox:local
scripts/make-busybox-image.sh artifacts/busybox-oci.tar "$image" >/dev/null
ctr --address "$address" images import artifacts/busybox-oci.tar >/dev/null

echo "== SEV status on this host"
runtime_config=()
if ! containerd-shim-sevshim-v2 check; then
  # The installed configuration requires SEV, which this host cannot give: a pod would be refused
  # (never run unencrypted in its place). To show the rest working, this one demo pod says
  # explicitly that it accepts no encryption.
  demo=/etc/sevshim/demo-unencrypted.toml
  printf '# Written by scripts/install.sh for its demo pod on a host without SEV.\n[confidential]\nmode = "none"\n[rootfs]\nmode = "shared"\n' > "$demo"
  runtime_config=(--runtime-config-path "$demo")
  echo "install.sh: this host cannot run SEV pods (see above); the demo pod runs UNENCRYPTED with $demo"
fi

echo "== a container in a VM"
id=sevshim-demo-$$
set +e
guest=$(ctr --address "$address" run --rm --runtime io.containerd.sevshim.v2 "${runtime_config[@]}" "$image" "$id" uname -r 2>&1)
rc=$?
set -e
echo "host kernel:  $(uname -r)"
echo "guest kernel: $guest"
if [ "$rc" -ne 0 ]; then
  echo "install.sh: the container did not run (ctr exited $rc): $guest" >&2
  exit "$rc"
fi
if [ "$guest" = "$(uname -r)" ]; then
  echo "install.sh: the guest kernel equals the host's: the container did not run in a VM" >&2
  exit 1
fi
echo "install.sh: the container ran in its own VM (guest kernel $guest)"
