"""How often LIBERO's scripted expert succeeds: `python -m flowtune_bridge expert-check --env libero/object`
(or `libero/spatial`, or one task such as `libero/spatial/4`) runs the expert (no noise) once from
every initial state of every task (LIBERO's 50 fixed ones) and prints one line per task, then one
JSON object with the counts. docs/results/libero.md reports it.

`--tasks 0,3` limits the tasks, `--initial-states 10` takes the first 10 initial states.
"""

import argparse
import json
import sys
import time

from .libero_suite import LiberoSuite, import_libero, load_benchmark, parse_id


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m flowtune_bridge expert-check")
    parser.add_argument("--env", default="libero/object")
    parser.add_argument("--tasks", default=None, help="comma-separated task numbers (default: all)")
    parser.add_argument("--initial-states", type=int, default=50)
    args = parser.parse_args(argv)
    if not args.env.startswith("libero/"):
        print("expert-check measures LIBERO's scripted experts; use --env libero/<suite>", file=sys.stderr)
        return 2
    name, task = parse_id(args.env[len("libero/"):])
    if task is not None:
        tasks = [task]
    elif args.tasks:
        tasks = [int(t) for t in args.tasks.split(",")]
    else:
        tasks = list(range(load_benchmark(import_libero()[0], name).n_tasks))
    results = []
    for t in tasks:
        suite = LiberoSuite(f"{name}/{t}", [0], {})
        instruction = suite.spec()["tasks"][0]["instruction"]
        successes, lengths, start = 0, [], time.time()
        for number in range(args.initial_states):
            suite.reset_to_initial_state(0, number)
            while True:
                _, _, terminated, truncated, success = suite.step(0, suite.expert(0))
                if terminated or truncated:
                    break
            successes += int(success)
            lengths.append(suite.steps[0])
        suite.close()
        results.append({"task": t, "instruction": instruction, "successes": successes,
                        "episodes": args.initial_states, "mean_length": sum(lengths) / len(lengths),
                        "seconds": time.time() - start})
        print(f"libero/{name}/{t}  {successes}/{args.initial_states}  mean length {sum(lengths) / len(lengths):.1f}  "
              f"{instruction}", flush=True)
    print(json.dumps({"env": args.env, "tasks": results}))
    return 0
