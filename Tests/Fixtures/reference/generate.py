#!/usr/bin/env python3
"""Generates Tests/Fixtures/reference/vectors.json: reference values for docs/algorithms.md.

An independent float64 implementation of the formulas, numpy only; it imports nothing of FlowTune.
The Swift tests check FlowTune's float32 functions against the file (relative tolerance ~1e-4).

    python3 generate.py --check   # regenerate in memory, compare with the committed file
    python3 generate.py --write   # rewrite vectors.json

Adding a case: write one function `def my_case(): return {...}` (or a list of such dicts) that
computes its outputs from the formulas, and add one line `("my_case", my_case),` to CASES at the
bottom. Draw new inputs from a seeded generator, `np.random.default_rng(<seed>)`, so the file
stays reproducible. The inputs of the original cases are written out literally below (they came
from a generator whose seed was not recorded); their outputs are computed here.
"""
import argparse
import json
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "vectors.json")
ABOUT = ("Test vectors for docs/algorithms.md, computed in float64 by an independent numpy implementation. "
         "Compare in float32 with a relative tolerance of about 1e-4.")


def arr(x):
    return np.asarray(x, dtype=np.float64)


def gaussian_log_density(x, mean, std):
    """log N(x; mean, std²) summed over every element (docs/algorithms.md §1)."""
    x, mean, std = arr(x), arr(mean), np.broadcast_to(arr(std), np.shape(x))
    return float(np.sum(-0.5 * ((x - mean) / std) ** 2 - np.log(std) - 0.5 * math.log(2 * math.pi)))


# ---------------------------------------------------------------------------------------------
# Cases. Each returns the JSON object (or list of objects) stored under its name.
# ---------------------------------------------------------------------------------------------

def flow_sde_step():
    """§3.2: one Euler–Maruyama step of the Flow-SDE, K-step grid t_k = 1 − k/K, σ at t = 1 uses t_1."""
    out = []
    for inp in FLOW_SDE_STEP_INPUTS:
        K, a_n, k = inp["K"], inp["noise_level"], inp["k"]
        x, v, z = arr(inp["x"]), arr(inp["v"]), arr(inp["z"])
        t, t_next = 1 - k / K, 1 - (k + 1) / K
        dt = t - t_next
        if k == 0:
            sigma = a_n * math.sqrt(t / (1 - t_next))   # t = 1: the next grid time in the denominator
        else:
            sigma = a_n * math.sqrt(t / (1 - t))
        mean = x * (1 - sigma ** 2 * dt / (2 * t)) - dt * v * (1 + sigma ** 2 * (1 - t) / (2 * t))
        std = sigma * math.sqrt(dt)
        x_next = mean + std * z
        out.append({"K": K, "noise_level": a_n, "k": k, "t": t, "dt": dt, "x": x.tolist(), "v": v.tolist(),
                    "sigma_t": sigma, "mean": mean.tolist(), "std": std, "z": z.tolist(),
                    "x_next": x_next.tolist(), "log_prob_x_next_sum": gaussian_log_density(x_next, mean, std)})
    return out


def flow_sde_step_clamped():
    """§3.4: the Flow-SDE step with the denoised clamp, written in the data/noise estimates:
    â = clip(x − t·v, ±c), ε̂ = (x − (1 − t)·â)/t, mean = (1 − t + Δ)·â + (t − Δ − σ²Δ/(2t))·ε̂.
    Inputs: a seeded draw with velocities scaled up so that part of every case is clamped."""
    rng = np.random.default_rng(3401)
    out = []
    for K, a_n, k, c in [(5, 0.5, 0, 1.5), (5, 0.5, 2, 1.5), (5, 0.5, 4, 1.5), (10, 0.7, 3, 2.0), (4, 0.3, 1, 1.0)]:
        x, v, z = rng.normal(size=(2, 6)) * 1.5, rng.normal(size=(2, 6)) * 3.0, rng.normal(size=(2, 6))
        t, dt = 1 - k / K, 1 / K
        sigma = a_n * math.sqrt(t / (dt if k == 0 else 1 - t))
        a_hat = np.clip(x - t * v, -c, c)
        eps_hat = (x - (1 - t) * a_hat) / t
        mean = (1 - t + dt) * a_hat + (t - dt - sigma ** 2 * dt / (2 * t)) * eps_hat
        std = sigma * math.sqrt(dt)
        x_next = mean + std * z
        ode_next = (1 - t + dt) * a_hat + (t - dt) * eps_hat
        out.append({"K": K, "noise_level": a_n, "k": k, "bound": c, "t": t, "dt": dt, "x": x.tolist(), "v": v.tolist(),
                    "clamped": (np.abs(x - t * v) > c).astype(int).tolist(), "sigma_t": sigma,
                    "mean": mean.tolist(), "std": std, "z": z.tolist(), "x_next": x_next.tolist(),
                    "ode_next": ode_next.tolist(), "log_prob_x_next_sum": gaussian_log_density(x_next, mean, std)})
    return out


