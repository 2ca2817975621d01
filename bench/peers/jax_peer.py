"""FlowTune's flow policy, samplers and update math in JAX, every workload one `jax.jit`ted function.

The same network and formulas as torch_peer.py (see its docstring); parameters are a dict keyed by
FlowTune's parameter names. The training step (loss, gradient, per-group clipping, AdamW) is one
jitted function with the parameters and optimizer state donated, the idiomatic fast JAX form.
"""
import math
from functools import partial

import numpy as np
import jax
import jax.numpy as jnp

import rl_iteration as R
import workloads as W
from checkpoint import time_frequencies


class Net:
    """Static architecture facts (hashable closure data for jit) and pure functions of params."""

    def __init__(self, ck):
        self.ck = ck
        freq, scale = time_frequencies(ck.time_dim)
        self.freq, self.scale = jnp.asarray(freq), float(scale)
        self.obs_mean, self.obs_std = jnp.asarray(ck.obs_mean), jnp.asarray(ck.obs_std)
        self.act_mean = jnp.asarray(np.tile(ck.act_mean, ck.chunk_length))
        self.act_std = jnp.asarray(np.tile(ck.act_std, ck.chunk_length))
        self.lv_min = 2 * math.log(ck.sigma_min)
        self.lv_span = 2 * math.log(ck.sigma_max) - self.lv_min

    @staticmethod
    def lin(p, x, name, bias=True):
        y = x @ p[name + ".weight"].T
        return y + p[name + ".bias"] if bias else y

    def mlp(self, p, x, prefix, layers, output_act):
        for i in range(layers):
            x = self.lin(p, x, f"{prefix}.layers.{i}")
            if i < layers - 1 or output_act:
                x = jax.nn.silu(x)
        return x

    def encode(self, p, obs):
        return self.mlp(p, (obs - self.obs_mean) / self.obs_std, "encoder", self.ck.encoder_layers, True)

    def time_features(self, p, t):
        arg = (self.scale * t)[:, None] * self.freq
        return self.mlp(p, jnp.concatenate([jnp.sin(arg), jnp.cos(arg)], -1), "timeMLP", 2, True)

    def prepare(self, p, f):
        return [self.lin(p, f, f"velocityNetwork.films.{i}.projections.0") for i in range(self.ck.depth)]

    def velocity(self, p, x, prepared, time):
        h = jax.nn.silu(self.lin(p, x, "velocityNetwork.input"))
        for i in range(self.ck.depth):
            z = self.lin(p, h, f"velocityNetwork.layers.{i}")
            proj = prepared[i] + self.lin(p, time, f"velocityNetwork.films.{i}.projections.1", bias=False)
            gamma, beta = jnp.split(proj, 2, -1)
            h = jax.nn.silu(z * (1 + gamma) + beta)
        return self.lin(p, h, "velocityNetwork.output"), h

    def sigma(self, p, condition):
        raw = self.mlp(p, jax.lax.stop_gradient(condition), "noiseNetwork.body", self.ck.noise_layers, False)
        return jnp.exp(((jnp.tanh(raw) + 1) * (0.5 * self.lv_span) + self.lv_min) * 0.5)


def gaussian_logp(x, mean, std):
    z = (x - mean) / std
    return (z * z + W.LOG_TWO_PI) * -0.5 - jnp.log(std)


def sample(net, p, obs, key, steps, mode):
    b, hd = obs.shape[0], net.ck.chunk_width
    f = net.encode(p, obs)
    pre = net.prepare(p, f)
    keys = jax.random.split(key, steps + 2)
    x = jax.random.normal(keys[0], (b, hd))
    dt = 1.0 / steps
    feature_sum = 0
    chosen = jax.random.randint(keys[1], (b,), 0, steps - 1)
    befores, afters, logps = [], [], []
    for k in range(steps):
        t = 1.0 - k / steps
        v, h = net.velocity(p, x, pre, net.time_features(p, jnp.full((1,), t)))
        feature_sum = feature_sum + h
        if mode == "ode":
            x = x - v * dt
            continue
        sig = float(W.sde_sigma(t, steps))
        on = (chosen == k)[:, None]
        s2 = sig * sig
        xs = jnp.where(on, 1 - s2 * dt / (2 * t), 1.0)
        vs = jnp.where(on, dt * (1 + s2 * (1 - t) / (2 * t)), dt)
        std = jnp.where(on, sig * math.sqrt(dt), 0.0)
        mean = x * xs - v * vs
        nxt = mean + std * jax.random.normal(keys[k + 2], (b, hd))
        logp = gaussian_logp(nxt, mean, jnp.where(on, std, 1.0)) * on
        befores.append(x); afters.append(nxt); logps.append(logp)
        x = nxt
    out = [x * net.act_std + net.act_mean, feature_sum / steps]
    if mode == "sde":
        idx = chosen[None, :, None]
        out += [jnp.take_along_axis(jnp.stack(s), idx, 0)[0] for s in (befores, afters, logps)] + [chosen]
    return out


