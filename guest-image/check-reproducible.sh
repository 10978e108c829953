#!/usr/bin/env bash
# Builds the guest image twice into two temp folders (same packages from the .deb cache, same
# agent) and checks that every artefact is byte-identical. Takes two build times (2 to 5 minutes
# on a loaded machine), so it is a script check rather than a unit test.
# usage: guest-image/check-reproducible.sh [build.sh options other than --out]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
a="$(mktemp -d "${TMPDIR:-/tmp}/sevshim-repro-a.XXXXXX")"
b="$(mktemp -d "${TMPDIR:-/tmp}/sevshim-repro-b.XXXXXX")"
trap 'rm -rf "$a" "$b"' EXIT

"$here/build.sh" --out "$a" "$@"
"$here/build.sh" --out "$b" "$@"

status=0
for f in vmlinuz vmlinux initrd.img manifest.json; do
  if [[ ! -f "$a/$f" ]]; then
    continue
  fi
  if cmp -s "$a/$f" "$b/$f"; then
    echo "identical: $f $(sha256sum "$a/$f" | cut -d' ' -f1)"
  else
    echo "DIFFERENT: $f" >&2
    status=1
  fi
done
exit "$status"
