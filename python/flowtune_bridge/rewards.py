"""The reward every bridged suite pays: 1 on a success step, and with `"dense"` also the progress of a
potential, Φ(s') − Φ(s), Φ evaluated on the reset state before the first step (docs/simulators.md,
"Rewards").

Why the progress and not the simulator's shaped reward itself: MetaWorld's and ManiSkill's shaped
rewards pay every step, so with success ending the episode a policy could earn more by hovering
near the goal than by succeeding. The progress telescopes: an episode earns 1[success] plus
Φ(end) − Φ(start) whatever path it takes, so succeeding, and succeeding sooner, is always worth more.
Each suite supplies its own Φ (MetaWorld's reward / 10, ManiSkill's normalised dense reward,
LIBERO's staged potential).
"""


class SuccessReward:
    """Per-slot bookkeeping of the potential for `n` environment slots; `options` are the suite's
    MAKE options, whose `"reward"` is `"sparse"` (the default) or `"dense"`."""

    def __init__(self, n, options):
        self.dense = options.get("reward", "sparse") == "dense"
        self.potential = [0.0] * n

    def start(self, i, potential):
        """Records slot i's potential on its reset state. `potential` is a function, called only
        for the dense reward (evaluating Φ can cost a simulator query)."""
        if self.dense:
            self.potential[i] = float(potential())

    def step(self, i, success, potential):
        """Slot i's reward for a step that reached a state of potential `potential()` (called only
        for the dense reward), success or not."""
        bonus = 1.0 if success else 0.0
        if not self.dense:
            return bonus
        now = float(potential())
        reward = bonus + now - self.potential[i]
        self.potential[i] = now
        return reward
