# The distillation benchmark's table (scripts/distill-benchmark.sh): mean, spread, standard error and per-seed values of
# every row over the seeds finished so far, mAP50-95/mAP50, gain and gap recovered, the acceptance checks (one per
# combination X+Y: does it beat X and Y alone?) and the gradient diagnostics.
# Arguments: OUT RESULTS "SEEDS" LABEL...; environment: NAME (results file names, default distill-benchmark) and
# TEACHER_LABEL (how the table names the teacher, default "yolov5s, shipped"), TEACHER_RUN (its val folder's name after
# "val-", default teacher).
import csv, json, math, os, shutil, statistics, sys
out, results, seeds, labels = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4:]
name = os.environ.get("NAME", "distill-benchmark")
teacher_label = os.environ.get("TEACHER_LABEL", "yolov5s, shipped")
def stats(run):
    return json.load(open(os.path.join(out, f"val-{run}", "stats.json")))["coco"]
teacher = stats(os.environ.get("TEACHER_RUN", "teacher"))
times = dict(l.strip().split(",") for l in open(os.path.join(out, "wall_times.csv")).readlines()[1:])
sd = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0
# Standard error of a mean over the seeds (0 with one seed: no spread measured).
se = lambda v: sd(v) / math.sqrt(len(v))
done = lambda m, s: os.path.exists(os.path.join(out, f"val-{m}-s{s}", "stats.json"))
rows = {}
for m in labels:
    have = [s for s in seeds if done(m, s)]
    if not have: continue
    a = [stats(f"{m}-s{s}")[0] for s in have]
    a50 = [stats(f"{m}-s{s}")[1] for s in have]
    t = [float(times.get(f"{m}-s{s}", "nan")) for s in have]
    rows[m] = dict(mean=statistics.mean(a), sd=sd(a), se=se(a), mean50=statistics.mean(a50), sd50=sd(a50), se50=se(a50),
                   ratio=statistics.mean(a) / statistics.mean(a50) if statistics.mean(a50) > 0 else float("nan"),
                   per=a, seeds=have, minutes=statistics.mean(t) / 60)
labels = [m for m in labels if m in rows]
base_of = lambda m: "scratch-baseline" if m.startswith("scratch-") else "baseline"
def gap(m, base):
    b = rows[base]["mean"]
    return (rows[m]["mean"] - b) / (teacher[0] - b) if teacher[0] != b else float("nan")
with open(os.path.join(out, "results.csv"), "w") as f:
    f.write("method,map50_95_mean,map50_95_sd,map50_mean,map50_sd,gain_vs_baseline,gap_recovered,minutes_per_run,map50_95_per_seed,"
            "map50_95_se,map50_se,map50_95_over_map50\n")
    for m, r in rows.items():
        base = base_of(m)
        if base not in rows: continue
        f.write(f"{m},{r['mean']:.4f},{r['sd']:.4f},{r['mean50']:.4f},{r['sd50']:.4f},{r['mean'] - rows[base]['mean']:+.4f},{gap(m, base):.3f},"
                f"{r['minutes']:.1f},{' '.join(f'{x:.4f}' for x in r['per'])},{r['se']:.4f},{r['se50']:.4f},{r['ratio']:.3f}\n")
lines = [f"Teacher ({teacher_label}): mAP50-95 {teacher[0]:.4f}, mAP50 {teacher[1]:.4f}, mAP50-95/mAP50 {teacher[0] / teacher[1]:.3f}. Seeds {', '.join(seeds)}.", "",
         "| student (yolov5n) | seeds | mAP50-95 mean ± sd | SE | mAP50 mean ± sd | SE | mAP50-95/mAP50 | gain vs its baseline | teacher-baseline gap recovered | mAP50-95 per seed | min per run |",
         "|---|---|---|---|---|---|---|---|---|---|---|"]
