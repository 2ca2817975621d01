"""The reference for `flowtune bench bridge`: the same environments stepped in a plain Python loop in
one process, with no protocol, no second process and no Float32 conversion.

`python -m flowtune_bridge bench --env metaworld/reach-v3 --num-envs 8 --steps 500 --seed 0` prints
one JSON object: env steps per second and seconds per env step. Actions are uniform in [-1, 1] from
numpy's generator (drawn before timing); finished episodes are reset as the bridge does.
"""

import argparse
import json
import sys
import time

import numpy as np

from .suites import make_suite


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m flowtune_bridge bench")
    parser.add_argument("--env", default="metaworld/reach-v3")
    parser.add_argument("--num-envs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    n = args.num_envs
    suite = make_suite(args.env, list(range(n)), {})
    ad = len(suite.spec()["action"]["names"])
    actions = np.random.default_rng(args.seed).uniform(-1, 1, size=(args.steps, n, ad)).astype(np.float32)
    for i in range(n):
        suite.reset(i, args.seed + i)
    next_seed = args.seed + n
    start = time.perf_counter()
    for t in range(args.steps):
        for i in range(n):
            _, _, terminated, truncated, _ = suite.step(i, actions[t, i])
            if terminated or truncated:
                suite.reset(i, next_seed)
                next_seed += 1
    elapsed = time.perf_counter() - start
    total = n * args.steps
    json.dump({"env": args.env, "num_envs": n, "steps": args.steps, "seconds": elapsed,
               "env_steps_per_second": total / elapsed, "seconds_per_env_step": elapsed / total}, sys.stdout)
    sys.stdout.write("\n")
    return 0