def surrogate(ratio, adv, clip, dual):
    loss = -jnp.minimum(ratio * adv, jnp.clip(ratio, 1 - clip, 1 + clip) * adv)
    if dual is not None:
        loss = jnp.where(adv < 0, jnp.minimum(loss, jnp.abs(adv) * dual), loss)
    return loss.mean()


def chain_logp(net, p, obs, before, after, t, algo, steps):
    s, b, hd = before.shape
    f = net.encode(p, obs)
    pre = [jnp.tile(q, (s, 1)) for q in net.prepare(p, f)]
    x = before.reshape(s * b, hd)
    tf = t.reshape(s * b)
    time = net.time_features(p, tf)
    v, _ = net.velocity(p, x, pre, time)
    dt = 1.0 / steps
    if algo == "sde":
        sig = jnp.where(tf >= 1, W.NOISE_LEVEL * jnp.sqrt(tf * steps), W.NOISE_LEVEL * jnp.sqrt(tf / (1 - tf)))
        s2 = sig * sig
        mean = x * (1 - s2 * dt / (2 * tf))[:, None] - v * (dt * (1 + s2 * (1 - tf) / (2 * tf)))[:, None]
        std = (sig * math.sqrt(dt))[:, None]
        entropy = None
    else:
        std = net.sigma(p, jnp.concatenate([jnp.tile(f, (s, 1)), time], -1))
        mean = x - v * dt
        entropy = (jnp.log(std) + 0.5 * (1 + W.LOG_TWO_PI)).mean()
    logp = gaussian_logp(after.reshape(s * b, hd), mean, std)
    return logp.reshape(s, b, hd).sum(axis=(0, 2)), entropy


def ppo_loss(net, algo, steps, p, obs, before, after, t, old, adv):
    new, entropy = chain_logp(net, p, obs, before, after, t, algo, steps)
    loss = surrogate(jnp.exp(new - old), adv, W.PPO_CLIP, W.DUAL_CLIP)
    return loss - entropy * W.ENTROPY_COEF if entropy is not None else loss


def cfm_pair_losses(net, p, obs, actions, tau, eps):
    """Per-pair CFM losses for chunk-major [B, N, …] inputs: [B, N]."""
    b, n, hd = eps.shape
    f = net.encode(p, obs)
    pre = [jnp.repeat(q, n, axis=0) for q in net.prepare(p, f)]
    a = jnp.repeat(actions, n, axis=0)
    e = eps.reshape(b * n, hd)
    tf = tau.reshape(b * n)
    xt = e * tf[:, None] + a * (1 - tf[:, None])
    v, _ = net.velocity(p, xt, pre, net.time_features(p, tf))
    return ((v - (e - a)) ** 2).mean(-1).reshape(b, n)


def fpo_loss(net, p, obs, actions, tau, eps, old, adv):
    new_mean = jnp.minimum(cfm_pair_losses(net, p, obs, actions, tau, eps), W.FPO_LOSS_CLAMP).mean(1)
    old_mean = jnp.minimum(old, W.FPO_LOSS_CLAMP).mean(1)
    return surrogate(jnp.exp(old_mean - new_mean), adv, W.FPO_CLIP, W.DUAL_CLIP)


def clip_and_adamw(params, grads, m, v, step):
    """Per-group (actor / noise network) global-norm clipping at 1.0, then AdamW (FlowNN/AdamW.swift)."""
    groups = [[k for k in grads if not k.startswith("noiseNetwork")], [k for k in grads if k.startswith("noiseNetwork")]]
    clipped = {}
    for g in groups:
        if not g:
            continue
        norm = jnp.sqrt(sum(jnp.sum(grads[k] ** 2) for k in g))
        scale = jnp.where(norm > W.GRAD_CLIP, W.GRAD_CLIP / norm, 1.0)
        for k in g:
            clipped[k] = grads[k] * scale
    b1, b2 = W.BETAS
    c1, c2 = 1 - b1 ** step, 1 - b2 ** step
    new_p, new_m, new_v = {}, {}, {}
    for k, g in clipped.items():
        new_m[k] = b1 * m[k] + (1 - b1) * g
        new_v[k] = b2 * v[k] + (1 - b2) * g * g
        update = (new_m[k] / c1) / (jnp.sqrt(new_v[k] / c2) + W.EPS)
        new_p[k] = params[k] - W.LR * (update + W.WEIGHT_DECAY * params[k])
    return new_p, new_m, new_v


