#!/usr/bin/env bash
# Issue 21: 1 process against N processes (mpirun) on this machine: one epoch of the benchmark's baseline fine-tuning
# (yolov5n from weights/yolov5n-pretrain.ckpt, datasets/shapes, batch 16 at 320, cached), the training speed rank 0 reports
# and the wall time, and the all-reduce's time for yolov5n's gradient (tests/MpiProbe). Run on an otherwise idle machine.
#   bash scripts/ddp-scaling.sh [N=2]      -> scripts/bench-results/ddp-scaling.txt
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2}
YD=${YD:-Distill/bin/Release/net10.0/yolo-distill.dll}
PROBE=${PROBE:-tests/MpiProbe/bin/Release/net10.0/MpiProbe.dll}
export MALLOC_ARENA_MAX=2 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cores=$(nproc)
out=scripts/bench-results/ddp-scaling.txt
common=(train --data datasets/shapes --split train --val-split val --weights weights/yolov5n-pretrain.ckpt --epochs 1 --batch 16
        --img 320 --cache --noplots --seed 0)
rate() { grep -ao '[0-9.]* img/s' "$1" | tail -1; }
{
  echo "date $(date -u +%FT%TZ), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $cores cores, commit $(git rev-parse --short HEAD)"
  rm -rf runs/ddp-scaling
  t0=$SECONDS; dotnet "$YD" "${common[@]}" --workers 2 --threads "$cores" --out runs/ddp-scaling/one > runs/ddp-one.log 2>&1
  echo "1 process x $cores threads: wall $((SECONDS - t0)) s (1 epoch of 50 batches + validation), last step rate $(rate runs/ddp-one.log)"
  t0=$SECONDS; mpirun --oversubscribe -np "$N" dotnet "$YD" "${common[@]}" --workers 1 --threads $((cores / N > 0 ? cores / N : 1)) \
    --out runs/ddp-scaling/many > runs/ddp-many.log 2>&1
  echo "$N processes x $((cores / N > 0 ? cores / N : 1)) threads: wall $((SECONDS - t0)) s, rank 0's last step rate $(rate runs/ddp-many.log) (its share: batch/$N)"
  mpirun --oversubscribe -np "$N" dotnet "$PROBE" allreduce 1774741 2>/dev/null | grep -a '"rank":0' | sed 's/^[^{]*/all-reduce of yolov5n gradient: /'
  echo "final mAP50-95: one $(tail -1 runs/ddp-scaling/one/results.csv | cut -d, -f8), many $(tail -1 runs/ddp-scaling/many/results.csv | cut -d, -f8)"
} | tee "$out"
