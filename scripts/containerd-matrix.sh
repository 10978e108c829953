#!/usr/bin/env bash
# Fetches the containerd builds of the test matrix besides the host's 1.6 (issue 17): containerd
# 1.7 from Debian 13 (trixie) and 2.1 from Debian unstable (sid), each as the single Debian
# package `containerd`, through a private apt (guest-image/debian-apt.sh: its own sources.list,
# lists, cache and empty dpkg status; the system's apt sources and packages are never read or
# changed), unpacked with dpkg-deb -x into <cache>/<debian version>/. Both packages link only
# libc and need runc at run time, which Debian 12 has.
#
# Layout of the cache (default /var/cache/sevshim/containerd, else artifacts/containerd-cache;
# SEVSHIM_CONTAINERD_CACHE overrides; the tests read the same place):
#   <cache>/<version>/usr/bin/{containerd,ctr,containerd-shim-runc-v2}   the unpacked package
#   <cache>/<version>/.complete        written last: version=, series=, suite=, containerd= lines
#   <cache>/<series> -> <version>      what the tests open ("1.7", "2.1")
#   <cache>/apt/<suite>/, <cache>/debs/ the private lists and the downloaded .deb files
# Idempotent: a version whose .complete exists is not fetched again; the lists are refreshed only
# when missing or older than SEVSHIM_CONTAINERD_LIST_MAX_AGE days (default 7) or with --refresh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

# Pinned series per suite: the tests and the README name these. When a suite moves on (sid to
# 2.2, say) the script stops with a message instead of testing a version nobody chose.
builds=("trixie 1.7" "sid 2.1")
cache="${SEVSHIM_CONTAINERD_CACHE:-}"
apt_mirror="${SEVSHIM_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
apt_security_mirror="${SEVSHIM_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
apt_max_age_days="${SEVSHIM_CONTAINERD_LIST_MAX_AGE:-7}"
apt_refresh=0

usage() {
  cat <<EOF
usage: scripts/containerd-matrix.sh [--cache DIR] [--refresh] [--mirror URL] [--security-mirror URL]
  --cache DIR            where the builds, private lists and .deb files are kept (default:
                         \$SEVSHIM_CONTAINERD_CACHE, else /var/cache/sevshim/containerd when
                         writable, else artifacts/containerd-cache)
  --refresh              apt-get update the private lists now
  --mirror URL           Debian mirror (default: $apt_mirror, or \$SEVSHIM_DEBIAN_MIRROR)
  --security-mirror URL  security mirror (default: $apt_security_mirror)
Fetches: $(printf '%s, ' "${builds[@]}" | sed 's/, $//') (suite and containerd series).
EOF
}

die() { echo "scripts/containerd-matrix.sh: error: $*" >&2; exit 1; }
log() { echo "scripts/containerd-matrix.sh: $*" >&2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --cache) [[ $# -ge 2 ]] || die "--cache needs a folder"; cache="$2"; shift 2 ;;
    --refresh) apt_refresh=1; shift ;;
    --mirror) [[ $# -ge 2 ]] || die "--mirror needs a URL"; apt_mirror="$2"; shift 2 ;;
    --security-mirror) [[ $# -ge 2 ]] || die "--security-mirror needs a URL"; apt_security_mirror="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done

for tool in apt-get apt-cache dpkg-deb dpkg flock; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found: this script needs Debian's apt and dpkg (and util-linux for flock)"
done
[[ $EUID -eq 0 ]] || die "must run as root (the private apt keeps root's folders; with sudo: sudo $0)"

# shellcheck source=guest-image/debian-apt.sh
source "$repo/guest-image/debian-apt.sh"
private_cache_open /var/cache/sevshim/containerd "$repo/artifacts/containerd-cache" containerd

# $1 suite, $2 series: makes <cache>/<version> complete and points <cache>/<series> at it.
fetch_build() {
  local suite="$1" series="$2" version dir deb unpack reported
  apt_suite="$suite"
  apt_cache="$cache"
  apt_records_dir="$work/apt-$suite"
  apt_private_init
  version="$(pkg_version containerd)"
  [[ -n "$version" ]] || die "Debian $suite lists no containerd package (lists in $APT_DIR/lists): rerun with --refresh"
  [[ "$version" == "$series".* ]] \
    || die "Debian $suite now has containerd $version, not the $series series the matrix is pinned to: update 'builds' in scripts/containerd-matrix.sh, the tests' ContainerdBuild labels and the README's containerd versions"
  dir="$cache/$version"
  if [[ -f "$dir/.complete" ]] && grep -qx "version=$version" "$dir/.complete"; then
    log "containerd $version ($suite) already in $dir"
  else
    deb="$(fetch_deb "$cache/debs" containerd)"
    # Unpacked next to the final folder and renamed, so a run cut short never leaves a folder
    # that looks complete.
    unpack="$cache/.unpack-$version"
    rm -rf "$unpack" "$dir"
    mkdir -p "$unpack"
    dpkg-deb -x "$deb" "$unpack" || die "dpkg-deb -x $deb failed (a truncated download? delete it and rerun)"
    for bin in containerd ctr containerd-shim-runc-v2; do
      [[ -x "$unpack/usr/bin/$bin" ]] || die "$deb has no usr/bin/$bin: the package layout changed"
    done
    reported="$("$unpack/usr/bin/containerd" --version 2>&1)" \
      || die "the unpacked containerd $version does not run on this host: $reported"
    printf 'version=%s\nseries=%s\nsuite=%s\ncontainerd=%s\n' "$version" "$series" "$suite" "$reported" >"$unpack/.complete"
    mv "$unpack" "$dir"
    log "containerd $version ($suite) unpacked into $dir: $reported"
  fi
  ln -sfn "$version" "$cache/$series"
}

for b in "${builds[@]}"; do
  read -r suite series <<<"$b"
  fetch_build "$suite" "$series"
done
summary="$(cd "$cache" && for b in "${builds[@]}"; do read -r _ s <<<"$b"; printf '%s -> %s, ' "$s" "$(readlink "$s")"; done)"
log "containerd builds in $cache: ${summary%, }"
