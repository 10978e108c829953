#!/usr/bin/env bash
# Installs the Debian 12 packages sevshim needs to build, test and run. Idempotent.
# Everything a fresh machine lacks is listed here: a package installed by hand and
# missing from this list breaks the next machine.
set -euo pipefail

packages=(
  # Native AOT toolchain for the shim and the agent
  clang zlib1g-dev
  # containerd 1.6 (the host side), runc for the conformance comparison, crun for the agent's
  # component tests (the guest's crun comes from trixie: guest-image/build.sh)
  containerd runc crun
  # the VMM and the firmware (OVMF for SEV guests)
  qemu-system-x86 qemu-utils ovmf
  # guest image assembly (its packages come from trixie through a private apt)
  busybox-static cpio kmod xz-utils zstd lz4 binutils e2fsprogs bsdutils debian-archive-keyring
  # test and benchmark helpers
  iproute2 procps psmisc util-linux ca-certificates
  # the CRI suite: CNI plugins in /usr/lib/cni (bridge, host-local, portmap, loopback) and the
  # iptables that portmap calls
  containernetworking-plugins iptables
)

if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/deps.sh: must run as root (apt-get install); run it as root (with sudo: sudo $0)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# The system's lists are needed only to install: guest-image/build.sh resolves its packages in
# its own private lists, never the system's.
export DEBIAN_FRONTEND=noninteractive
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq
  echo "scripts/deps.sh: installing ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# containerd 1.7 (trixie) and 2.1 (sid) for the test matrix, unpacked privately (issue 17); the
# host's containerd stays Debian 12's 1.6.
"$(dirname "$0")/containerd-matrix.sh"

# QEMU 10 from bookworm-backports, unpacked privately: Debian 12's QEMU 7.2 has no SEV-SNP, and
# the tests check that our SNP command line passes QEMU 10's parsers (issue 16, item 2).
"$(dirname "$0")/qemu-backports.sh"

# The Debian containerd package starts the system containerd; our tests never use it
# (they start private instances), so leave it as the distribution set it up.
echo "scripts/deps.sh: all packages present"
