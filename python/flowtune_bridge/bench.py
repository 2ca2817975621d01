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

`--image-size N` also renders MetaWorld's camera (N×N, `corner`) after every step, and a finished
episode's last frame before its reset, as a bridge worker asked for images does.
"""

import argparse
import json
import multiprocessing
import sys
import time

import numpy as np

from .metaworld_camera import DEFAULT_CAMERA
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


def suite_options(image_size):
    """The suite options of a run: MetaWorld's camera at image_size² (as the bridge asks for it), or none."""
    return {"images": [{"name": DEFAULT_CAMERA, "height": image_size, "width": image_size}]} if image_size else {}


def step_shard(env, indices, num_envs, steps, seed, actions_path=None, barrier=None, pause=0.0, image_size=0):
    """Steps the environments `indices` (of `num_envs`) `steps` times; returns seconds spent stepping
    (with `pause` > 0, sleeps that many seconds before each vector step, outside the timing). With
    `image_size` > 0 every observation is also rendered, as a bridge worker asked for images does."""
    suite = make_suite(env, list(indices), suite_options(image_size))
    frames = [np.zeros((image_size, image_size, 3), dtype=np.uint8)] if image_size else None
    ad = len(suite.spec()["action"]["names"])
    # The same action stream whatever the sharding: all environments' actions, this shard's kept.
    actions = action_stream(actions_path, steps, num_envs, ad, seed)[:, indices.start:indices.stop]
    m = len(indices)
    for i in range(m):
        suite.reset(i, seed + indices.start + i)
    next_seed = seed + 1_000_000 * (indices.start + 1)
    try:
        if barrier is not None:
            barrier.wait()
        if pause <= 0:
            start = time.perf_counter()
            for t in range(steps):
                next_seed = _vector_step(suite, m, actions[t], next_seed, frames)
            return time.perf_counter() - start
        elapsed = 0.0
        for t in range(steps):
            time.sleep(pause)
            start = time.perf_counter()
            next_seed = _vector_step(suite, m, actions[t], next_seed, frames)
            elapsed += time.perf_counter() - start
        return elapsed
    finally:
        close = getattr(suite, "close", None)
        if close is not None:
            close()  # the renderers' GL contexts (metaworld_camera.py says why explicitly)


def _vector_step(suite, m, actions, next_seed, frames=None):
    """One step of every environment, resetting finished ones as the bridge does (rendering the last
    frame first and the new one after, when `frames` is given); the next seed."""
    for i in range(m):
        _, _, terminated, truncated, _ = suite.step(i, actions[i])
        if terminated or truncated:
            if frames is not None:
                suite.render(i, frames)
            suite.reset(i, next_seed)
            next_seed += 1
        if frames is not None:
            suite.render(i, frames)
    return next_seed


def _shard_process(env, indices, num_envs, steps, seed, actions_path, barrier, results, slot, pause, image_size):
    results[slot] = step_shard(env, indices, num_envs, steps, seed, actions_path, barrier, pause, image_size)


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m flowtune_bridge bench")
    parser.add_argument("--env", default="metaworld/reach-v3")
    parser.add_argument("--num-envs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--actions", default=None, help="Float32 file, steps × num_envs × action_dim")
    parser.add_argument("--pause-us", type=float, default=0.0, help="sleep this long before each vector step (untimed)")
    parser.add_argument("--image-size", type=int, default=0, help="also render MetaWorld's camera at this size (0: no images)")
    args = parser.parse_args(argv)
    n, p = args.num_envs, args.processes
    if not 1 <= p <= n:
        parser.error("--processes must be between 1 and --num-envs")
    if args.pause_us < 0:
        parser.error("--pause-us must be ≥ 0")
    pause = args.pause_us / 1e6
    if p == 1:
        elapsed = step_shard(args.env, range(n), n, args.steps, args.seed, args.actions, pause=pause, image_size=args.image_size)
    else:
        ctx = multiprocessing.get_context("spawn")  # no simulator state is inherited: like a fresh worker
        barrier = ctx.Barrier(p)
        results = ctx.Array("d", p)
        procs = [ctx.Process(target=_shard_process, args=(args.env, r, n, args.steps, args.seed, args.actions, barrier, results, k, pause,
                                                               args.image_size))
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
    json.dump({"env": args.env, "num_envs": n, "steps": args.steps, "processes": p, "pause_us": args.pause_us,
               "image_size": args.image_size, "seconds": elapsed,
               "env_steps_per_second": total / elapsed, "seconds_per_env_step": elapsed / total}, sys.stdout)
    sys.stdout.write("\n")
    return 0
