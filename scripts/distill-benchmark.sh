#!/usr/bin/env bash
# Distillation benchmark on the built-in synthetic data, the way people distill: students start from pretrained weights
# (weights/yolov5n-pretrain.ckpt, pretrained by this project on its separate pretraining set), the teacher is clearly
# better than the student can become alone (weights/teacher-yolov5s-shapes.ckpt), and the baseline and every distilled
# student get the same data, budget and seeds. A from-scratch pair is kept as a second protocol.
#
#   bash scripts/distill-benchmark.sh
#
# Environment (defaults): SEEDS="0 1 2" EPOCHS=5 IMG=320 BATCH=16 THREADS=2
#   METHODS="baseline fgfi fgfi+kd kd fgfi-paper=fgfi,--fgfi-preset,paper"   (pretrained start; label=method,--option,value,...)
#   SCRATCH_METHODS="baseline fgfi"                                           (from scratch; "" to skip)
#   TEACHER, STUDENT_WEIGHTS, DATA=datasets/shapes, OUT=runs/distill-benchmark, RESULTS=scripts/bench-results
#   YD: a prebuilt yolo-distill.dll (lets the benchmark run from a copy while the checkout is rebuilt).
#
# Output: OUT/<label>-s<seed>/ (each run), OUT/val-*/stats.json, OUT/results.{md,csv}, and the table, every run's
# results.csv and the wall times copied to RESULTS/distill-benchmark*. Finished runs are skipped when run again.
# Cost on a 2-core AVX2 machine (AMD EPYC, 2026-12-02, fp32 teacher): about 3.6 min per baseline run and 4-6 min per
# distilled run (5 epochs + val), so the default rows and the from-scratch pair take about 1.5 hours.
# Further rows of the README's table: METHODS="kd-w1=kd,--kd-weight,1 fgfi+kd-w1=fgfi+kd,--kd-weight,1
#   fgfi-normalised=fgfi,--fgfi-preset,normalised" SCRATCH_METHODS="" bash scripts/distill-benchmark.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${SEEDS:-"0 1 2"}
EPOCHS=${EPOCHS:-5}
IMG=${IMG:-320}
BATCH=${BATCH:-16}
THREADS=${THREADS:-2}
DATA=${DATA:-datasets/shapes}
TEACHER=${TEACHER:-weights/teacher-yolov5s-shapes.ckpt}
STUDENT_WEIGHTS=${STUDENT_WEIGHTS:-weights/yolov5n-pretrain.ckpt}
METHODS=${METHODS-"baseline fgfi fgfi+kd kd fgfi-paper=fgfi,--fgfi-preset,paper"}
SCRATCH_METHODS=${SCRATCH_METHODS-"baseline fgfi"}
OUT=${OUT:-runs/distill-benchmark}
RESULTS=${RESULTS:-scripts/bench-results}
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}

bash scripts/setup.sh
if [ -z "${YD:-}" ]; then
  dotnet build Distill/Distill.csproj -c Release -nologo -v q
  YD=Distill/bin/Release/net10.0/yolo-distill.dll
fi
Y="dotnet $YD"
[ -d "$DATA/annotations" ] || $Y dataset synth --out "$DATA" --seed 0 --img "$IMG"
for f in "$TEACHER" "$STUDENT_WEIGHTS"; do
  [ -f "$f" ] || { echo "$f not found (README, 'The shipped weights', says how it is made)" >&2; exit 2; }
done
mkdir -p "$OUT" "$RESULTS/distill-benchmark"
times="$OUT/wall_times.csv"
[ -f "$times" ] || echo "run,seconds" > "$times"

common=(--data "$DATA" --split train --val-split val --epochs "$EPOCHS" --batch "$BATCH" --img "$IMG" --workers 2 --threads "$THREADS" --cache --diagnose-every 25)
val() { # name weights
  [ -f "$OUT/val-$1/stats.json" ] || $Y val --data "$DATA" --split val --weights "$2" --img "$IMG" --batch "$BATCH" --out "$OUT/val-$1" --no-plots
}
train_one() { # label start seed spec
  local label=$1 start=$2 seed=$3 spec=$4
  local m=${spec%%=*}; local rest=${spec#*=}
  IFS=, read -r -a parts <<< "$rest"
  local method=${parts[0]}; local extra=("${parts[@]:1}")
  local name="$label-s$seed" run="$OUT/$label-s$seed"
  local init=(); [ "$start" = pretrained ] && init=(--weights "$STUDENT_WEIGHTS")
  if [ ! -f "$run/.finished" ]; then
    local t0=$SECONDS
    if [ -f "$run/weights/last.ckpt" ]; then
      if [ "$m" = baseline ]; then $Y train --resume "$run" --threads "$THREADS"; else $Y distill --resume "$run" --threads "$THREADS"; fi
    elif [ "$m" = baseline ]; then
      $Y train "${common[@]}" --model yolov5n ${init[@]+"${init[@]}"} --seed "$seed" --out "$run"
    else
      local sinit=(); [ "$start" = pretrained ] && sinit=(--student-weights "$STUDENT_WEIGHTS")
      $Y distill "${common[@]}" --teacher "$TEACHER" --student yolov5n ${sinit[@]+"${sinit[@]}"} --method "$method" ${extra[@]+"${extra[@]}"} --seed "$seed" --out "$run"
    fi
    echo "$name,$((SECONDS - t0))" >> "$times"
    touch "$run/.finished"
  fi
  val "$name" "$run/weights/best.ckpt"
  cp "$run/results.csv" "$RESULTS/distill-benchmark/$name.csv"
}

val teacher "$TEACHER"
labels=()
for spec in $METHODS; do labels+=("${spec%%=*}"); done
for spec in $SCRATCH_METHODS; do labels+=("scratch-${spec%%=*}"); done
summary() { python3 - "$OUT" "$RESULTS" "$SEEDS" "${labels[@]}" < scripts/distill-benchmark-summary.py; }
# Seed by seed, so that an interrupted benchmark (SIGTERM, or SEEDS/METHODS cut short) still tabulates what it finished:
# the table names how many seeds each row has. The from-scratch pair runs after every pretrained-start row.
for seed in $SEEDS; do
  for spec in $METHODS; do train_one "${spec%%=*}" pretrained "$seed" "$spec"; done
  summary > /dev/null
done
for seed in $SEEDS; do
  for spec in $SCRATCH_METHODS; do train_one "scratch-${spec%%=*}" scratch "$seed" "$spec"; done
  summary > /dev/null
done
summary
exit 0

