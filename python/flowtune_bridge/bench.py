"""The reference for `flowtune bench bridge`: the same environments stepped in plain Python loops,
with no protocol, no trainer process and no Float32 conversion.

`python -m flowtune_bridge bench --env metaworld/reach-v3 --num-envs 8 --steps 500 --seed 0` prints
one JSON object: env steps per second and seconds per env step. Actions are uniform in [-1, 1] from
numpy's generator (drawn before timing), or read from `--actions FILE` (little-endian Float32,
steps × num_envs × action_dim, the layout `flowtune bench bridge` writes so that the bridge and the
plain loop simulate the very same trajectories: contact-rich ones cost more per step); finished
episodes are reset as the bridge does.

`--processes P` splits the environments into P contiguous shards, as the bridge shards them over P
workers, and steps each shard in its own process. The processes build their environments, wait at a
barrier, and only then start their clocks, so the loops overlap; the throughput is all env steps over
the slowest process's time. This is the ceiling for P bridge workers on this machine: P independent
Python processes with nothing between them, i.e. what the cores, the caches and the memory bus allow.
"""

import argparse
import json
import multiprocessing
import sys
import time

import numpy as np

from .suites import make_suite


def shard_ranges(n, processes):
    """Contiguous shards, the first n % processes one larger (the bridge's sharding)."""
    base, extra = divmod(n, processes)
    out, lo = [], 0
    for p in range(processes):
        hi = lo + base + (1 if p < extra else 0)
        out.append(range(lo, hi))
        lo = hi
    return out


def action_stream(path, steps, num_envs, action_dim, seed):
    """All environments' actions, steps × num_envs × action_dim: from `path`, or drawn from `seed`."""
    shape = (steps, num_envs, action_dim)
    if path is None:
        return np.random.default_rng(seed).uniform(-1, 1, size=shape).astype(np.float32)
    data = np.fromfile(path, dtype="<f4")
    if data.size != steps * num_envs * action_dim:
        raise SystemExit(f"{path} holds {data.size} Float32 values; steps × num_envs × action_dim = {shape} needs "
                         f"{steps * num_envs * action_dim}")
    return data.reshape(shape)


def step_shard(env, indices, num_envs, steps, seed, actions_path=None, barrier=None):
    """Steps the environments `indices` (of `num_envs`) `steps` times; returns seconds."""
    suite = make_suite(env, list(indices), {})
    ad = len(suite.spec()["action"]["names"])
    # The same action stream whatever the sharding: all environments' actions, this shard's kept.
    actions = action_stream(actions_path, steps, num_envs, ad, seed)[:, indices.start:indices.stop]
    m = len(indices)
    for i in range(m):
        suite.reset(i, seed + indices.start + i)
    next_seed = seed + 1_000_000 * (indices.start + 1)
    if barrier is not None:
        barrier.wait()
    start = time.perf_counter()
    for t in range(steps):
        for i in range(m):
            _, _, terminated, truncated, _ = suite.step(i, actions[t, i])
            if terminated or truncated:
                suite.reset(i, next_seed)
                next_seed += 1
    return time.perf_counter() - start


def _shard_process(env, indices, num_envs, steps, seed, actions_path, barrier, results, slot):
    results[slot] = step_shard(env, indices, num_envs, steps, seed, actions_path, barrier)


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m flowtune_bridge bench")
    parser.add_argument("--env", default="metaworld/reach-v3")
    parser.add_argument("--num-envs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--actions", default=None, help="Float32 file, steps × num_envs × action_dim")
    args = parser.parse_args(argv)
    n, p = args.num_envs, args.processes
    if not 1 <= p <= n:
        parser.error("--processes must be between 1 and --num-envs")
    if p == 1:
        elapsed = step_shard(args.env, range(n), n, args.steps, args.seed, args.actions)
    else:
        ctx = multiprocessing.get_context("spawn")  # no simulator state is inherited: like a fresh worker
        barrier = ctx.Barrier(p)
        results = ctx.Array("d", p)
        procs = [ctx.Process(target=_shard_process, args=(args.env, r, n, args.steps, args.seed, args.actions, barrier, results, k))
                 for k, r in enumerate(shard_ranges(n, p))]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
        if any(proc.exitcode != 0 for proc in procs):
            sys.stderr.write("a benchmark process failed (see above)\n")
            return 1
        elapsed = max(results[:])
    total = n * args.steps
    json.dump({"env": args.env, "num_envs": n, "steps": args.steps, "processes": p, "seconds": elapsed,
               "env_steps_per_second": total / elapsed, "seconds_per_env_step": elapsed / total}, sys.stdout)
    sys.stdout.write("\n")
    return 0
