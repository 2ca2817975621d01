"""Errors a worker reports to the trainer as an ERROR message (kind + one sentence)."""

from . import protocol


class BridgeError(Exception):
    kind = protocol.ERR_BAD_REQUEST


class UnknownEnvironment(BridgeError):
    """The id names no environment; the message lists the valid ones."""

    kind = protocol.ERR_UNKNOWN_ENV

    def __init__(self, env_id, valid):
        shown = ", ".join(valid)
        super().__init__(f"unknown environment id '{env_id}'; valid ids are: {shown}")


class MissingPackage(BridgeError):
    """A simulator's Python package is not installed; the message says what to pip install."""

    kind = protocol.ERR_MISSING_PACKAGE

    def __init__(self, what, install, cause):
        super().__init__(f"{what} needs a Python package that is not installed ({cause}); "
                         f"install it with `{install}`")


class RenderingUnavailable(BridgeError):
    """Camera images were requested but no offscreen OpenGL backend works (a missing system package)."""

    kind = protocol.ERR_MISSING_PACKAGE