def critic_value(net, c, obs):
    x = (obs - net.obs_mean) / net.obs_std
    for i in range(3):
        x = x @ c[f"critic.{i}.weight"].T + c[f"critic.{i}.bias"]
        x = jax.nn.silu(x) if i < 2 else x
    return x[:, 0]


def value_loss(v, returns, old_values):
    def huber(e):
        a = jnp.abs(e)
        q = jnp.minimum(a, R.HUBER_DELTA)
        return q * (a - q * 0.5)
    clipped = old_values + jnp.clip(v - old_values, -R.VALUE_CLIP, R.VALUE_CLIP)
    return jnp.maximum(huber(v - returns), huber(clipped - returns)).mean()


def adamw(params, grads, m, v, step, lr, decay):
    norm = jnp.sqrt(sum(jnp.sum(g ** 2) for g in grads.values()))
    scale = jnp.where(norm > W.GRAD_CLIP, W.GRAD_CLIP / norm, 1.0)
    b1, b2 = W.BETAS
    c1, c2 = 1 - b1 ** step, 1 - b2 ** step
    new_p, new_m, new_v = {}, {}, {}
    for k in params:
        g = grads[k] * scale
        new_m[k] = b1 * m[k] + (1 - b1) * g
        new_v[k] = b2 * v[k] + (1 - b2) * g * g
        new_p[k] = params[k] - lr * ((new_m[k] / c1) / (jnp.sqrt(new_v[k] / c2) + W.EPS) + decay * params[k])
    return new_p, new_m, new_v


class JaxRLAgent:
    """Policy, separate critic and optimizers for rl_iteration.run_iteration; act and update are jitted."""

    def __init__(self, ck):
        self.ck, net = ck, Net(ck)
        steps = ck.steps
        self.p = {k: jnp.asarray(v) for k, v in ck.params.items()}
        self.c = {k: jnp.asarray(v) for k, v in R.critic_init(np.random.default_rng(5), ck.observation_dim).items()}
        zeros = lambda d: {k: jnp.zeros_like(x) for k, x in d.items()}
        self.pm, self.pv, self.cm, self.cv = zeros(self.p), zeros(self.p), zeros(self.c), zeros(self.c)
        self.count = 0
        self.key = jax.random.PRNGKey(0)
        self._act = jax.jit(lambda p, c, o, key: (critic_value(net, c, o), sample(net, p, o, key, steps, "sde")))
        self._value = jax.jit(lambda c, o: critic_value(net, c, o))

        def loss(p, c, obs, before, after, t, old, adv, returns, old_values):
            return (ppo_loss(net, "sde", steps, p, obs, before, after, t, old, adv)
                    + R.VALUE_COEF * value_loss(critic_value(net, c, obs), returns, old_values))

        @partial(jax.jit, donate_argnums=(0, 1, 2, 3, 4, 5))
        def step(p, c, pm, pv, cm, cv, count, data, idx):
            obs, before, after, t, old, adv, returns, old_values = data
            (gp, gc) = jax.grad(loss, argnums=(0, 1))(p, c, obs[idx], before[:, idx], after[:, idx], t[:, idx], old[idx],
                                                       adv[idx], returns[idx], old_values[idx])
            p, pm, pv = adamw(p, gp, pm, pv, count, W.LR, W.WEIGHT_DECAY)
            c, cm, cv = adamw(c, gc, cm, cv, count, R.CRITIC_LR, 0.0)
            return p, c, pm, pv, cm, cv
        self._step = step

    def value(self, obs):
        return np.asarray(self._value(self.c, obs))

    def act(self, obs):
        self.key, sub = jax.random.split(self.key)
        v, (actions, _, before, after, logp, chosen) = self._act(self.p, self.c, obs, sub)
        ck = self.ck
        return (np.asarray(v), np.asarray(actions).reshape(-1, ck.chunk_length, ck.action_dim), np.asarray(before),
                np.asarray(after), 1 - np.asarray(chosen, np.float32) / ck.steps, np.asarray(logp.sum(-1)))

    def update(self, batch):
        data = tuple(jnp.asarray(batch[k]) for k in ("obs", "before", "after", "t", "old", "adv", "returns", "old_values"))
        n = batch["obs"].shape[0]
        rng = np.random.default_rng(self.count)
        for _ in range(R.EPOCHS):
            order = rng.permutation(n)
            for i in range(0, n, R.MINIBATCH):
                self.count += 1
                self.p, self.c, self.pm, self.pv, self.cm, self.cv = self._step(
                    self.p, self.c, self.pm, self.pv, self.cm, self.cv, jnp.float32(self.count), data,
                    jnp.asarray(order[i:i + R.MINIBATCH]))
        jax.block_until_ready(self.p)


