#!/usr/bin/env bash
# The test command: installs what is missing, builds the solution, runs every xunit test and the package check
# (scripts/pack-check.sh).
# Reference data is found through YOLO_DISTILL_REFDATA (default ../shared beside the checkout).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# glibc per-thread malloc arenas fragment under the loader threads; two keep the resident set flat over long runs.
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
: "${YOLO_DISTILL_REFDATA:=$(cd .. && pwd)/shared}"
export YOLO_DISTILL_REFDATA
if [ ! -f "$YOLO_DISTILL_REFDATA/README.md" ]; then
  echo "warning: reference data not found at $YOLO_DISTILL_REFDATA; tests that need it will fail with a message saying so." >&2
fi
dotnet build yolo-distill.sln -c Release -warnaserror -nologo -v q
log=$(mktemp)
set +e
dotnet test yolo-distill.sln -c Release --no-build --nologo 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# The packages as a user gets them: pack, install the tool, build and run a console app on the library package.
pack=0
bash scripts/pack-check.sh --no-build || { pack=1; rc=1; }
set -e
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
# The package check counts as one test in the closing line.
if [ "$pack" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
echo "$passed passed, $failed failed, $skipped skipped"
exit $rc
