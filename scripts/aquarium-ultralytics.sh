#!/usr/bin/env bash
# Fine-tuning the COCO yolov5n on aquarium (a real, non-COCO dataset), this project beside Ultralytics YOLOv5 v7.0's
# own train.py, same recipe: yolov5n.pt, batch 16, hyp.scratch-low, SGD, AutoAnchor on, images cached, 2 threads.
# Each side trains with the same seeds; every last.pt/last.ckpt is then validated on valid and test by both
# evaluators where they can read it (Ultralytics val.py reads only its own .pt files; this project's val reads both),
# so the comparison is not a comparison of evaluators.
#
#   bash scripts/aquarium-ultralytics.sh [--sizes "320 640"] [--seeds "0 1 2"] [--epochs 10] [--sides "yd py"]
#
# Needs: YOLO_DISTILL_REFDATA (default ../shared) with data/aquarium and weights/yolov5n.pt; for the Python side
# Debian's python3-torch (1.13), python3-torchvision, python3-opencv, python3-ipython, python3-yaml, -tqdm, -pandas,
# -matplotlib, -seaborn, -scipy, -psutil, -git, -pil, -requests (apt-get install -y ...), and a checkout of github.com/ultralytics/yolov5 at tag v7.0 in YOLOV5_DIR (default ../yolov5) whose
# utils/loggers/__init__.py guards `from torch.utils.tensorboard import SummaryWriter` (tensorboard is not packaged).
# Output: runs/aquarium-ultralytics/{yd,py}-<img>-s<seed>/ and, copied as each run finishes,
# scripts/bench-results/aquarium-ultralytics/ (every results.csv, every val's numbers in vals.csv, wall times).
# Finished runs and vals are skipped when run again.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES="320"; SEEDS="0 1 2"; EPOCHS=10; SIDES="yd py"
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) SIZES=$2; shift 2 ;;
    --seeds) SEEDS=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --sides) SIDES=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "aquarium-ultralytics.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
REF=$(realpath "${YOLO_DISTILL_REFDATA:-../shared}")
YOLOV5_DIR=$(realpath "${YOLOV5_DIR:-../yolov5}")
PY=${PY:-/usr/bin/python3}
OUT=$(realpath -m runs/aquarium-ultralytics)
RES=$(realpath -m scripts/bench-results/aquarium-ultralytics)
DATA=datasets/aquarium
[ -f "$REF/weights/yolov5n.pt" ] || { echo "$REF/weights/yolov5n.pt not found (set YOLO_DISTILL_REFDATA)" >&2; exit 2; }
mkdir -p "$OUT" "$RES"
export MALLOC_ARENA_MAX=2
[ -f "$RES/wall_times.csv" ] || echo "run,seconds" > "$RES/wall_times.csv"
[ -f "$RES/vals.csv" ] || echo "run,weights_side,evaluator,split,precision,recall,map50,map50_95,coco_map50_95" > "$RES/vals.csv"

# YD: a prebuilt yolo-distill.dll (lets the runs go on from a copy while the checkout is rebuilt).
if [ -z "${YD:-}" ]; then
  dotnet build Distill/Distill.csproj -c Release -nologo -v q
  YD=Distill/bin/Release/net10.0/yolo-distill.dll
fi
Y="dotnet $YD"
for s in train valid test; do
  [ -f "$DATA/annotations/instances_$s.json" ] || $Y dataset convert --from yolo --images "$REF/data/aquarium/$s/images" \
    --labels "$REF/data/aquarium/$s/labels" --names "$REF/data/aquarium/data.yaml" --out "$DATA" --split "$s"
done

