"""Entry point of a peer stack for `flowtune bench compare` and the equivalence test.

    python3 peer.py --stack torch-eager|torch-compile|jax --threads N --serve
        Reads one JSON request per line on stdin and answers one JSON line on stdout:
        {"op": "prepare", "id": …, "workload": "sample-ode"|"sample-sde"|"ppo-sde"|"ppo-noise"|"fpo"|"rl-iteration"|"encoder",
         "checkpoint": path, "batch": B, "steps": K}  → builds the workload and runs it once (warm-up,
                                                         compilation): {"ok": true, "warmup_seconds": s}
         (rl-iteration also "env_steps" per environment and the episode "time_limit"; batch = environments)
        {"op": "run", "id": …, "calls": n}            → {"ok": true, "seconds": wall time of n calls,
                                                          "units": environment steps of the last call (W4)}
        FlowTune's side alternates these requests with its own measurements.
    python3 peer.py --stack … --checkpoint ck.safetensors --equivalence case.safetensors
        Prints the losses and gradient norms of every objective on FlowTune's stored inputs (JSON).

Threads are fixed at start (they cannot change in-process for OpenMP or XLA): the caller sets
OMP_NUM_THREADS / OMP_WAIT_POLICY=PASSIVE / XLA_FLAGS, and this sets torch.set_num_threads.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def make_stack(name, threads):
    if name in ("torch-eager", "torch-compile"):
        from torch_peer import TorchStack
        return TorchStack(compiled=name == "torch-compile", threads=threads)
    if name == "jax":
        from jax_peer import JaxStack
        return JaxStack(threads)
    raise SystemExit(f"unknown stack {name}; use torch-eager, torch-compile or jax")


def build(stack, req):
    from checkpoint import Checkpoint, EncoderCheckpoint
    w, batch = req["workload"], req["batch"]
    if w == "encoder":
        return stack.encoder(EncoderCheckpoint(req["checkpoint"]), batch)
    ck = Checkpoint(req["checkpoint"])
    steps = req.get("steps", ck.steps)
    ck.steps = steps
    if w in ("sample-ode", "sample-sde"):
        return stack.sampler(ck, batch, steps, w.split("-")[1])
    if w in ("ppo-sde", "ppo-noise"):
        return stack.ppo_epoch(ck, batch, w.split("-")[1])
    if w == "fpo":
        return stack.fpo_epoch(ck, batch)
    if w == "rl-iteration":
        return stack.rl_iteration(ck, batch, req["env_steps"], req["time_limit"])
    raise ValueError(f"unknown workload {w}")


def serve(stack):
    runners = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            if req["op"] == "prepare":
                start = time.perf_counter()
                runners[req["id"]] = build(stack, req)
                runners[req["id"]]()
                runners[req["id"]]()
                reply = {"ok": True, "warmup_seconds": time.perf_counter() - start}
            elif req["op"] == "run":
                fn = runners[req["id"]]
                start = time.perf_counter()
                for _ in range(req["calls"]):
                    units = fn()
                reply = {"ok": True, "seconds": time.perf_counter() - start,
                         "units": units if isinstance(units, int) else 0}
            elif req["op"] == "drop":
                runners.pop(req["id"], None)
                reply = {"ok": True}
            else:
                reply = {"ok": False, "error": f"unknown op {req['op']}"}
        except Exception as e:  # report, keep serving: one unsupported workload must not end the run
            reply = {"ok": False, "error": f"{type(e).__name__}: {e}"[:500]}
        print(json.dumps(reply), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stack", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--checkpoint")
    ap.add_argument("--equivalence")
    args = ap.parse_args()
    stack = make_stack(args.stack, args.threads)
    if args.serve:
        print(json.dumps({"ok": True, "stack": stack.name}), flush=True)
        serve(stack)
    elif args.equivalence:
        from checkpoint import Checkpoint
        from safetensors.numpy import load_file
        print(json.dumps(stack.equivalence(Checkpoint(args.checkpoint), load_file(args.equivalence))))
    else:
        ap.error("give --serve or --equivalence")


if __name__ == "__main__":
    main()
