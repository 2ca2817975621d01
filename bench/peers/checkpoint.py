"""Reads a FlowTune policy checkpoint (safetensors, `flowtune.policy/1`) into numpy arrays.

The peers build their networks from these arrays, so every stack computes with FlowTune's exact
weights and normaliser statistics (docs/algorithms.md §1: the chain lives in normalised action space).
"""
import json

import numpy as np
from safetensors import safe_open


class Checkpoint:
    """`params` maps FlowTune's parameter names (`velocityNetwork.films.0.projections.1.weight`) to arrays."""

    def __init__(self, path):
        with safe_open(path, framework="numpy") as f:
            meta = f.metadata() or {}
            if meta.get("format") != "flowtune.policy/1":
                raise ValueError(f"{path} is not a FlowTune policy checkpoint")
            self.config = json.loads(meta["config"])
            self.params = {k[len("params."):]: f.get_tensor(k).astype(np.float32)
                           for k in f.keys() if k.startswith("params.")}
            self.obs_mean = f.get_tensor("normalizer.observation.mean").astype(np.float32)
            self.obs_std = f.get_tensor("normalizer.observation.std").astype(np.float32)
            self.act_mean = f.get_tensor("normalizer.action.mean").astype(np.float32)
            self.act_std = f.get_tensor("normalizer.action.std").astype(np.float32)
        c = self.config
        if c.get("conditioning", "film") != "film" or c.get("layerNorm", False) or c.get("taskCount", 0) != 0:
            raise ValueError("the peers implement FlowTune's default architecture only: FiLM, no layer norm, single task")
        if c.get("activation", "silu") != "silu":
            raise ValueError("the peers implement the SiLU activation only")
        self.chunk_length = c.get("chunkLength", 5)
        self.action_dim = c["actionDim"]
        self.chunk_width = self.chunk_length * self.action_dim
        self.observation_dim = c["observationDim"]
        self.steps = c.get("denoisingSteps", 5)
        self.depth = c.get("velocityDepth", 3)
        self.time_dim = c.get("timeEmbeddingDim", 64)
        self.has_noise = c.get("noiseNetwork") is not None
        noise = c.get("noiseNetwork") or {}
        self.sigma_min = noise.get("sigmaMin", 0.08)
        self.sigma_max = noise.get("sigmaMax", 0.16)
        self.encoder_layers = sum(1 for k in self.params if k.startswith("encoder.layers.") and k.endswith(".weight"))
        self.noise_layers = sum(1 for k in self.params if k.startswith("noiseNetwork.body.layers.") and k.endswith(".weight"))
        if noise.get("includeChainState", False) or noise.get("trainSharedFeatures", False):
            raise ValueError("the peers implement the default noise network (conditioning features only, detached)")


def time_frequencies(dim, max_period=10000.0, scale=1000.0):
    """`s·ωᵢ` of FlowTune's SinusoidalTimeEmbedding, computed in float32 like FlowTune."""
    half = dim // 2
    i = np.arange(half, dtype=np.float32)
    freq = np.exp(-np.float32(np.log(np.float32(max_period))) * i / np.float32(half)).astype(np.float32)
    return freq, np.float32(scale)


class EncoderCheckpoint:
    """W5's image encoder (`flowtune.bench-encoder/1`, written by `bench compare`): FlowTune's weights
    (convolutions `[out, kh, kw, in]`), its configuration, and check images in [−1, 1] `[4, 64, 64, 3]`
    with FlowTune's features of them, which a peer must reproduce before it is timed."""

    def __init__(self, path):
        with safe_open(path, framework="numpy") as f:
            meta = f.metadata() or {}
            if meta.get("format") != "flowtune.bench-encoder/1":
                raise ValueError(f"{path} is not a bench compare encoder file")
            c = json.loads(meta["config"])
            self.params = {k[len("params."):]: f.get_tensor(k).astype(np.float32)
                           for k in f.keys() if k.startswith("params.")}
            self.images = f.get_tensor("images").astype(np.float32)
            self.features = f.get_tensor("features").astype(np.float32)
        if c.get("conditionWidth") is not None:
            raise ValueError("the peers implement the unconditioned encoder only")
        self.groups = c["groups"]
        self.strides = c["blockStrides"]
        self.head = c["head"]
        self.image_size = self.images.shape[1]

    def inputs(self, batch):
        """The timed batch: images in [−1, 1] and the loss's fixed projection R (`Σ features ⊙ R`)."""
        rng = np.random.default_rng(4)
        images = rng.uniform(-1, 1, (batch, self.image_size, self.image_size, 3)).astype(np.float32)
        return images, rng.standard_normal((batch, self.features.shape[1])).astype(np.float32)

    def check(self, features):
        """Raises unless `features` of `self.images` match FlowTune's."""
        error = float(np.max(np.abs(np.asarray(features) - self.features)))
        if not error <= 1e-3:
            raise ValueError(f"the encoder's features differ from FlowTune's by {error:.2e} (> 1e-3): not the same network")
