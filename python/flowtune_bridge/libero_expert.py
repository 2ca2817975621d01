"""A scripted pick-and-place expert for LIBERO-Object ("pick up the X and place it in the basket").

No LIBERO package ships demonstrations or a scripted policy, so FlowTune brings its own. It reads the
object and container positions from the observation and drives the operational-space controller
with proportional position deltas, the gripper pointing down as it starts:

1. above the object (10 cm over its origin), gripper open, until within 1 cm and 4 mm sideways;
2. down to 1 cm over the origin, until there or until the hand stops sinking (it rests on the
   object or the table);
3. close the gripper for `GRASP_STEPS` steps;
4. up to `CARRY_HEIGHT` over the higher of the container and where the object was grasped;
5. sideways until the object (not the hand: a bottle held off-centre swings in the fingers) is over
   the container;
6. down until the object is `RELEASE_HEIGHT` over the container's origin;
7. open the gripper and hold.

If the object is left behind while carrying (more than 15 cm from the hand) it starts again at 1.

The aim point is 8 mm behind the object's origin along x (`AIM_OFFSET`): measured on LIBERO-Object's
first 8 initial states of each task, this raised the flat cream-cheese box from 2/8 to 8/8 (the hand
otherwise lands on its edge) and left the other nine tasks at 8/8, 7/8 for the salad dressing
(docs/results/libero.md).
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
AIM_OFFSET = {"object": np.array([-0.008, 0.0, 0.0])}
RELEASE_HEIGHT = {"object": 0.12}
LOST_DISTANCE = 0.15

APPROACH, DESCEND, GRASP, LIFT, CARRY, LOWER, RELEASE = range(7)


class PickAndPlaceExpert:
    def __init__(self, target, container, suite):
        self.target, self.container = target, container
        self.aim_offset, self.release_height = AIM_OFFSET[suite], RELEASE_HEIGHT[suite]
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
        return action

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
            self.heights.append(hand[2])
            stalled = len(self.heights) > 6 and self.heights[-6] - self.heights[-1] < 0.003
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
                self.phase = LOWER
        elif self.phase == LOWER:
            if np.linalg.norm(error) < 0.01:
                self.phase = RELEASE