def ode_step():
    """§3.1: x_{k+1} = x_k − Δ·v."""
    x, v, dt = arr(ODE_STEP_X), arr(ODE_STEP_V), 0.2
    return {"K": 5, "t": 0.6, "dt": dt, "x": x.tolist(), "v": v.tolist(), "x_next": (x - dt * v).tolist()}


def flow_noise_sigma():
    """§3.3: tanh-squashed log-variance between 2·log σ_min and 2·log σ_max; Gaussian entropy per dim."""
    lo, hi = 0.08, 0.16
    raw = arr(FLOW_NOISE_SIGMA_RAW)
    lv_min, lv_max = 2 * math.log(lo), 2 * math.log(hi)
    logvar = lv_min + (lv_max - lv_min) * (np.tanh(raw) + 1) / 2
    sigma = np.exp(logvar / 2)
    entropy = 0.5 * math.log(2 * math.pi * math.e) + np.log(sigma)
    return {"sigma_min": lo, "sigma_max": hi, "raw": raw.tolist(), "logvar": logvar.tolist(),
            "sigma": sigma.tolist(), "entropy_per_dim": entropy.tolist()}


def flow_noise_chain():
    """§3.3: chain log-probability, log N(x_0; 0, I) + Σ_k log N(x_{k+1}; mean_k, σ_k²), two aggregations."""
    x, mean, sigma = arr(FLOW_NOISE_CHAIN_X), arr(FLOW_NOISE_CHAIN_MEAN), arr(FLOW_NOISE_CHAIN_SIGMA)
    K = len(mean)
    initial = gaussian_log_density(x[0], np.zeros_like(x[0]), 1.0)
    transitions = [gaussian_log_density(x[k + 1], mean[k], sigma[k]) for k in range(K)]
    total = initial + sum(transitions)
    return {"K": K, "x": x.tolist(), "mean": mean.tolist(), "sigma": sigma.tolist(),
            "log_prob_initial": initial, "log_prob_transitions": transitions,
            "log_prob_sum_all": total, "log_prob_mean_over_K_plus_1": total / (K + 1),
            "log_prob_transitions_sum": sum(transitions)}


def cfm_loss():
    """§2: x_t = t·ε + (1 − t)·a, target u = ε − a, squared error mean and sum over elements."""
    a, eps, v_pred, t = arr(CFM_LOSS_A), arr(CFM_LOSS_EPS), arr(CFM_LOSS_V_PRED), 0.37
    x_t = t * eps + (1 - t) * a
    target = eps - a
    sq = (v_pred - target) ** 2
    return {"a": a.tolist(), "eps": eps.tolist(), "t": t, "v_pred": v_pred.tolist(), "x_t": x_t.tolist(),
            "target": target.tolist(), "loss_mean_over_elements": float(sq.mean()),
            "loss_sum_over_elements": float(sq.sum())}


def ppo_clip_loss(r, adv, lo, hi):
    return -np.minimum(r * adv, np.clip(r, 1 - lo, 1 + hi) * adv)


def ppo_loss():
    """§4.1: clipped surrogate per sample; the dual clip bounds the loss of A < 0 by c·|A|."""
    r = arr([0.5, 0.9, 1.0, 1.1, 1.5, 3.0, 5.0, 0.2])
    adv = arr([1.0, -1.0, 0.5, -2.0, 1.0, -1.0, -1.0, 2.0])
    clip, c = 0.2, 3.0
    per_sample = ppo_clip_loss(r, adv, clip, clip)
    dual = np.where(adv < 0, np.minimum(per_sample, c * np.abs(adv)), per_sample)
    return {"ratio": r.tolist(), "advantage": adv.tolist(), "clip": clip, "dual_clip_c": c,
            "loss_per_sample_clip": per_sample.tolist(), "loss_per_sample_dual_clip": dual.tolist(),
            "loss_mean_dual_clip": float(dual.mean())}


