#!/usr/bin/env python3
"""One line per FlowTune run directory: the start and final evaluation and the stability of the
training (approximate KL, chain reach, clipping), from its metrics.jsonl and log.txt.

    python3 scripts/run_summary.py runs/a runs/b ...

Standard library only. The numbers in docs/results/ that speak of "iterations with KL > 1" or
"largest chain_abs_max" come from this script.
"""
import json
import re
import sys
from pathlib import Path


def summarize(run: Path) -> str:
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    updates = [r for r in rows if "approx_kl" in r]
    kl = [r["approx_kl"] for r in updates]
    chain = [r["chain_abs_max"] for r in updates if "chain_abs_max" in r]
    clip = [r["clip_fraction"] for r in updates]
    evals = [(r["iteration"], r["eval_successes"], r["eval_episodes"]) for r in rows if "eval_successes" in r]
    log = (run / "log.txt").read_text() if (run / "log.txt").exists() else ""
    final = re.findall(r"success ([0-9.]+)% \[([0-9.]+), ([0-9.]+)\] \((\d+)/(\d+)\)", log)
    wall = max((r.get("wall_time", 0) for r in rows), default=0)
    parts = [run.name]
    if evals:
        parts.append("eval " + " -> ".join(f"{s:.0f}/{n:.0f}" for _, s, n in [evals[0], evals[-1]]))
    elif final:
        parts.append("eval " + " -> ".join(f"{f[3]}/{f[4]}" for f in [final[0], final[-1]]))
    if updates:
        finite = [k for k in kl if k == k and k != float("inf")]
        parts.append(f"iters {len(updates)}")
        parts.append(f"KL median {sorted(finite)[len(finite) // 2]:.3g} max {max(kl):.3g} (>1: {sum(k > 1 for k in kl)})")
        if chain:
            parts.append(f"chain first {chain[0]:.3g} max {max(chain):.3g}")
        parts.append(f"clip median {sorted(clip)[len(clip) // 2]:.2f}")
        parts.append(f"train_success first {updates[0].get('train_success', float('nan')):.2f} "
                     f"last5 {sum(r.get('train_success', 0) for r in updates[-5:]) / min(5, len(updates)):.2f}")
    parts.append(f"wall {wall:.0f}s")
    return " | ".join(parts)


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        try:
            print(summarize(Path(arg)))
        except (OSError, ValueError, KeyError) as error:
            print(f"{arg}: cannot summarise ({error})")
