#!/usr/bin/env bash
# Builds the sevshim guest image from Debian 13 (trixie) packages (ARCHITECTURE.md, decision 5):
#   vmlinuz        Debian's linux-image-<abi>-amd64 kernel (bzImage, zstd inside)
#   vmlinux        the same kernel uncompressed, for QEMU's PVH entry (non-confidential fast boot)
#   initrd.img     a reproducible newc cpio (gzip -n, lz4 -l or none): busybox, crun + its libraries, the agent,
#                  the kernel modules the VM needs, and /init (guest-image/init.sh)
#   manifest.json  suite, package names, versions and pockets, sha256 of every artefact, kernel command line
#
# Why trixie whatever the build host runs: containerd 1.7 and 2.x write OCI specs with an ociVersion
# (1.1.0, 1.2.x) that bookworm's crun 1.8.1 refuses ("unknown version specified"); crun 1.21 takes
# every version containerd 1.6 to 2.x writes. Its kernel 6.12 also has the SNP guest interfaces
# (sev-guest, configfs-tsm). The packages come through a private apt (guest-image/debian-apt.sh):
# the system's sources and packages are never touched.
#
# Network use: apt-get update of the private lists (when missing or older than --max-list-age) and
# apt-get download (the .deb files are cached, so a rebuild from the same package versions
# downloads nothing). Two builds from the same lists and the same agent binary give byte-identical
# files: fixed mtimes (SOURCE_DATE_EPOCH, default: the kernel package's own vmlinuz mtime), a sorted
# member list, `cpio --reproducible`, `gzip -n` (lz4's legacy format has no timestamp).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

out="$repo/artifacts/guest"
agent=""
cache="${SEVSHIM_GUEST_CACHE:-}"
kernel_pkg=""
# Pinned: the suite by codename (never "stable", which moves), the kernel series and crun's lowest
# version (what the OCI versions of containerd 1.6 to 2.x and the module list were checked with).
apt_suite=trixie
kernel_series=6.12
crun_min=1.21
apt_mirror="${SEVSHIM_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
apt_security_mirror="${SEVSHIM_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
apt_max_age_days="${SEVSHIM_GUEST_LIST_MAX_AGE:-7}"
apt_refresh=0
compression="${SEVSHIM_INITRD_COMPRESSION:-none}"

