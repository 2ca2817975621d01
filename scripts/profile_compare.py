#!/usr/bin/env python3
"""Where FlowTune's time goes in one `flowtune bench compare` workload: samples FlowTune alone with
Linux `perf` and attributes its on-CPU time to GEMM, elementwise tensor ops, the optimizer, copies,
allocation, reference counting, random numbers, the kernel and the rest.

    python3 scripts/profile_compare.py --workload ppo-sde --batch 1024 [--threads 1] [--seconds 30]

It starts `flowtune bench compare --workloads <workload> --batches <batch> --peers ""` (no peers),
waits until the benchmark has measured its SGEMM reference rate (the line "best FlowTune SGEMM"),
then attaches `perf record` to the process until it exits, so the profile holds the workload's
warm-up and timed calls only. Shares are of the process's own CPU samples, so other jobs on the
machine slow the run but do not enter the shares (they can still change them through caches and
memory bandwidth). Needs `perf` (Debian: linux-perf) and `kernel.perf_event_paranoid` ≤ 2.
docs/results/speed.md ("Where the time goes, by category") holds its output. Standard library only.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

# First match wins; patterns are searched in the mangled or plain symbol name.
CATEGORIES = [
    ("GEMM", r"SGEMM|sgemm|gemm"),
    ("optimizer (AdamW, gradient norms)", r"AdamW|Gradients.*(globalNorm|isFinite)|GradientsV10globalNorm|GradientsV8isFinite|allFinite"),
    ("elementwise and reductions (FiLM, activations, broadcasts, sums)",
     r"FiLM|film|activation|sigmoid|silu|tanh|broadcast|sumAxis|adding|FlowTensor0B0V|Kernels|softplus|exp|log1p"),
    ("random numbers", r"RandomGenerator|__cos|__sin|__log|__exp"),
    ("copies (memmove, memset)", r"memmove|memcpy|memset"),
    ("allocation (malloc, free, Swift allocation)", r"malloc|free|_int_|unlink_chunk|swift_allocObject|swift_slowAlloc|"
                                                    r"swift_deallocObject|ContiguousArrayStorage|allocate|dealloc"),
    ("reference counting and runtime", r"swift_retain|swift_release|swift_bridge|swift_beginAccess|swift_endAccess|"
                                       r"swift_dynamicCast|swift_getGenericMetadata|swift_conformsTo"),
]
SAMPLE = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*?)\s*$")


def categorize(dso, kind, symbol):
    if kind == "k":
        return "kernel (page faults, scheduling)"
    for name, pattern in CATEGORIES:
        if re.search(pattern, symbol):
            return name
    return "other"


def demangle(symbols):
    tool = shutil.which("swift-demangle") or shutil.which("swift")
    if not tool:
        return symbols
    args = [tool, "--simplified", "--compact"] if tool.endswith("swift-demangle") else [tool, "demangle", "--simplified", "--compact"]
    out = subprocess.run(args, input="\n".join(symbols), capture_output=True, text=True)
    lines = out.stdout.splitlines()
    return lines if out.returncode == 0 and len(lines) == len(symbols) else symbols


def main():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workload", required=True, help="a bench compare kind: sample-ode, sample-sde, ppo-sde, ppo-noise, fpo, rl-iteration, encoder")
    p.add_argument("--batch", type=int, help="batch or minibatch size (not for rl-iteration)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seconds", type=float, default=30, help="timed seconds in all (5 repetitions)")
    p.add_argument("--flowtune", default=os.path.join(here, ".build/release/flowtune"))
    p.add_argument("--top", type=int, default=12, help="symbols listed after the categories")
    a = p.parse_args()
    if not shutil.which("perf"):
        sys.exit("perf not found: install Debian's linux-perf (apt-get install linux-perf)")
    command = [a.flowtune, "bench", "compare", "--workloads", a.workload, "--peers", "", "--threads", str(a.threads),
               "--repetitions", "5", "--min-seconds", str(a.seconds / 5)]
    if a.batch:
        command += ["--batches", str(a.batch)]
    data = tempfile.mktemp(suffix=".perf.data")
    bench = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    lines = []
    for line in bench.stdout:
        lines.append(line)
        if "best FlowTune SGEMM" in line:
            break
    else:
        sys.exit("flowtune bench compare ended before its SGEMM reference:\n" + "".join(lines))
    perf = subprocess.Popen(["perf", "record", "-F", "999", "-o", data, "-p", str(bench.pid)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines += bench.stdout.readlines()
    bench.wait()
    perf.wait()
    if perf.returncode != 0 or not os.path.exists(data):
        sys.exit("perf record failed (kernel.perf_event_paranoid must be ≤ 2): " + perf.stderr.read())
    report = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "dso,symbol", "--stdio",
                             "--percent-limit", "0"], capture_output=True, text=True).stdout
    os.remove(data)
    shares, symbols = {}, []
    for line in report.splitlines():
        m = SAMPLE.match(line)
        if not m:
            continue
        pct, dso, kind, symbol = float(m.group(1)), m.group(2), m.group(3), m.group(4)
        category = categorize(dso, kind, symbol)
        shares[category] = shares.get(category, 0) + pct
        symbols.append((pct, category, symbol))
    print("".join(l for l in lines if "|" in l or "GFLOP" in l or ": FlowTune" in l).rstrip())
    print()
    print(f"| {a.workload}{f' {a.batch}' if a.batch else ''}, {a.threads} thread{'s' if a.threads > 1 else ''}: category | share of FlowTune's CPU samples |")
    print("|---|---|")
    for category, pct in sorted(shares.items(), key=lambda kv: -kv[1]):
        print(f"| {category} | {pct:.1f}% |")
    top = symbols[:a.top]
    print()
    print("top symbols:")
    for (pct, category, _), name in zip(top, demangle([s for _, _, s in top])):
        print(f"  {pct:5.2f}%  [{category.split(' (')[0]}]  {name[:150]}")
    other = [x for x in symbols if x[1] == "other"][:6]
    if other:
        print("largest in other:")
        for (pct, _, _), name in zip(other, demangle([s for _, _, s in other])):
            print(f"  {pct:5.2f}%  {name[:150]}")


if __name__ == "__main__":
    main()
