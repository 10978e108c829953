#!/usr/bin/env bash
# The long soak (issue 14 item 6): SEVSHIM_SOAK_CYCLES cycles (default 100) of create, exec,
# output and delete with a fault in each (kill -9 of QEMU, of the shim, of a container process,
# a 15 s guest freeze, a containerd restart, the shim dying at a failpoint, Create failing at
# one), then a check that nothing is left. The test suite runs one cycle per fault; this runs
# the long one on an already built tree (scripts/build.sh). As root.
set -euo pipefail
cd "$(dirname "$0")/.."
export SEVSHIM_SOAK_CYCLES=${SEVSHIM_SOAK_CYCLES:-100} SEVSHIM_REQUIRE_E2E=1
echo "soak: $SEVSHIM_SOAK_CYCLES cycles, seed ${SEVSHIM_SOAK_SEED:-default}"
exec dotnet test tests/SevShim.IntegrationTests --no-build -nologo \
  --filter "FullyQualifiedName~Soak.SoakTests" --logger "console;verbosity=detailed"