usage() {
  cat <<EOF
usage: guest-image/build.sh [--out DIR] [--agent PATH] [--cache DIR] [--kernel-package NAME]
                            [--compression gzip|lz4|none] [--refresh] [--max-list-age DAYS]
                            [--mirror URL] [--security-mirror URL]
  --out DIR              output folder (default: artifacts/guest)
  --agent PATH           the Native AOT sevagent binary (default: artifacts/agent/sevagent,
                         published with dotnet when absent)
  --cache DIR            where the private apt lists (DIR/apt/$apt_suite) and the downloaded .deb
                         files (DIR/debs) are kept (default: \$SEVSHIM_GUEST_CACHE, else
                         /var/cache/sevshim/guest when writable, else artifacts/guest-cache)
  --kernel-package NAME  a concrete linux-image-$kernel_series.*-amd64 package (default: what
                         $apt_suite's linux-image-amd64 depends on)
  --refresh              apt-get update the private lists now (they are also refreshed when
                         older than --max-list-age days, default $apt_max_age_days)
  --mirror URL           Debian mirror (default: $apt_mirror, or \$SEVSHIM_DEBIAN_MIRROR)
  --security-mirror URL  security mirror (default: $apt_security_mirror)
  --compression C        initrd compression (default: none: the kernel unpacks a plain cpio
                         fastest; under TCG lz4 cost 0.1 to 0.8 s of boot for 14 MiB saved)
Environment: SOURCE_DATE_EPOCH overrides the timestamp of every initrd member.
EOF
}

die() { echo "guest-image/build.sh: error: $*" >&2; exit 1; }
log() { echo "guest-image/build.sh: [${SECONDS}s] $*" >&2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) [[ $# -ge 2 ]] || die "--out needs a folder"; out="$2"; shift 2 ;;
    --agent) [[ $# -ge 2 ]] || die "--agent needs a file"; agent="$2"; shift 2 ;;
    --cache) [[ $# -ge 2 ]] || die "--cache needs a folder"; cache="$2"; shift 2 ;;
    --kernel-package) [[ $# -ge 2 ]] || die "--kernel-package needs a name"; kernel_pkg="$2"; shift 2 ;;
    --compression) [[ $# -ge 2 ]] || die "--compression needs gzip, lz4 or none"; compression="$2"; shift 2 ;;
    --refresh) apt_refresh=1; shift ;;
    --max-list-age) [[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || die "--max-list-age needs a number of days"; apt_max_age_days="$2"; shift 2 ;;
    --mirror) [[ $# -ge 2 ]] || die "--mirror needs a URL"; apt_mirror="$2"; shift 2 ;;
    --security-mirror) [[ $# -ge 2 ]] || die "--security-mirror needs a URL"; apt_security_mirror="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done

case "$compression" in
  gzip | lz4 | none) ;;
  *) die "--compression '$compression' is not one of gzip, lz4, none" ;;
esac

# Modules the guest loads at boot (the rest of their dependencies is resolved from modules.dep):
# virtio transport and console (agent channel), 9p (shared rootfs), scsi disks (block
# rootfs), ext4 and overlay (container root filesystems), msr (/dev/cpu/N/msr: the agent reads
# the SEV_STATUS MSR 0xc0010131 to tell the shim whether SEV is active; Debian builds it as a
# module), virtio_net (pod networking). Debian 6.12 builds virtio_pci and virtio_console in:
# `modprobe --show-depends` says "builtin" and nothing is copied for them, so the boot group may be
# empty. No virtio-rng: the kernel trusts RDRAND (random.trust_cpu, on by default since 6.2),
# which TCG's EPYC model has, so the CRNG is ready at once.
# Two groups (issue 6: the agent ready sooner): /init loads the first, the agent channel, before it
# execs the agent; the second loads at low priority while the agent starts, and each operation
# waits only for the modules it needs (src/SevAgent/Guest/ModuleLoadGate.cs). The order matters:
# msr first (the shim's first call after the handshake reads the SEV status), then 9p (a rootfs on
# the share), then virtio_net, then the block modules, which a pod on the share never waits for.
boot_modules=(virtio_pci virtio_console)
later_modules=(msr 9pnet_virtio 9p overlay virtio_net virtio_scsi sd_mod ext4)

# The kernel command line the shim uses (see guest-image/README.md for the measurements behind it).
cmdline="console=ttyS0 quiet panic=-1 i8042.noaux i8042.nokbd i8042.nomux i8042.nopnp 8250.nr_uarts=1"

# Build tools this script needs, with the Debian package that has each.
ensure_tools() {
  local -A need=([apt-get]=apt [dpkg-deb]=dpkg [cpio]=cpio [gzip]=gzip [xz]=xz-utils [zstd]=zstd
    [depmod]=kmod [modprobe]=kmod [sha256sum]=coreutils [readelf]=binutils [flock]=util-linux
    [tar]=tar [od]=coreutils)
  if [[ "$compression" == lz4 ]]; then need[lz4]=lz4; fi
  local missing=() tool
  for tool in "${!need[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$tool" >/dev/null 2>&1 \
      || missing+=("${need[$tool]}")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    [[ $EUID -eq 0 ]] || die "missing build tools; install them: apt-get install ${missing[*]}"
    log "installing build tools: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 \
      || die "apt-get install ${missing[*]} failed"
  fi
  export PATH="$PATH:/usr/sbin:/sbin"
}

# shellcheck source=guest-image/debian-apt.sh
source "$here/debian-apt.sh"

if [[ -n "$agent" && ! -f "$agent" ]]; then die "agent binary '$agent' not found (--agent)"; fi
ensure_tools
work="$(mktemp -d "${TMPDIR:-/tmp}/sevshim-guest.XXXXXX")"
trap 'rm -rf "$work"' EXIT
if [[ -z "$cache" ]]; then
  cache=/var/cache/sevshim/guest
  if ! mkdir -p "$cache" 2>/dev/null || [[ ! -w "$cache" ]]; then cache="$repo/artifacts/guest-cache"; fi
fi
mkdir -p "$cache/debs" "$out"
cache="$(cd "$cache" && pwd)"
out="$(cd "$out" && pwd)"

# --- 1. packages -----------------------------------------------------------------------------
# One build at a time per cache: apt-get update and download into the same folders would race
# (several worktrees share /var/cache/sevshim). Released when this script exits.
exec {cache_lock}>"$cache/.lock"
flock "$cache_lock"
apt_records_dir="$work/apt"
apt_cache="$cache"
apt_private_init

if [[ -z "$kernel_pkg" ]]; then
  pkg_version linux-image-amd64 >/dev/null
  kernel_pkg="$(pkg_depends linux-image-amd64 | grep -m1 '^linux-image-.*-amd64$' || true)"
  [[ -n "$kernel_pkg" ]] || die "$apt_suite's linux-image-amd64 does not depend on a linux-image-<abi>-amd64 package"
fi
[[ "$kernel_pkg" =~ ^linux-image-${kernel_series//./\\.}\.[^-]*-.*amd64$ ]] \
  || die "kernel package '$kernel_pkg' is not a linux-image-$kernel_series.*-amd64 package: the module list and the SNP guest interfaces were checked with $kernel_series (kernel_series in guest-image/build.sh)"
crun_ver="$(pkg_version crun)"
dpkg --compare-versions "$crun_ver" ge "$crun_min" \
  || die "$apt_suite has crun $crun_ver, older than $crun_min: it would refuse the OCI versions containerd 1.7 and 2.x write (crun_min in guest-image/build.sh)"

# crun's shared-library packages: the closure of Depends from crun. Packages that contribute no
# needed file (gcc-14-base, ...) are downloaded but neither copied nor listed in the manifest.
declare -A seen=()
level=(crun libc6)
lib_pkgs=()
while [[ ${#level[@]} -gt 0 ]]; do
  apt_records "${level[@]}"
  next=()
  for p in "${level[@]}"; do
    [[ -n "${seen[$p]:-}" ]] && continue
    seen[$p]=1
    lib_pkgs+=("$p")
    while read -r d; do
      [[ -n "$d" && -z "${seen[$d]:-}" ]] && next+=("$d")
    done < <(pkg_depends "$p")
  done
  level=("${next[@]}")
done
mapfile -t all_pkgs < <(printf '%s\n' "$kernel_pkg" busybox-static "${lib_pkgs[@]}" | sort -u)
apt_records "${all_pkgs[@]}"

declare -A pkg_ver=() pkg_deb=() pkg_suite=()
for p in "${all_pkgs[@]}"; do
  pkg_deb[$p]="$(fetch_deb "$cache/debs" "$p")"
  pkg_ver[$p]="$(dpkg-deb -f "${pkg_deb[$p]}" Version)"
  mkdir -p "$work/pkg/$p"
  dpkg-deb -x "${pkg_deb[$p]}" "$work/pkg/$p"
done
while read -r p s; do pkg_suite[$p]="$s"; done < <(pkg_suites "${all_pkgs[@]}")
exec {cache_lock}>&-

kdir="$work/pkg/$kernel_pkg"
# trixie's packages are merged-/usr: the modules are in /usr/lib/modules (bookworm: /lib/modules).
kmoddir="$kdir/usr/lib/modules"
[[ -d "$kmoddir" ]] || kmoddir="$kdir/lib/modules"
kver="$(basename "$(find "$kmoddir" -mindepth 1 -maxdepth 1 -type d | head -n1)")"
[[ -n "$kver" && -f "$kdir/boot/vmlinuz-$kver" ]] || die "$kernel_pkg has no /boot/vmlinuz-<version>"
kconfig="$kdir/boot/config-$kver"
grep -q '^CONFIG_PVH=y' "$kconfig" || log "warning: $kernel_pkg has no CONFIG_PVH: the vmlinux will not boot through QEMU's PVH entry"
case "$compression" in
  gzip) grep -q '^CONFIG_RD_GZIP=y' "$kconfig" || die "$kernel_pkg cannot unpack a gzip initrd (CONFIG_RD_GZIP): use --compression none" ;;
  lz4) grep -q '^CONFIG_RD_LZ4=y' "$kconfig" || die "$kernel_pkg cannot unpack an lz4 initrd (CONFIG_RD_LZ4): use --compression none" ;;
esac

export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(stat -c %Y "$kdir/boot/vmlinuz-$kver")}"

log "packages extracted"
# --- 2. agent ---------------------------------------------------------------------------------
if [[ -z "$agent" ]]; then
  agent="$repo/artifacts/agent/sevagent"
  if [[ ! -f "$agent" ]]; then
    command -v dotnet >/dev/null || die "$agent is missing and dotnet is not installed: build the agent or pass --agent"
    log "publishing the agent (Native AOT) to artifacts/agent"
    dotnet publish "$repo/src/SevAgent/SevAgent.csproj" -r linux-x64 -c Release -o "$repo/artifacts/agent" >&2 \
      || die "dotnet publish of src/SevAgent failed"
  fi
fi
[[ -f "$agent" ]] || die "agent binary '$agent' not found"

log "agent ready"
# --- 3. root tree -----------------------------------------------------------------------------
root="$work/root"
sysroot="$work/sysroot"   # every package merged: where ld.so resolves libraries at build time
# Both trees are merged-/usr like trixie itself (bin, sbin, lib, lib64 link into /usr): the
# packages' files keep their paths, and the ELF interpreter /lib64/ld-linux-x86-64.so.2 resolves
# through lib64 -> usr/lib64. tar keeps those links when a package ships a folder of that name.
for tree in "$sysroot" "$root"; do
  mkdir -p "$tree"/usr/{bin,sbin,lib,lib64}
  for d in bin sbin lib lib64; do ln -s "usr/$d" "$tree/$d"; done
done
for p in busybox-static "${lib_pkgs[@]}"; do
  tar -C "$work/pkg/$p" -cf - . | tar -C "$sysroot" -xf - --keep-directory-symlink
done

mkdir -p "$root"/{etc,proc,sys,dev,run,tmp,mnt,newroot,usr/lib/modules}
chmod 1777 "$root/tmp"
install -m 0755 "$sysroot/bin/busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list | sort); do
  [[ "$applet" == busybox || -e "$root/bin/$applet" ]] || ln -s busybox "$root/bin/$applet"
done
install -m 0755 "$sysroot/usr/bin/crun" "$root/usr/bin/crun"
install -m 0755 "$agent" "$root/sbin/sevagent"
install -m 0755 "$here/init.sh" "$root/init"
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf 'sevshim\n' >"$root/etc/hostname"
mknod -m 0600 "$root/dev/console" c 5 1   # the kernel opens it before /init runs
mknod -m 0666 "$root/dev/null" c 1 3

# Copies a file of the sysroot (and, for a symlink, what it points to) to the same path in root.
# The folder part is resolved first (lib64/x -> usr/lib64/x), so each file is copied once, under
# its /usr path, and the top-level links of root lead to it.
declare -A used_files=()
copy_from_sysroot() {
  local rel="$1" target dir
  dir="$(realpath -m "$sysroot/$(dirname "$rel")")"
  [[ "$dir" == "$sysroot" || "$dir" == "$sysroot"/* ]] || die "$rel is outside the package tree"
  rel="${dir#"$sysroot"}/$(basename "$rel")"
  rel="${rel#/}"
  [[ -n "${used_files[$rel]:-}" ]] && return 0
  used_files[$rel]=1
  mkdir -p "$root/$(dirname "$rel")"
  if [[ -L "$sysroot/$rel" ]]; then
    cp -a "$sysroot/$rel" "$root/$rel"
    # Follow one link at a time inside the package tree (an absolute target is relative to it).
    target="$(readlink "$sysroot/$rel")"
    if [[ "$target" == /* ]]; then target="$sysroot$target"; else target="$sysroot/$(dirname "$rel")/$target"; fi
    target="$(realpath -ms "$target")"
    [[ "$target" == "$sysroot"/* ]] || die "$rel points outside the package tree"
    copy_from_sysroot "${target#"$sysroot"/}"
  else
    cp -a "$sysroot/$rel" "$root/$rel"
  fi
}

# Shared libraries of crun and the agent, resolved by the packages' own dynamic loader against
# the package tree only (never the build host's libraries).
loader_rel="lib64/ld-linux-x86-64.so.2"
[[ -e "$sysroot/$loader_rel" ]] || die "libc6 has no /$loader_rel"
copy_from_sysroot "$loader_rel"
libpath="$sysroot/lib/x86_64-linux-gnu:$sysroot/usr/lib/x86_64-linux-gnu"
for bin in "$root/usr/bin/crun" "$root/sbin/sevagent"; do
  if ! head -c 4 "$bin" | grep -q $'^\x7fELF'; then continue; fi      # a script (test init)
  readelf -l "$bin" | grep -q 'Requesting program interpreter' || continue   # static
  listing="$("$sysroot/$loader_rel" --library-path "$libpath" --list "$bin" 2>&1)" \
    || die "cannot resolve the libraries of $(basename "$bin"): $listing"
  if grep -q 'not found' <<<"$listing"; then
    die "$(basename "$bin") needs a library no downloaded package has: $(grep 'not found' <<<"$listing" | tr -s ' \t' ' ')
  add its Debian package to the queue in guest-image/build.sh"
  fi
  while read -r lib; do
    copy_from_sysroot "${lib#"$sysroot"/}"
  done < <(sed -n "s|.* => \\($sysroot/[^ ]*\\) .*|\\1|p" <<<"$listing")
done

log "libraries resolved"
# Kernel modules: the closure of the wanted modules (and their softdeps) by the package's
# modules.dep, copied with a modules.dep for just that subset; /etc/modules-boot and
# /etc/modules-later name each group in load order (softdeps included) for /init's `modprobe -a`,
# /etc/modules-load all of them. Debian 6.12 ships every module xz-compressed (.ko.xz): they are
# stored decompressed, so busybox modprobe needs no decompressor and the guest spends no time on
# it under TCG (the initrd is uncompressed by default anyway). The host's kmod (bookworm's reads
# only <base>/lib/modules) resolves them through a link; the host's /etc/modprobe.d is not read.
kroot="$work/kroot"
mkdir -p "$kroot/lib" "$work/modprobe.d"
ln -s "$kmoddir" "$kroot/lib/modules"
depmod -b "$kroot" "$kver"
mkdir -p "$root/lib/modules/$kver"
: >"$root/etc/modules-load"
declare -A loaded=()
# add_group FILE MODULE...: appends the closure of the modules, minus what an earlier group has,
# to FILE (under /etc) and to /etc/modules-load (all modules, load order), copying the .ko files.
# A module built into the kernel ("builtin" in --show-depends) adds nothing.
add_group() {
  local list=$1 m ko rel
  shift
  : >"$work/load-order"
  for m in "$@"; do
    modprobe -C "$work/modprobe.d" -d "$kroot" -S "$kver" --show-depends "$m" >"$work/deps" 2>&1 \
      || die "kernel module '$m' not found in $kernel_pkg: $(cat "$work/deps")"
    sed -n 's|^insmod \([^ ]*\).*|\1|p' "$work/deps" >>"$work/load-order"
  done
  : >"$root/etc/$list"
  while read -r ko; do
    [[ -n "${loaded[$ko]:-}" ]] && continue
    loaded[$ko]=1
    rel="${ko#"$kroot"/}"
    mkdir -p "$root/$(dirname "$rel")"
    case "$ko" in
      *.ko.xz) rel="${rel%.xz}"; xz -dc "$ko" >"$root/$rel" ;;
      *.ko.zst) rel="${rel%.zst}"; zstd -q -dc "$ko" >"$root/$rel" ;;
      *.ko) cp "$ko" "$root/$rel" ;;
      *) die "kernel module file '$ko' is neither .ko, .ko.xz nor .ko.zst" ;;
    esac
    m="$(basename "$rel" .ko)"
    echo "${m//-/_}" >>"$root/etc/$list"
    echo "${m//-/_}" >>"$root/etc/modules-load"
  done <"$work/load-order"
}
add_group modules-boot "${boot_modules[@]}"
add_group modules-later "${later_modules[@]}"
# On demand: copied but loaded by the agent only when an operation needs them, and not listed in
# /etc/modules-load (sev-guest refuses to load outside an SEV-SNP guest, having no device there):
# sev-guest with tsm and configfs for SNP attestation reports (src/SevAgent/Guest/SnpReportReader.cs).
demand_modules=(sev-guest)
cp "$root/etc/modules-load" "$work/modules-load.boot"
add_group modules-demand "${demand_modules[@]}"
mv "$work/modules-load.boot" "$root/etc/modules-load"
cp -a "$kmoddir/$kver/modules.builtin" "$kmoddir/$kver/modules.builtin.modinfo" \
  "$kmoddir/$kver/modules.order" \
  "$root/lib/modules/$kver/"
depmod -b "$root" "$kver"
# Keep the text indexes busybox modprobe reads; the binary ones are rebuilt by kmod if ever needed.
rm -f "$root/lib/modules/$kver/"*.bin "$root/lib/modules/$kver/modules.builtin.alias" \
  "$root/lib/modules/$kver/modules.devname" "$root/lib/modules/$kver/modules.symbols"

log "modules resolved"
# Which packages contributed files (for the manifest).
declare -A used_pkgs=([$kernel_pkg]=1 [busybox-static]=1 [crun]=1)
for rel in "${!used_files[@]}"; do
  for p in "${lib_pkgs[@]}"; do
    if [[ -e "$work/pkg/$p/$rel" || -L "$work/pkg/$p/$rel" ]]; then used_pkgs[$p]=1; fi
  done
done

# --- 4. initrd --------------------------------------------------------------------------------
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort \
  | cpio --quiet -o -H newc --reproducible -R 0:0) >"$work/initrd.cpio"
case "$compression" in
  gzip) gzip -9 -n -c "$work/initrd.cpio" >"$work/initrd.img" ;;
  lz4) lz4 -l -9 -q -c "$work/initrd.cpio" >"$work/initrd.img" ;;   # the kernel reads lz4's legacy format
  none) cp "$work/initrd.cpio" "$work/initrd.img" ;;
esac

log "initrd written"
# --- 5. kernel --------------------------------------------------------------------------------
cp "$kdir/boot/vmlinuz-$kver" "$work/vmlinuz"
# vmlinux: the bzImage's compressed payload, located by its boot protocol header (2.08 and later:
# setup_sects at 0x1f1, payload_offset and payload_length at 0x248 and 0x24c, from the start of
# the protected-mode code after the (setup_sects + 1) 512-byte sectors). The kernel's build appends
# the uncompressed size as 4 little-endian bytes: the output must have that size and be an ELF
# file. Debian compresses 6.12 with zstd (6.1: xz).
u8() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
extract_vmlinux() {
  local img="$1" dst="$2" sects off len start want magic
  [[ "$(od -An -c -j $((0x202)) -N4 "$img" | tr -d ' ')" == HdrS ]] || { log "warning: vmlinuz has no boot protocol header"; return 1; }
  sects="$(u8 "$img" $((0x1f1)))"; [[ "$sects" -eq 0 ]] && sects=4
  off="$(u32 "$img" $((0x248)))"
  len="$(u32 "$img" $((0x24c)))"
  start=$(((sects + 1) * 512 + off))
  [[ "$len" -gt 4 ]] || { log "warning: vmlinuz has no payload_length (boot protocol older than 2.08)"; return 1; }
  tail -c +"$((start + 1))" "$img" | head -c "$((len - 4))" >"$work/payload"
  want="$(tail -c +"$((start + len - 3))" "$img" | head -c 4 | od -An -tu4 | tr -d ' ')"
  magic="$(od -An -tx1 -N6 "$work/payload" | tr -d ' ')"
  case "$magic" in
    fd377a585a00) xz -dc --single-stream "$work/payload" >"$dst" ;;
    28b52ffd*) zstd -q -dc "$work/payload" >"$dst" ;;
    1f8b*) gzip -dc "$work/payload" >"$dst" ;;
    *) log "warning: vmlinuz payload has an unknown compression (magic $magic)"; return 1 ;;
  esac || { log "warning: decompressing the vmlinuz payload failed"; return 1; }
  [[ "$(stat -c %s "$dst")" -eq "$want" ]] || { log "warning: vmlinux is $(stat -c %s "$dst") bytes, the header says $want"; return 1; }
  head -c 4 "$dst" | grep -q $'^\x7fELF' || { log "warning: the vmlinuz payload is not an ELF file"; return 1; }
}
if ! extract_vmlinux "$work/vmlinuz" "$work/vmlinux"; then
  log "warning: vmlinux not written (non-confidential pods boot the bzImage, slower)"
  rm -f "$work/vmlinux"
fi

# --- 6. manifest and output -------------------------------------------------------------------
json_str() { local s="${1//\\/\\\\}"; s="${s//\"/\\\"}"; printf '"%s"' "$s"; }
artefacts=(vmlinuz initrd.img)
[[ -f "$work/vmlinux" ]] && artefacts+=(vmlinux)
{
  echo "{"
  echo "  \"schema\": 1,"
  echo "  \"suite\": $(json_str "$apt_suite"),"
  echo "  \"apt_sources\": [$(apt_suites | while read -r x; do printf '%s, ' "$(json_str "$x")"; done | sed 's/, $//')],"
  echo "  \"kernel_version\": $(json_str "$kver"),"
  echo "  \"kernel_cmdline\": $(json_str "$cmdline"),"
  echo "  \"source_date_epoch\": $SOURCE_DATE_EPOCH,"
  echo "  \"initrd_compression\": \"$compression\","
  echo "  \"modules\": ["
  while read -r m; do echo "    $(json_str "$m"),"; done <"$root/etc/modules-load" \
    | sed '$ s/,$//'
  echo "  ],"
  echo "  \"packages\": ["
  for p in $(printf '%s\n' "${!used_pkgs[@]}" | LC_ALL=C sort); do
    echo "    { \"name\": $(json_str "$p"), \"version\": $(json_str "${pkg_ver[$p]}"), \"suite\": $(json_str "${pkg_suite[$p]:-$apt_suite}") },"
  done | sed '$ s/,$//'
  echo "  ],"
  echo "  \"agent_sha256\": \"$(sha256sum "$root/sbin/sevagent" | cut -d' ' -f1)\","
  echo "  \"artefacts\": {"
  for a in $(printf '%s\n' "${artefacts[@]}" | LC_ALL=C sort); do
    echo "    $(json_str "$a"): { \"sha256\": \"$(sha256sum "$work/$a" | cut -d' ' -f1)\", \"size\": $(stat -c %s "$work/$a") },"
  done | sed '$ s/,$//'
  echo "  }"
  echo "}"
} >"$work/manifest.json"

rm -f "$out/vmlinux"
for a in "${artefacts[@]}" manifest.json; do
  install -m 0644 "$work/$a" "$out/$a.tmp"
  mv -f "$out/$a.tmp" "$out/$a"
done
initrd_size="$(stat -c %s "$out/initrd.img")"
[[ "$initrd_size" -le $((32 * 1024 * 1024)) ]] || die "initrd.img is $initrd_size bytes, over the 32 MiB budget"
log "wrote ${artefacts[*]} manifest.json to $out (initrd.img $initrd_size bytes, $compression; kernel $kver)"
