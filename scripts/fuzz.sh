#!/usr/bin/env bash
# The long fuzz run (tests/Fuzz.Tests, Reliability item 5): every target, one after another
# (each uses every core), FUZZ_ITERATIONS inputs each (default 1,000,000), at low priority.
# Prints one line per target: inputs, duration, rate, accepted/rejected.
#   scripts/fuzz.sh                      # all targets, 1M inputs each
#   FUZZ_ITERATIONS=200000 scripts/fuzz.sh FrameReaderFuzz ConfigParserFuzz
# A failure prints the shrunk input and its seed; replay it with FUZZ_SEED=<seed>.
set -euo pipefail
cd "$(dirname "$0")/.."
export FUZZ_ITERATIONS="${FUZZ_ITERATIONS:-1000000}"
# The long run explores: new inputs every run, even under CI=true (which fixes the short run's).
export FUZZ_RANDOM=1
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(FrameReaderFuzz ServerFuzz ConfigParserFuzz OciSpecFuzz QmpClientFuzz GuestDataFuzz AgentRequestFuzz)
fi
report="$(mktemp /tmp/fuzz-report.XXXXXX)"
export FUZZ_REPORT="$report"
dotnet build tests/Fuzz.Tests -clp:ErrorsOnly >/dev/null
status=0
for target in "${targets[@]}"; do
  echo "fuzz: $target, $FUZZ_ITERATIONS inputs" >&2
  nice -n 10 dotnet test tests/Fuzz.Tests --no-build --filter "FullyQualifiedName~.$target." \
    --logger "console;verbosity=minimal" || status=1
done
echo "--- inputs per target ---"
cat "$report"
rm -f "$report"
exit $status
