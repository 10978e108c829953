# shellcheck shell=bash
# Private apt for one Debian suite, sourced by guest-image/build.sh. The system's apt sources,
# lists, cache and dpkg status are never read or changed: everything lives under
# <cache>/apt/<suite>/ (sources.list, lists/, cache/, an empty dpkg status), so the candidate of
# each package is what the suite and its -updates and -security pockets offer, whatever the build
# host runs. The lists are kept between runs: they are fetched when missing, when the sources
# change, when older than the maximum age, or when asked (refresh=1); between refreshes a rebuild
# resolves the same versions, so two builds in a row are byte-identical.
#
# The caller defines die() and log() and sets, before apt_private_init:
#   apt_suite (trixie), apt_cache (the cache root), apt_mirror, apt_security_mirror,
#   apt_max_age_days, apt_refresh (0 or 1), apt_records_dir (a scratch folder for this run).

# Suites without -updates and -security pockets (a backports suite is read alone: its packages
# are meant to sit on top of a stable system's, which the callers unpack them beside).
apt_is_rolling() { [[ "$1" == sid || "$1" == unstable || "$1" == experimental || "$1" == *-backports ]]; }

# The suites apt reads, in the order they are written to sources.list.
apt_suites() {
  if apt_is_rolling "$apt_suite"; then
    echo "$apt_suite"
  else
    printf '%s\n' "$apt_suite" "$apt_suite-updates" "$apt_suite-security"
  fi
}

apt_private_init() {
  APT_DIR="$apt_cache/apt/$apt_suite"
  mkdir -p "$APT_DIR"/{lists/partial,cache/archives/partial,sources.list.d,preferences.d}
  : >>"$APT_DIR/status"
  # Only the host's apt.conf.d still applies (a proxy, for instance). Appstream's DEP-11 and
  # command-not-found indexes are not needed to resolve packages: not fetched. The sandbox user
  # stays root: the private folders are root's, and _apt could not write them.
  APT_OPTS=(
    -o "Dir::Etc::sourcelist=$APT_DIR/sources.list"
    -o "Dir::Etc::sourceparts=$APT_DIR/sources.list.d"
    -o "Dir::Etc::preferences=$APT_DIR/preferences"
    -o "Dir::Etc::preferencesparts=$APT_DIR/preferences.d"
    -o "Dir::State::Lists=$APT_DIR/lists"
    -o "Dir::State::status=$APT_DIR/status"
    -o "Dir::Cache=$APT_DIR/cache"
    -o APT::Architecture=amd64 -o APT::Architectures::=amd64
    -o Acquire::Languages=none
    -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::CNF::DefaultEnabled=false
    -o APT::Sandbox::User=root
  )
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg s sources
  [[ -f "$keyring" ]] || die "$keyring is missing: apt-get install debian-archive-keyring"
  sources="$(while read -r s; do
    if [[ "$s" == *-security ]]; then
      echo "deb [signed-by=$keyring] $apt_security_mirror $s main"
    else
      echo "deb [signed-by=$keyring] $apt_mirror $s main"
    fi
  done < <(apt_suites))"
  local update=$apt_refresh stamp="$APT_DIR/updated"
  if [[ "$(cat "$APT_DIR/sources.list" 2>/dev/null)" != "$sources" ]]; then
    printf '%s\n' "$sources" >"$APT_DIR/sources.list"
    update=1
  fi
  if [[ ! -f "$stamp" ]] || [[ -n "$(find "$stamp" -mmin +"$((apt_max_age_days * 24 * 60))" 2>/dev/null)" ]]; then
    update=1
  fi
  if [[ "$update" == 1 ]]; then
    log "apt-get update of the private $apt_suite lists in $APT_DIR"
    rm -f "$stamp"
    apt-get "${APT_OPTS[@]}" -q update >&2 \
      || die "apt-get update of $apt_suite failed (sources: $APT_DIR/sources.list): check the network to $apt_mirror, or pass --mirror"
    touch "$stamp"
  fi
}

