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

`--pause-us U` makes the loop block (sleep) U microseconds between vector steps, outside the timed
part: the plain loop's own speed after idle gaps like a bridge worker's, which waits for the trainer
between steps. On a virtual machine an idle virtual CPU is halted and its caches go cold, so the
simulation that follows runs slower (measured on our 2-vCPU KVM machine: 200 µs gaps make MetaWorld's
steps 22–24% slower), a cost of waiting, not of the bridge's protocol.
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


def step_shard(env, indices, num_envs, steps, seed, actions_path=None, barrier=None, pause=0.0):
    """Steps the environments `indices` (of `num_envs`) `steps` times; returns seconds spent stepping
    (with `pause` > 0, sleeps that many seconds before each vector step, outside the timing)."""
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
    if pause <= 0:
        start = time.perf_counter()
        for t in range(steps):
            next_seed = _vector_step(suite, m, actions[t], next_seed)
        return time.perf_counter() - start
    elapsed = 0.0
    for t in range(steps):
        time.sleep(pause)
        start = time.perf_counter()
        next_seed = _vector_step(suite, m, actions[t], next_seed)
        elapsed += time.perf_counter() - start
    return elapsed


def _vector_step(suite, m, actions, next_seed):
    """One step of every environment, resetting finished ones as the bridge does; the next seed."""
    for i in range(m):
        _, _, terminated, truncated, _ = suite.step(i, actions[i])
        if terminated or truncated:
            suite.reset(i, next_seed)
            next_seed += 1
    return next_seed


def _shard_process(env, indices, num_envs, steps, seed, actions_path, barrier, results, slot, pause):
    results[slot] = step_shard(env, indices, num_envs, steps, seed, actions_path, barrier, pause)


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m flowtune_bridge bench")
    parser.add_argument("--env", default="metaworld/reach-v3")
    parser.add_argument("--num-envs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--actions", default=None, help="Float32 file, steps × num_envs × action_dim")
    parser.add_argument("--pause-us", type=float, default=0.0, help="sleep this long before each vector step (untimed)")
    args = parser.parse_args(argv)
    n, p = args.num_envs, args.processes
    if not 1 <= p <= n:
        parser.error("--processes must be between 1 and --num-envs")
    if args.pause_us < 0:
        parser.error("--pause-us must be ≥ 0")
    pause = args.pause_us / 1e6
    if p == 1:
        elapsed = step_shard(args.env, range(n), n, args.steps, args.seed, args.actions, pause=pause)
    else:
        ctx = multiprocessing.get_context("spawn")  # no simulator state is inherited: like a fresh worker
        barrier = ctx.Barrier(p)
        results = ctx.Array("d", p)
        procs = [ctx.Process(target=_shard_process, args=(args.env, r, n, args.steps, args.seed, args.actions, barrier, results, k, pause))
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
    json.dump({"env": args.env, "num_envs": n, "steps": args.steps, "processes": p, "pause_us": args.pause_us, "seconds": elapsed,
               "env_steps_per_second": total / elapsed, "seconds_per_env_step": elapsed / total}, sys.stdout)
    sys.stdout.write("\n")
    return 0
