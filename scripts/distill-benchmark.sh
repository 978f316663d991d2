#!/usr/bin/env bash
# Distillation benchmark on the built-in synthetic data, the way people distill: students start from pretrained weights
# (weights/yolov5n-pretrain.ckpt, pretrained by this project on its separate pretraining set), the teacher is clearly
# better than the student can become alone (weights/teacher-yolov5s-shapes.ckpt), and the baseline and every distilled
# student get the same data, budget and seeds. A from-scratch pair is kept as a second protocol.
#
#   bash scripts/distill-benchmark.sh [--data DIR] [--train-split S] [--val-split S] [--img N] [--teacher FILE]
#        [--student-weights FILE] [--epochs N] [--seeds "0 1 2"] [--methods "baseline fgfi ..."] [--scratch-methods "..."]
#        [--name NAME] [--dry-run]
#
# A flag wins over its environment variable. Environment (defaults): SEEDS="0 1 2" EPOCHS=5 IMG=320 BATCH=16 THREADS=2
#   METHODS="baseline fgfi fgfi+kd kd fgfi-paper=fgfi,--fgfi-preset,paper"   (pretrained start; label=method,--option,value,...)
#   SCRATCH_METHODS="baseline fgfi"                                           (from scratch; "" to skip)
#   TEACHER, STUDENT_WEIGHTS, DATA=datasets/shapes, TRAIN_SPLIT=train, VAL_SPLIT=val, RESULTS=scripts/bench-results
#   NAME=distill-benchmark: names the results, so that another table does not overwrite this one's:
#     OUT=runs/NAME (the runs), RESULTS/NAME.md, RESULTS/NAME.csv and RESULTS/NAME/ (every run's results.csv, wall times).
#     E.g. the full schedule: NAME=distill-benchmark-full EPOCHS=30 (or --name distill-benchmark-full --epochs 30).
#   YD: a prebuilt yolo-distill.dll (lets the benchmark run from a copy while the checkout is rebuilt).
#   --dry-run: print every train/distill/val command instead of running it (no build, no setup, no training).
# A teacher file named yolov5s.pt is checked against Ultralytics v7.0's release file (sha256 and size); a warning says
# when it differs (another version's yolov5s.pt has other weights and other numbers).
#
# Output: OUT/<label>-s<seed>/ (each run), OUT/val-*/stats.json, OUT/results.{md,csv}, and the table, every run's
# results.csv and the wall times copied to RESULTS/NAME*. Finished runs are skipped when run again.
# Cost on a 2-core AVX2 machine (AMD EPYC, 2026-12-02, fp32 teacher): about 3.6 min per baseline run and 4-6 min per
# distilled run (5 epochs + val), so the default rows and the from-scratch pair take about 1.5 hours.
# Further rows of the README's table: METHODS="kd-w1=kd,--kd-weight,1 fgfi+kd-w1=fgfi+kd,--kd-weight,1
#   fgfi-normalised=fgfi,--fgfi-preset,normalised" SCRATCH_METHODS="" bash scripts/distill-benchmark.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DRY=0
usage() { sed -n '7,9p' "$0" | sed 's/^# *//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --data) DATA=${2:?--data needs a value}; shift 2 ;;
    --train-split) TRAIN_SPLIT=${2:?--train-split needs a value}; shift 2 ;;
    --val-split) VAL_SPLIT=${2:?--val-split needs a value}; shift 2 ;;
    --img) IMG=${2:?--img needs a value}; shift 2 ;;
    --teacher) TEACHER=${2:?--teacher needs a value}; shift 2 ;;
    --student-weights) STUDENT_WEIGHTS=${2:?--student-weights needs a value}; shift 2 ;;
    --epochs) EPOCHS=${2:?--epochs needs a value}; shift 2 ;;
    --seeds) SEEDS=${2?--seeds needs a value}; shift 2 ;;
    --methods) METHODS=${2?--methods needs a value}; shift 2 ;;
    --scratch-methods) SCRATCH_METHODS=${2?--scratch-methods needs a value}; shift 2 ;;
    --name) NAME=${2:?--name needs a value}; shift 2 ;;
    --dry-run) DRY=1; shift ;;
    -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "distill-benchmark.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