for m, r in rows.items():
    base = base_of(m)
    if base not in rows: continue
    g = "" if m == base else f"{r['mean'] - rows[base]['mean']:+.4f}"
    share = "" if m == base else f"{100 * gap(m, base):.0f}%"
    lines.append(f"| {m} | {' '.join(r['seeds'])} | {r['mean']:.4f} ± {r['sd']:.4f} | {r['se']:.4f} | {r['mean50']:.4f} ± {r['sd50']:.4f} | {r['se50']:.4f} | "
                 f"{r['ratio']:.3f} | {g} | {share} | {' '.join(f'{x:.4f}' for x in r['per'])} | {r['minutes']:.1f} |")
lines += ["", "SE: standard error of the mean over the seeds (sd / √n). mAP50-95/mAP50: of the means; it falls when boxes are found but placed loosely.", ""]
def check(text, ok, note=""): lines.append(f"- {text}: **{'met' if ok else 'NOT met'}**{note}")
if "fgfi" in rows and "baseline" in rows:
    s = max(rows["fgfi"]["sd"], rows["baseline"]["sd"])
    d = rows["fgfi"]["mean"] - rows["baseline"]["mean"]
    check(f"fgfi (CLI defaults) beats the pretrained-start baseline by more than 2σ: {d:+.4f} vs 2σ = {2 * s:.4f}", d > 2 * s)
# Every combination X+Y (any number of parts) against each part alone, with the same suffix where such a row exists
# (fgfi+kd-w1 against kd-w1; fgfi, having no -w1 row, against fgfi). "By more than one standard error": the difference of
# the two means against the standard error of that difference, √(SE_XY² + SE_X²).
def parts_of(m):
    prefix = "scratch-" if m.startswith("scratch-") else ""
    body = m[len(prefix):]
    method, dash, suffix = body.partition("-")
    if "+" not in method: return None
    found = []
    for p in method.split("+"):
        for cand in (f"{prefix}{p}{dash}{suffix}", f"{prefix}{p}"):
            if cand in rows:
                found.append(cand)
                break
        else:
            return None
    return found
for m in labels:
    parts = parts_of(m)
    if not parts: continue
    diffs = []
    for p in parts:
        d = rows[m]["mean"] - rows[p]["mean"]
        e = math.sqrt(rows[m]["se"] ** 2 + rows[p]["se"] ** 2)
        diffs.append((p, d, e))
    detail = ", ".join(f"vs {p} {d:+.4f} (SE {e:.4f})" for p, d, e in diffs)
    check(f"{m} beats {' and '.join(parts)} by more than one standard error: {detail}", all(d > e for _, d, e in diffs))
# Gradient diagnostics (--diagnose-every 25): first and last epoch, means over probes and seeds. Empty cells (distillation
# switched off for the last epochs, or a column a run does not write) are left out of the means.
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
                    if v not in (None, ""): out_rows.setdefault((tag, k), []).append(float(v))
    return {k: statistics.mean(v) for k, v in out_rows.items()}
cols = [("det_grad_norm", "detection grad norm"), ("fgfi_grad_norm", "imitation grad norm"), ("cos_det_fgfi", "cos(det, imit)"),
        ("kd_grad_norm", "KD grad norm"), ("cos_det_kd", "cos(det, KD)"),
        ("kdbox_grad_norm", "box KD grad norm"), ("cos_det_kdbox", "cos(det, box KD)"),
        ("cwd_grad_norm", "CWD grad norm"), ("cos_det_cwd", "cos(det, CWD)"),
        ("mean_total_norm", "clipped norm before clip"), ("clipped_fraction", "steps clipped"), ("mean_clip_factor", "mean clip factor"),
        ("mean_extension_norm", "adapters' norm (--clip student/separate)"),
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
os.makedirs(os.path.join(results, name), exist_ok=True)
open(os.path.join(results, f"{name}.md"), "w").write(text)
shutil.copyfile(os.path.join(out, "results.csv"), os.path.join(results, f"{name}.csv"))
shutil.copyfile(os.path.join(out, "wall_times.csv"), os.path.join(results, name, "wall_times.csv"))
print(text)
