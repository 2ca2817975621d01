"""Offscreen camera images of MetaWorld environments (PROTOCOL.md, "Images").

Every MetaWorld v3 scene (`xyz_base.xml`) has the cameras `topview`, `corner`, `corner2`, `corner3`,
`corner4`, `behindGripper` and `gripperPOV`; any of them can be requested. FlowTune asks for
`corner` (DEFAULT_CAMERA): projecting the hand, object and goal positions at reset of all 50 MT50
tasks (five goal variations each) through each corner camera puts all of them inside every corner
camera's frame, and `corner` shows them largest (4.7 pixels per 10 cm at pick-place's puck in a
64×64 frame, against 2.9 for `corner2`, which shows the whole table but small; `corner4` is as large
but cuts off the table's left side).

Orientation: MetaWorld's corner cameras are mounted upside down (`corner` has `xyaxes="-1 1 0 -0.2
-0.2 -1"`: the image's up axis points at the floor), so MuJoCo's picture shows the table hanging
from the top. Each frame is turned by 180° (rows and columns reversed), which is the same camera
rolled upright: row 0 is the top of the scene as a person would see it, and nothing is mirrored. A
vertical flip alone would mirror the scene left-right.

Speed: MuJoCo's software rendering (Mesa's llvmpipe, no GPU here) spends most of a frame on
MetaWorld's three shadow-casting lights (4096² shadow maps) and 4× multisampling: 87–106 ms per
64×64 frame with MetaWorld's settings against 9.5 ms without shadows and multisampling on our 2-vCPU
machine (docs/results/pixels-and-language.md, "MetaWorld's camera"). FlowTune renders without
either (and with an offscreen buffer of the requested size rather than 640×480, which changes no
pixel): objects keep their shading, reflections and the skybox, edges are not anti-aliased, and
nothing casts a shadow. The settings only touch `model.vis` and the scene's render flags, never
the physics.

One `mujoco.Renderer` per environment and camera: MetaWorld moves bodies by editing its own model
(e.g. `body_pos`), so a renderer must draw with the model of the environment it shows. Rendering
only reads `MjData` (no `mj_forward`), so a run with images simulates exactly what a run without
them does, and the frame shows the positions the state vector reports. Renderers are closed
explicitly (`close`), because closing them in `__del__` at interpreter exit makes EGL print errors.
"""

from .errors import BridgeError

DEFAULT_CAMERA = "corner"
UPSIDE_DOWN = ("corner", "corner2", "corner3", "corner4")


class MetaWorldCameras:
    """Renders the requested images (`images.image_requests`) of a list of MetaWorld environments."""

    def __init__(self, envs, requests):
        import mujoco  # after gl_backend.select_gl_backend() has set MUJOCO_GL

        self.requests = requests
        self.renderers = []
        try:
            for env in envs:
                names = [mujoco.mj_id2name(env.model, mujoco.mjtObj.mjOBJ_CAMERA, k) for k in range(env.model.ncam)]
                vis = env.model.vis
                vis.global_.offwidth = max(r["width"] for r in requests)
                vis.global_.offheight = max(r["height"] for r in requests)
                vis.quality.offsamples = 0
                row = []
                for r in requests:
                    if r["name"] not in names:
                        raise BridgeError(f"MetaWorld has no camera {r['name']!r}; its cameras are {', '.join(names)}")
                    renderer = mujoco.Renderer(env.model, r["height"], r["width"])
                    renderer.scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0
                    row.append(renderer)
                self.renderers.append(row)
        except BaseException:
            self.close()
            raise

    def render(self, i, env, outs):
        """Draws environment i's current state into outs[k] (one H×W×3 uint8 array per request)."""
        for k, r in enumerate(self.requests):
            renderer = self.renderers[i][k]
            renderer.update_scene(env.data, camera=r["name"])
            frame = renderer.render()
            outs[k][...] = frame[::-1, ::-1] if r["name"] in UPSIDE_DOWN else frame

    def close(self):
        for row in self.renderers:
            for renderer in row:
                renderer.close()
        self.renderers = []