# apt-cache is slow on a loaded machine (about 2 s a call): records are fetched once, several
# packages a call, and kept in $apt_records_dir/<package>.
apt_records() {
  local missing=() p
  for p in "$@"; do [[ -f "$apt_records_dir/$p" ]] || missing+=("$p"); done
  [[ ${#missing[@]} -gt 0 ]] || return 0
  mkdir -p "$apt_records_dir"
  apt-cache "${APT_OPTS[@]}" show --no-all-versions "${missing[@]}" 2>/dev/null \
    | awk -v dir="$apt_records_dir" '/^Package: /{f=dir "/" $2} f{print > f} /^$/{if (f) close(f); f=""}' || true
  for p in "${missing[@]}"; do
    [[ -s "$apt_records_dir/$p" ]] || die "package '$p' is not in Debian $apt_suite (lists in $APT_DIR/lists): check its name, or refresh the lists with --refresh"
  done
}

# The candidate version of a package.
pkg_version() {
  apt_records "$1"
  sed -n 's/^Version: //p' "$apt_records_dir/$1" | head -n1
}

# Direct dependencies (Depends and Pre-Depends; first alternative of each clause, no versions).
pkg_depends() {
  apt_records "$1"
  sed -n 's/^\(Pre-\)\{0,1\}Depends: //p' "$apt_records_dir/$1" | tr ',' '\n' \
    | sed -e 's/|.*//' -e 's/(.*)//' -e 's/:any//' -e 's/[[:space:]]//g' | sed '/^$/d'
}

# "PACKAGE SUITE" for each package: the pocket its candidate version comes from (trixie or
# trixie-security, ...), from `apt-cache madison` ("pkg | version | URL suite/main amd64 Packages").
pkg_suites() {
  local p ver
  for p in "$@"; do
    ver="$(pkg_version "$p")"
    apt-cache "${APT_OPTS[@]}" madison "$p" 2>/dev/null \
      | awk -F'|' -v p="$p" -v v="$ver" '{ for (i = 1; i <= 3; i++) gsub(/^ +| +$/, "", $i) }
          $1 == p && $2 == v && $3 ~ / Packages$/ { split($3, a, " "); split(a[2], b, "/"); print p, b[1]; exit }'
  done
}

# Downloads one package (candidate version) into $1 unless it is already there; prints its path.
fetch_deb() {
  local dir="$1" pkg="$2" ver enc deb
  ver="$(pkg_version "$pkg")"
  enc="${ver//:/%3a}"
  deb="$(find "$dir" -maxdepth 1 -name "${pkg}_${enc}_*.deb" | head -n1)"
  if [[ -z "$deb" ]]; then
    log "downloading $pkg $ver ($apt_suite)"
    (cd "$dir" && apt-get "${APT_OPTS[@]}" download -q "$pkg=$ver" >&2) \
      || die "apt-get download $pkg=$ver ($apt_suite) failed: the private lists may name a version the mirror no longer has (rerun with --refresh), or the network to $apt_mirror is down"
    deb="$(find "$dir" -maxdepth 1 -name "${pkg}_${enc}_*.deb" | head -n1)"
    [[ -n "$deb" ]] || die "apt-get download $pkg=$ver left no ${pkg}_${enc}_*.deb in $dir"
  fi
  echo "$deb"
}

# The cache folder of a fetch script and its lock, for the scripts that unpack Debian packages
# privately (scripts/containerd-matrix.sh, scripts/qemu-backports.sh). $1 the shared default
# (/var/cache/sevshim/<name>), $2 the fallback inside the tree when that is not writable, $3 a
# name for the scratch folder. Uses $cache when the caller set one (--cache). Sets cache (absolute,
# with debs/ inside) and work (a scratch folder removed on exit), and holds the cache's lock for
# the rest of the run: several worktrees share /var/cache/sevshim.
private_cache_open() {
  local shared="$1" fallback="$2" name="$3"
  if [[ -z "$cache" ]]; then
    cache="$shared"
    if ! mkdir -p "$cache" 2>/dev/null || [[ ! -w "$cache" ]]; then cache="$fallback"; fi
  fi
  mkdir -p "$cache/debs" || die "cannot create the cache folder $cache (--cache)"
  cache="$(cd "$cache" && pwd)"
  exec {cache_lock}>"$cache/.lock"
  flock "$cache_lock"
  work="$(mktemp -d "${TMPDIR:-/tmp}/sevshim-$name.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
}
