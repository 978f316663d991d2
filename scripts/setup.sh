#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian 12 / Ubuntu machine with the .NET 10 SDK, only when missing:
# OpenCvSharp's official Linux runtime links against GTK 3 (libgtk-3-0) and needs libgomp/libgl for some builds;
# Open MPI runs training on several processes.
set -euo pipefail

need=()
# Open MPI (openmpi-bin, libopenmpi3): multi-process training under mpirun, and its tests.
pkgs=(libgtk-3-0 libgomp1 openmpi-bin libopenmpi3)
for p in "${pkgs[@]}"; do
  # Ubuntu 24.04 renamed libgtk-3-0 to libgtk-3-0t64; either satisfies OpenCvSharp.
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
     && ! dpkg-query -W -f='${Status}' "${p}t64" 2>/dev/null | grep -q "install ok installed"; then
    need+=("$p")
  fi
done

if ((${#need[@]})); then
  echo "setup: installing ${need[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; then
    # Ubuntu 24.04 names it libgtk-3-0t64.
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      "${need[@]/%libgtk-3-0/libgtk-3-0t64}" >/dev/null 2>&1 \
      || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libgtk-3-0t64 libgomp1 openmpi-bin libopenmpi3t64 >/dev/null
  fi
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK (dotnet) is required: https://dot.net" >&2
  exit 1
fi
