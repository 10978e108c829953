#!/usr/bin/env bash
# Builds the firmware sevshim's default configuration boots (vm.firmware): OVMF's AmdSev variant,
# edk2's OvmfPkg/AmdSev/AmdSevX64.dsc (X64, RELEASE, GCC5), a single stateless OVMF.fd with the SEV
# hashes table (measured -kernel/-initrd/-append) and the SNP metadata, including its
# SNP_KERNEL_HASHES section (type 0x10), so sev, sev-es and sev-snp guests alike get
# -kernel/-initrd/-append measured. Debian 12 and 13 ship no build of it (their ovmf package builds
# OvmfPkgX64.dsc and OvmfPkgIa32X64.dsc only), so this script builds it from Debian 13 (trixie)'s
# own edk2 source package, pinned below, with Debian 12 (bookworm)'s toolchain.
#
#   scripts/build-firmware.sh [--out FILE] [--force] [--cache DIR] [--mirror URL] [--keep-tree]
#
# Stages (a progress line each, with the seconds since the start):
#   deps       apt-get install of the build dependencies (nasm, iasl, uuid-dev, gcc, python3,
#              grub-mkimage and its x86_64-efi modules, mtools, dosfstools, dpkg-source)
#   fetch      `apt-get source --download-only edk2=<version>` through a private apt (its own
#              sources.list with one deb-src trixie line, lists and cache under <cache>/apt; the
#              system's apt sources are never read or changed), checked against the pinned sha256
#              sums, then `dpkg-source -x`, which applies Debian's quilt series
#              (debian/patches/series). When the mirror has the two tarballs but not the .dsc
#              (deb.debian.org's pool answered 404 for edk2_2025.02-8+deb13u1.dsc on the day this
#              was pinned, while serving its .orig and .debian tarballs), the .dsc is written from
#              the package's stanza in the signed Sources index (`apt-cache showsrc`, the fields
#              the archive derived from that .dsc, without its signature); the manifest says which.
#   BaseTools  make -C BaseTools
#   build      build -a X64 -t GCC5 -b RELEASE -p OvmfPkg/AmdSev/AmdSevX64.dsc
#   install    FILE (default /usr/local/share/sevshim/OVMF.amdsev.fd) and FILE.manifest
# 6.5 to 8 minutes on 2 cores (Debian 12; two builds from scratch: 481 s, fetch included, and 384 s,
# on a machine whose load average was 6 to 8 from other work; about 3 minutes of user CPU each); the
# source is 30 MB.
#
# The source package is complete: openssl, brotli and the other submodules are in its orig tarball,
# so the build needs nothing beyond the Debian mirror. The downloaded source is kept in <cache>/src:
# when trixie's edk2 moves on and the mirror drops this version, the script still builds it.
#
# Why trixie's source on bookworm's toolchain: bookworm's edk2 (2022.11) predates the SNP metadata's
# SNP_KERNEL_HASHES section (added upstream after 2022.11), without which QEMU cannot put the hashes
# of -kernel/-initrd/-append into an SEV-SNP launch (kernel-hashes=on) and `measure --mode snp
# --kernel` refuses. Trixie's 2025.02 has it and builds with bookworm's packages as they are (gcc
# 12.2, nasm 2.16.01, iasl 20200925, python 3.11): no backport and nothing from trixie but the
# source. (The GCC5 tool chain tag is deprecated in 2025.02's tools_def in favour of GCC, and kept.)
#
# Local changes on top of Debian's patches (each small, each checked to still apply; patch_tree):
#   - OvmfPkg/AmdSev/Grub/grub.sh (as in 2022.11, still so in 2025.02): the grub module list loses
#     `sevsecret`, which bookworm's grub 2.06 does not have (grub-mkimage: "cannot open
#     .../sevsecret.mod"). It serves only AmdSev's own boot path (the embedded grub opening a
#     LUKS disk with a secret injected at launch); sevshim boots -kernel with kernel-hashes=on,
#     which the firmware runs before grub.
#   - grub.sh again: `mkfs.msdos --invariant` and `mcopy -m` (of a grub.cfg dated
#     SOURCE_DATE_EPOCH), so the FAT memdisk inside grub.efi has no random volume id or build date.
#   - BaseTools GenFw (Elf32Convert.c, Elf64Convert.c; still time(NULL) in 2025.02): the PE/COFF
#     TimeDateStamp of every module is SOURCE_DATE_EPOCH when that is set, instead of time(NULL).
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

