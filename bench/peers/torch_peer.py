"""FlowTune's flow policy, samplers and update math in PyTorch (eager, or `torch.compile`d).

Layer for layer the network of FlowPolicy/VelocityNetwork.swift with FlowTune's weights:
observation normaliser → encoder MLP (SiLU after every layer), sinusoidal time embedding → time MLP
(SiLU after every layer), velocity network `h ← silu(W_in·x)`, per hidden layer
`h ← silu(FiLM(W_i·h))` with `[γ, β] = W_f·f + b + W_τ·τ` (observation part projected once per
chunk), output `W_out·h`; the Flow-Noise noise network is an MLP over the detached
`[f, τ]` squashed into `σ ∈ [σ_min, σ_max]` (docs/algorithms.md §3.3).
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

import rl_iteration as R
import workloads as W


class TorchPolicy(torch.nn.Module):
    def __init__(self, ck):
        super().__init__()
        self.ck = ck
        self.p = torch.nn.ParameterDict({k.replace(".", "__"): torch.nn.Parameter(torch.from_numpy(v.copy()))
                                         for k, v in ck.params.items()})
        self.register_buffer("obs_mean", torch.from_numpy(ck.obs_mean))
        self.register_buffer("obs_std", torch.from_numpy(ck.obs_std))
        self.register_buffer("act_mean", torch.from_numpy(np.tile(ck.act_mean, ck.chunk_length)))
        self.register_buffer("act_std", torch.from_numpy(np.tile(ck.act_std, ck.chunk_length)))
        freq, scale = __import__("checkpoint").time_frequencies(ck.time_dim)
        self.register_buffer("freq", torch.from_numpy(freq))
        self.scale = float(scale)
        lv_min, lv_max = 2 * math.log(ck.sigma_min), 2 * math.log(ck.sigma_max)
        self.lv_min, self.lv_span = np.float32(lv_min), np.float32(lv_max - lv_min)

    def w(self, name):
        return self.p[name.replace(".", "__")]

    def actor_parameters(self):
        return [v for k, v in self.p.items() if not k.startswith("noiseNetwork")]

    def noise_parameters(self):
        return [v for k, v in self.p.items() if k.startswith("noiseNetwork")]

    def lin(self, x, name, bias=True):
        return F.linear(x, self.w(name + ".weight"), self.w(name + ".bias") if bias else None)

    def mlp(self, x, prefix, layers, output_act):
        for i in range(layers):
            x = self.lin(x, f"{prefix}.layers.{i}")
            if i < layers - 1 or output_act:
                x = F.silu(x)
        return x

    def encode(self, obs):
        return self.mlp((obs - self.obs_mean) / self.obs_std, "encoder", self.ck.encoder_layers, True)

    def time_features(self, t):
        arg = (self.scale * t)[:, None] * self.freq
        return self.mlp(torch.cat([torch.sin(arg), torch.cos(arg)], -1), "timeMLP", 2, True)

    def prepare(self, f):
        return [self.lin(f, f"velocityNetwork.films.{i}.projections.0") for i in range(self.ck.depth)]

    def velocity(self, x, prepared, time):
        h = F.silu(self.lin(x, "velocityNetwork.input"))
        for i in range(self.ck.depth):
            z = self.lin(h, f"velocityNetwork.layers.{i}")
            proj = prepared[i] + self.lin(time, f"velocityNetwork.films.{i}.projections.1", bias=False)
            gamma, beta = proj.chunk(2, -1)
            h = F.silu(z * (1 + gamma) + beta)
        return self.lin(h, "velocityNetwork.output"), h

    def sigma(self, condition):
        raw = self.mlp(condition.detach(), "noiseNetwork.body", self.ck.noise_layers, False)
        return torch.exp(((torch.tanh(raw) + 1) * (0.5 * self.lv_span) + self.lv_min) * 0.5)


def gaussian_logp(x, mean, std):
    z = (x - mean) / std
    return (z * z + W.LOG_TWO_PI) * -0.5 - torch.log(std)


def sample(pol, obs, steps, mode):
    """One K-step chunk per row (§3.1 ODE, §3.2 one-step Flow-SDE) as ChunkSampler does it."""
    b, hd = obs.shape[0], pol.ck.chunk_width
    f = pol.encode(obs)
    pre = pol.prepare(f)
    x = torch.randn(b, hd)
    dt = 1.0 / steps
    feature_sum = 0
    chosen = torch.randint(0, steps - 1, (b,)) if mode == "sde" else None
    befores, afters, logps = [], [], []
    for k in range(steps):
        t = 1.0 - k / steps
        v, h = pol.velocity(x, pre, pol.time_features(torch.full((1,), t)))
        feature_sum = feature_sum + h
        if mode == "ode":
            x = x - v * dt
            continue
        sig = float(W.sde_sigma(t, steps))
        on = (chosen == k)[:, None]
        s2 = sig * sig
        xs = torch.where(on, 1 - s2 * dt / (2 * t), 1.0)
        vs = torch.where(on, dt * (1 + s2 * (1 - t) / (2 * t)), dt)
        std = torch.where(on, sig * math.sqrt(dt), 0.0)
        mean = x * xs - v * vs
        nxt = mean + std * torch.randn(b, hd)
        logp = gaussian_logp(nxt, mean, torch.where(on, std, 1.0)) * on
        befores.append(x); afters.append(nxt); logps.append(logp)
        x = nxt
    out = [x * pol.act_std + pol.act_mean, feature_sum / steps]
    if mode == "sde":
        idx = chosen[None, :, None].expand(1, b, hd)
        out += [torch.stack(s).gather(0, idx)[0] for s in (befores, afters, logps)] + [chosen]
    return out


def surrogate(ratio, adv, clip, dual):
    loss = -torch.minimum(ratio * adv, ratio.clamp(1 - clip, 1 + clip) * adv)
    if dual is not None:
        loss = torch.where(adv < 0, torch.minimum(loss, adv.abs() * dual), loss)
    return loss.mean()


def chain_logp(pol, obs, before, after, t, algo, steps):
    """Per-row chunk log-density Σ_transitions Σ_dims of stored chains (ChainLogDensity.evaluate),
    transitions stacked transition-major; with the entropy of Flow-Noise's σ."""
    s, b, hd = before.shape
    f = pol.encode(obs)
    pre = [p.repeat(s, 1) for p in pol.prepare(f)]
    x = before.reshape(s * b, hd)
    tf = t.reshape(s * b)
    time = pol.time_features(tf)
    v, _ = pol.velocity(x, pre, time)
    dt = 1.0 / steps
    if algo == "sde":
        sig = torch.where(tf >= 1, W.NOISE_LEVEL * torch.sqrt(tf * steps), W.NOISE_LEVEL * torch.sqrt(tf / (1 - tf)))
        s2 = sig * sig
        mean = x * (1 - s2 * dt / (2 * tf))[:, None] - v * (dt * (1 + s2 * (1 - tf) / (2 * tf)))[:, None]
        std = (sig * math.sqrt(dt))[:, None]
        entropy = None
    else:
        std = pol.sigma(torch.cat([f.repeat(s, 1), time], -1))
        mean = x - v * dt
        entropy = (torch.log(std) + 0.5 * (1 + W.LOG_TWO_PI)).mean()
    logp = gaussian_logp(after.reshape(s * b, hd), mean, std)
    return logp.reshape(s, b, hd).sum(dim=(0, 2)), entropy