SEEDS=${SEEDS:-"0 1 2"}
EPOCHS=${EPOCHS:-5}
IMG=${IMG:-320}
BATCH=${BATCH:-16}
THREADS=${THREADS:-2}
# fp32 on every machine: auto picks bf16 where the CPU has AVX512_BF16, and the teacher's numbers would then depend on it.
TEACHER_PRECISION=${TEACHER_PRECISION:-fp32}
DEFAULT_TEACHER=weights/teacher-yolov5s-shapes.ckpt
DATA=${DATA:-datasets/shapes}
TRAIN_SPLIT=${TRAIN_SPLIT:-train}
VAL_SPLIT=${VAL_SPLIT:-val}
TEACHER=${TEACHER:-$DEFAULT_TEACHER}
STUDENT_WEIGHTS=${STUDENT_WEIGHTS:-weights/yolov5n-pretrain.ckpt}
METHODS=${METHODS-"baseline fgfi fgfi+kd kd fgfi-paper=fgfi,--fgfi-preset,paper"}
SCRATCH_METHODS=${SCRATCH_METHODS-"baseline fgfi"}
NAME=${NAME:-distill-benchmark}
case "$NAME" in */*|.*|"") echo "distill-benchmark.sh: --name '$NAME': a plain file name is needed" >&2; exit 2 ;; esac
case "$EPOCHS" in ''|*[!0-9]*) echo "distill-benchmark.sh: --epochs '$EPOCHS': a whole number is needed" >&2; exit 2 ;; esac
OUT=${OUT:-runs/$NAME}
RESULTS=${RESULTS:-scripts/bench-results}
# The table names the teacher: the shipped one as before, any other by its path.
# Its validation is kept under a name of its own (val-teacher for the shipped one, val-teacher-<file> for another), so
# that a second teacher in the same NAME is never read from the first one's folder.
if [ "$TEACHER" = "$DEFAULT_TEACHER" ]; then TEACHER_LABEL="yolov5s, shipped"; TEACHER_RUN=teacher
else TEACHER_LABEL=$TEACHER; TEACHER_RUN=teacher-$(basename "${TEACHER%.*}"); fi
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}

# Ultralytics v7.0's yolov5s.pt (github.com/ultralytics/yolov5/releases/download/v7.0/yolov5s.pt).
YOLOV5S_V70_SHA256=8b3b748c1e592ddd8868022e8732fde20025197328490623cc16c6f24d0782ee
YOLOV5S_V70_BYTES=14808437
if [ "$(basename "$TEACHER")" = yolov5s.pt ] && [ -f "$TEACHER" ]; then
  got_sha=$(sha256sum "$TEACHER" | cut -d' ' -f1); got_bytes=$(stat -c %s "$TEACHER")
  if [ "$got_sha" != "$YOLOV5S_V70_SHA256" ] || [ "$got_bytes" != "$YOLOV5S_V70_BYTES" ]; then
    echo "warning: $TEACHER is not Ultralytics v7.0's yolov5s.pt (sha256 $got_sha, $got_bytes bytes; v7.0's is $YOLOV5S_V70_SHA256, $YOLOV5S_V70_BYTES bytes)" >&2
  fi
fi

if [ "$DRY" = 1 ]; then
  Y="echo [dry-run] yolo-distill"
else
  bash scripts/setup.sh
  if [ -z "${YD:-}" ]; then
    dotnet build Distill/Distill.csproj -c Release -nologo -v q
    YD=Distill/bin/Release/net10.0/yolo-distill.dll
  fi
  Y="dotnet $YD"
  # Only the built-in data is made here; any other --data must exist.
  if [ "$DATA" = datasets/shapes ]; then [ -d "$DATA/annotations" ] || $Y dataset synth --out "$DATA" --seed 0 --img "$IMG"
  else [ -f "$DATA/annotations/instances_$TRAIN_SPLIT.json" ] || { echo "$DATA/annotations/instances_$TRAIN_SPLIT.json not found (dataset convert makes it)" >&2; exit 2; }; fi
fi
for f in "$TEACHER" "$STUDENT_WEIGHTS"; do
  [ -f "$f" ] || { echo "$f not found (README, 'The shipped weights', says how it is made)" >&2; exit 2; }
done
if [ "$DRY" = 1 ]; then
  echo "[dry-run] NAME=$NAME OUT=$OUT results: $RESULTS/$NAME.md $RESULTS/$NAME.csv $RESULTS/$NAME/"
  echo "[dry-run] data $DATA, teacher $TEACHER ($TEACHER_LABEL), student weights $STUDENT_WEIGHTS, $EPOCHS epochs, seeds $SEEDS"
fi
times="$OUT/wall_times.csv"
if [ "$DRY" = 0 ]; then
  mkdir -p "$OUT" "$RESULTS/$NAME"
  [ -f "$times" ] || echo "run,seconds" > "$times"
fi

common=(--data "$DATA" --split "$TRAIN_SPLIT" --val-split "$VAL_SPLIT" --epochs "$EPOCHS" --batch "$BATCH" --img "$IMG" --workers 2 --threads "$THREADS" --cache --diagnose-every 25)
val() { # name weights
  [ -f "$OUT/val-$1/stats.json" ] && [ "$DRY" = 0 ] || $Y val --data "$DATA" --split "$VAL_SPLIT" --weights "$2" --img "$IMG" --batch "$BATCH" --out "$OUT/val-$1" --no-plots
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
      $Y distill "${common[@]}" --teacher "$TEACHER" --student yolov5n ${sinit[@]+"${sinit[@]}"} --teacher-precision "$TEACHER_PRECISION" --method "$method" ${extra[@]+"${extra[@]}"} --seed "$seed" --out "$run"
    fi
    if [ "$DRY" = 0 ]; then
      echo "$name,$((SECONDS - t0))" >> "$times"
      touch "$run/.finished"
    fi
  fi
  val "$name" "$run/weights/best.ckpt"
  if [ "$DRY" = 0 ]; then
    # Each finished run is copied at once (results.csv, the diagnostics, val's stats, the wall times), so a benchmark
    # that spans sessions loses nothing with the machine.
    cp "$run/results.csv" "$RESULTS/$NAME/$name.csv"
    [ ! -f "$run/diagnostics.csv" ] || cp "$run/diagnostics.csv" "$RESULTS/$NAME/$name.diagnostics.csv"
    cp "$OUT/val-$name/stats.json" "$RESULTS/$NAME/$name.val.json"
    cp "$times" "$RESULTS/$NAME/wall_times.csv"
  fi
}

val "$TEACHER_RUN" "$TEACHER"
[ "$DRY" = 1 ] || cp "$OUT/val-$TEACHER_RUN/stats.json" "$RESULTS/$NAME/$TEACHER_RUN.val.json"
labels=()
for spec in $METHODS; do labels+=("${spec%%=*}"); done
for spec in $SCRATCH_METHODS; do labels+=("scratch-${spec%%=*}"); done
summary() {
  [ "$DRY" = 1 ] && return 0
  NAME="$NAME" TEACHER_LABEL="$TEACHER_LABEL" TEACHER_RUN="$TEACHER_RUN" python3 - "$OUT" "$RESULTS" "$SEEDS" "${labels[@]}" < scripts/distill-benchmark-summary.py
}
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

