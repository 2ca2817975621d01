"""Resolves a bridge environment id to the suite that builds it.

Ids: `metaworld/<task>` (MT1, e.g. `metaworld/reach-v3`), `metaworld/MT10`, `metaworld/MT50`,
`maniskill/<task>` (PickCube-v1, PushCube-v1, StackCube-v1, PegInsertionSide-v1), `libero/object`,
`libero/object/<k>`, `libero/spatial`, `libero/spatial/<k>` (LIBERO-Object's or LIBERO-Spatial's 10
tasks together, or task k), `gym/<gymnasium id>` (e.g. `gym/Pendulum-v1`) and `pusht` (gym-pusht,
state observations).
"""

from .errors import UnknownEnvironment

PATTERNS = ["metaworld/<task>-v3", "metaworld/MT10", "metaworld/MT50", "maniskill/<task>", "libero/object",
            "libero/object/<k>", "libero/spatial", "libero/spatial/<k>", "gym/<gymnasium id>", "pusht"]


def make_suite(env_id, env_indices, options):
    """A suite hosting the environments with global indices env_indices (their order is kept)."""
    if env_id.startswith("metaworld/"):
        from .metaworld_suite import MetaWorldSuite
        return MetaWorldSuite(env_id[len("metaworld/"):], env_indices, options)
    if env_id.startswith("maniskill/"):
        from .maniskill_suite import ManiSkillSuite
        return ManiSkillSuite(env_id[len("maniskill/"):], env_indices, options)
    if env_id.startswith("libero/"):
        from .libero_suite import LiberoSuite
        return LiberoSuite(env_id[len("libero/"):], env_indices, options)
    if env_id.startswith("gym/") or env_id == "pusht":
        from .gym_suite import GymSuite
        return GymSuite(env_id, env_indices, options)
    raise UnknownEnvironment(env_id, PATTERNS)
