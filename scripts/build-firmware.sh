#!/usr/bin/env bash
# Builds the firmware sevshim's default configuration boots (vm.firmware): OVMF's AmdSev variant,
# edk2's OvmfPkg/AmdSev/AmdSevX64.dsc (X64, RELEASE, GCC5), a single stateless OVMF.fd with the SEV
# hashes table (measured -kernel/-initrd/-append) and the SNP metadata. Debian 12 and 13 ship no
# build of it (their ovmf package builds OvmfPkgX64.dsc and OvmfPkgIa32X64.dsc only), so this
# script builds it from Debian's own edk2 source package, pinned below, with Debian's toolchain.
#
#   scripts/build-firmware.sh [--out FILE] [--force] [--cache DIR] [--mirror URL] [--keep-tree]
#
# Stages (a progress line each, with the seconds since the start):
#   deps       apt-get install of the build dependencies (nasm, iasl, uuid-dev, gcc, python3,
#              grub-mkimage and its x86_64-efi modules, mtools, dosfstools, dpkg-source)
#   fetch      `apt-get source --download-only edk2=<version>` through a private apt (its own
#              sources.list with one deb-src line, lists and cache under <cache>/apt; the system's
#              apt sources are never read or changed), checked against the pinned sha256 sums, then
#              `dpkg-source -x`, which applies Debian's quilt series (debian/patches/series)
#   BaseTools  make -C BaseTools
#   build      build -a X64 -t GCC5 -b RELEASE -p OvmfPkg/AmdSev/AmdSevX64.dsc
#   install    FILE (default /usr/local/share/sevshim/OVMF.amdsev.fd) and FILE.manifest
# 3 to 4 minutes on 2 cores (Debian 12); the source is 17 MB.
#
# The source package is complete: openssl, brotli and the other submodules are in its orig tarball,
# so the build needs nothing beyond the Debian mirror. The downloaded source is kept in <cache>/src:
# when bookworm's edk2 moves on and the mirror drops this version, the script still builds it.
#
# Local changes on top of Debian's patches (each small, each checked to still apply; patch_tree):
#   - OvmfPkg/AmdSev/Grub/grub.sh: the grub module list loses `sevsecret`, which bookworm's grub
#     2.06 does not have (grub-mkimage: "cannot open .../sevsecret.mod"). It serves only AmdSev's
#     own boot path (the embedded grub opening a LUKS disk with a secret injected at launch);
#     sevshim boots -kernel with kernel-hashes=on, which the firmware runs before grub.
#   - grub.sh again: `mkfs.msdos --invariant` and `mcopy -m` (of a grub.cfg dated
#     SOURCE_DATE_EPOCH), so the FAT memdisk inside grub.efi has no random volume id or build date.
#   - BaseTools GenFw: the PE/COFF TimeDateStamp of every module is SOURCE_DATE_EPOCH when that is
#     set, instead of time(NULL).
# With these, two builds give the same bytes (SOURCE_DATE_EPOCH is the changelog's date). Both run
# in one fixed folder, /var/tmp/sevshim-edk2-build (SEVSHIM_FIRMWARE_BUILD_DIR), since paths of the
# build tree end up in the modules. The result's sha256 is compared with the one recorded below
# (Debian 12's gcc 12.2, nasm 2.16, iasl, grub 2.06 on the day it was recorded); another toolchain
# gives other bytes and a warning, not an error.
#
# Limitation of this edk2 (2022.11): its SNP metadata has no SNP_KERNEL_HASHES section (type 0x10,
# in edk2 2025.02 for instance), so an SEV-SNP guest cannot have -kernel/-initrd/-append measured
# with it; sev and sev-es (the default confidential.mode is sev) can.
#
# Cache: when FILE exists, its manifest names the pinned version and its sha256 matches, nothing is
# done (--force rebuilds). Idempotent; safe to run again after a failure; the build tree is removed
# at the end (--keep-tree keeps it). As root, without sudo.
#
# Environment: SEVSHIM_FIRMWARE (--out), SEVSHIM_FIRMWARE_CACHE (--cache, default
# /var/cache/sevshim/firmware), SEVSHIM_DEBIAN_MIRROR (--mirror), SEVSHIM_FIRMWARE_BUILD_DIR.
set -euo pipefail