# Ultralytics reads YOLO txt next to the images and writes labels.cache there: it gets its own copy of the export.
PYDATA=$OUT/aquarium-yolo
if [[ " $SIDES " == *" py "* ]] && [ ! -f "$PYDATA/aquarium.yaml" ]; then
  mkdir -p "$PYDATA" && cp -r "$REF/data/aquarium/"{train,valid,test} "$PYDATA/" && rm -f "$PYDATA"/*/labels.cache
  printf 'path: %s\ntrain: train/images\nval: valid/images\ntest: test/images\nnc: 7\nnames: %s\n' "$PYDATA" \
    "$(grep '^names:' "$REF/data/aquarium/data.yaml" | cut -d' ' -f2-)" > "$PYDATA/aquarium.yaml"
fi
pyenv() { mkdir -p "$OUT/yolov5-config"; cp -n /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf "$OUT/yolov5-config/Arial.ttf" 2>/dev/null || true
  env YOLOv5_AUTOINSTALL=False YOLOV5_CONFIG_DIR="$OUT/yolov5-config" OMP_NUM_THREADS=2 "$@"; }

timed() { # name command...
  local name=$1; shift; local t0=$SECONDS
  "$@"
  echo "$name,$((SECONDS - t0))" >> "$RES/wall_times.csv"
}
record_yd_val() { # run side split stats.json
  $PY - "$@" >> "$RES/vals.csv" <<'EOF'
import json, sys
run, side, split, f = sys.argv[1:]
s = json.load(open(f))
print(f"{run},{side},yolo-distill,{split},{s['precision']:.6f},{s['recall']:.6f},{s['map50']:.6f},{s['map50_95']:.6f},{s['coco'][0]:.6f}")
EOF
}
yd_val() { # run side weights split
  local d="$OUT/val-$1-$2-by-yd-$4"
  [ -f "$d/stats.json" ] || $Y val --data "$DATA" --split "$4" --weights "$3" --img "$img" --batch 16 --out "$d" --no-plots
  grep -q "^$1,$2,yolo-distill,$4," "$RES/vals.csv" || record_yd_val "$1" "$2" "$4" "$d/stats.json"
}
py_val() { # run weights split (val.py's task names valid "val")
  local d="$OUT/val-$1-py-by-py-$3" task=$3; [ "$3" = valid ] && task=val
  grep -q "^$1,py,ultralytics,$3," "$RES/vals.csv" && return 0
  (cd "$YOLOV5_DIR" && pyenv "$PY" val.py --data "$PYDATA/aquarium.yaml" --weights "$(realpath "$2")" --img "$img" --batch-size 16 \
    --task "$task" --device cpu --project "$d" --name v --exist-ok --verbose) 2>&1 | tee "$d.log" | tail -12
  # val.py's last "all" row: Class Images Instances P R mAP50 mAP50-95
  awk -v run="$1" -v sp="$3" '$1=="all" {p=$4; r=$5; m50=$6; m=$7} END {printf "%s,py,ultralytics,%s,%s,%s,%s,%s,\n", run, sp, p, r, m50, m}' "$d.log" >> "$RES/vals.csv"
}

for img in $SIZES; do
  for seed in $SEEDS; do
    if [[ " $SIDES " == *" yd "* ]]; then
      run=yd-$img-s$seed
      if [ ! -f "$OUT/$run/weights/last.ckpt" ] || [ ! -f "$RES/$run.csv" ]; then
        rm -rf "${OUT:?}/$run"
        timed "$run" $Y train --data "$DATA" --split train --val-split valid --weights "$REF/weights/yolov5n.pt" --epochs "$EPOCHS" \
          --batch 16 --img "$img" --seed "$seed" --workers 2 --threads 2 --cache --noplots --out "$OUT/$run"
        cp "$OUT/$run/results.csv" "$RES/$run.csv"
      fi
      yd_val "$run" yd "$OUT/$run/weights/last.ckpt" valid
      yd_val "$run" yd "$OUT/$run/weights/last.ckpt" test
    fi
    if [[ " $SIDES " == *" py "* ]]; then
      run=py-$img-s$seed
      if [ ! -f "$OUT/$run/weights/last.pt" ] || [ ! -f "$RES/$run.csv" ]; then
        rm -rf "${OUT:?}/$run"
        (cd "$YOLOV5_DIR" && timed "$run" pyenv "$PY" train.py --data "$PYDATA/aquarium.yaml" --weights "$REF/weights/yolov5n.pt" \
          --epochs "$EPOCHS" --batch-size 16 --img "$img" --seed "$seed" --workers 2 --device cpu --cache ram --noplots \
          --project "$OUT" --name "$run" --exist-ok) 2>&1 | tee "$OUT/$run.log" | grep -E "^ +[0-9]+/[0-9]+ .*100%|all " || true
        [ -f "$OUT/$run/weights/last.pt" ] || { echo "train.py failed: $OUT/$run.log" >&2; exit 1; }
        # train.py pads its columns with spaces
        sed 's/ //g' "$OUT/$run/results.csv" > "$RES/$run.csv"
      fi
      py_val "$run" "$OUT/$run/weights/last.pt" valid
      py_val "$run" "$OUT/$run/weights/last.pt" test
      yd_val "$run" py "$OUT/$run/weights/last.pt" valid
      yd_val "$run" py "$OUT/$run/weights/last.pt" test
    fi
  done
done
echo "results: $RES/vals.csv and $RES/*.csv"
