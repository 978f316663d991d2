#!/usr/bin/env bash
# Runs every benchmark on this machine and writes the JSON results to scripts/bench-results/ (quoted in the README).
# Run it on an otherwise idle machine: timings taken beside other work are not comparable.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dotnet build Distill/Distill.csproj -c Release -nologo -v q
Y="dotnet Distill/bin/Release/net10.0/yolo-distill.dll"
REF=${YOLO_DISTILL_REFDATA:-$(cd .. && pwd)/shared}
OUT=scripts/bench-results
mkdir -p "$OUT"
[ -d datasets/shapes/annotations ] || $Y dataset synth --out datasets/shapes --seed 0

for m in yolov5n yolov5s yolov5m yolov5l yolov5x; do $Y bench model --model $m --img 640 --runs 0 --out "$OUT/model_$m.json"; done
$Y bench model --model yolov5n --img 640 --weights "$REF/weights/yolov5n.safetensors" --runs 10 --out "$OUT/model_yolov5n_forward.json"
$Y bench train-step --model yolov5n --batch 16 --img 320 --out "$OUT/train-step_yolov5n_b16_320.json"
$Y bench loader --data "$REF/data/coco128" --split train2017 --img 640 --batch 16 --workers 2 --out "$OUT/loader_coco128_640_b16.json"
$Y bench loader --data datasets/shapes --split train --img 320 --batch 16 --workers 2 --out "$OUT/loader_shapes_320_b16.json"
$Y bench infer --weights "$REF/weights/yolov5n.pt" --img 640 --runs 30 --out "$OUT/infer_yolov5n_640.json"
$Y bench cocoeval --annotations "$REF/data/coco128/annotations/instances_train2017.json" \
  --detections "$REF/reference/preds/yolov5n_coco128.json" --out "$OUT/cocoeval_coco128.json"
$Y bench model --model yolov5s --nc 8 --img 320 --batch 16 --runs 8 --out "$OUT/model_yolov5s_b16_320_forward.json"
for p in fp32 bf16; do
  $Y bench distill-step --teacher weights/teacher-yolov5s-shapes.ckpt --student yolov5n --batch 16 --img 320 --device cpu \
    --teacher-precision $p --out "$OUT/distill-step_s_to_n_b16_320_$p.json"
done
echo "results in $OUT"