# The pin: Debian 12 (bookworm)'s edk2, the very source of the ovmf package Debian 12 installs
# (edk2-stable202211 with Debian's CVE fixes, 2024-11-05), built with Debian 12's own toolchain,
# which is what it was released with. The sums are those of bookworm's signed Sources index.
edk2_version=2022.11-6+deb12u2
edk2_suite=bookworm
edk2_files=(
  "3129d783c9017f738af4453c9f94a2fdfba2ee91cf409c0c3623b31377e76cc6  edk2_2022.11-6+deb12u2.dsc"
  "64257dd8a2778c969b8a869cd3b6eda2db2a346bfcf24dc729859745968f1fd6  edk2_2022.11.orig.tar.xz"
  "a1d848115ae9b140e64d3ab34f7c08210b665bee473e3242a6801c163678780e  edk2_2022.11-6+deb12u2.debian.tar.xz"
)
# sha256 of the OVMF.fd this script built twice from scratch on Debian 12 (README, "Firmware").
expected_sha256=cd24e5ca0adc70ec42defaf6f31290e39d3a139db55f4a7e7ccc13f336b7b871
platform=OvmfPkg/AmdSev/AmdSevX64.dsc
build_output=Build/AmdSev/RELEASE_GCC5/FV/OVMF.fd

out="${SEVSHIM_FIRMWARE:-/usr/local/share/sevshim/OVMF.amdsev.fd}"
cache="${SEVSHIM_FIRMWARE_CACHE:-/var/cache/sevshim/firmware}"
mirror="${SEVSHIM_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
tree="${SEVSHIM_FIRMWARE_BUILD_DIR:-/var/tmp/sevshim-edk2-build}"
force=0
keep_tree=0