def ppo_loss(pol, obs, before, after, t, old, adv, algo, steps):
    new, entropy = chain_logp(pol, obs, before, after, t, algo, steps)
    loss = surrogate(torch.exp(new - old), adv, W.PPO_CLIP, W.DUAL_CLIP)
    if entropy is not None:
        loss = loss - entropy * W.ENTROPY_COEF
    return loss


def cfm_pair_losses(pol, obs, actions, tau, eps):
    """Per-pair CFM losses `mean_dims (v(x_τ, τ, o) − (ε − a))²` for chunk-major [B, N, …] inputs: [B, N]."""
    b, n, hd = eps.shape
    f = pol.encode(obs)
    pre = [p.repeat_interleave(n, 0) for p in pol.prepare(f)]
    a = actions.repeat_interleave(n, 0)
    e = eps.reshape(b * n, hd)
    tf = tau.reshape(b * n)
    xt = e * tf[:, None] + a * (1 - tf[:, None])
    v, _ = pol.velocity(xt, pre, pol.time_features(tf))
    return ((v - (e - a)) ** 2).mean(-1).reshape(b, n)


def fpo_loss(pol, obs, actions, tau, eps, old, adv):
    """`old` are the stored per-pair losses [B, N]; both sides clamped at 20 (FlowRL FPOObjective)."""
    new_mean = cfm_pair_losses(pol, obs, actions, tau, eps).clamp(max=W.FPO_LOSS_CLAMP).mean(1)
    old_mean = old.clamp(max=W.FPO_LOSS_CLAMP).mean(1)
    return surrogate(torch.exp(old_mean - new_mean), adv, W.FPO_CLIP, W.DUAL_CLIP)


