#!/usr/bin/env python3
"""Per-task table of a multi-task suite (MetaWorld MT10/MT50, LIBERO, the built-in multitask) from FlowTune run
directories: the SFT run's final evaluation, each RL run's final ODE evaluation, and all RL runs
pooled with a 95% Wilson interval; then each RL run's per-task training success over its first and
last 30 iterations (`train_success_<task>` in metrics.jsonl).

    python3 scripts/suite_table.py runs/<sft run> runs/<rl run> [runs/<rl run> ...]

Standard library only. The per-task MT10 tables and training-success trends in
docs/results/rl-stability.md and docs/results/libero.md come from this script.
"""
import json
import math
import re
import sys
def wilson(k, n, z=1.96):
    if n == 0: return (0, 0)
    p = k / n; d = 1 + z*z/n; c = (p + z*z/(2*n)) / d; h = z*math.sqrt(p*(1-p)/n + z*z/(4*n*n)) / d
    return (100*(c-h), 100*(c+h))
def final_table(path, marker):
    lines = open(path).read().splitlines()
    idx = [i for i, l in enumerate(lines) if marker(l)]
    if not idx: return None, None
    i = idx[-1]; tasks = {}
    for l in lines[i+1:]:
        # the per-task lines under the summary: "<task name>   k/n   p% [lo, hi]"
        m = re.search(r"INFO\s+(\S+)\s+(\d+)/(\d+)\s+[\d.]+%", l)
        if not m: break
        tasks[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    secs = None
    for l in lines:
        m = re.search(r"RL finished: (\d+) iterations, (\d+) environment steps in ([\d.]+) s", l)
        if m: secs = (int(m.group(2)), float(m.group(3)))
    return tasks, secs
sft, _ = final_table(sys.argv[1] + "/log.txt", lambda l: "SFT policy: success" in l)
runs = []
for r in sys.argv[2:]:
    t, s = final_table(r + "/log.txt", lambda l: "after RL" in l and "SDE sampler" not in l)
    runs.append((r.rstrip('/').split('/')[-1], t, s))
names = list(sft.keys())
print("| task | SFT | " + " | ".join(n for n, _, _ in runs) + " | RL, all seeds |")
print("|---|---|" + "---|" * len(runs) + "---|")
for n in names:
    row = [f"{sft[n][0]}/{sft[n][1]}"]; tk = tn = 0
    for _, t, _ in runs:
        if t and n in t: row.append(f"{t[n][0]}/{t[n][1]}"); tk += t[n][0]; tn += t[n][1]
        else: row.append("—")
    row.append(f"{tk}/{tn}")
    print(f"| {n} | " + " | ".join(row) + " |")
sk = sum(v[0] for v in sft.values()); sn = sum(v[1] for v in sft.values())
lo, hi = wilson(sk, sn)
cells = []; ak = an = 0
for _, t, s in runs:
    if t:
        k = sum(v[0] for v in t.values()); m = sum(v[1] for v in t.values()); ak += k; an += m
        l, h = wilson(k, m); cells.append(f"**{100*k/m:.1f}%** [{l:.1f}, {h:.1f}]")
    else: cells.append("—")
l, h = wilson(ak, an) if an else (0, 0)
print(f"| **all** | **{100*sk/sn:.1f}%** [{lo:.1f}, {hi:.1f}] | " + " | ".join(cells) + f" | **{100*ak/max(an,1):.1f}%** [{l:.1f}, {h:.1f}] ({ak}/{an}) |")
print("| env steps, RL seconds | | " + " | ".join(f"{s[0]/1e6:.1f} M, {s[1]:.0f} s" if s else "—" for _, _, s in runs) + " | |")

print()
print("training success, mean of the first and of the last 30 iterations:")
for r in sys.argv[2:]:
    rows = [json.loads(l) for l in open(r + "/metrics.jsonl") if l.strip()][1:]
    def mean(part, task):
        v = [x["train_success_" + task] for x in part if "train_success_" + task in x]
        return sum(v) / len(v) if v else float("nan")
    first, last = rows[:30], rows[-30:]
    print(r.rstrip("/").split("/")[-1] + ": " + ", ".join(f"{t} {mean(first, t):.2f} -> {mean(last, t):.2f}" for t in names))
