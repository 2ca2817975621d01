"""W4 for the peers: one RL iteration (collect + update) with the structure of FlowTune's
RLTrainer.runIteration, on a synthetic vectorised numpy environment with reach-obstacle's widths.

What matches FlowTune: the policy, one-step Flow-SDE sampling per decision, the separate critic
(an MLP 8 → 256 → 256 → 1 on the normalised observation), chunk-level GAE (γ per environment step
inside the chunk, γ^H between decisions, λ = 0.95) with advantage normalisation, and the update:
4 epochs of minibatch-256 PPO (§4.1 surrogate + 0.5 × clipped Huber value loss), per-group gradient
clipping, AdamW for actor (1e-4, decay 0.01) and critic (1e-3, no decay).
What differs (said in docs/results/speed.md): the environment is a synthetic point mass with an obstacle
penalty (numpy, all environments stepped together, episodes end only at the time limit) instead of
FlowTune's reach-obstacle physics, and environments decide in lockstep rather than on their own clocks.
"""
import numpy as np

GAMMA, LAMBDA = 0.99, 0.95
EPOCHS, MINIBATCH = 4, 256
CRITIC_LR, VALUE_COEF, HUBER_DELTA, VALUE_CLIP = 1e-3, 0.5, 10.0, 0.2
CRITIC_WIDTH = 256


class SyntheticReachEnv:
    """Point mass `pos, vel` toward `goal` past an obstacle; observation `[pos, vel, goal, obstacle]` (8)."""

    def __init__(self, n, time_limit, seed=0):
        self.n, self.limit = n, time_limit
        self.rng = np.random.default_rng(seed)
        self.state = np.zeros((n, 8), np.float32)
        self.t = np.zeros(n, np.int64)
        self.reset(np.ones(n, bool))

    def reset(self, mask):
        k = int(mask.sum())
        self.state[mask] = np.concatenate([self.rng.uniform(-1, 1, (k, 2)), np.zeros((k, 2)),
                                           self.rng.uniform(-1, 1, (k, 2)), self.rng.uniform(-0.5, 0.5, (k, 2))], 1)
        self.t[mask] = 0

    def observe(self):
        return self.state.copy()

    def step(self, action):
        s = self.state
        a = np.clip(action, -1, 1)
        s[:, 2:4] = 0.8 * s[:, 2:4] + 0.2 * a
        s[:, 0:2] += 0.05 * s[:, 2:4]
        dist = np.linalg.norm(s[:, 0:2] - s[:, 4:6], axis=1)
        hit = np.linalg.norm(s[:, 0:2] - s[:, 6:8], axis=1) < 0.2
        reward = (-dist - 0.1 * hit).astype(np.float32)
        self.t += 1
        done = self.t >= self.limit
        if done.any():
            self.reset(done)
        return reward, done


def gae(rewards, values, bootstrap, dones, gamma_chunk):
    """Advantages and returns over decisions `[D, N]`."""
    d = rewards.shape[0]
    adv = np.zeros_like(rewards)
    last = np.zeros(rewards.shape[1], np.float32)
    for i in reversed(range(d)):
        nxt = bootstrap if i == d - 1 else values[i + 1]
        nonterminal = 1.0 - dones[i]
        delta = rewards[i] + gamma_chunk * nxt * nonterminal - values[i]
        last = delta + gamma_chunk * LAMBDA * nonterminal * last
        adv[i] = last
    return adv, adv + values


def run_iteration(agent, env, env_steps, chunk_length):
    """Collect `env_steps` steps per environment in chunk decisions, then update; returns env steps."""
    decisions = -(-env_steps // chunk_length)
    n = env.n
    store = {k: [] for k in ("obs", "before", "after", "t", "old", "value", "reward", "done")}
    obs = env.observe()
    for _ in range(decisions):
        value, actions, before, after, t, old = agent.act(obs)
        reward = np.zeros(n, np.float32)
        done = np.zeros(n, bool)
        discount = 1.0
        for h in range(chunk_length):
            r, d = env.step(actions[:, h])
            reward += discount * r * ~done
            discount *= GAMMA
            done |= d
        for k, v in (("obs", obs), ("before", before), ("after", after), ("t", t), ("old", old), ("value", value),
                     ("reward", reward), ("done", done.astype(np.float32))):
            store[k].append(v)
        obs = env.observe()
    bootstrap = agent.value(obs)
    adv, returns = gae(np.stack(store["reward"]), np.stack(store["value"]), bootstrap, np.stack(store["done"]),
                       GAMMA ** chunk_length)
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    flat = lambda k: np.concatenate(store[k], 0)
    batch = dict(obs=flat("obs"), before=flat("before")[None], after=flat("after")[None], t=flat("t")[None],
                 old=flat("old"), adv=adv.reshape(-1).astype(np.float32), returns=returns.reshape(-1).astype(np.float32),
                 old_values=flat("value"))
    agent.update(batch)
    return decisions * chunk_length * n


def critic_init(rng, inputs):
    """PyTorch-default initialisation of the critic MLP (the peers' own critic; values do not matter for speed)."""
    params = {}
    widths = [inputs, CRITIC_WIDTH, CRITIC_WIDTH, 1]
    for i in range(3):
        bound = 1 / np.sqrt(widths[i])
        params[f"critic.{i}.weight"] = rng.uniform(-bound, bound, (widths[i + 1], widths[i])).astype(np.float32)
        params[f"critic.{i}.bias"] = rng.uniform(-bound, bound, widths[i + 1]).astype(np.float32)
    return params
