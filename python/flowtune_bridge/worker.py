"""The worker process: hosts M environments and answers the trainer's requests (PROTOCOL.md).

The trainer starts it as `python -m flowtune_bridge worker --parent-pid <pid>` with a socket as
stdin and stdout. Why the file descriptors are moved first: simulators and their dependencies print
to stdout, which would corrupt the binary stream, so the protocol keeps a private duplicate of fd 1
and fd 1 itself is pointed at stderr.

Why the worker cannot outlive the trainer: it exits at end of file on its input (the trainer closed
the connection or died, since the kernel closes a dead process's descriptors), it asks Linux to kill
it when its parent dies (PR_SET_PDEATHSIG, which works even while a simulator holds the GIL), and a
watchdog thread exits if the parent pid changes. SIGINT is ignored: Ctrl-C in a terminal reaches the
whole process group, and the trainer, not the worker, decides how a run stops.
"""

import ctypes
import os
import signal
import sys
import threading
import time
import traceback

import numpy as np

from . import PROTOCOL_VERSION, protocol as P
from .errors import BridgeError
from .suites import make_suite


def _die_with_parent(parent_pid):
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if parent_pid and os.getppid() != parent_pid:
        os._exit(3)  # the parent died before the death signal was armed

    def watch():
        while True:
            time.sleep(0.5)
            if os.getppid() != parent_pid:
                os._exit(3)

    if parent_pid:
        threading.Thread(target=watch, daemon=True).start()


