# The distillation benchmark's table (scripts/distill-benchmark.sh): mean, spread and per-seed values of every row
# over the seeds finished so far, gain and gap recovered, the acceptance checks and the gradient diagnostics.
import json, os, statistics, sys
out, results, seeds, labels = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4:]
def stats(name):
    return json.load(open(os.path.join(out, f"val-{name}", "stats.json")))["coco"]
teacher = stats("teacher")
times = dict(l.strip().split(",") for l in open(os.path.join(out, "wall_times.csv")).readlines()[1:])
sd = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0
done = lambda m, s: os.path.exists(os.path.join(out, f"val-{m}-s{s}", "stats.json"))
rows = {}
for m in labels:
    have = [s for s in seeds if done(m, s)]
    if not have: continue
    a = [stats(f"{m}-s{s}")[0] for s in have]
    a50 = [stats(f"{m}-s{s}")[1] for s in have]
    t = [float(times.get(f"{m}-s{s}", "nan")) for s in have]
    rows[m] = dict(mean=statistics.mean(a), sd=sd(a), mean50=statistics.mean(a50), sd50=sd(a50), per=a, seeds=have, minutes=statistics.mean(t) / 60)
labels = [m for m in labels if m in rows]
def gap(m, base):
    b = rows[base]["mean"]
    return (rows[m]["mean"] - b) / (teacher[0] - b) if teacher[0] != b else float("nan")
with open(os.path.join(out, "results.csv"), "w") as f:
    f.write("method,map50_95_mean,map50_95_sd,map50_mean,map50_sd,gain_vs_baseline,gap_recovered,minutes_per_run,map50_95_per_seed\n")
    for m, r in rows.items():
        base = "scratch-baseline" if m.startswith("scratch-") else "baseline"
        if base not in rows: continue
        f.write(f"{m},{r['mean']:.4f},{r['sd']:.4f},{r['mean50']:.4f},{r['sd50']:.4f},{r['mean'] - rows[base]['mean']:+.4f},{gap(m, base):.3f},{r['minutes']:.1f},{' '.join(f'{x:.4f}' for x in r['per'])}\n")
lines = [f"Teacher (yolov5s, shipped): mAP50-95 {teacher[0]:.4f}, mAP50 {teacher[1]:.4f}. Seeds {', '.join(seeds)}.", "",
         f"| student (yolov5n) | seeds | mAP50-95 mean ± sd | mAP50 mean ± sd | gain vs its baseline | teacher-baseline gap recovered | mAP50-95 per seed | min per run |",
         "|---|---|---|---|---|---|---|---|"]
for m, r in rows.items():
    base = "scratch-baseline" if m.startswith("scratch-") else "baseline"
    if base not in rows: continue
    g = "" if m == base else f"{r['mean'] - rows[base]['mean']:+.4f}"
    share = "" if m == base else f"{100 * gap(m, base):.0f}%"
    lines.append(f"| {m} | {' '.join(r['seeds'])} | {r['mean']:.4f} ± {r['sd']:.4f} | {r['mean50']:.4f} ± {r['sd50']:.4f} | {g} | {share} | {' '.join(f'{x:.4f}' for x in r['per'])} | {r['minutes']:.1f} |")
lines.append("")
def check(text, ok, note=""): lines.append(f"- {text}: **{'met' if ok else 'NOT met'}**{note}")
if "fgfi" in rows and "baseline" in rows:
    s = max(rows["fgfi"]["sd"], rows["baseline"]["sd"])
    d = rows["fgfi"]["mean"] - rows["baseline"]["mean"]
    check(f"fgfi (CLI defaults) beats the pretrained-start baseline by more than 2σ: {d:+.4f} vs 2σ = {2 * s:.4f}", d > 2 * s)
# fgfi+kd against kd with the same KD settings: the plain pair, and any pair of labels with a common suffix (kd-w0.2).
for m in [m for m in labels if m.startswith("fgfi+kd")]:
    k = "kd" + m[len("fgfi+kd"):]
    if k not in rows: continue
    d = rows[m]["mean"] - rows[k]["mean"]
    sig = max(rows[m]["sd"], rows[k]["sd"])
    check(f"{m} beats {k} alone: {d:+.4f} (σ {sig:.4f})", d > 0, " (by less than σ: a tie within the seed spread)" if 0 < d < sig else "")
# Gradient diagnostics (--diagnose-every 25): first and last epoch, means over probes and seeds.
import csv
def diag(m):
    out_rows = {}
    for s in rows[m]["seeds"]:
        path = os.path.join(out, f"{m}-s{s}", "diagnostics.csv")
        if not os.path.exists(path): return None
        recs = list(csv.DictReader(open(path)))
        last = max(int(r["epoch"]) for r in recs)
        for tag, ep in (("first", 0), ("last", last)):
            for r in recs:
                if int(r["epoch"]) != ep: continue
                for k, v in r.items():
                    out_rows.setdefault((tag, k), []).append(float(v))
    return {k: statistics.mean(v) for k, v in out_rows.items()}
cols = [("det_grad_norm", "detection grad norm"), ("fgfi_grad_norm", "imitation grad norm"), ("cos_det_fgfi", "cos(det, imit)"),
        ("kd_grad_norm", "KD grad norm"), ("cos_det_kd", "cos(det, KD)"),
        ("kdbox_grad_norm", "box KD grad norm"), ("cos_det_kdbox", "cos(det, box KD)"),
        ("cwd_grad_norm", "CWD grad norm"), ("cos_det_cwd", "cos(det, CWD)"),
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
