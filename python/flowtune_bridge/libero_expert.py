"""A scripted pick-and-place expert for LIBERO-Object ("pick up the X and place it in the basket") and
LIBERO-Spatial ("pick up the black bowl … and place it on the plate").

No LIBERO package ships demonstrations or a scripted policy, so FlowTune brings its own. It reads the
object and container positions from the observation and drives the operational-space controller
with proportional position deltas, the gripper pointing down as it starts:

1. above the aim point (`AIM_OFFSET` from the object's origin, 10 cm higher), until within 1 cm and
   4 mm sideways; the fingers fully open (Object) or `OPENING` apart (Spatial);
2. down to 1 cm over the aim point, until there or until the hand stops sinking (it rests on the
   object, the table or the furniture);
3. close the gripper for `GRASP_STEPS` steps;
4. up to `CARRY_HEIGHT` over the higher of the container and where the object was grasped;
5. sideways until the object (not the hand: a bottle held off-centre swings in the fingers, a bowl
   held by its rim hangs) is over the container;
6. down until the object is `RELEASE_HEIGHT` over the container's origin, or stops sinking (it rests
   on the container);
7. open the gripper and hold.

If the object is left behind while carrying (more than 15 cm from the hand) it starts again at 1.

LIBERO-Object: the aim point is 8 mm behind the object's origin along x: measured on the first 8
initial states of each task, this raised the flat cream-cheese box from 2/8 to 8/8 (the hand
otherwise lands on its edge) and left the other nine tasks at 8/8, 7/8 for the salad dressing
(docs/results/libero.md).

LIBERO-Spatial: the black bowl (about 11 cm across at the rim, 5 cm tall) is wider than the open
gripper (8 cm), so the expert pinches its wall: the aim point is 4.5 cm from the bowl's axis along +y
and 2.5 cm over its origin, so the finger pads close on the upper half of the 4–5 mm wall, where it
is nearly upright. Measured with scratch scripts (3–20 initial states per task): aiming 5 cm out and
1 cm up, where the wall slants, let the bowl slip out of the fingers on lifting (tasks 0 and 1:
1/3 and 0/3); fully open fingers hit the front of the open drawer in task 4 (0/5), fingers 1.5 cm open
each mostly do not (19/20 on initial states 10–29); letting go 5 cm over the plate dropped the bowl,
which hangs tilted from its rim, off the plate's edge in task 0 (8/10), letting go once it rests on
the plate did not (10/10).
"""

import numpy as np

POSITION_SCALE = 0.05  # metres per unit action of LIBERO's controller (its output_max)
GAIN = 3.0
APPROACH_HEIGHT = 0.10
GRASP_HEIGHT = 0.01
CARRY_HEIGHT = 0.25  # over the higher of the container and the object's starting height
GRASP_STEPS = 10

# Per suite: where to grasp relative to the object's origin, and how far over the container's origin
# to let go.
AIM_OFFSET = {"object": np.array([-0.008, 0.0, 0.0]), "spatial": np.array([0.0, 0.045, 0.025])}
RELEASE_HEIGHT = {"object": 0.12, "spatial": 0.01}
# Per suite: how far each finger stands open (metres from the middle, 0.04 = fully) while approaching
# and descending; None: fully open.
OPENING = {"object": None, "spatial": 0.015}
# Seconds the fingers lag their command (joint damping / stiffness of robosuite's Panda gripper: 100/1000).
FINGER_LAG = 0.1
OPENING_TOLERANCE = 0.002
LOST_DISTANCE = 0.15

APPROACH, DESCEND, GRASP, LIFT, CARRY, LOWER, RELEASE = range(7)