class Worker:
    """The request loop; `serve` returns when the trainer says CLOSE or goes away."""

    def __init__(self, in_fd, out_fd):
        self.inp, self.out = in_fd, out_fd
        self.suite = None
        self.attach_expert = False

    def send(self, kind, *parts):
        P.write_frame(self.out, kind, *parts)

    def fail(self, kind, message):
        self.send(P.ERROR, P.encode_error(kind, message))

    def serve(self):
        try:
            return self._serve()
        finally:
            close = getattr(self.suite, "close", None)
            if close is not None:
                close()  # renderers' GL contexts, before interpreter exit (metaworld_camera.py says why)

    def _serve(self):
        try:
            frame = P.read_frame(self.inp)
            if frame is None:
                return 0
            if not self.hello(*frame):
                return 1
            while True:
                frame = P.read_frame(self.inp)
                if frame is None:
                    return 0
                kind, body = frame
                if kind == P.CLOSE:
                    self.send(P.BYE)
                    return 0
                if kind == P.RESET:
                    self.reset(body)
                elif kind == P.STEP:
                    self.step(body)
                elif kind == P.EXPERT:
                    self.expert(body)
                else:
                    self.fail(P.ERR_BAD_REQUEST, f"unknown message type 0x{kind:02x}")
                    return 1
        except P.ProtocolError as e:
            self.fail(e.kind, str(e))
            return 1
        except BridgeError as e:
            self.fail(e.kind, str(e))
            return 1
        except EOFError:
            return 0
        except (BrokenPipeError, ConnectionResetError):
            return 0
        except Exception as e:  # a simulator failed: report it, then let the trainer restart us
            traceback.print_exc()
            try:
                self.fail(P.ERR_SIMULATOR, f"{type(e).__name__}: {e}")
            except OSError:
                pass
            return 1

    def hello(self, kind, body):
        if kind != P.HELLO:
            self.fail(P.ERR_BAD_REQUEST, f"the first message must be HELLO (0x01), got 0x{kind:02x}")
            return False
        version, request = P.decode_hello(body)
        if request is None:
            self.fail(P.ERR_VERSION, f"protocol version mismatch: the trainer speaks version {version}, this worker "
                      f"(flowtune-bridge in {os.path.dirname(__file__)}) speaks version {PROTOCOL_VERSION}; "
                      "install the python/ package of the same FlowTune checkout (pip install ./python)")
            return False
        self.suite = make_suite(request["env_id"], request["env_indices"], request.get("options", {}))
        self.m = len(request["env_indices"])
        spec = self.suite.spec()
        self.od = len(spec["observation"]["names"])
        self.ad = len(spec["action"]["names"])
        self.obs = np.zeros((self.m, self.od), dtype="<f4")
        self.task = np.zeros(self.m, dtype="<i4")
        # One M×H×W×3 array per declared image; they follow the state arrays of every reply.
        self.images = [np.zeros((self.m, d["height"], d["width"], d["channels"]), dtype=np.uint8) for d in spec["images"]]
        self.send(P.SPEC, P.encode_spec(spec))
        return True

    def _expert_actions(self):
        out = np.zeros((self.m, self.ad), dtype="<f4")
        for i in range(self.m):
            out[i] = self.suite.expert(i)
        return out

    def _tail(self):
        return [self._expert_actions()] if self.attach_expert else []

    def _render(self, i):
        """Environment i's images of its current state into row i of each image array."""
        if self.images:
            self.suite.render(i, [image[i] for image in self.images])

    def _render_final(self, i):
        """Environment i's images of its finished episode's last state, as new arrays."""
        outs = [np.zeros(image.shape[1:], dtype=np.uint8) for image in self.images]
        self.suite.render(i, outs)
        return outs

    def reset(self, body):
        seeds, offset = P.decode_array(body, 0, "<u8", self.m)
        tasks = None
        if len(body) == offset + 4 * self.m:  # version 3: the trainer chooses the tasks
            if not getattr(self.suite, "chooses_tasks", False):
                raise P.ProtocolError(P.ERR_BAD_REQUEST, "RESET chose tasks, but this suite runs fixed tasks (its SPEC has no chooses_tasks)")
            tasks, _ = P.decode_array(body, offset, "<i4", self.m)
        elif len(body) != offset:
            raise P.ProtocolError(P.ERR_BAD_REQUEST, f"RESET for {self.m} environments carries {8 * self.m} bytes of seeds, "
                                  f"optionally followed by {4 * self.m} bytes of tasks; got {len(body)} bytes")
        elif getattr(self.suite, "chooses_tasks", False):
            tasks = self.suite.default_tasks  # a RESET without tasks returns to the suite's own assignment
        for i in range(self.m):
            if tasks is None:
                self.obs[i] = self.suite.reset(i, int(seeds[i]))
            else:
                self.obs[i] = self.suite.reset(i, int(seeds[i]), task=int(tasks[i]))
            self.task[i] = self.suite.task_index(i)
            self._render(i)
        self.send(P.RESET_DONE, self.task, self.obs, *self.images, *self._tail())

    def step(self, body):
        actions, offset = P.decode_array(body, 0, "<f4", self.m * self.ad)
        next_seeds, _ = P.decode_array(body, offset, "<u8", self.m)
        actions = actions.reshape(self.m, self.ad)
        rewards = np.zeros(self.m, dtype="<f4")
        flags = np.zeros(self.m, dtype=np.uint8)
        finals, final_images = [], []
        for i in range(self.m):
            obs, reward, terminated, truncated, success = self.suite.step(i, actions[i])
            rewards[i] = reward
            flags[i] = ((P.FLAG_TERMINATED if terminated else 0) | (P.FLAG_TRUNCATED if truncated else 0)
                        | (P.FLAG_SUCCESS if success else 0))
            if terminated or truncated:
                finals.append(P.f32(obs))
                if self.images:
                    final_images.append(self._render_final(i))  # the last frame, before the reset replaces it
                obs = self.suite.reset(i, int(next_seeds[i]))
                self.task[i] = self.suite.task_index(i)
            self.obs[i] = obs
            self._render(i)
        # Per declared image: the K final frames in the order of the final observations.
        finals_by_image = [[frames[k] for frames in final_images] for k in range(len(self.images))]
        self.send(P.STEP_DONE, rewards, flags, self.task, self.obs, *finals, *self.images,
                  *(f for frames in finals_by_image for f in frames), *self._tail())

    def expert(self, body):
        if len(body) != 1 or body[0] not in (P.EXPERT_NOW, P.EXPERT_ATTACH, P.EXPERT_DETACH):
            raise P.ProtocolError(P.ERR_BAD_REQUEST, "EXPERT carries one mode byte: 0 now, 1 attach, 2 detach")
        mode = body[0]
        self.attach_expert = mode == P.EXPERT_ATTACH or (self.attach_expert and mode == P.EXPERT_NOW)
        self.send(P.EXPERT_DONE, self._expert_actions() if mode != P.EXPERT_DETACH else b"")


def main(argv):
    parent_pid = 0
    if len(argv) >= 2 and argv[0] == "--parent-pid":
        parent_pid = int(argv[1])
    # Signals meant for the whole job (Ctrl-C in a terminal, a scheduler's or mpirun's SIGTERM to the
    # process group) are the trainer's: it finishes its iteration and checkpoints, and needs its
    # workers for that. A worker ends when the trainer says CLOSE, kills it (SIGKILL), or dies.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent(parent_pid)
    in_fd = os.dup(0)
    out_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return Worker(in_fd, out_fd).serve()