def encoder_features(P, ck, x):
    """FlowNN/ImageEncoder.swift on NHWC images `x` (NHWC activations, `[out, kh, kw, in]` = OHWI
    filters as FlowTune stores them): see torch_peer.encoder_features."""
    def conv(h, name, stride, padding):
        return jax.lax.conv_general_dilated(h, P[name], (stride, stride), [(padding, padding)] * 2,
                                            dimension_numbers=("NHWC", "OHWI", "NHWC"))

    def norm(h, name):
        n, height, width, c = h.shape
        g = h.reshape(n, height, width, ck.groups, c // ck.groups)
        mean = g.mean((1, 2, 4), keepdims=True)
        var = jnp.square(g - mean).mean((1, 2, 4), keepdims=True)
        return ((g - mean) / jnp.sqrt(var + 1e-5)).reshape(h.shape) * P[name + ".scale"] + P[name + ".shift"]

    h = jax.nn.relu(norm(conv(x, "stem.weight", 2, 1), "stemNorm"))
    for i, stride in enumerate(ck.strides):
        b = f"blocks.{i}."
        y = jax.nn.relu(norm(conv(h, b + "first.weight", stride, 1), b + "firstNorm"))
        y = norm(conv(y, b + "second.weight", 1, 1), b + "secondNorm")
        h = jax.nn.relu(y + (conv(h, b + "skip.weight", stride, 0) if b + "skip.weight" in P else h))
    n, height, width, c = h.shape
    if ck.head != "spatial-softmax":
        return h.mean((1, 2))
    p = jax.nn.softmax(h.reshape(n, height * width, c), axis=1).reshape(n, height, width, c)
    ex = (p.sum(1) * jnp.linspace(-1, 1, width)[None, :, None]).sum(1)
    ey = (p.sum(2) * jnp.linspace(-1, 1, height)[None, :, None]).sum(1)
    return jnp.concatenate([ex, ey], 1)


class JaxStack:
    name = "JAX jit"

    def __init__(self, threads):
        self.threads = threads

    @staticmethod
    def params(ck):
        return {k: jnp.asarray(v) for k, v in ck.params.items()}

    def encoder(self, ck, batch):
        P = {k: jnp.asarray(v) for k, v in ck.params.items()}
        ck.check(jax.jit(lambda P, x: encoder_features(P, ck, x))(P, jnp.asarray(ck.images)))
        images, projection = (jnp.asarray(a) for a in ck.inputs(batch))
        grad = jax.jit(jax.grad(lambda P, x, r: (encoder_features(P, ck, x) * r).sum()))

        def run():
            jax.block_until_ready(grad(P, images, projection))
        return run

    def sampler(self, ck, batch, steps, mode):
        net = Net(ck)
        p = self.params(ck)
        obs = jnp.asarray(np.random.default_rng(0).standard_normal((batch, ck.observation_dim)), jnp.float32)
        fn = jax.jit(lambda p, o, key: sample(net, p, o, key, steps, mode))
        state = {"key": jax.random.PRNGKey(0)}

        def run():
            state["key"], sub = jax.random.split(state["key"])
            jax.block_until_ready(fn(p, obs, sub))
        return run

    def _trainer(self, ck, loss, data, minibatch):
        p = self.params(ck)
        m = {k: jnp.zeros_like(x) for k, x in p.items()}
        v = {k: jnp.zeros_like(x) for k, x in p.items()}

        # The minibatch gather happens inside the jitted step (outside it would cost one dispatch per input).
        arrays = [x for x, _ in data]
        pair_major = tuple(pm for _, pm in data)

        @partial(jax.jit, donate_argnums=(0, 1, 2))
        def step(p, m, v, count, arrays, idx):
            batch = [x[:, idx] if pm else x[idx] for x, pm in zip(arrays, pair_major)]
            value, grads = jax.value_and_grad(loss)(p, *batch)
            p, m, v = clip_and_adamw(p, grads, m, v, count)
            return p, m, v, value

        state = {"p": p, "m": m, "v": v, "count": 0}
        rng = np.random.default_rng(3)

        def run():
            order = rng.permutation(W.ROLLOUT)
            for i in range(0, W.ROLLOUT, minibatch):
                idx = order[i:i + minibatch]
                state["count"] += 1
                state["p"], state["m"], state["v"], value = step(state["p"], state["m"], state["v"],
                                                                 jnp.float32(state["count"]), arrays, jnp.asarray(idx))
            jax.block_until_ready(state["p"])
        return run

    def ppo_epoch(self, ck, minibatch, algo):
        net = Net(ck)
        d = W.ppo_inputs(np.random.default_rng(1), ck, W.ROLLOUT, algo)
        t = (1 - d["steps"].astype(np.float32) / ck.steps).astype(np.float32)
        p = self.params(ck)
        logp = jax.jit(lambda p, *a: chain_logp(net, p, *a, algo, ck.steps)[0])
        old = np.concatenate([np.asarray(logp(p, d["obs"][i:i + 1024], d["before"][:, i:i + 1024], d["after"][:, i:i + 1024],
                                              t[:, i:i + 1024])) for i in range(0, W.ROLLOUT, 1024)])
        data = [(jnp.asarray(d["obs"]), False), (jnp.asarray(d["before"]), True), (jnp.asarray(d["after"]), True),
                (jnp.asarray(t), True), (jnp.asarray(old), False), (jnp.asarray(d["adv"]), False)]
        return self._trainer(ck, partial(ppo_loss, net, algo, ck.steps), data, minibatch)

    def fpo_epoch(self, ck, minibatch):
        net = Net(ck)
        d = W.fpo_inputs(np.random.default_rng(2), ck, W.ROLLOUT)
        p = self.params(ck)
        pair = jax.jit(lambda p, *a: cfm_pair_losses(net, p, *a))
        old = np.concatenate([np.asarray(pair(p, d["obs"][i:i + 1024], d["actions"][i:i + 1024], d["tau"][i:i + 1024],
                                              d["eps"][i:i + 1024])) for i in range(0, W.ROLLOUT, 1024)])
        data = [(jnp.asarray(d[k]), False) for k in ("obs", "actions", "tau", "eps")] + \
               [(jnp.asarray(old), False), (jnp.asarray(d["adv"]), False)]
        return self._trainer(ck, partial(fpo_loss, net), data, minibatch)

    def rl_iteration(self, ck, num_envs, env_steps, time_limit):
        agent = JaxRLAgent(ck)
        env = R.ReachObstacleEnv(num_envs, time_limit)
        return lambda: R.run_iteration(agent, env, env_steps, ck.chunk_length)

    def equivalence(self, ck, case):
        net = Net(ck)
        p = self.params(ck)
        C = {k: jnp.asarray(v) for k, v in case.items()}
        out = {}

        def measure(name, fn):
            value, grads = jax.value_and_grad(fn)(p)
            norm = math.sqrt(sum(float(np.sum(np.asarray(g, np.float64) ** 2)) for g in grads.values()))
            out[name] = {"loss": float(value), "grad_norm": norm}
        steps = ck.steps
        for algo in ("sde", "noise"):
            if f"{algo}.obs" not in C or (algo == "noise" and not ck.has_noise):
                continue
            t = 1 - C[f"{algo}.steps"] / steps
            measure(f"ppo-{algo}", lambda q: ppo_loss(net, algo, steps, q, C[f"{algo}.obs"], C[f"{algo}.before"],
                                                      C[f"{algo}.after"], t, C[f"{algo}.old"], C[f"{algo}.adv"]))
        measure("fpo", lambda q: fpo_loss(net, q, C["fpo.obs"], C["fpo.actions"], C["fpo.tau"], C["fpo.eps"],
                                          C["fpo.old"], C["fpo.adv"]))
        measure("cfm", lambda q: cfm_pair_losses(net, q, C["fpo.obs"], C["fpo.actions"], C["fpo.tau"], C["fpo.eps"]).mean())
        f = net.encode(p, C["ode.obs"]); pre = net.prepare(p, f); x = C["ode.x0"]
        for k in range(steps):
            v, _ = net.velocity(p, x, pre, net.time_features(p, jnp.full((1,), 1.0 - k / steps)))
            x = x - v * (1.0 / steps)
        out["ode"] = {"actions": np.asarray(x * net.act_std + net.act_mean).reshape(-1).tolist()}
        return out
