#!/usr/bin/env bash
# Builds everything the tests and the installer use:
#   the solution (Debug, for the test projects),
#   artifacts/bin/containerd-shim-sevshim-v2  (Native AOT shim),
#   artifacts/agent/sevagent                  (Native AOT in-guest agent),
#   artifacts/guest/{vmlinuz,initrd.img,manifest.json}  (guest image, from Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }

step "restore and build the solution"
dotnet build SevRuntime.sln -nologo -clp:ErrorsOnly

step "publish the shim (Native AOT)"
dotnet publish src/SevShim/SevShim.csproj -nologo -clp:ErrorsOnly -r linux-x64 -c Release -o artifacts/bin

step "publish the agent (Native AOT)"
dotnet publish src/SevAgent/SevAgent.csproj -nologo -clp:ErrorsOnly -r linux-x64 -c Release -o artifacts/agent

if [ -x guest-image/build.sh ]; then
  step "build the guest image"
  guest-image/build.sh --out artifacts/guest --agent artifacts/agent/sevagent
fi

step "built"
ls -l artifacts/bin/containerd-shim-sevshim-v2 artifacts/agent/sevagent
[ -d artifacts/guest ] && ls -l artifacts/guest || true
