"""ManiSkill's motion-planning solutions as a scripted expert for the delta-pose controller.

ManiSkill ships a motion planner (mplib) and a solution per task that plans a joint-space
trajectory (`pd_joint_pos` targets) and steps the environment along it. FlowTune's policies act
through `pd_ee_delta_pose`, and a bridge expert answers "which action now?" for the state an
environment is in. So the expert:
1. runs the task's solution on a second environment (the planning environment) reset with the same
   seed, recording every joint-position action it takes (the plan);
2. for the environment it serves, follows the plan one target at a time: forward kinematics of the
   target joint positions gives a target end-effector pose, and the action is the delta from the
   current end-effector pose to it, scaled to the controller's [-1, 1] range; the gripper component
   is the plan's.

This is the conversion ManiSkill's `replay_trajectory` tool performs offline (from `pd_joint_pos` to
`pd_ee_delta_pose`), done online and closed-loop: a target whose delta exceeds the controller's range
is clipped and kept for up to `RETRIES` steps, so the arm catches up instead of drifting from the plan.
Once the plan is used up the arm holds still with the plan's last gripper command.
"""

import numpy as np

RETRIES = 4


def _solutions():
    from mani_skill.examples.motionplanning.panda.solutions import (solvePegInsertionSide, solvePickCube,
                                                                     solvePushCube, solveStackCube)
    return {"PickCube-v1": solvePickCube, "PushCube-v1": solvePushCube, "StackCube-v1": solveStackCube,
            "PegInsertionSide-v1": solvePegInsertionSide}


def record_plan(task, planning_env, seed):
    """The joint-position actions of ManiSkill's solution for `task` from reset(seed), and whether the
    planner itself reported success."""
    plan = []
    step = planning_env.step

    def recording_step(action):
        plan.append(np.asarray(action, dtype=np.float64).ravel().copy())
        return step(action)

    planning_env.step = recording_step
    try:
        result = _solutions()[task](planning_env, seed=seed, debug=False, vis=False)
    except Exception:  # noqa: BLE001  (a planner failure is an unsuccessful plan, not a worker crash)
        result = -1
    finally:
        del planning_env.step  # the instance attribute shadowed the class's method
    planned = not isinstance(result, int) and bool(np.asarray(result[-1]["success"]).ravel()[0])
    return plan, planned


def _delta_action(arm, target_pose, current_pose):
    """The normalised pd_ee_delta_pose arm action from current_pose to target_pose (root-aligned
    frame), and whether it had to be clipped."""
    import sapien
    from mani_skill.trajectory.utils.actions.conversion import delta_pose_to_pd_ee_delta
    delta = sapien.Pose(target_pose.p - current_pose.p, (current_pose * target_pose.inv()).q)
    action = np.asarray(delta_pose_to_pd_ee_delta(arm, delta), dtype=np.float64)
    clipped = bool(np.abs(action[:3]).max() > 1)
    action[:3] = np.clip(action[:3], -1, 1)
    norm = np.linalg.norm(action[3:])
    if norm > 1:
        action[3:] /= norm
        clipped = True
    return action, clipped


class MotionPlanExpert:
    def __init__(self, task, planning_env, env, seed):
        self.plan, self.planned = record_plan(task, planning_env, seed)
        controller = env.unwrapped.agent.controller
        self.controller = controller
        self.arm = controller.controllers["arm"]
        self.joints = self.arm.active_joint_indices.cpu().numpy()
        self.kinematics = controller.articulation.create_pinocchio_model()
        self.k = 0          # the plan's target being followed
        self.tries = 0      # steps spent on it so far
        self.gripper = 1.0  # open, until the plan says otherwise
        self.pending = False

    def action(self):
        """The delta-pose action towards the current target (the same until the environment steps)."""
        if self.k >= len(self.plan):
            self.pending = False
            return np.r_[np.zeros(6), self.gripper].astype(np.float32)
        target = self.plan[self.k]
        qpos = self.controller.articulation.get_qpos().cpu().numpy()[0].astype(np.float64)
        qpos[self.joints] = target[:len(self.joints)]
        self.kinematics.compute_forward_kinematics(qpos)
        root = self.controller.articulation.pose.sp
        target_pose = root * self.kinematics.get_link_pose(self.arm.ee_link.index)
        arm, clipped = _delta_action(self.arm, target_pose, self.arm.ee_link.pose.sp)
        self.gripper = float(target[-1])
        self.pending = not clipped or self.tries + 1 >= RETRIES
        return np.r_[arm, self.gripper].astype(np.float32)

    def advance(self):
        """After the environment stepped: move to the next target, or count one more try."""
        if self.k >= len(self.plan):
            return
        if self.pending:
            self.k, self.tries = self.k + 1, 0
        else:
            self.tries += 1
        self.pending = False