# The pin: Debian 13 (trixie)'s edk2, the source of the ovmf package Debian 13 installs
# (edk2-stable202502 with Debian's patches and CVE fixes, 2025-11-08), built with Debian 12's
# toolchain. The sums are those of trixie's signed Sources index: the .dsc first (checked when the
# mirror serves it), then the two tarballs (always checked).
edk2_version=2025.02-8+deb13u1
edk2_suite=trixie
edk2_dsc_sha256=9e2115e7d75a3930b082216ef3378cca040fde049c86f4547e8ed6da1515ffee
edk2_files=(
  "b63b6053d6d89c74d9291f9e96fde1584be99e6fb9c169ba9511505129d6b049  edk2_2025.02.orig.tar.xz"
  "e2a7f6fc58640818416a028d6d5e9dfc255697a7cdc60c14566c236df6bd9b08  edk2_2025.02-8+deb13u1.debian.tar.xz"
)
# sha256 of the OVMF.fd this script built twice from scratch on Debian 12 (README, "Firmware").
expected_sha256=dc7242cd629aae8f43aaa98f3b0a8382216470feaf361d4510c4e0406b80f920
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
dsc="$src/edk2_$edk2_version.dsc"
index_dsc="$src/edk2_$edk2_version.index.dsc"
sums() { printf '%s\n' "${edk2_files[@]}"; }
tarballs_ok() { (cd "$src" && sums | sha256sum --quiet -c - >/dev/null 2>&1); }
dsc_ok() { [[ -f "$dsc" && "$(sha256sum "$dsc" | cut -d' ' -f1)" == "$edk2_dsc_sha256" ]]; }
if tarballs_ok && { dsc_ok || [[ -s "$index_dsc" ]]; }; then
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
  # Only this version's files: <cache>/src is shared with other pins (other branches, worktrees).
  rm -f "$dsc" "$index_dsc"
  for f in "${edk2_files[@]}"; do rm -f "$src/${f##* }"; done
  if ! (cd "$src" && apt-get "${apt_opts[@]}" -q source --download-only "edk2=$edk2_version" >&2); then
    # The mirror may serve the tarballs but not the .dsc (see the header): then the .dsc is the
    # package's stanza of the signed Sources index, which must name the pinned .dsc's sha256.
    [[ ! -f "$dsc" ]] && tarballs_ok \
      || die "apt-get source edk2=$edk2_version failed: does Debian $edk2_suite still list this version? (if not, pin the new one in $0)"
    log "the mirror has the tarballs but no $(basename "$dsc"): writing $(basename "$index_dsc") from $edk2_suite's signed Sources index"
    apt-cache "${apt_opts[@]}" showsrc edk2 \
      | awk -v v="$edk2_version" 'BEGIN { RS = ""; ORS = "\n" } index($0 "\n", "\nVersion: " v "\n")' \
      >"$index_dsc.stanza"
    grep -q "^ $edk2_dsc_sha256 [0-9]* edk2_$edk2_version.dsc\$" "$index_dsc.stanza" \
      || die "$edk2_suite's Sources index has no edk2 $edk2_version with the pinned .dsc sha256 $edk2_dsc_sha256 (stanza: $index_dsc.stanza)"
    # A .dsc's fields, less the index's own (Directory, Priority, Section) and the .dsc's line.
    sed -e 's/^Package:/Source:/' "$index_dsc.stanza" \
      | awk '/^(Directory|Priority|Section):/ { skip = 1; next } /^[^ ]/ { skip = 0 } !skip && !/ edk2_[^ ]*\.dsc$/' \
      >"$index_dsc.tmp"
    rm -f "$index_dsc.stanza"
    mv -f "$index_dsc.tmp" "$index_dsc"
  fi
  tarballs_ok || { (cd "$src" && sums | sha256sum -c - >&2) || true; die "the downloaded edk2 source in $src does not match the pinned sha256 sums"; }
  [[ ! -f "$dsc" ]] || dsc_ok || die "the downloaded $dsc does not match the pinned sha256 $edk2_dsc_sha256"
fi
if dsc_ok; then
  dsc_origin="$(basename "$dsc") from the mirror, sha256 $edk2_dsc_sha256"
else
  dsc="$index_dsc"
  dsc_origin="$(basename "$dsc"), written from $edk2_suite's signed Sources index (the mirror had no .dsc; the index names sha256 $edk2_dsc_sha256 for it)"
fi
rm -rf "$tree"
mkdir -p "$(dirname "$tree")"
# -x applies debian/patches (format 3.0 (quilt)). --no-check: the sums above, from the signed
# Sources index, stand for the .dsc's signature (which an index-written .dsc has not).
dpkg-source --no-check -x "$dsc" "$tree" >"$cache/dpkg-source.log" 2>&1 \
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
  echo "edk2_dsc=$dsc_origin"
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
