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
# Cost on a 2-core AVX2 machine: about 50 s per baseline epoch and 90 s per distilled epoch (fp32 teacher).
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

common=(--data "$DATA" --split train --val-split val --epochs "$EPOCHS" --batch "$BATCH" --img "$IMG" --workers 2 --threads "$THREADS" --diagnose-every 25)
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
for seed in $SEEDS; do
  for spec in $METHODS; do train_one "${spec%%=*}" pretrained "$seed" "$spec"; done
  for spec in $SCRATCH_METHODS; do train_one "scratch-${spec%%=*}" scratch "$seed" "$spec"; done
done
for spec in $METHODS; do labels+=("${spec%%=*}"); done
for spec in $SCRATCH_METHODS; do labels+=("scratch-${spec%%=*}"); done

python3 - "$OUT" "$RESULTS" "$SEEDS" "${labels[@]}" <<'PY'
import json, os, statistics, sys
out, results, seeds, labels = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4:]
def stats(name):
    return json.load(open(os.path.join(out, f"val-{name}", "stats.json")))["coco"]
teacher = stats("teacher")
times = dict(l.strip().split(",") for l in open(os.path.join(out, "wall_times.csv")).readlines()[1:])
sd = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0
rows = {}
for m in labels:
    a = [stats(f"{m}-s{s}")[0] for s in seeds]
    a50 = [stats(f"{m}-s{s}")[1] for s in seeds]
    t = [float(times.get(f"{m}-s{s}", "nan")) for s in seeds]
    rows[m] = dict(mean=statistics.mean(a), sd=sd(a), mean50=statistics.mean(a50), sd50=sd(a50), per=a, minutes=statistics.mean(t) / 60)
def gap(m, base):
    b = rows[base]["mean"]
    return (rows[m]["mean"] - b) / (teacher[0] - b) if teacher[0] != b else float("nan")
with open(os.path.join(out, "results.csv"), "w") as f:
    f.write("method,map50_95_mean,map50_95_sd,map50_mean,map50_sd,gain_vs_baseline,gap_recovered,minutes_per_run,map50_95_per_seed\n")
    for m, r in rows.items():
        base = "scratch-baseline" if m.startswith("scratch-") else "baseline"
        f.write(f"{m},{r['mean']:.4f},{r['sd']:.4f},{r['mean50']:.4f},{r['sd50']:.4f},{r['mean'] - rows[base]['mean']:+.4f},{gap(m, base):.3f},{r['minutes']:.1f},{' '.join(f'{x:.4f}' for x in r['per'])}\n")
lines = [f"Teacher (yolov5s, shipped): mAP50-95 {teacher[0]:.4f}, mAP50 {teacher[1]:.4f}. Seeds {', '.join(seeds)}.", "",
         f"| student (yolov5n) | mAP50-95 mean ± sd | mAP50 mean ± sd | gain vs its baseline | teacher-baseline gap recovered | per seed ({', '.join(seeds)}) | min per run |",
         "|---|---|---|---|---|---|---|"]
for m, r in rows.items():
    base = "scratch-baseline" if m.startswith("scratch-") else "baseline"
    g = "" if m == base else f"{r['mean'] - rows[base]['mean']:+.4f}"
    share = "" if m == base else f"{100 * gap(m, base):.0f}%"
    lines.append(f"| {m} | {r['mean']:.4f} ± {r['sd']:.4f} | {r['mean50']:.4f} ± {r['sd50']:.4f} | {g} | {share} | {' '.join(f'{x:.4f}' for x in r['per'])} | {r['minutes']:.1f} |")
lines.append("")
def check(text, ok): lines.append(f"- {text}: **{'met' if ok else 'NOT met'}**")
if "fgfi" in rows and "baseline" in rows:
    s = max(rows["fgfi"]["sd"], rows["baseline"]["sd"])
    d = rows["fgfi"]["mean"] - rows["baseline"]["mean"]
    check(f"fgfi (CLI defaults) beats the pretrained-start baseline by more than 2σ: {d:+.4f} vs 2σ = {2 * s:.4f}", d > 2 * s)
if "fgfi+kd" in rows and "kd" in rows:
    d = rows["fgfi+kd"]["mean"] - rows["kd"]["mean"]
    check(f"fgfi+kd beats kd alone: {d:+.4f} (σ {max(rows['fgfi+kd']['sd'], rows['kd']['sd']):.4f})", d > 0)
# Gradient diagnostics (--diagnose-every 25): first and last epoch, means over probes and seeds.
import csv
def diag(m):
    out_rows = {}
    for s in seeds:
        path = os.path.join(out, f"{m}-s{s}", "diagnostics.csv")
        if not os.path.exists(path): return None
        rows = list(csv.DictReader(open(path)))
        last = max(int(r["epoch"]) for r in rows)
        for tag, ep in (("first", 0), ("last", last)):
            for r in rows:
                if int(r["epoch"]) != ep: continue
                for k, v in r.items():
                    out_rows.setdefault((tag, k), []).append(float(v))
    return {k: statistics.mean(v) for k, v in out_rows.items()}
cols = [("det_grad_norm", "detection grad norm"), ("fgfi_grad_norm", "imitation grad norm"), ("cos_det_fgfi", "cos(det, imit)"),
        ("kd_grad_norm", "KD grad norm"), ("cos_det_kd", "cos(det, KD)"),
        ("mean_total_norm", "clipped norm before clip"), ("clipped_fraction", "steps clipped"), ("mean_clip_factor", "mean clip factor"),
        ("fgfi_p3_share", "P3 share"), ("fgfi_p4_share", "P4 share"), ("fgfi_p5_share", "P5 share")]
dl = ["", "Gradient diagnostics (`--diagnose-every 25`; the student's parameters; the first and the last epoch, mean over probes and seeds; "
      "norms of the per-batch loss gradients, the clip acts on the accumulated 4-batch gradient at norm 10):", "",
      "| run | epoch | " + " | ".join(c[1] for c in cols) + " |", "|---|---|" + "---|" * len(cols)]
for m in labels:
    d = diag(m)
    if d is None: continue
    for tag in ("first", "last"):
        dl.append(f"| {m} | {tag} | " + " | ".join(f"{d[(tag, c)]:.3g}" if (tag, c) in d else "" for c, _ in cols) + " |")
lines += dl
text = "\n".join(lines) + "\n"
open(os.path.join(out, "results.md"), "w").write(text)
open(os.path.join(results, "distill-benchmark.md"), "w").write(text)
os.system(f"cp {os.path.join(out, 'results.csv')} {os.path.join(results, 'distill-benchmark.csv')}")
os.system(f"cp {os.path.join(out, 'wall_times.csv')} {os.path.join(results, 'distill-benchmark', 'wall_times.csv')}")
print(text)
PY