def fpo():
    """§4.2: per-action and per-sample FPO ratios from CFM losses; PPO clip and the ASPO penalty."""
    old, new = arr(FPO_LOSS_OLD), arr(FPO_LOSS_NEW)
    adv, clip = arr([1.0, -0.5, 2.0]), 0.05
    ratio_action = np.exp(old.mean(axis=1) - new.mean(axis=1))
    ratio_sample = np.exp(np.minimum(old - new, 10.0))
    a = adv[:, None]
    aspo = np.where(a > 0, ppo_clip_loss(ratio_sample, a, clip, clip),
                    -(ratio_sample * a - np.abs(a) / (2 * clip) * (ratio_sample - 1) ** 2))
    return {"loss_old": old.tolist(), "loss_new": new.tolist(), "ratio_per_action": ratio_action.tolist(),
            "ratio_per_sample": ratio_sample.tolist(), "advantage": adv.tolist(), "clip": clip,
            "aspo_loss_per_sample": aspo.tolist(),
            "ppo_loss_per_action": ppo_clip_loss(ratio_action, adv, clip, clip).tolist()}


def gae():
    """§4.4: generalised advantage estimation with an episode end inside the batch."""
    rewards, values = arr(GAE_REWARDS), arr(GAE_VALUES)
    dones = arr([0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    last_value, gamma, lam = 0.7, 0.99, 0.95
    adv = np.zeros_like(rewards)
    running = 0.0
    for t in reversed(range(len(rewards))):
        next_value = last_value if t == len(rewards) - 1 else values[t + 1]
        keep = 1.0 - dones[t]
        delta = rewards[t] + gamma * next_value * keep - values[t]
        running = delta + gamma * lam * keep * running
        adv[t] = running
    return {"rewards": rewards.tolist(), "values": values.tolist(), "dones": dones.tolist(),
            "last_value": last_value, "gamma": gamma, "lambda": lam, "advantages": adv.tolist(),
            "returns": (adv + values).tolist(),
            "note": "dones[t]=1 means the episode ended (terminated) after step t: no bootstrap across it"}


def chunk_reward():
    """§4.4: a chunk's reward is the γ-discounted sum of its environment rewards; γ^H between decisions."""
    r, gamma = arr(CHUNK_REWARD_ENV_REWARDS), 0.99
    return {"env_rewards": r.tolist(), "gamma": gamma,
            "chunk_reward": float(sum(gamma ** i * r[i] for i in range(len(r)))),
            "gamma_between_decisions": gamma ** len(r)}


def grpo():
    """§4.4: group-relative advantage (R − mean)/(std + eps), population std."""
    returns = arr([[1, 0, 0, 1, 1, 0, 0, 0], [0] * 8, [1, 1, 1, 0, 1, 1, 1, 1]])
    eps = 1e-6
    adv = (returns - returns.mean(axis=1, keepdims=True)) / (returns.std(axis=1, keepdims=True) + eps)
    return {"returns": returns.tolist(), "eps": eps, "advantages": adv.tolist(),
            "note": "population std (ddof=0); a group with equal returns gets zero advantage"}


# Image ops (docs/architecture.md, "Image ops"): NHWC layout, written as plain loops over the
# definitions so that they share nothing with FlowTune's im2col lowering.

def conv2d_nhwc(x, w, b, stride, padding):
    n, h, wd, c = x.shape
    o, kh, kw, _ = w.shape
    ho, wo = (h + 2 * padding - kh) // stride + 1, (wd + 2 * padding - kw) // stride + 1
    xp = np.zeros((n, h + 2 * padding, wd + 2 * padding, c))
    xp[:, padding:padding + h, padding:padding + wd, :] = x
    y = np.zeros((n, ho, wo, o))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            y[:, i, j, :] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return y


def pool_nhwc(x, kernel, stride, padding, kind):
    n, h, wd, c = x.shape
    ho, wo = (h + 2 * padding - kernel) // stride + 1, (wd + 2 * padding - kernel) // stride + 1
    y = np.zeros((n, ho, wo, c))
    for i in range(ho):
        for j in range(wo):
            y0, x0 = i * stride - padding, j * stride - padding
            window = x[:, max(y0, 0):min(y0 + kernel, h), max(x0, 0):min(x0 + kernel, wd), :]
            y[:, i, j, :] = window.max(axis=(1, 2)) if kind == "max" else window.mean(axis=(1, 2))
    return y


def conv2d():
    """2-D convolution, NHWC images, [out, kh, kw, in] filters, zero padding."""
    rng = np.random.default_rng(21)
    out = []
    for shape, (o, k), stride, padding in [((2, 5, 6, 3), (4, 3), 1, 1), ((1, 7, 7, 2), (3, 3), 2, 1),
                                           ((3, 4, 4, 5), (2, 1), 1, 0), ((1, 8, 6, 2), (2, 4), 3, 2)]:
        x = rng.normal(size=shape)
        w = rng.normal(size=(o, k, k, shape[3])) / k
        b = rng.normal(size=o)
        out.append({"x": x.ravel().tolist(), "x_shape": list(shape), "weight": w.ravel().tolist(),
                    "weight_shape": list(w.shape), "bias": b.tolist(), "stride": stride, "padding": padding,
                    "y": conv2d_nhwc(x, w, b, stride, padding).ravel().tolist()})
    return out


def pool2d():
    """Max and average pooling, NHWC; padded cells are left out of both (average over covered pixels)."""
    rng = np.random.default_rng(22)
    out = []
    for shape, kernel, stride, padding in [((2, 6, 6, 3), 2, 2, 0), ((1, 7, 5, 2), 3, 2, 1), ((2, 4, 4, 1), 4, 4, 0)]:
        x = rng.normal(size=shape)
        out.append({"x": x.ravel().tolist(), "x_shape": list(shape), "kernel": kernel, "stride": stride,
                    "padding": padding, "max": pool_nhwc(x, kernel, stride, padding, "max").ravel().tolist(),
                    "avg": pool_nhwc(x, kernel, stride, padding, "avg").ravel().tolist()})
    return out


def group_norm():
    """Group normalisation over each sample's group of consecutive channels, biased variance, no affine."""
    rng = np.random.default_rng(23)
    out = []
    for shape, groups in [((2, 3, 3, 4), 2), ((3, 5, 6), 3), ((2, 2, 2, 4), 1)]:
        x = rng.normal(size=shape) * 2 + 0.5
        n, c, eps = shape[0], shape[-1], 1e-5
        g = x.reshape(n, -1, groups, c // groups)
        mean = g.mean(axis=(1, 3), keepdims=True)
        var = g.var(axis=(1, 3), keepdims=True)
        y = ((g - mean) / np.sqrt(var + eps)).reshape(shape)
        out.append({"x": x.ravel().tolist(), "x_shape": list(shape), "groups": groups, "eps": eps,
                    "y": y.ravel().tolist()})
    return out


def spatial_softmax():
    """Soft-argmax keypoints: per channel, softmax(z / T) over positions, expected x then expected y in [-1, 1]."""
    rng = np.random.default_rng(24)
    out = []
    for shape, temperature in [((2, 4, 5, 3), 1.0), ((1, 3, 3, 2), 0.5)]:
        x = rng.normal(size=shape) * 2
        n, h, w, c = shape
        xs, ys = np.linspace(-1, 1, w), np.linspace(-1, 1, h)
        z = x.reshape(n, h * w, c) / temperature
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        ex = np.einsum("nsc,s->nc", p, np.tile(xs, h))
        ey = np.einsum("nsc,s->nc", p, np.repeat(ys, w))
        out.append({"x": x.ravel().tolist(), "x_shape": list(shape), "temperature": temperature,
                    "y": np.concatenate([ex, ey], axis=1).ravel().tolist(),
                    "note": "y is [N, 2C]: the C expected x coordinates, then the C expected y"})
    return out


# ---------------------------------------------------------------------------------------------
# Registration: one line per case, in the order they appear in vectors.json.
# ---------------------------------------------------------------------------------------------

CASES = [
    ("flow_sde_step", flow_sde_step),
    ("ode_step", ode_step),
    ("flow_noise_sigma", flow_noise_sigma),
    ("flow_noise_chain", flow_noise_chain),
    ("cfm_loss", cfm_loss),
    ("ppo_loss", ppo_loss),
    ("fpo", fpo),
    ("gae", gae),
    ("chunk_reward", chunk_reward),
    ("grpo", grpo),
    ("flow_sde_step_clamped", flow_sde_step_clamped),
    ("conv2d", conv2d),
    ("pool2d", pool2d),
    ("group_norm", group_norm),
    ("spatial_softmax", spatial_softmax),
]


def generate():
    return {"about": ABOUT, "cases": {name: make() for name, make in CASES}}


def compare(expected, actual, path, problems, rtol=1e-12, atol=1e-14):
    """Appends to `problems` every place where `actual` (regenerated) differs from `expected` (file)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        if list(expected) != list(actual):
            problems.append(f"{path}: keys {list(expected)} in the file, {list(actual)} generated")
        for key in expected:
            if key in actual:
                compare(expected[key], actual[key], f"{path}.{key}", problems, rtol, atol)
    elif isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            problems.append(f"{path}: {len(expected)} entries in the file, {len(actual)} generated")
        for i, (e, a) in enumerate(zip(expected, actual)):
            compare(e, a, f"{path}[{i}]", problems, rtol, atol)
    elif isinstance(expected, (int, float)) and isinstance(actual, (int, float)) \
            and not isinstance(expected, bool) and not isinstance(actual, bool):
        if abs(expected - actual) > atol + rtol * abs(expected):
            problems.append(f"{path}: {expected!r} in the file, {actual!r} generated")
    elif expected != actual:
        problems.append(f"{path}: {expected!r} in the file, {actual!r} generated")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="compare the generated cases with vectors.json")
    mode.add_argument("--write", action="store_true", help="write vectors.json")
    args = parser.parse_args()
    data = generate()
    if args.write:
        with open(VECTORS, "w") as f:
            json.dump(data, f, indent=1)
        print(f"wrote {len(data['cases'])} cases to {VECTORS}")
        return 0
    with open(VECTORS) as f:
        committed = json.load(f)
    problems = []
    compare(committed, data, "vectors.json", problems)
    if problems:
        print(f"vectors.json differs from what generate.py computes ({len(problems)} differences):", file=sys.stderr)
        for p in problems[:40]:
            print("  " + p, file=sys.stderr)
        return 1
    exact = json.dumps(data, indent=1) == json.dumps(committed, indent=1)
    print(f"vectors.json matches generate.py: {len(data['cases'])} cases"
          + (", bit for bit" if exact else f", within a relative {1e-12:g}"))
    return 0


# ---------------------------------------------------------------------------------------------
# Literal inputs of the original cases.
# ---------------------------------------------------------------------------------------------

FLOW_SDE_STEP_INPUTS = [
    dict(K=4, noise_level=0.5, k=0,
         x=[[0.17900157251854548, 0.6549908465165866, 0.4252834465328897],
            [0.8476389446780901, 0.5346741629007522, -0.7701509826878913]],
         v=[[-0.308678570210047, -0.5251813460042903, 0.23247097656830198],
            [-0.1106358239967006, 0.02124453381979723, -2.28259933385413]],
         z=[[-0.9925993057692637, 0.5236694403708146, 0.43806795853843067],
            [-0.6541758336607013, 1.2300393971345296, -0.13596203149127828]]),
    dict(K=4, noise_level=0.5, k=1,
         x=[[0.540621249675498, 0.16427783537779225, 0.08690956419636979],
            [-0.159490310343877, -1.3908155809268814, -0.7213223540266684]],
         v=[[-1.760969765727223, 0.32395197272720583, -0.4215992761621897],
            [-0.9565561119612261, 1.4470147712036385, 1.0554382480736046]],
         z=[[-0.40684981711242724, -1.3910666407599142, -1.9338945013474427],
            [0.12802962505422708, -0.16055835271681212, -1.12021406795397]]),
    dict(K=4, noise_level=0.5, k=2,
         x=[[-0.4189735656466799, -0.47344792959213444, -2.8686947457916525],
            [0.24054154746653528, -0.37444025150741406, -2.6726126852778815]],
         v=[[-0.9932673450030632, -0.8751928696736901, -0.6565853455270754],
            [0.019861117116375226, -0.3941432160838337, 0.19772328390415847]],
         z=[[-0.09561859259190233, -0.039005129827881825, 0.2592605534861501],
            [-1.410294196893451, 1.7916546671431763, -0.8945229602026812]]),
    dict(K=4, noise_level=0.5, k=3,
         x=[[-2.0876912890875543, 1.5387011983914112, 0.7243246289329895],
            [-0.5911234359814176, 0.3350097776809586, 0.06262709970941559]],
         v=[[-1.6984732421702442, -2.925093448700134, 0.4693073701088803],
            [0.3462210385090959, -1.0257913994653063, 0.5452408642435429]],
         z=[[-1.4180887748575823, -0.15979371914480175, 0.3775219792585491],
            [0.8346535780484455, -0.19391946924818396, 0.4839151755864068]]),
    dict(K=5, noise_level=0.3, k=0,
         x=[[0.1877240091817734, 0.24842057294489422, -0.32632930433417845],
            [-0.09139627065448741, -2.9947143217674337, 1.32635658406462]],
         v=[[-1.4690109629429964, 0.1330760962363246, -1.2162508715171791],
            [0.4909111135266515, -0.2744190385755953, -0.6738256776804062]],
         z=[[-0.46734584380415295, 1.4347611977486179, 0.22957477838190654],
            [1.238434489158097, 2.225424484580773, 1.0053673768019336]]),
    dict(K=5, noise_level=0.3, k=1,
         x=[[-0.0778640140203589, 0.17698863561993117, 1.1702450740310204],
            [2.3433585158888666, -0.17727552111507797, -0.8526050179619541]],
         v=[[0.6136365016451796, -1.2312921175375757, -1.4048164900656122],
            [-1.0146448830766706, 0.44133091718393924, -1.2060036714324556]],
         z=[[0.9063960447918549, 0.9954757067818922, -0.657340593498167],
            [0.5442652450324729, 1.9596225753977425, 0.9458141560517261]]),
    dict(K=5, noise_level=0.3, k=2,
         x=[[-1.4584013313055297, 1.6256558188401196, -0.6382603079356393],
            [-1.1896745506422264, 0.10169124499423751, -1.5088132396373548]],
         v=[[-2.0111169418714527, -1.5523108916843626, 0.7236286319991999],
            [0.5877992678664482, -1.150032233331648, -0.7239888621159689]],
         z=[[0.9021896971608124, -0.29554913368017427, -0.8310377838935129],
            [-0.783021994250608, -1.868533871721582, -0.10309049606312506]]),
    dict(K=5, noise_level=0.3, k=3,
         x=[[0.7229202910453429, -0.013997703332847151, -0.4572607823343663],
            [2.5605066594758834, 0.7942629222760986, 0.709757647337124]],
         v=[[0.20456389599509223, -2.171388230725931, -0.5491407004468108],
            [-1.3883425297308727, 0.2515038029351833, -0.6062505357935811]],
         z=[[-0.24890323553862848, 0.49819633427892696, 1.577630553379096],
            [0.7273019147996239, 0.14368274701115386, -0.4660897378307187]]),
    dict(K=5, noise_level=0.3, k=4,
         x=[[-0.9645262467814413, -0.6456286707611358, -0.8890855330971642],
            [-0.6315734494800022, 0.590393639956472, -1.5172424126915127]],
         v=[[-0.025667830854509015, 0.5694746982278123, 0.9991906168075155],
            [0.325705751029035, -0.5870610246719465, -0.5300050659620491]],
         z=[[-0.7882230297171094, 0.3989761205321089, 0.12311415786934811],
            [0.6743030642505374, 0.3927737943965359, 1.5807220292892918]]),
    dict(K=10, noise_level=0.7, k=0,
         x=[[-1.3616517417190488, 1.3728990098819354, -1.2893497137166312],
            [0.11879218725033669, 0.9824873067337547, 1.0404105606740421]],
         v=[[1.5595374142024194, 0.045255857305447796, 2.449260920997725],
            [1.6855132571660314, -2.5144100803018343, 0.26443836973214024]],
         z=[[1.2693541030593416, -0.16856919432130688, 0.6201431429197082],
            [0.4664121649294106, 0.3714363349950646, 1.100667278972343]]),
    dict(K=10, noise_level=0.7, k=1,
         x=[[1.6942254809993234, -0.005362150452032355, 0.261891824295159],
            [1.488739588454593, -0.5313525460507232, -1.3599454647269986]],
         v=[[0.6877785439489279, 0.9727073949904946, -0.2881825750103377],
            [-2.062891289249493, -2.2813379333096293, -1.1714185461114761]],
         z=[[1.7016787683533916, 1.4364936753886168, 0.20939526569712164],
            [-0.41661596529472994, -0.5393776946032067, 0.0012115886424900215]]),
    dict(K=10, noise_level=0.7, k=2,
         x=[[0.2138550281631389, 0.8912926447435514, -1.1144974571399493],
            [1.4140476619186908, 1.2882093261357195, -0.4103001849581114]],
         v=[[-1.8422499335563651, -0.10211726440405003, -0.2607512631313767],
            [-0.6502660313816323, 0.5362312940618573, 0.452983930728933]],
         z=[[-0.3883441227853793, -0.92568898336127, -1.1976675425627112],
            [-0.7541048962930134, 0.6917795337788395, -0.6119786610157911]]),
    dict(K=10, noise_level=0.7, k=3,
         x=[[0.8131385083682514, -1.031657331047153, -1.8021976487744118],
            [-0.7453937985676741, 1.9411996876559168, -0.3182511153077378]],
         v=[[-1.704660887130982, 0.6078118769578545, 0.5615330654130636],
            [2.9171420726040544, -0.37022696045075726, -0.09539920744715912]],
         z=[[-0.3818906404324959, -0.5955863023290363, -0.41556994676762954],
            [0.8932690768184733, -0.06790497252758573, -0.5650256588112736]]),
    dict(K=10, noise_level=0.7, k=4,
         x=[[-0.7095288319704462, -0.8001619737920406, -0.3921258737258638],
            [-0.873365262591342, -0.6929403341535557, -2.286277710234236]],
         v=[[-1.11659540859285, 0.7402476402572239, -1.7444090285526705],
            [0.300716275549746, -1.0641629960951655, 0.7611944321638087]],
         z=[[-0.010204530118299278, 1.2448694828167155, -0.3811817674675853],
            [-0.5731054167565107, 0.40725410960405867, -0.405251156729378]]),
    dict(K=10, noise_level=0.7, k=5,
         x=[[-0.1743960452720046, 0.3454458476449689, 1.4632189992293763],
            [2.5526109713803917, 0.78622597011111, -0.0683875257158036]],
         v=[[0.12540294430662016, -1.3781167197515425, 1.0048627222126119],
            [0.3370105766267699, -2.2138305259524036, -0.10223815205853742]],
         z=[[1.1725199467039884, 0.36512442261151457, -0.4087552394214875],
            [-1.8379657600243122, -0.1704381479481374, 0.3097687910681853]]),
    dict(K=10, noise_level=0.7, k=6,
         x=[[-0.30950182419444217, -0.26912714763565027, 0.37634783016387013],
            [-0.1429648113630391, -0.7795207943725909, 1.6358148276411608]],
         v=[[1.2518201749454017, 0.6661736077369643, 0.901085869976416],
            [0.2406874011707055, 0.929744731558198, 0.7943229010201627]],
         z=[[0.334241516211177, 0.0812021502541797, -0.6975519858921568],
            [-0.6187903935748571, -1.306294435411052, -2.2331422638022835]]),
    dict(K=10, noise_level=0.7, k=7,
         x=[[1.7872063282763826, -0.9637968321275517, 1.377380478231495],
            [1.188254733523852, -0.4003024072029536, 0.5438032765794528]],
         v=[[-0.32305811515449756, -0.5487361989956749, -0.21849164837356075],
            [0.48431268807890054, -0.09568472587134765, -0.19373659861669512]],
         z=[[-1.132622044381749, -1.0100591309033398, -0.7583230858386756],
            [-0.3033221028143041, -0.3211424919464608, 0.5125807914579075]]),
    dict(K=10, noise_level=0.7, k=8,
         x=[[-1.9727326290452774, 0.6738654408171171, -0.9101321887521671],
            [-0.0010283215431685234, -0.7055756359941158, 0.24570764907769804]],
         v=[[0.8137555840801807, 0.052510959085921766, 0.8331514545475077],
            [2.396720943302823, 1.549399869729868, 0.3332867862485314]],
         z=[[-0.6566644663934582, 1.0008937012000827, -0.6830673532802312],
            [0.3563758933200674, 0.8224688555252956, -1.0047974073400825]]),
    dict(K=10, noise_level=0.7, k=9,
         x=[[0.5454730719060352, -1.0343100649613444, -1.838027120573689],
            [0.8996635982142405, 0.3382076547160733, -2.5660310621481637]],
         v=[[-2.2354920742483335, -0.14712761462493287, 0.5702692090367937],
            [0.5162213587581093, 3.7812022731408357, -0.8382736441028996]],
         z=[[1.3392279647676062, -0.5910128457311786, -2.0553799455212993],
            [-0.15830236491299865, 1.477465829741686, 1.0541803417010513]]),
]
ODE_STEP_X = [[2.6577232455401254, 0.7056614762518294, 0.9480427395809746],
              [0.05164891805070482, -1.154036694264645, 1.1267215207778993]]
ODE_STEP_V = [[0.27401161641364774, 0.7670584534699657, 1.0960317992765547],
              [-0.31646718056231027, -0.6603539778391154, 0.9018939304399383]]
FLOW_NOISE_SIGMA_RAW = [-0.704363440337182, 3.7566386534694156, -0.505616542072382, -0.5305606672055677]
FLOW_NOISE_CHAIN_X = [[-0.21311722002827427, 2.158024228434894, -0.7862479573213343],
                      [-0.012339410039602261, 1.9977271293127408, -0.4355344813262235],
                      [-0.022044822358168126, 2.415840230263732, -0.9205132097281644],
                      [0.07633350783861204, 2.3123314012635316, 0.12650412897224333],
                      [-0.08720226715862316, 2.0104850506152943, -0.22343174417756403]]
FLOW_NOISE_CHAIN_MEAN = [[-0.10768943538586138, 2.1229041292502844, -0.5184640912217494],
                         [-0.04880253840481522, 2.208033811139016, -0.7960039222047454],
                         [0.072592177722568, 2.3388963310452646, -0.27728803139721436],
                         [-0.017754914124798918, 2.0634329952058876, -0.1991978609710734]]
FLOW_NOISE_CHAIN_SIGMA = [[0.13915602407317082, 0.10993339796084117, 0.0882860770510132],
                          [0.09248011977211017, 0.09575107617659391, 0.1498434461701996],
                          [0.10708587260614684, 0.09288770920393818, 0.13158142679301305],
                          [0.15812455744732812, 0.13738300724406877, 0.08959925719357142]]
CFM_LOSS_A = [[-1.5421896351863664, -0.274314428653862],
              [-0.9953494536319584, 0.4664518331780886],
              [0.5998560379533723, -0.5642197224769853],
              [0.8709312245431153, -0.6112461638963707],
              [-0.1738746652299044, 0.7264527494514783]]
CFM_LOSS_EPS = [[-0.14450150523772606, -0.34827681605110955],
                [0.5131994751234809, -1.2759113288640278],
                [0.2163992387315407, 0.9232197747338171],
                [-0.8101838537574141, -0.34282099046367137],
                [-0.5368694960774698, 2.3591047926202546]]
CFM_LOSS_V_PRED = [[-0.6798733633254554, 0.29756112518763883],
                   [0.17684100766267014, 0.000908127547456649],
                   [0.6147372955851527, 0.004987292833269392],
                   [0.5180751114238069, 0.28344020890923255],
                   [0.738194636145695, 0.679102583258264]]
FPO_LOSS_OLD = [[0.10341734993784583, 0.8646387373203915, 1.6178853480790563, 0.27636253367786345, 1.1142575717929357, 0.9238117783672726, 1.5810466037797262, 0.2842175551689646],
                [0.812791470545302, 0.4626678196631062, 1.5928301248999237, 0.3172860034424063, 1.6756539736999239, 1.753124897669535, 1.3866407689921636, 0.44293928619359557],
                [1.1272138326833991, 1.6229849179899478, 1.778591362749861, 0.21127783261519065, 1.1298677833031718, 1.3184312442432646, 1.7171394430532796, 1.8323690545700044]]
FPO_LOSS_NEW = [[0.06041702287117908, 0.5732788374527313, 1.579696370183044, 0.3941260819220543, 1.0161161361038085, 0.6809617128536373, 1.935975367714374, 0.4309999339865953],
                [0.7981201283544009, 0.6708417253948137, 1.6125059100634611, 0.7134947791114812, 1.8140422788917443, 1.8392225273373681, 2.069024280452992, 0.26044866852974863],
                [0.9951755167441713, 1.6746984643976024, 2.074823483644934, 0.7028656188146036, 1.036751762617426, 1.8160319536681502, 2.0543945700883675, 2.030148846621866]]
GAE_REWARDS = [0.3762525666365187, 1.0385950450186192, -0.5892344903737843, -0.21786090121194435, -0.16954382734578677, 0.4584828650170473, -1.2199539597936342]
GAE_VALUES = [0.24883728994203527, 0.15183553022378013, 0.5036811283009026, 0.5592118542814704, -0.11850356559644747, 0.45927290998079306, 0.4835487881061155]
CHUNK_REWARD_ENV_REWARDS = [0.11133578806604837, 0.8438794668880782, 0.040932080632976035, -0.016022179530151528, 1.536909744218046]


if __name__ == "__main__":
    sys.exit(main())
