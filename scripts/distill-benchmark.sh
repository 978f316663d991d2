#!/usr/bin/env bash
# Distillation benchmark on the built-in synthetic dataset: with the same budget and seeds, trains a baseline student
# and distilled students (fgfi, cwd, kd) against one teacher, evaluates each, and writes a table of mAP50-95 and mAP50
# per method with mean and spread over the seeds.
#
#   bash scripts/distill-benchmark.sh [SEEDS="0 1 2"] [EPOCHS=8] [IMG=320] [TEACHER=weights/teacher-yolov5s-shapes.ckpt]
#
# METHODS (default "baseline fgfi cwd kd") may also hold variants written label=method,--option,value,...
# e.g. METHODS="baseline fgfi fgfi-l0.001=fgfi,--imitation-weight,0.001".
#
# Output: runs/distill-benchmark/<method>-s<seed>/ (train runs), .../val-<method>-s<seed>/stats.json, and
# runs/distill-benchmark/results.csv + results.md. Finished runs are skipped when the script is run again.
# Cost: (1 + number of methods) x seeds student trainings; at 8 epochs on 2 CPU cores about 3.5 min for a baseline
# and 5 min for a distilled student.
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${SEEDS:-"0 1 2"}
EPOCHS=${EPOCHS:-8}
IMG=${IMG:-320}
BATCH=${BATCH:-16}
DATA=${DATA:-datasets/shapes}
TEACHER=${TEACHER:-weights/teacher-yolov5s-shapes.ckpt}
METHODS=${METHODS:-"baseline fgfi cwd kd"}
OUT=${OUT:-runs/distill-benchmark}
THREADS=${THREADS:-0}

bash scripts/setup.sh
# YD: a prebuilt yolo-distill.dll to use (lets the benchmark run from a copy while the checkout is rebuilt).
if [ -z "${YD:-}" ]; then
  dotnet build Distill/Distill.csproj -c Release -nologo -v q
  YD=Distill/bin/Release/net10.0/yolo-distill.dll
fi
Y="dotnet $YD"
[ -d "$DATA/annotations" ] || $Y dataset synth --out "$DATA" --seed 0 --img "$IMG"
[ -f "$TEACHER" ] || { echo "teacher $TEACHER not found (see README: how the shipped teacher was trained)" >&2; exit 2; }
mkdir -p "$OUT"

common=(--data "$DATA" --split train --val-split val --epochs "$EPOCHS" --batch "$BATCH" --img "$IMG" --workers 2 --threads "$THREADS")
for seed in $SEEDS; do
  for spec in $METHODS; do
    m=${spec%%=*}
    IFS=, read -r -a parts <<< "${spec#*=}"
    method=${parts[0]}
    extra=("${parts[@]:1}")
    run="$OUT/$m-s$seed"
    if [ ! -f "$run/weights/best.ckpt" ] || [ ! -f "$run/.finished" ]; then
      if [ -f "$run/weights/last.ckpt" ]; then
        if [ "$m" = baseline ]; then $Y train --resume "$run"; else $Y distill --resume "$run"; fi
      elif [ "$m" = baseline ]; then
        $Y train "${common[@]}" --model yolov5n --seed "$seed" --out "$run"
      else
        $Y distill "${common[@]}" --teacher "$TEACHER" --student yolov5n --method "$method" ${extra[@]+"${extra[@]}"} --seed "$seed" --out "$run"
      fi
      touch "$run/.finished"
    fi
    [ -f "$OUT/val-$m-s$seed/stats.json" ] || \
      $Y val --data "$DATA" --split val --weights "$run/weights/best.ckpt" --img "$IMG" --batch "$BATCH" --out "$OUT/val-$m-s$seed" --no-plots
  done
done

python3 - "$OUT" "$METHODS" "$SEEDS" <<'PY'
import json, statistics, sys, os
out, methods, seeds = sys.argv[1], [m.split("=")[0] for m in sys.argv[2].split()], sys.argv[3].split()
rows = []
for m in methods:
    a, a50 = [], []
    for s in seeds:
        st = json.load(open(os.path.join(out, f"val-{m}-s{s}", "stats.json")))["coco"]
        a.append(st[0]); a50.append(st[1])
    sd = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0
    rows.append((m, statistics.mean(a), sd(a), statistics.mean(a50), sd(a50), a))
with open(os.path.join(out, "results.csv"), "w") as f:
    f.write("method,map50_95_mean,map50_95_std,map50_mean,map50_std,map50_95_per_seed\n")
    for m, a, sa, b, sb, per in rows:
        f.write(f"{m},{a:.4f},{sa:.4f},{b:.4f},{sb:.4f},{' '.join(f'{x:.4f}' for x in per)}\n")
with open(os.path.join(out, "results.md"), "w") as f:
    f.write(f"| student (yolov5n) | mAP50-95 mean ± sd | mAP50 mean ± sd | per seed ({', '.join(seeds)}) |\n|---|---|---|---|\n")
    for m, a, sa, b, sb, per in rows:
        f.write(f"| {m} | {a:.4f} ± {sa:.4f} | {b:.4f} ± {sb:.4f} | {' '.join(f'{x:.4f}' for x in per)} |\n")
print(open(os.path.join(out, "results.md")).read())
PY
