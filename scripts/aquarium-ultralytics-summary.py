#!/usr/bin/env python3
"""Table of scripts/aquarium-ultralytics.sh's results: per trainer, size, split and evaluator, mean +- sample sd of
mAP50-95 and mAP50 over the seeds with the per-seed values, and the per-epoch train losses of both trainers (mean over
seeds) side by side. Standard library only. Usage: aquarium-ultralytics-summary.py [RESULTS_DIR] > table.md"""
import csv
import statistics
import sys
from collections import defaultdict
from pathlib import Path

res = Path(sys.argv[1] if len(sys.argv) > 1 else "scripts/bench-results/aquarium-ultralytics")
rows = list(csv.DictReader(open(res / "vals.csv")))


def stat(xs):
    m = statistics.mean(xs)
    sd = statistics.stdev(xs) if len(xs) > 1 else float("nan")
    return f"{m:.4f} ± {sd:.4f}" if len(xs) > 1 else f"{m:.4f}"


groups = defaultdict(list)
for r in rows:
    trainer, img, seed = r["run"].split("-")
    groups[(int(img), r["split"], trainer, r["evaluator"])].append((seed, r))

print("| img | split | trained by | evaluated by | seeds | mAP50-95 mean ± sd | mAP50 mean ± sd | mAP50-95 per seed | mAP50 per seed |")
print("|---|---|---|---|---|---|---|---|---|")
names = {"yd": "yolo-distill", "py": "Ultralytics train.py"}
for key in sorted(groups, key=lambda k: (k[0], k[1] != "valid", k[2] != "yd", k[3] != "yolo-distill")):
    img, split, trainer, evaluator = key
    runs = sorted(groups[key], key=lambda x: x[0])
    m = [float(r["map50_95"]) for _, r in runs]
    m50 = [float(r["map50"]) for _, r in runs]
    print(f"| {img} | {split} | {names[trainer]} | {evaluator} | {' '.join(s for s, _ in runs)} | {stat(m)} | {stat(m50)} | "
          f"{' '.join(f'{x:.4f}' for x in m)} | {' '.join(f'{x:.4f}' for x in m50)} |")

# Train losses per epoch, both trainers, mean over the seeds each has.
print()
curves = defaultdict(lambda: defaultdict(list))
for f in sorted(res.glob("*-*-s*.csv")):
    trainer, img, _ = f.stem.split("-")
    for r in csv.DictReader(open(f)):
        r = {k.strip(): v for k, v in r.items()}
        e = int(float(r["epoch"]))
        curves[(int(img), trainer)][e].append(tuple(float(r[c]) for c in ("train/box_loss", "train/obj_loss", "train/cls_loss", "metrics/mAP_0.5:0.95")))
for img in sorted({k[0] for k in curves}):
    yd, py = curves.get((img, "yd"), {}), curves.get((img, "py"), {})
    print(f"Train losses (box / obj / cls) and val mAP50-95 per epoch at {img}, mean over seeds (yolo-distill | train.py | ratio of the loss sums):")
    print()
    print("| epoch | yolo-distill | train.py | ratio |")
    print("|---|---|---|---|")
    for e in sorted(set(yd) | set(py)):
        def fmt(c):
            if e not in c:
                return "", None
            mean = [statistics.mean(v[i] for v in c[e]) for i in range(4)]
            return f"{mean[0]:.4f} / {mean[1]:.4f} / {mean[2]:.4f}, {mean[3]:.4f}", sum(mean[:3])
        a, sa = fmt(yd)
        b, sb = fmt(py)
        ratio = f"{sa / sb:.3f}" if sa and sb else ""
        print(f"| {e} | {a} | {b} | {ratio} |")
    print()