def value_loss(v, returns, old_values):
    """Clipped Huber value loss (FlowRL ValueLoss defaults: δ = 10, clip 0.2)."""
    def huber(e):
        a = e.abs()
        q = a.clamp(max=R.HUBER_DELTA)
        return q * (a - q * 0.5)
    clipped = old_values + (v - old_values).clamp(-R.VALUE_CLIP, R.VALUE_CLIP)
    return torch.maximum(huber(v - returns), huber(clipped - returns)).mean()


class TorchRLAgent:
    """The policy, a separate critic and their optimizers for rl_iteration.run_iteration."""

    def __init__(self, stack, ck):
        self.ck, self.pol = ck, TorchPolicy(ck)
        self.critic = torch.nn.ParameterDict({k.replace(".", "__"): torch.nn.Parameter(torch.from_numpy(v))
                                              for k, v in R.critic_init(np.random.default_rng(5), ck.observation_dim).items()})
        self.sample_fn = stack.maybe_compile(lambda o: sample(self.pol, o, ck.steps, "sde"))
        self.value_fn = stack.maybe_compile(self.critic_value)
        self.loss_fn = stack.maybe_compile(self.loss)
        kw = dict(betas=W.BETAS, eps=W.EPS, foreach=True)
        self.actor_opt = torch.optim.AdamW(self.pol.actor_parameters(), lr=W.LR, weight_decay=W.WEIGHT_DECAY, **kw)
        self.critic_opt = torch.optim.AdamW(list(self.critic.values()), lr=R.CRITIC_LR, weight_decay=0.0, **kw)

    def critic_value(self, obs):
        x = (obs - self.pol.obs_mean) / self.pol.obs_std
        for i in range(3):
            x = F.linear(x, self.critic[f"critic__{i}__weight"], self.critic[f"critic__{i}__bias"])
            x = F.silu(x) if i < 2 else x
        return x[:, 0]

    def loss(self, obs, before, after, t, old, adv, returns, old_values):
        policy = ppo_loss(self.pol, obs, before, after, t, old, adv, "sde", self.ck.steps)
        return policy + R.VALUE_COEF * value_loss(self.critic_value(obs), returns, old_values)

    def value(self, obs):
        with torch.no_grad():
            return self.value_fn(torch.from_numpy(obs)).numpy()

    def act(self, obs):
        with torch.no_grad():
            o = torch.from_numpy(obs)
            v = self.value_fn(o)
            actions, _, before, after, logp, chosen = self.sample_fn(o)
        ck = self.ck
        return (v.numpy(), actions.reshape(-1, ck.chunk_length, ck.action_dim).numpy(), before.numpy(), after.numpy(),
                (1 - chosen.float() / ck.steps).numpy(), logp.sum(-1).numpy())

    def update(self, batch):
        d = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in batch.items()}
        n = d["obs"].shape[0]
        for _ in range(R.EPOCHS):
            order = torch.randperm(n)
            for i in range(0, n, R.MINIBATCH):
                idx = order[i:i + R.MINIBATCH]
                loss = self.loss_fn(d["obs"][idx], d["before"][:, idx], d["after"][:, idx], d["t"][:, idx], d["old"][idx],
                                    d["adv"][idx], d["returns"][idx], d["old_values"][idx])
                self.actor_opt.zero_grad(set_to_none=True)
                self.critic_opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.pol.actor_parameters(), W.GRAD_CLIP, foreach=True)
                torch.nn.utils.clip_grad_norm_(list(self.critic.values()), W.GRAD_CLIP, foreach=True)
                self.actor_opt.step()
                self.critic_opt.step()


