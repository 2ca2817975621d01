"""ManiSkill3 tasks as a bridge suite: `maniskill/PickCube-v1`, `maniskill/PushCube-v1`,
`maniskill/StackCube-v1` and `maniskill/PegInsertionSide-v1` (docs/simulators.md, "ManiSkill3").

ManiSkill runs in an interpreter of its own (`.venv-maniskill`, made by `scripts/install-maniskill`):
it needs a CPU build of torch and numpy < 2 (its motion planner, mplib 0.1.1, crashes under numpy 2),
and SAPIEN needs a Vulkan driver even for state observations. Debian 12's own lavapipe lacks a
feature SAPIEN requires; the install script unpacks Mesa 25's lavapipe from Debian's backports into
the venv and writes an ICD file for it, which this module points the Vulkan loader at
(`VK_ICD_FILENAMES`) before SAPIEN starts, unless the caller set that variable.

Each environment is one CPU-simulated ManiSkill environment (`sim_backend="cpu"`, one sub-scene),
with state observations (`obs_mode="state"`, flattened to Float32) and the end-effector delta-pose
controller (`pd_ee_delta_pose`: 3 position and 3 axis-angle components and the gripper, all in
[-1, 1]; ManiSkill scales them to ±10 cm and ±0.1 rad per step). An episode with seed s starts with
`reset(seed=s mod 2^32)` (ManiSkill's episode generator takes 32-bit seeds), so it is a function
of s. It ends as terminated at the first success (`info["success"]`) and as truncated at the time
limit: `TIME_LIMITS` below, longer than ManiSkill's own 50–100 steps because the motion-planning
experts move at the planner's joint speed limits and need 50–110 steps (PegInsertionSide up to
about 250), or `max_episode_steps` when given and shorter.

Rewards: `"sparse"` pays 1 on a success step. `"dense"` pays the same plus the progress of
ManiSkill's normalised dense reward, `R_t - R_{t-1}` (R in [0, 1], R_{-1} evaluated on the reset
state), the potential-based form the MetaWorld suite uses for the same reason: ManiSkill's reward
pays every step, so with success ending the episode its raw form would favour hovering near the
goal over succeeding.

The scripted expert is ManiSkill's own motion planner (`maniskill_expert.py`), which plans in joint
space on a second environment with the same seed; the expert turns the plan into delta-pose actions
for the environment's current state, step by step.
"""

import os
import sys

import numpy as np

from . import images
from .errors import BridgeError, MissingPackage, UnknownEnvironment
from .rewards import SuccessReward

INSTALL = "scripts/install-maniskill (a virtual environment of its own, .venv-maniskill)"

# Steps before truncation, per task (see the module docstring for why they exceed ManiSkill's own).
TIME_LIMITS = {"PickCube-v1": 100, "PushCube-v1": 100, "StackCube-v1": 150, "PegInsertionSide-v1": 300}

INSTRUCTIONS = {
    "PickCube-v1": "pick up the red cube and move it to the green goal",
    "PushCube-v1": "push the cube to the red and white target",
    "StackCube-v1": "stack the red cube on top of the green cube",
    "PegInsertionSide-v1": "insert the peg sideways into the hole in the box",
}

VULKAN_HELP = ("ManiSkill's simulator SAPIEN needs a Vulkan driver even for state observations, and the "
               "one it found does not work ({cause}); run scripts/install-maniskill, which installs Mesa's "
               "CPU Vulkan driver (lavapipe) into .venv-maniskill, and use that venv's interpreter "
               "(FLOWTUNE_MANISKILL_PYTHON, or the checkout's .venv-maniskill is found by itself)")


def point_vulkan_at_bundled_driver():
    """Sets VK_ICD_FILENAMES to the lavapipe that scripts/install-maniskill put into this venv, if any
    and unless the caller chose a driver; must run before SAPIEN creates its Vulkan instance."""
    icd = os.path.join(sys.prefix, "vulkan", "lvp_icd.json")
    if "VK_ICD_FILENAMES" not in os.environ and os.path.exists(icd):
        os.environ["VK_ICD_FILENAMES"] = icd


def import_maniskill():
    point_vulkan_at_bundled_driver()
    try:
        import gymnasium
        import mani_skill.envs  # noqa: F401  (registers the tasks)
    except ImportError as e:
        raise MissingPackage("ManiSkill", INSTALL, e) from None
    return gymnasium


