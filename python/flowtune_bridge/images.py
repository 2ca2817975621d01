"""The camera images a trainer asks for in HELLO's `images` option (PROTOCOL.md, "Images").

Each request is `{"name": <camera>, "height": H, "width": W}`; the suite that renders it declares it
in SPEC as the same object plus `"channels": 3`. Suites without a camera refuse any request.
"""

from .errors import BridgeError

MAX_SIDE = 480  # MuJoCo's default offscreen buffer is 640×480; larger frames would need a model change


def image_requests(options):
    """The validated list of requested images (empty when none are asked for)."""
    requests = options.get("images") or []
    if not isinstance(requests, list):
        raise BridgeError("HELLO's `images` option must be a list of {name, height, width} objects")
    out = []
    for r in requests:
        if not isinstance(r, dict) or not isinstance(r.get("name"), str):
            raise BridgeError(f"an image request needs a camera name, height and width; got {r!r}")
        h, w = r.get("height"), r.get("width")
        if not all(isinstance(v, int) and 1 <= v <= MAX_SIDE for v in (h, w)):
            raise BridgeError(f"image {r['name']!r} asks for {h}×{w} pixels; height and width must be integers in 1...{MAX_SIDE}")
        out.append({"name": r["name"], "height": h, "width": w})
    return out


def declared(requests):
    """SPEC's `images`: the requests with their channel count (RGB)."""
    return [dict(r, channels=3) for r in requests]


def refuse(env_id, options):
    """For suites without a camera: raises when images are requested."""
    if image_requests(options):
        raise BridgeError(f"{env_id} has no camera; images exist for metaworld/ ids only, so request none")
