#!/usr/bin/env bash
# The main job: builds the CLI and runs the whole mission on the built-in synthetic dataset (yolo-distill demo).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# glibc per-thread malloc arenas fragment under the loader threads; two keep the resident set flat over long runs.
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
dotnet build Distill/Distill.csproj -c Release -nologo -v q
exec dotnet Distill/bin/Release/net10.0/yolo-distill.dll demo "$@"
