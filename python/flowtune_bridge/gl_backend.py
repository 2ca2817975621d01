"""Chooses MuJoCo's headless OpenGL backend for camera images (PROTOCOL.md, "Images").

MuJoCo reads `MUJOCO_GL` once, when `mujoco` is first imported (and MetaWorld imports it), so the
choice has to be made before that import and cannot be changed afterwards in the same process. A
value the user set is kept as it is. Otherwise each candidate is tried in a short child process
(`import mujoco` and one 8×8 context), EGL first (Mesa's EGL renders without a display or GPU), then
OSMesa, and the first that works is set in this process's environment only. Only workers that were
asked for images do this: state-only workers never touch OpenGL.
"""

import os
import subprocess
import sys

from .errors import RenderingUnavailable

CANDIDATES = ("egl", "osmesa")

_PROBE = "import mujoco; c = mujoco.GLContext(8, 8); c.make_current(); c.free()"


def _probe(backend):
    """None if MuJoCo can create a context with `backend`, else the last line of its error."""
    env = dict(os.environ, MUJOCO_GL=backend)
    try:
        r = subprocess.run([sys.executable, "-c", _PROBE], env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    if r.returncode == 0:
        return None
    lines = [line for line in r.stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else f"exit status {r.returncode}"


def select_gl_backend():
    """Sets MUJOCO_GL (unless already set) to a backend that renders here, and returns it; raises
    RenderingUnavailable, naming the Debian packages to install, when none does."""
    chosen = os.environ.get("MUJOCO_GL")
    if chosen:
        return chosen
    if "mujoco" in sys.modules:
        raise RenderingUnavailable("mujoco was imported before a rendering backend was chosen; set MUJOCO_GL=egl "
                                   "(or osmesa) in the environment before starting the worker")
    failures = []
    for backend in CANDIDATES:
        error = _probe(backend)
        if error is None:
            os.environ["MUJOCO_GL"] = backend
            return backend
        failures.append(f"{backend}: {error}")
    raise RenderingUnavailable("MuJoCo cannot render offscreen here (" + "; ".join(failures) + "); install the Debian "
                               "packages libegl1 libegl-mesa0 libgl1-mesa-dri libopengl0 (EGL) or libosmesa6 (OSMesa), "
                               "e.g. `apt-get install --no-install-recommends libegl1 libegl-mesa0 libgl1-mesa-dri libopengl0`")
