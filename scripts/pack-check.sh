#!/usr/bin/env bash
# Checks the NuGet packages as a user gets them: packs YoloDistill.Detector, YoloDistill.Distillation and the yolo-distill tool into a temporary
# feed, installs the tool from it with `dotnet tool install --tool-path` and runs it, then builds and runs a throwaway
# console project that references the library package and detects the objects of an image (torch and onnx), and a
# second one that references YoloDistill.Distillation and runs a one-epoch distillation of a tiny synthetic set.
# Image and model: bus.jpg and yolov5n.pt from the reference data ($YOLO_DISTILL_REFDATA, default ../shared); without
# it, the shipped teacher on a synthetic image. Usage: bash scripts/pack-check.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
start=$SECONDS
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
build_flag=()
[ "${1:-}" = "--no-build" ] && build_flag=(--no-build)

tmp=$(mktemp -d -t yolo-distill-pack.XXXXXX)
# PACK_CHECK_KEEP=1 keeps the feed, the installed tool and the console project for a look afterwards.
if [ "${PACK_CHECK_KEEP:-0}" = 1 ]; then echo "pack-check: keeping $tmp"; else trap 'rm -rf "$tmp"' EXIT; fi
feed=$tmp/feed
step() { echo "pack-check: $* ($((SECONDS - start)) s)"; }

# A version of its own, so nothing a previous check or a real release left in a cache is used instead.
version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' scripts/msbuild/Packaging.props)-check.$(date +%s)"
step "packing $version"
for p in Detector/Detector.csproj Distill/Distillation/Distillation.csproj Distill/Distill.csproj; do
  dotnet pack "$p" -c Release -o "$feed" -p:Version="$version" "${build_flag[@]}" --nologo -v q
done
du -h "$feed"/*.nupkg

# Restore through the machine's own sources plus the feed, into a package folder of the check's own; the machine's
# package cache serves the dependencies (libtorch, OpenCV, ONNX Runtime) read-only, so nothing is downloaded twice.
{
  echo '<?xml version="1.0" encoding="utf-8"?>'
  echo '<configuration>'
  echo "  <config><add key=\"globalPackagesFolder\" value=\"$tmp/packages\" /></config>"
  echo "  <fallbackPackageFolders><add key=\"machine\" value=\"${NUGET_PACKAGES:-$HOME/.nuget/packages}\" /></fallbackPackageFolders>"
  echo '  <packageSources>'
  echo '    <clear />'
  echo "    <add key=\"pack-check\" value=\"$feed\" />"
  i=0
  dotnet nuget list source --format short | awk '$1 == "E" { print $2 }' | while read -r src; do
    i=$((i + 1)); echo "    <add key=\"machine-$i\" value=\"$src\" />"
  done
  echo '  </packageSources>'
  echo '</configuration>'
} > "$tmp/nuget.config"

step "installing the tool"
dotnet tool install --tool-path "$tmp/tools" --configfile "$tmp/nuget.config" --version "$version" yolo-distill >/dev/null
"$tmp/tools/yolo-distill" --help | head -n 3
"$tmp/tools/yolo-distill" --help | grep -q "detect" || { echo "pack-check: the tool's --help lists no detect command" >&2; exit 1; }

refdata=${YOLO_DISTILL_REFDATA:-$(cd .. && pwd)/shared}
if [ -f "$refdata/weights/yolov5n.pt" ] && [ -f "$refdata/reference/images/bus.jpg" ]; then
  model=$refdata/weights/yolov5n.pt image=$refdata/reference/images/bus.jpg expect="bus person"
else
  echo "pack-check: reference data not found at $refdata; using the shipped teacher on a synthetic image instead"
  "$tmp/tools/yolo-distill" dataset synth --out "$tmp/synth" --train 1 --val 1 --img 320 >/dev/null
  model=$repo/weights/teacher-yolov5s-shapes.ckpt image=$(ls "$tmp"/synth/val/*.jpg | head -n 1) expect=""
fi

step "the tool detects ($(basename "$model") on $(basename "$image"))"
(cd "$tmp" && "$tmp/tools/yolo-distill" detect --weights "$model" --source "$image" --device cpu --out "$tmp/detect" >/dev/null)
rows=$(($(wc -l < "$tmp/detect/detections.csv") - 1))
[ "$rows" -gt 0 ] || { echo "pack-check: the installed tool found no object" >&2; exit 1; }
echo "tool: $rows objects"

step "building a console project that references YoloDistill.Detector $version"
mkdir -p "$tmp/consumer"
sed "s/@VERSION@/$version/" scripts/pack-check/Consumer.csproj.in > "$tmp/consumer/Consumer.csproj"
cp scripts/pack-check/Program.cs "$tmp/consumer/"
cp "$tmp/nuget.config" "$tmp/consumer/nuget.config"
dotnet build "$tmp/consumer" -c Release -nologo -v q -o "$tmp/consumer/out" >/dev/null
step "running it"
out=$(dotnet "$tmp/consumer/out/Consumer.dll" "$model" "$image")
echo "$out"
for backend in torch onnx; do
  n=$(echo "$out" | sed -n "s/^$backend: \([0-9]*\) objects$/\1/p")
  [ "${n:-0}" -gt 0 ] || { echo "pack-check: the consumer found no object with $backend" >&2; exit 1; }
  for cls in $expect; do
    echo "$out" | grep -q "^$backend $cls " || { echo "pack-check: the consumer ($backend) found no $cls" >&2; exit 1; }
  done
done
step "building a console project that references YoloDistill.Distillation $version"
mkdir -p "$tmp/distiller"
sed "s/@VERSION@/$version/" scripts/pack-check/distill/Consumer.csproj.in > "$tmp/distiller/Consumer.csproj"
cp scripts/pack-check/distill/Program.cs "$tmp/distiller/"
cp "$tmp/nuget.config" "$tmp/distiller/nuget.config"
dotnet build "$tmp/distiller" -c Release -nologo -v q -o "$tmp/distiller/out" >/dev/null
step "running a one-epoch distillation through the API"
out=$(dotnet "$tmp/distiller/out/Consumer.dll" "$repo/weights/teacher-yolov5s-shapes.ckpt" "$tmp/distiller/work")
echo "$out"
echo "$out" | grep -q "^epoch 0: imitation loss [0-9]" || { echo "pack-check: the distillation consumer reported no epoch with an imitation loss" >&2; exit 1; }
echo "$out" | grep -q "^distill: 1 epochs, best " || { echo "pack-check: the distillation consumer did not finish" >&2; exit 1; }
step "passed"