def encoder_features(P, ck, x):
    """FlowNN/ImageEncoder.swift on NHWC images `x` (computed as NCHW views in channels-last memory,
    oneDNN's fast layout): strided 3×3 stem, residual blocks `relu(gn(conv(relu(gn(conv(x))))) +
    skip(x))`, spatial-softmax keypoints (x then y, coordinates in [−1, 1]) or the channels' mean."""
    def conv(h, name, stride, padding):
        return F.conv2d(h, P[name], stride=stride, padding=padding)

    def norm(h, name):
        return F.group_norm(h, ck.groups, P[name + ".scale"], P[name + ".shift"], eps=1e-5)

    h = F.relu(norm(conv(x.permute(0, 3, 1, 2), "stem.weight", 2, 1), "stemNorm"))
    for i, stride in enumerate(ck.strides):
        b = f"blocks.{i}."
        y = F.relu(norm(conv(h, b + "first.weight", stride, 1), b + "firstNorm"))
        y = norm(conv(y, b + "second.weight", 1, 1), b + "secondNorm")
        h = F.relu(y + (conv(h, b + "skip.weight", stride, 0) if b + "skip.weight" in P else h))
    n, c, height, width = h.shape
    if ck.head != "spatial-softmax":
        return h.mean((2, 3))
    p = torch.softmax(h.reshape(n, c, height * width), -1).reshape(n, c, height, width)
    ex = (p.sum(2) * torch.linspace(-1, 1, width)).sum(-1)
    ey = (p.sum(3) * torch.linspace(-1, 1, height)).sum(-1)
    return torch.cat([ex, ey], 1)


