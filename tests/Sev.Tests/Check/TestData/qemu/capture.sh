#!/usr/bin/env bash
# Records what a QEMU binary says about its SEV objects, for QemuSevObjectsTests.
#   tests/Sev.Tests/Check/TestData/qemu/capture.sh BINARY DIR
# writes DIR/qmp.jsonl (the QMP replies of a `-machine none -accel tcg` QEMU to the commands the
# shim's probe sends, one line each, greeting first) and DIR/object-help.txt (`-object help` and
# `-object TYPE,help`, which list class properties only: cbitpos, policy, reduced-phys-bits are
# instance properties and appear in qom-list-properties alone).
set -euo pipefail
binary="$1" out="$2"
mkdir -p "$out"
printf '%s\n' \
  '{"execute":"qmp_capabilities"}' \
  '{"execute":"qom-list-properties","arguments":{"typename":"sev-guest"}}' \
  '{"execute":"qom-list-properties","arguments":{"typename":"sev-snp-guest"}}' \
  '{"execute":"query-sev-capabilities"}' \
  '{"execute":"quit"}' \
  | timeout 60 "$binary" -machine none -accel tcg -nodefaults -display none -qmp stdio 2>/dev/null \
  | grep -v '"event"' >"$out/qmp.jsonl"
{
  echo "\$ $binary --version"; "$binary" --version
  echo "\$ $binary -object help"; "$binary" -object help 2>&1 || true
  for t in sev-guest sev-snp-guest; do echo "\$ $binary -object $t,help"; "$binary" -object "$t,help" 2>&1 || true; done
} >"$out/object-help.txt"
