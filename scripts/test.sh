#!/usr/bin/env bash
# Runs every test: unit, component and end-to-end (real containerd, QEMU under TCG, crun).
# End-to-end tests skip, saying why, when a prerequisite is missing; with
# SEVSHIM_REQUIRE_E2E=1 (CI) a missing prerequisite fails them instead.
# Needs root (containerd, mounts). Installs the packages of scripts/deps.sh first
# (SEVSHIM_SKIP_DEPS=1 skips that in a development loop).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# QEMU aborts by design in the SEV option-parser tests (no SEV here): no core files.
ulimit -c 0

# The unit tier (tests/*.Tests) needs no real parts: a test that does ([E2EFact], [E2ETheory])
# belongs to a *.ComponentTests or *.IntegrationTests project (README, "three tiers").
if misplaced=$(grep -rlE '\[E2E(Fact|Theory)' --include='*.cs' tests/*.Tests); then
  printf 'scripts/test.sh: tests needing real parts in a unit project; move them to the component or end-to-end tier:\n%s\n' "$misplaced" >&2
  exit 1
fi

[ "${SEVSHIM_SKIP_DEPS:-0}" = 1 ] || scripts/deps.sh
scripts/build.sh

results=artifacts/test-results
rm -rf "$results"; mkdir -p "$results"
# The e2e fixtures copy containerd's log and leftover guest consoles here before cleaning up.
export SEVSHIM_E2E_LOG_DIR="$PWD/$results/e2e-logs"
log="$results/dotnet-test.log"
printf '\n== run the tests (%s)\n' "$(date +%T)"
set +e
dotnet test SevRuntime.sln --no-build -nologo \
  --logger "console;verbosity=normal" --logger trx --results-directory "$results" \
  --blame-hang-timeout 15m 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e

# CI keeps only the tail of the output: repeat every failure (name, message, first stack lines)
# last, so the reason is never cut off.
awk '
  /^  Failed / { show = 1; lines = 0; print "---"; }
  /^  (Passed|Skipped) / || /^Results File:/ || /^Test Run / { show = 0 }
  show && lines < 60 { print; lines++ }
' "$log" | tee "$results/failures.txt"

# And closer still to the end, one short entry per failure (its name and the first lines of its
# message, each cut at 500 characters): a long message with logs appended can push even the
# repeated block above out of the kept tail.
awk '
  /^  Failed / { name = $0; sub(/^  Failed /, "", name); want = 0; next }
  name != "" && /^  Error Message:/ { want = 4; printf "failed: %s\n", name; next }
  want > 0 { line = $0; sub(/^ +/, "", line); if (line == "") { want = 0; name = ""; next } printf "  %s\n", substr(line, 1, 500); if (--want == 0) name = "" }
' "$log" | tee -a "$results/failures.txt"

# One closing line for people and CI: "tests: N passed, N failed, N skipped", summed over the
# per-assembly summaries dotnet test prints ("     Passed: N" and so on after "Total tests:").
awk '
  /^Total tests:/ { insummary = 1; next }
  insummary && /^[ \t]+(Passed|Failed|Skipped):/ {
    split($0, kv, ":"); key = kv[1]; gsub(/[ \t]/, "", key); value = kv[2] + 0
    if (key == "Passed") passed += value; else if (key == "Failed") failed += value; else skipped += value
    next
  }
  { insummary = 0 }
  END { printf "tests: %d passed, %d failed, %d skipped\n", passed, failed, skipped }
' "$log" | tee "$results/summary.txt"
exit "$rc"