class TorchStack:
    """One peer: a policy per checkpoint, and the workloads as callables for the timing loop."""

    def __init__(self, compiled, threads):
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        self.compiled = compiled
        self.name = "torch.compile" if compiled else "torch eager"

    def maybe_compile(self, fn):
        return torch.compile(fn, dynamic=False) if self.compiled else fn

    def optimizer(self, pol):
        groups = [g for g in (pol.actor_parameters(), pol.noise_parameters()) if g]
        opt = torch.optim.AdamW([{"params": g} for g in groups], lr=W.LR, betas=W.BETAS, eps=W.EPS,
                                weight_decay=W.WEIGHT_DECAY, foreach=True)
        return opt, groups

    def encoder(self, ck, batch):
        P = {}
        for k, v in ck.params.items():
            t = torch.from_numpy(v.transpose(0, 3, 1, 2).copy()) if v.ndim == 4 else torch.from_numpy(v.copy())
            P[k] = torch.nn.Parameter(t.contiguous(memory_format=torch.channels_last) if v.ndim == 4 else t)
        with torch.no_grad():
            ck.check(encoder_features(P, ck, torch.from_numpy(ck.images)).numpy())
        images, projection = (torch.from_numpy(a) for a in ck.inputs(batch))
        params = list(P.values())
        loss = self.maybe_compile(lambda x, r: (encoder_features(P, ck, x) * r).sum())

        def run():
            torch.autograd.grad(loss(images, projection), params)
        return run

    def sampler(self, ck, batch, steps, mode):
        pol = TorchPolicy(ck)
        obs = torch.randn(batch, ck.observation_dim)
        fn = self.maybe_compile(lambda o: sample(pol, o, steps, mode))

        def run():
            with torch.no_grad():
                return fn(obs)
        return run

    def ppo_epoch(self, ck, minibatch, algo):
        pol = TorchPolicy(ck)
        rng = np.random.default_rng(1)
        d = {k: torch.from_numpy(np.asarray(v)) for k, v in W.ppo_inputs(rng, ck, W.ROLLOUT, algo).items()}
        t = 1 - d["steps"].float() / ck.steps
        with torch.no_grad():  # the rollout's log-densities, from the same code path
            old = torch.cat([chain_logp(pol, d["obs"][i:i + 1024], d["before"][:, i:i + 1024], d["after"][:, i:i + 1024],
                                        t[:, i:i + 1024], algo, ck.steps)[0] for i in range(0, W.ROLLOUT, 1024)])
        loss_fn = self.maybe_compile(lambda *a: ppo_loss(pol, *a, algo, ck.steps))
        opt, groups = self.optimizer(pol)

        def run():
            order = torch.randperm(W.ROLLOUT)
            for i in range(0, W.ROLLOUT, minibatch):
                idx = order[i:i + minibatch]
                loss = loss_fn(d["obs"][idx], d["before"][:, idx], d["after"][:, idx], t[:, idx], old[idx], d["adv"][idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                for g in groups:
                    torch.nn.utils.clip_grad_norm_(g, W.GRAD_CLIP, foreach=True)
                opt.step()
        return run

    def fpo_epoch(self, ck, minibatch):
        pol = TorchPolicy(ck)
        rng = np.random.default_rng(2)
        d = {k: torch.from_numpy(v) for k, v in W.fpo_inputs(rng, ck, W.ROLLOUT).items()}
        with torch.no_grad():
            old = torch.cat([cfm_pair_losses(pol, d["obs"][i:i + 1024], d["actions"][i:i + 1024], d["tau"][i:i + 1024],
                                             d["eps"][i:i + 1024]) for i in range(0, W.ROLLOUT, 1024)])
        loss_fn = self.maybe_compile(lambda *a: fpo_loss(pol, *a))
        opt, groups = self.optimizer(pol)

        def run():
            order = torch.randperm(W.ROLLOUT)
            for i in range(0, W.ROLLOUT, minibatch):
                idx = order[i:i + minibatch]
                loss = loss_fn(d["obs"][idx], d["actions"][idx], d["tau"][idx], d["eps"][idx], old[idx], d["adv"][idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                for g in groups:
                    torch.nn.utils.clip_grad_norm_(g, W.GRAD_CLIP, foreach=True)
                opt.step()
        return run

    def rl_iteration(self, ck, num_envs, env_steps, time_limit):
        agent = TorchRLAgent(self, ck)
        env = R.ReachObstacleEnv(num_envs, time_limit)
        return lambda: R.run_iteration(agent, env, env_steps, ck.chunk_length)

    def equivalence(self, ck, case):
        """Loss and pre-clipping gradient norm of each objective on FlowTune's stored inputs."""
        pol = TorchPolicy(ck)
        T = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in case.items()}
        out = {}

        def measure(name, fn):
            pol.zero_grad(set_to_none=True)
            loss = fn()
            loss.backward()
            norm = math.sqrt(sum(float((p.grad.double() ** 2).sum()) for p in pol.parameters() if p.grad is not None))
            out[name] = {"loss": float(loss), "grad_norm": norm}
        steps = ck.steps
        for algo in ("sde", "noise"):
            if f"{algo}.obs" not in T or (algo == "noise" and not ck.has_noise):
                continue
            t = 1 - T[f"{algo}.steps"] / steps
            measure(f"ppo-{algo}", lambda: ppo_loss(pol, T[f"{algo}.obs"], T[f"{algo}.before"], T[f"{algo}.after"], t,
                                                    T[f"{algo}.old"], T[f"{algo}.adv"], algo, steps))
        measure("fpo", lambda: fpo_loss(pol, T["fpo.obs"], T["fpo.actions"], T["fpo.tau"], T["fpo.eps"],
                                        T["fpo.old"], T["fpo.adv"]))
        measure("cfm", lambda: cfm_pair_losses(pol, T["fpo.obs"], T["fpo.actions"], T["fpo.tau"], T["fpo.eps"]).mean())
        with torch.no_grad():  # the deterministic sampler from stored initial noise
            f = pol.encode(T["ode.obs"]); pre = pol.prepare(f); x = T["ode.x0"]
            for k in range(steps):
                v, _ = pol.velocity(x, pre, pol.time_features(torch.full((1,), 1.0 - k / steps)))
                x = x - v * (1.0 / steps)
            out["ode"] = {"actions": (x * pol.act_std + pol.act_mean).reshape(-1).tolist()}
        return out