def make_env(gymnasium, task, control_mode, obs_mode="state"):
    """One CPU ManiSkill environment; a Vulkan failure becomes one sentence that says what to run."""
    try:
        return gymnasium.make(task, obs_mode=obs_mode, control_mode=control_mode, sim_backend="cpu",
                              render_mode=None, reward_mode="normalized_dense", max_episode_steps=100_000)
    except RuntimeError as e:
        text = str(e)
        if "vk::" in text or "Vulkan" in text or "physical device" in text:
            raise BridgeError(VULKAN_HELP.format(cause=text.strip().splitlines()[-1])) from None
        raise


def _row(x):
    """A ManiSkill tensor of one sub-scene (torch, batch 1) as a flat float64 numpy row."""
    if hasattr(x, "cpu"):
        x = x.cpu().numpy()
    return np.asarray(x, dtype=np.float64).ravel()


def _flag(x):
    return bool(_row(x)[0]) if x is not None else False


class ManiSkillSuite:
    def __init__(self, task, env_indices, options):
        images.refuse("maniskill/" + task, options)
        if task not in TIME_LIMITS:
            raise UnknownEnvironment("maniskill/" + task, ["maniskill/" + t for t in TIME_LIMITS])
        gymnasium = import_maniskill()
        self.task = task
        limit = int(options.get("max_episode_steps") or 0)
        self.max_steps = min(limit, TIME_LIMITS[task]) if limit else TIME_LIMITS[task]
        self.terminate_on_success = bool(options.get("terminate_on_success", True))
        self.gymnasium = gymnasium
        self.envs = [make_env(gymnasium, task, "pd_ee_delta_pose") for _ in env_indices]
        self.steps = [0] * len(self.envs)
        self.reward = SuccessReward(len(self.envs), options)
        self.seeds = [0] * len(self.envs)
        self.experts = [None] * len(self.envs)
        self.planner = None  # the expert's planning environment, built on first use
        e = self.envs[0]
        self.observation_dim = int(np.prod(e.observation_space.shape[1:] or e.observation_space.shape))
        self.action_dim = int(np.prod(e.action_space.shape[1:] or e.action_space.shape))
        self.action_low = _row(e.action_space.low)[-self.action_dim:]
        self.action_high = _row(e.action_space.high)[-self.action_dim:]

    def spec(self):
        return {
            "observation": {"names": [f"obs_{k}" for k in range(self.observation_dim)],
                            "low": [float("-inf")] * self.observation_dim,
                            "high": [float("inf")] * self.observation_dim},
            "action": {"names": ["dx", "dy", "dz", "drx", "dry", "drz", "gripper"][:self.action_dim],
                       "low": [float(x) for x in self.action_low], "high": [float(x) for x in self.action_high]},
            "tasks": [{"name": self.task, "instruction": INSTRUCTIONS[self.task], "max_episode_steps": self.max_steps}],
            "max_episode_steps": self.max_steps,
            "has_expert": True,
            "images": [],
        }

    def task_index(self, i):
        return 0

    def _zero_action(self):
        import torch  # ManiSkill's reward functions take a batch of actions as a tensor
        return torch.zeros((1, self.action_dim))

    def _normalized_reward(self, i, action):
        u = self.envs[i].unwrapped
        return float(_row(u.compute_normalized_dense_reward(obs=None, action=action, info=u.get_info()))[0])

    def reset(self, i, seed):
        self.seeds[i] = int(seed) % (1 << 32)
        obs, _ = self.envs[i].reset(seed=self.seeds[i])
        self.steps[i] = 0
        self.experts[i] = None
        self.reward.start(i, lambda: self._normalized_reward(i, self._zero_action()))
        return _row(obs)

    def step(self, i, action):
        a = np.asarray(action, dtype=np.float32).reshape(1, -1)
        obs, normalized, _, _, info = self.envs[i].step(a)
        self.steps[i] += 1
        success = _flag(info.get("success"))
        terminated = success and self.terminate_on_success
        truncated = not terminated and self.steps[i] >= self.max_steps
        reward = self.reward.step(i, success, lambda: float(_row(normalized)[0]))
        if self.experts[i] is not None:
            self.experts[i].advance()
        return _row(obs), reward, terminated, truncated, success

    def expert(self, i):
        from .maniskill_expert import MotionPlanExpert
        if self.experts[i] is None:
            if self.planner is None:
                self.planner = make_env(self.gymnasium, self.task, "pd_joint_pos", obs_mode="none")
            self.experts[i] = MotionPlanExpert(self.task, self.planner, self.envs[i], self.seeds[i])
        return self.experts[i].action()

    def close(self):
        for e in self.envs + ([self.planner] if self.planner is not None else []):
            try:
                e.close()
            except Exception:  # noqa: BLE001  (closing at exit must not mask the real error)
                pass
