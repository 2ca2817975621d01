"""W4 for the peers: one RL iteration (collect + update) with the structure of FlowTune's
RLTrainer.runIteration, on FlowTune's reach-obstacle task ported to numpy (`ReachObstacleEnv`).

What matches FlowTune: the policy, one-step Flow-SDE sampling per decision, the separate critic
(an MLP 8 → 256 → 256 → 1 on the normalised observation), chunk-level GAE (γ per environment step
inside the chunk, γ^H between decisions, λ = 0.95) with advantage normalisation, and the update:
4 epochs of minibatch-256 PPO (§4.1 surrogate + 0.5 × clipped Huber value loss), per-group gradient
clipping, AdamW for actor (1e-4, decay 0.01) and critic (1e-3, no decay).
What differs (said in docs/results/speed.md): the environment is stepped by numpy's vectorised array
operations instead of FlowTune's Swift kernel (the same dynamics, rewards and episode ends; only its
random numbers differ), and environments decide in lockstep (an environment that finishes inside a
chunk starts its next episode with the chunk's remaining actions) rather than on their own clocks.
"""
import numpy as np

GAMMA, LAMBDA = 0.99, 0.95
EPOCHS, MINIBATCH = 4, 256
CRITIC_LR, VALUE_COEF, HUBER_DELTA, VALUE_CLIP = 1e-3, 0.5, 10.0, 0.2
CRITIC_WIDTH = 256


def reach_obstacle_transition(state, action, max_step=0.05, tolerance=0.05):
    """One step of FlowTune's `reach-obstacle` physics for every row of `state` (float32 `[N, 8]`: agent x, y,
    goal x, y, obstacle centre x, y, half width, half height) under velocities `action` `[N, 2]`:
    the agent moves `max_step · a`, swept past the box's faces per axis (x first, then y, as
    `sweepPointPastBox` in Sources/FlowEnvs/Tasks/PlanarPhysics.swift), then is clamped to the table
    [-1, 1]². Returns the next state, the reward (1 on success, else 0) and success (within `tolerance`
    of the goal). PeerEnvironmentTests checks it against FlowTune's environment step by step."""
    f32 = np.float32
    x, y = state[:, 0], state[:, 1]
    gx, gy, cx, cy, w, h = (state[:, k] for k in range(2, 8))
    min_x, max_x, min_y, max_y = cx - w, cx + w, cy - h, cy + h
    dx, dy = action[:, 0] * f32(max_step), action[:, 1] * f32(max_step)
    nx = x + dx
    beside = (y > min_y) & (y < max_y)
    from_left = beside & (x <= min_x) & (nx > min_x)
    from_right = beside & ~from_left & (x >= max_x) & (nx < max_x)
    nx = np.where(from_left, min_x, np.where(from_right, max_x, nx))
    ny = y + dy
    above_or_below = (nx > min_x) & (nx < max_x)
    from_below = above_or_below & (y <= min_y) & (ny > min_y)
    from_above = above_or_below & ~from_below & (y >= max_y) & (ny < max_y)
    ny = np.where(from_below, min_y, np.where(from_above, max_y, ny))
    nxt = state.copy()
    nxt[:, 0] = np.clip(nx, f32(-1), f32(1))
    nxt[:, 1] = np.clip(ny, f32(-1), f32(1))
    ex, ey = gx - nxt[:, 0], gy - nxt[:, 1]
    success = np.sqrt(ex * ex + ey * ey) < f32(tolerance)
    return nxt, success.astype(np.float32), success


class ReachObstacleEnv:
    """FlowTune's `reach-obstacle` in numpy, every environment stepped together: the same layout
    distribution (Sources/FlowEnvs/Tasks/ReachObstacleTask.swift, the standard layout), the same physics
    (`reach_obstacle_transition`), termination at success, the time limit, and automatic reset of the
    environments whose episode ended. Only the random numbers differ (numpy's generator, not
    FlowTune's), which costs the same. Observation: the 8 state values, as FlowTune's."""

    def __init__(self, n, time_limit, seed=0):
        self.n, self.limit = n, time_limit
        self.rng = np.random.default_rng(seed)
        self.state = np.zeros((n, 8), np.float32)
        self.t = np.zeros(n, np.int64)
        self.reset(np.ones(n, bool))

    def reset(self, mask):
        k = int(mask.sum())
        u = lambda low, high: self.rng.uniform(low, high, k)
        self.state[mask] = np.stack([u(-0.15, 0.15), u(-0.85, -0.7), u(-0.15, 0.15), u(0.7, 0.85),
                                     u(-0.05, 0.05), u(-0.05, 0.05), u(0.3, 0.4), u(0.08, 0.12)], 1)
        self.t[mask] = 0

    def observe(self):
        return self.state.copy()

    def step(self, action):
        a = np.clip(action, -1, 1).astype(np.float32)
        self.state, reward, success = reach_obstacle_transition(self.state, a)
        self.t += 1
        done = success | (self.t >= self.limit)
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
