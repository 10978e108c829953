#!/usr/bin/env bash
# Fetches the SEV-SNP-capable QEMU: Debian 12's QEMU 7.2 predates sev-snp-guest (QEMU 9.1), and
# bookworm-backports carries QEMU 10, built for Debian 12's libraries. The packages
# qemu-system-x86, qemu-system-common and qemu-system-data come through a private apt
# (guest-image/debian-apt.sh: its own sources.list, lists, cache and empty dpkg status; the
# system's apt sources and packages are never read or changed) and are unpacked with
# dpkg-deb -x into <cache>/<debian version>/; <cache>/10 points at it. The system's QEMU stays.
# The tests use it to check that the SNP command line the shim generates is accepted by QEMU 10's
# parsers (issue 16, item 2); run it with -L <cache>/10/usr/share/qemu for its own ROMs.
#
#   scripts/qemu-backports.sh [--cache DIR] [--refresh] [--mirror URL]
#
# Cache: default /var/cache/sevshim/qemu (else artifacts/qemu-cache when that is not writable;
# SEVSHIM_QEMU_CACHE overrides; the tests read the same place). Idempotent: a version whose
# .complete exists is not fetched again; lists are refreshed when older than 7 days or on --refresh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
suite=bookworm-backports
series=10
packages=(qemu-system-x86 qemu-system-common qemu-system-data)
cache="${SEVSHIM_QEMU_CACHE:-}"
apt_mirror="${SEVSHIM_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
apt_security_mirror="${SEVSHIM_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
apt_max_age_days="${SEVSHIM_QEMU_LIST_MAX_AGE:-7}"
apt_refresh=0

usage() {
  cat <<EOF
usage: scripts/qemu-backports.sh [--cache DIR] [--refresh] [--mirror URL]
  --cache DIR   where the build, private lists and .deb files are kept (default: \$SEVSHIM_QEMU_CACHE,
                else /var/cache/sevshim/qemu when writable, else artifacts/qemu-cache)
  --refresh     apt-get update the private lists now
  --mirror URL  Debian mirror (default: $apt_mirror, or \$SEVSHIM_DEBIAN_MIRROR)
Fetches QEMU $series.x from Debian $suite: ${packages[*]}.
EOF
}
die() { echo "scripts/qemu-backports.sh: error: $*" >&2; exit 1; }
log() { echo "scripts/qemu-backports.sh: $*" >&2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --cache) [[ $# -ge 2 ]] || die "--cache needs a folder"; cache="$2"; shift 2 ;;
    --refresh) apt_refresh=1; shift ;;
    --mirror) [[ $# -ge 2 ]] || die "--mirror needs a URL"; apt_mirror="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done
for tool in apt-get apt-cache dpkg-deb flock; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found: this script needs Debian's apt and dpkg (and util-linux for flock)"
done
[[ $EUID -eq 0 ]] || die "must run as root (the private apt keeps root's folders; with sudo: sudo $0)"

# shellcheck source=guest-image/debian-apt.sh
source "$repo/guest-image/debian-apt.sh"
private_cache_open /var/cache/sevshim/qemu "$repo/artifacts/qemu-cache" qemu

apt_suite="$suite"
apt_cache="$cache"
apt_records_dir="$work/apt"
apt_private_init
version="$(pkg_version qemu-system-x86)"
[[ -n "$version" ]] || die "Debian $suite lists no qemu-system-x86 (lists in $APT_DIR/lists): rerun with --refresh"
upstream="${version#*:}"
[[ "$upstream" == "$series".* ]] \
  || die "Debian $suite now has QEMU $version, not the $series series pinned here: update 'series' in scripts/qemu-backports.sh and the README"
dir="$cache/$upstream"
if [[ -f "$dir/.complete" ]] && grep -qx "version=$version" "$dir/.complete"; then
  log "QEMU $version ($suite) already in $dir"
else
  unpack="$cache/.unpack"
  rm -rf "$unpack" "$dir"
  mkdir -p "$unpack"
  for p in "${packages[@]}"; do
    [[ "$(pkg_version "$p")" == "$version" ]] || die "$suite has $p $(pkg_version "$p") beside qemu-system-x86 $version: the backport is half-published, retry later"
    deb="$(fetch_deb "$cache/debs" "$p")"
    dpkg-deb -x "$deb" "$unpack" || die "dpkg-deb -x $deb failed (a truncated download? delete it and rerun)"
  done
  binary="$unpack/usr/bin/qemu-system-x86_64"
  reported="$("$binary" --version 2>&1 | head -n1)" \
    || die "the unpacked QEMU $version does not run on this host (a library missing from Debian 12?): $reported"
  "$binary" -object help 2>&1 | grep -qx '  sev-snp-guest' \
    || die "the unpacked QEMU $version lists no sev-snp-guest object"
  printf 'version=%s\nsuite=%s\nqemu=%s\n' "$version" "$suite" "$reported" >"$unpack/.complete"
  mv "$unpack" "$dir"
  log "QEMU $version ($suite) unpacked into $dir: $reported"
fi
ln -sfn "$upstream" "$cache/$series"
log "QEMU $series in $cache/$series -> $upstream"