class PickAndPlaceExpert:
    def __init__(self, target, container, suite):
        self.target, self.container = target, container
        self.aim_offset, self.release_height, self.opening = AIM_OFFSET[suite], RELEASE_HEIGHT[suite], OPENING[suite]
        self.carry_height = None  # fixed when the grasp starts
        self.phase = APPROACH
        self.grasp_steps = 0
        self.heights = []

    def action(self, obs):
        hand = np.asarray(obs["robot0_eef_pos"], dtype=np.float64)
        obj = np.asarray(obs[self.target + "_pos"], dtype=np.float64)
        container = np.asarray(obs[self.container + "_pos"], dtype=np.float64)
        self._advance(hand, obj, container)
        goal, closed = self._goal(hand, obj, container)
        action = np.zeros(7)
        action[:3] = np.clip((goal - hand) / POSITION_SCALE * GAIN, -1.0, 1.0)
        action[6] = 1.0 if closed else -1.0
        if self.opening is not None and self.phase in (APPROACH, DESCEND):
            action[6] = self._toward_opening(obs)
        return action

    def _toward_opening(self, obs):
        """Gripper action that brings each finger to `opening` and holds it there (0 keeps robosuite's
        gripper command where it is). The command runs ahead of the fingers by about their velocity
        times `FINGER_LAG`, so that is where they are headed."""
        (q1, q2), (v1, v2) = obs["robot0_gripper_qpos"], obs["robot0_gripper_qvel"]
        headed = (q1 - q2) / 2 + (v1 - v2) / 2 * FINGER_LAG
        if headed > self.opening + OPENING_TOLERANCE:
            return 1.0
        if headed < self.opening - OPENING_TOLERANCE:
            return -1.0
        return 0.0

    def _goal(self, hand, obj, container):
        aim = obj + self.aim_offset
        if self.phase == APPROACH:
            return aim + [0.0, 0.0, APPROACH_HEIGHT], False
        if self.phase in (DESCEND, GRASP):
            return aim + [0.0, 0.0, GRASP_HEIGHT], self.phase == GRASP
        if self.phase == LIFT:
            return np.array([hand[0], hand[1], self.carry_height]), True
        if self.phase == CARRY:
            return np.array([hand[0] + container[0] - obj[0], hand[1] + container[1] - obj[1], self.carry_height]), True
        if self.phase == LOWER:
            return hand + (container + [0.0, 0.0, self.release_height] - obj), True
        return hand, False  # RELEASE

    def _advance(self, hand, obj, container):
        """Moves to the next phase when the current one's goal is reached (judged before acting)."""
        goal, _ = self._goal(hand, obj, container)
        error = goal - hand
        if self.phase == APPROACH:
            if np.linalg.norm(error) < 0.01 and np.linalg.norm(error[:2]) < 0.004:
                self.phase, self.heights = DESCEND, []
        elif self.phase == DESCEND:
            stalled = self._stopped_sinking(hand[2])
            if np.linalg.norm(error) < 0.01 or stalled:
                self.phase, self.grasp_steps = GRASP, 0
                self.carry_height = max(container[2], obj[2]) + CARRY_HEIGHT
        elif self.phase == GRASP:
            self.grasp_steps += 1
            if self.grasp_steps > GRASP_STEPS:
                self.phase = LIFT
        elif self.phase == LIFT:
            if hand[2] > self.carry_height - 0.03:
                self.phase = CARRY
        elif self.phase in (CARRY, LOWER) and np.linalg.norm(hand - obj) > LOST_DISTANCE:
            self.phase = APPROACH
        elif self.phase == CARRY:
            if np.linalg.norm(error[:2]) < 0.01:
                self.phase, self.heights = LOWER, []
        elif self.phase == LOWER:
            stalled = self._stopped_sinking(obj[2])
            if np.linalg.norm(error) < 0.01 or stalled:
                self.phase = RELEASE

    def _stopped_sinking(self, height):
        """Records `height` (the hand's while descending, the object's while lowering) and says whether
        it fell less than 3 mm over the last 5 steps: the hand rests on something, or the object on
        the container."""
        self.heights.append(height)
        return len(self.heights) > 6 and self.heights[-6] - self.heights[-1] < 0.003
