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

One `mujoco.Renderer` (a GL context, MuJoCo's render context with the model's meshes and textures,
and a scene) per task and camera, shared by the worker's environments of that task: each frame's
scene is built from the environment's own model and data (`mjv_updateScene`), because MetaWorld
moves bodies by editing its own model (e.g. `body_pos`); the renderer's context only supplies the
meshes and textures, which every environment of a task shares. Shadows are off, so the 4096²
shadow map MetaWorld asks for (64 MB a render context) is not allocated. One renderer per
environment drew the same pixels but needed 15.3 GB in a worker stepping 50 pick-place
environments at 64×64, against 2.44 GB now (docs/results/pixels-and-language.md, "One renderer per
task in a worker").
Rendering only reads `MjData` (no `mj_forward`), so a run with images simulates exactly what a run
without them does, and the frame shows the positions the state vector reports. Renderers are closed
explicitly (`close`), because closing them in `__del__` at interpreter exit makes EGL print errors.
"""

from .errors import BridgeError

DEFAULT_CAMERA = "corner"
UPSIDE_DOWN = ("corner", "corner2", "corner3", "corner4")


class MetaWorldCameras:
    """Renders the requested images (`images.image_requests`) of a list of MetaWorld environments;
    `tasks[i]` names environment i's task (environments of one task share renderers)."""

    def __init__(self, envs, requests, tasks):
        import mujoco  # after gl_backend.select_gl_backend() has set MUJOCO_GL

        self.mujoco = mujoco
        self.requests = requests
        self.tasks = list(tasks)
        self.option = mujoco.MjvOption()
        self.renderers = {}  # task -> one (renderer, camera) per request
        try:
            for env, task in zip(envs, self.tasks):
                vis = env.model.vis
                vis.global_.offwidth = max(r["width"] for r in requests)
                vis.global_.offheight = max(r["height"] for r in requests)
                vis.quality.offsamples = 0
                vis.quality.shadowsize = 0  # no shadow map: shadows are off, and a 4096² map is 64 MB a renderer
                if task not in self.renderers:
                    self.renderers[task] = [self._renderer(env.model, r) for r in requests]
        except BaseException:
            self.close()
            raise

    def _renderer(self, model, request):
        mujoco = self.mujoco
        camera_id = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_CAMERA, request["name"])
        if camera_id < 0:
            names = [mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_CAMERA, k) for k in range(model.ncam)]
            raise BridgeError(f"MetaWorld has no camera {request['name']!r}; its cameras are {', '.join(names)}")
        camera = mujoco.MjvCamera()
        camera.type = mujoco.mjtCamera.mjCAMERA_FIXED
        camera.fixedcamid = camera_id
        renderer = mujoco.Renderer(model, request["height"], request["width"])
        renderer.scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0
        return renderer, camera

    def render(self, i, env, outs):
        """Draws environment i's current state into outs[k] (one H×W×3 uint8 array per request)."""
        mujoco = self.mujoco
        for k, r in enumerate(self.requests):
            renderer, camera = self.renderers[self.tasks[i]][k]
            mujoco.mjv_updateScene(env.model, env.data, self.option, None, camera,
                                   mujoco.mjtCatBit.mjCAT_ALL.value, renderer.scene)
            frame = renderer.render()
            outs[k][...] = frame[::-1, ::-1] if r["name"] in UPSIDE_DOWN else frame

    def close(self):
        for row in self.renderers.values():
            for renderer, _ in row:
                renderer.close()
        self.renderers = {}