usage() {
  cat <<EOF
usage: scripts/build-firmware.sh [--out FILE] [--force] [--cache DIR] [--mirror URL] [--keep-tree]
  --out FILE     where the firmware is installed (default: \$SEVSHIM_FIRMWARE, else
                 /usr/local/share/sevshim/OVMF.amdsev.fd, sevshim's default vm.firmware);
                 its manifest goes to FILE.manifest
  --force        build even when FILE's manifest says it is this version already
  --cache DIR    private apt lists, the downloaded source and the logs (default:
                 \$SEVSHIM_FIRMWARE_CACHE, else /var/cache/sevshim/firmware)
  --mirror URL   Debian mirror (default: $mirror, or \$SEVSHIM_DEBIAN_MIRROR)
  --keep-tree    leave the build tree ($tree) in place
Builds edk2 $edk2_version (Debian $edk2_suite) $platform, X64 RELEASE GCC5.
EOF
}

die() { echo "scripts/build-firmware.sh: error: $*" >&2; exit 1; }
log() { echo "scripts/build-firmware.sh: $*" >&2; }
start=$SECONDS
stage() { printf '== firmware: %s (%d s)\n' "$1" "$((SECONDS - start))" >&2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) [[ $# -ge 2 ]] || die "--out needs a file name"; out="$2"; shift 2 ;;
    --force) force=1; shift ;;
    --cache) [[ $# -ge 2 ]] || die "--cache needs a folder"; cache="$2"; shift 2 ;;
    --mirror) [[ $# -ge 2 ]] || die "--mirror needs a URL"; mirror="$2"; shift 2 ;;
    --keep-tree) keep_tree=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done
[[ -n "$out" ]] || die "--out (SEVSHIM_FIRMWARE) is empty"
[[ "$out" == /* ]] || out="$PWD/$out"
[[ "$tree" == /* && "$tree" != / ]] || die "SEVSHIM_FIRMWARE_BUILD_DIR must be an absolute path other than /, got '$tree'"

[[ $EUID -eq 0 ]] || die "must run as root (apt-get install, the private apt's folders, $out; with sudo: sudo $0)"
for tool in apt-get dpkg-query flock sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found: this script needs Debian's apt and dpkg (and util-linux for flock)"
done

manifest="$out.manifest"
# The fast path: the installed firmware is this version and still the bytes its manifest records.
if [[ "$force" == 0 && -f "$out" && -f "$manifest" ]] && grep -qx "edk2_version=$edk2_version" "$manifest"; then
  recorded="$(sed -n 's/^sha256=//p' "$manifest")"
  if [[ -n "$recorded" && "$(sha256sum "$out" | cut -d' ' -f1)" == "$recorded" ]]; then
    log "$out is edk2 $edk2_version (sha256 $recorded), as pinned: nothing to do (--force rebuilds)"
    exit 0
  fi
  log "$out does not match its manifest $manifest: rebuilding"
fi

mkdir -p "$cache/src" || die "cannot create the cache folder $cache (--cache)"
cache="$(cd "$cache" && pwd)"
# One build at a time: the tree is one fixed folder, and several worktrees share the cache.
exec {lock}>"$cache/.lock"
flock "$lock"
cleanup() {
  if [[ "$keep_tree" == 1 ]]; then log "build tree kept in $tree"; else rm -rf "$tree"; fi
}
trap cleanup EXIT

# --- deps ---------------------------------------------------------------------------------------
stage deps
packages=(build-essential uuid-dev nasm acpica-tools python3 python3-distutils dpkg-dev
  grub-efi-amd64-bin grub-common mtools dosfstools debian-archive-keyring)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed: the build dependencies come from the system's Debian sources"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
fi
for tool in gcc make nasm iasl python3 grub-mkimage mkfs.msdos mcopy dpkg-source dpkg-parsechangelog; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found after installing ${packages[*]}"
done
[[ -f /usr/lib/grub/x86_64-efi/moddep.lst ]] || die "grub's x86_64-efi modules are missing: apt-get install grub-efi-amd64-bin"

# --- fetch --------------------------------------------------------------------------------------
stage "fetch (edk2 $edk2_version, Debian $edk2_suite)"
src="$cache/src"
sums() { printf '%s\n' "${edk2_files[@]}"; }
if (cd "$src" && sums | sha256sum --quiet -c - >/dev/null 2>&1); then
  log "edk2 $edk2_version source already in $src"
else
  apt_dir="$cache/apt/$edk2_suite"
  mkdir -p "$apt_dir"/{lists/partial,cache/archives/partial}
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  printf 'deb-src [signed-by=%s] %s %s main\n' "$keyring" "$mirror" "$edk2_suite" >"$apt_dir/sources.list"
  apt_opts=(
    -o "Dir::Etc::sourcelist=$apt_dir/sources.list"
    -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::Cache=$apt_dir/cache"
    -o Acquire::Languages=none
    -o APT::Sandbox::User=root
  )
  log "apt-get update of the private $edk2_suite source lists in $apt_dir"
  apt-get "${apt_opts[@]}" -q update >&2 \
    || die "apt-get update of the private $edk2_suite deb-src lists failed (sources: $apt_dir/sources.list): check the network to $mirror, or pass --mirror"
  rm -f "$src"/edk2_*
  (cd "$src" && apt-get "${apt_opts[@]}" -q source --download-only "edk2=$edk2_version" >&2) \
    || die "apt-get source edk2=$edk2_version failed: does Debian $edk2_suite still list this version? (if not, pin the new one in $0)"
  (cd "$src" && sums | sha256sum --quiet -c -) \
    || die "the downloaded edk2 source in $src does not match the pinned sha256 sums"
fi
rm -rf "$tree"
mkdir -p "$(dirname "$tree")"
# -x applies debian/patches (format 3.0 (quilt)). --no-check: the sums above, from the signed
# Sources index, stand for the .dsc's signature (this upload's .dsc is not signed).
dpkg-source --no-check -x "$src/edk2_$edk2_version.dsc" "$tree" >"$cache/dpkg-source.log" 2>&1 \
  || { tail -n 20 "$cache/dpkg-source.log" >&2; die "dpkg-source -x of edk2 $edk2_version failed (log: $cache/dpkg-source.log)"; }
log "unpacked into $tree with Debian's $(grep -cv '^#' "$tree/debian/patches/series") patches applied"

# --- local changes (see the header) -------------------------------------------------------------
cd "$tree"
SOURCE_DATE_EPOCH="$(dpkg-parsechangelog -l debian/changelog -STimestamp)"
export SOURCE_DATE_EPOCH
local_changes=()
patch_tree() {
  local grub=OvmfPkg/AmdSev/Grub/grub.sh f
  grep -qx ' *sevsecret' "$grub" || die "$grub no longer lists sevsecret: review the local changes in $0"
  if [[ ! -f /usr/lib/grub/x86_64-efi/sevsecret.mod ]]; then
    sed -i '/^ *sevsecret$/d' "$grub"
    local_changes+=("grub.sh: no sevsecret module (not in grub $(dpkg-query -W -f='${Version}' grub-efi-amd64-bin))")
  fi
  grep -q '^mkfs.msdos -C -- ' "$grub" && grep -q '^mcopy -i ' "$grub" \
    || die "$grub no longer runs 'mkfs.msdos -C' and 'mcopy -i': review the local changes in $0"
  sed -i -e 's/^mkfs.msdos -C -- /mkfs.msdos --invariant -C -- /' -e 's/^mcopy -i /mcopy -m -i /' "$grub"
  touch -d "@$SOURCE_DATE_EPOCH" OvmfPkg/AmdSev/Grub/grub.cfg
  local_changes+=("grub.sh: FAT memdisk with --invariant and mcopy -m")
  for f in BaseTools/Source/C/GenFw/Elf32Convert.c BaseTools/Source/C/GenFw/Elf64Convert.c; do
    grep -q 'TimeDateStamp = (UINT32) time(NULL);' "$f" || die "$f sets no TimeDateStamp from time(NULL): review the local changes in $0"
    sed -i 's/TimeDateStamp = (UINT32) time(NULL);/TimeDateStamp = (UINT32) (getenv ("SOURCE_DATE_EPOCH") != NULL ? strtoul (getenv ("SOURCE_DATE_EPOCH"), NULL, 10) : time (NULL));/' "$f"
  done
  local_changes+=("GenFw: PE TimeDateStamp from SOURCE_DATE_EPOCH")
}
patch_tree

# edk2's environment: edksetup.sh reads unset variables, so nounset is off inside, and it parses
# the positional parameters, so it is sourced with none.
edk2() {
  (
    local cmd=("$@")
    set +u --
    unset WORKSPACE EDK_TOOLS_PATH CONF_PATH ECP_SOURCE EDK_SOURCE EFI_SOURCE
    export PYTHON3_ENABLE=TRUE
    # shellcheck disable=SC1091
    . ./edksetup.sh >/dev/null
    set -u
    "${cmd[@]}"
  )
}
jobs="$(nproc)"

# --- BaseTools ----------------------------------------------------------------------------------
stage BaseTools
edk2 nice -n 10 make -C BaseTools -j"$jobs" >"$cache/basetools.log" 2>&1 \
  || { tail -n 30 "$cache/basetools.log" >&2; die "make -C BaseTools failed (log: $cache/basetools.log)"; }

# --- build --------------------------------------------------------------------------------------
stage "build ($platform, X64 RELEASE GCC5, $jobs jobs; log $cache/build.log)"
edk2 nice -n 10 build -a X64 -t GCC5 -b RELEASE -p "$platform" -n "$jobs" >"$cache/build.log" 2>&1 \
  || { tail -n 40 "$cache/build.log" >&2; die "the edk2 build failed (log: $cache/build.log)"; }
[[ -s "$build_output" ]] || die "the build left no $tree/$build_output"

# --- install ------------------------------------------------------------------------------------
stage "install ($out)"
sha="$(sha256sum "$build_output" | cut -d' ' -f1)"
first() { "$@" 2>&1 | sed '/^[[:space:]]*$/d' | head -n1; }
{
  echo "firmware=$(basename "$out")"
  echo "sha256=$sha"
  echo "size=$(stat -c %s "$build_output")"
  echo "edk2_source=Debian $edk2_suite source package edk2"
  echo "edk2_version=$edk2_version"
  echo "platform=$platform"
  echo "build=X64 RELEASE GCC5"
  echo "local_changes=$(printf '%s; ' "${local_changes[@]}" | sed 's/; $//')"
  echo "source_date_epoch=$SOURCE_DATE_EPOCH"
  echo "build_dir=$tree"
  echo "gcc=$(first gcc --version)"
  echo "nasm=$(first nasm -v)"
  echo "iasl=$(dpkg-query -W -f='${Version}' acpica-tools)"
  echo "grub=$(dpkg-query -W -f='${Version}' grub-efi-amd64-bin)"
  echo "mtools=$(dpkg-query -W -f='${Version}' mtools)"
  echo "dosfstools=$(dpkg-query -W -f='${Version}' dosfstools)"
  echo "built_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "build_seconds=$((SECONDS - start))"
} >"$cache/manifest"
install -d -m 0755 "$(dirname "$out")"
install -m 0644 "$build_output" "$out.tmp"
mv -f "$out.tmp" "$out"
install -m 0644 "$cache/manifest" "$manifest.tmp"
mv -f "$manifest.tmp" "$manifest"
cat "$manifest"
if [[ "$sha" != "$expected_sha256" ]]; then
  log "warning: sha256 $sha differs from $expected_sha256, recorded for edk2 $edk2_version built on Debian 12 (another gcc, nasm, iasl or grub, or another build folder?)"
fi
stage "done: $out (edk2 $edk2_version, sha256 $sha)"
