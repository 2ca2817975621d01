"""Any `gymnasium.make` id (`gym/<id>`) and gym-pusht (`pusht`) as a bridge suite.

Observations must be a Box (flattened to Float32); actions must be a bounded Box. FlowTune policies
act in [-1, 1], so the worker maps each action component linearly from [-1, 1] onto the
environment's bounds (unbounded components pass through unchanged). Each episode is started with
`env.reset(seed=s)`, which makes it a function of s. Success is `info["success"]` or
`info["is_success"]` (gym-pusht) when present, otherwise never. The time limit is the id's own
(`TimeLimit`), or `max_episode_steps` when given and shorter.
"""

import numpy as np

from . import images
from .errors import BridgeError, MissingPackage, UnknownEnvironment

PUSHT_INSTALL = "pip install gym-pusht==0.1.8 mujoco==3.3.0"


def _gymnasium():
    try:
        import gymnasium
    except ImportError as e:
        raise MissingPackage("gymnasium environments", "pip install gymnasium==1.4.0", e) from None
    return gymnasium


def gym_ids():
    """The gymnasium ids registered without extra imports (what `gym/<id>` can name)."""
    return sorted(_gymnasium().envs.registry.keys())


class GymSuite:
    def __init__(self, env_id, env_indices, options):
        images.refuse(env_id, options)
        gymnasium = _gymnasium()
        kwargs = {}
        if env_id == "pusht":
            try:
                import gym_pusht  # noqa: F401  (registers gym_pusht/PushT-v0)
            except ImportError as e:
                raise MissingPackage("pusht", PUSHT_INSTALL, e) from None
            make_id, kwargs["obs_type"] = "gym_pusht/PushT-v0", "state"
        else:
            make_id = env_id[len("gym/"):]
            if make_id not in gymnasium.envs.registry:
                raise UnknownEnvironment(env_id, ["gym/" + k for k in gym_ids()])
        requested = int(options.get("max_episode_steps") or 0)
        own = gymnasium.spec(make_id).max_episode_steps
        if requested and (not own or requested < own):
            kwargs["max_episode_steps"] = requested
        self.envs = [gymnasium.make(make_id, **kwargs) for _ in env_indices]
        e = self.envs[0]
        if not isinstance(e.observation_space, gymnasium.spaces.Box):
            raise BridgeError(f"{env_id} has {type(e.observation_space).__name__} observations; the bridge "
                              "supports Box observations (flattened to Float32)")
        if not isinstance(e.action_space, gymnasium.spaces.Box):
            raise BridgeError(f"{env_id} has {type(e.action_space).__name__} actions; the bridge supports "
                              "continuous Box actions")
        self.env_id = env_id
        low = e.action_space.low.astype(np.float64).ravel()
        high = e.action_space.high.astype(np.float64).ravel()
        self.bounded = np.isfinite(low) & np.isfinite(high)
        self.center = np.where(self.bounded, (low + high) / 2, 0.0)
        self.half = np.where(self.bounded, (high - low) / 2, 1.0)
        self.action_shape = e.action_space.shape
        self.action_dtype = e.action_space.dtype
        self.action_low, self.action_high = low, high
        self.max_steps = int(kwargs.get("max_episode_steps") or (e.spec.max_episode_steps if e.spec else 0) or 1000)
        self.name = make_id

    def spec(self):
        e = self.envs[0]
        n = int(np.prod(e.observation_space.shape))
        ad = len(self.action_low)
        return {
            "observation": {"names": [f"obs_{k}" for k in range(n)],
                            "low": [float(x) for x in e.observation_space.low.ravel()],
                            "high": [float(x) for x in e.observation_space.high.ravel()]},
            "action": {"names": [f"action_{k}" for k in range(ad)],
                       "low": [-1.0 if b else float(lo) for b, lo in zip(self.bounded, self.action_low)],
                       "high": [1.0 if b else float(hi) for b, hi in zip(self.bounded, self.action_high)]},
            "tasks": [{"name": self.name, "instruction": self.name, "max_episode_steps": self.max_steps}],
            "max_episode_steps": self.max_steps,
            "has_expert": False,
            "images": [],
        }

    def task_index(self, i):
        return 0

    def reset(self, i, seed):
        obs, _ = self.envs[i].reset(seed=seed)
        return np.asarray(obs).ravel()

    def step(self, i, action):
        a = (self.center + self.half * np.asarray(action, dtype=np.float64)).astype(self.action_dtype)
        obs, reward, terminated, truncated, info = self.envs[i].step(a.reshape(self.action_shape))
        success = bool(info.get("success", info.get("is_success", False)))
        return np.asarray(obs).ravel(), float(reward), bool(terminated), bool(truncated) and not terminated, success

    def expert(self, i):
        raise BridgeError(f"{self.env_id} has no scripted expert")
