"""The benchmark workloads of `flowtune bench compare`, shared by every peer stack (numpy side).

Shapes, not values, decide the work: each peer draws its own inputs from these shapes, computes the
"old" log-densities / CFM losses with its own forward pass (as a rollout would), and then times the
update. The math each stack runs is docs/algorithms.md's and mirrors FlowTune's code path
(Sources/FlowTuneBench/CompareWorkload.swift):

- W1 `sample-ode` / `sample-sde`: K-step ODE (§3.1) or one-step Flow-SDE (§3.2) sampling of a batch,
  with the recorded transition's log-density and the mean velocity features (what a rollout keeps).
- W2 `ppo-sde` / `ppo-noise`: one PPO epoch (§4.1) over `ROLLOUT` decisions in minibatches: chain
  log-density recompute (one transition per chunk for Flow-SDE, K for Flow-Noise), chunk-summed
  ratio, clipped + dual-clipped surrogate (Flow-Noise adds the 0.005 entropy bonus), backward,
  per-group gradient clipping at 1.0, AdamW.
- W3 `fpo`: one FPO epoch (§4.2) as FlowRL's FPO objective does it by default (FPOSettings.fpo):
  N_mc = 8 stored (τ, ε) pairs per decision (chunk-major), per-pair CFM losses (mean over H·D) in
  one batched pass, each clamped at 20, ratio exp(mean ℓ_old − mean ℓ_new), PPO clip 0.05 with
  dual clip 3, backward, clip, AdamW.
"""
import numpy as np

ROLLOUT = 4096          # decisions per PPO / FPO epoch (W2, W3)
N_MC = 8                # FPO (τ, ε) pairs per decision (W3)
NOISE_LEVEL = 0.5       # Flow-SDE a_n (§3.2)
LR = 1e-4               # actor / noise learning rate (RLConfig defaults)
BETAS = (0.9, 0.95)
WEIGHT_DECAY = 0.01
EPS = 1e-8
GRAD_CLIP = 1.0
PPO_CLIP = 0.2
DUAL_CLIP = 3.0
FPO_CLIP = 0.05
FPO_LOSS_CLAMP = 20.0
ENTROPY_COEF = 0.005
LOG_TWO_PI = np.float32(1.8378770664093453)


def sde_sigma(t, steps, noise_level=NOISE_LEVEL):
    """σ_t = a·sqrt(t/(1 − t)), with t_1 in the denominator at t = 1 (§3.2); numpy, per row."""
    t = np.asarray(t, dtype=np.float32)
    denom = np.where(t >= 1, np.float32(1.0 / steps), np.float32(1) - t)
    return (np.float32(noise_level) * np.sqrt(t / denom)).astype(np.float32)


def grid_t(k, steps):
    return np.float32(1) - np.float32(k) / np.float32(steps)


def ppo_inputs(rng, ck, rows, algo):
    """Stored chains for a PPO epoch: observations, x_k, x_{k+1}, step indices, advantages.
    Flow-SDE: one transition per chunk at step j ∈ {0…K−2}; Flow-Noise: all K transitions."""
    k, hd = ck.steps, ck.chunk_width
    obs = rng.standard_normal((rows, ck.observation_dim)).astype(np.float32)
    s = 1 if algo == "sde" else k
    before = rng.standard_normal((s, rows, hd)).astype(np.float32)
    after = (before * 0.8 + 0.1 * rng.standard_normal((s, rows, hd))).astype(np.float32)
    if algo == "sde":
        steps = rng.integers(0, k - 1, size=(1, rows))
    else:
        steps = np.tile(np.arange(k)[:, None], (1, rows))
    adv = rng.standard_normal(rows).astype(np.float32)
    return dict(obs=obs, before=before, after=after, steps=steps, adv=adv)


def fpo_inputs(rng, ck, rows, n_mc=N_MC):
    """Executed chunks and their stored (τ, ε) pairs, chunk-major ([rows, N_mc, …])."""
    hd = ck.chunk_width
    return dict(obs=rng.standard_normal((rows, ck.observation_dim)).astype(np.float32),
                actions=np.clip(rng.standard_normal((rows, hd)), -2, 2).astype(np.float32),
                tau=rng.uniform(size=(rows, n_mc)).astype(np.float32),
                eps=rng.standard_normal((rows, n_mc, hd)).astype(np.float32),
                adv=rng.standard_normal(rows).astype(np.float32))
