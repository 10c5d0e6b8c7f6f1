"""The landmark stage: a batch of rotated hand crops -> keypoints, world points, presence, handedness."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .engines import Engine
from .geometry import crop, crop_matrices, project, rotate_world


@dataclass
class LandmarkOutput:
    keypoints: np.ndarray  # (n, 21, 3) image pixels
    world: np.ndarray  # (n, 21, 3) metres
    presence: np.ndarray  # (n,)
    right: np.ndarray  # (n,) probability of an anatomical right hand in an un-mirrored image


class LandmarkModel:
    """Runs ``hand_full`` / ``hand_lite`` on all hands of a frame in one batch."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.size = engine.spec.input_size[0]
        patch = np.empty((self.size, self.size, 3), np.uint8)
        self._scratch = (patch, np.empty_like(patch))

    def infer(self, image: np.ndarray, rects: np.ndarray, bgr: bool = False, clock: Any = None) -> LandmarkOutput:
        """Crop every hand straight into the model's input batch, run once, map back to the image."""
        if len(rects) == 0:
            return self(image, rects, bgr)
        matrices = crop_matrices(rects, self.size)

        def fill(buf: np.ndarray) -> None:
            crop(image, rects, self.size, bgr, matrices, out=buf, scratch=self._scratch)
            if clock is not None:
                clock.lap("crop")

        out = self.engine.run_filled(len(rects), fill)
        if clock is not None:
            clock.lap("landmark_model")
        return self._project(out, rects, matrices)

    def preprocess(self, image: np.ndarray, rects: np.ndarray, bgr: bool = False) -> np.ndarray:
        """The model input (n, size, size, 3) for these rects (``infer`` does this without the extra copy)."""
        return crop(image, rects, self.size, bgr)

    def postprocess(self, out: dict[str, np.ndarray], rects: np.ndarray) -> LandmarkOutput:
        """The model's raw outputs for these rects mapped back to image pixels and rotated world points."""
        return self._project(out, rects, None)

    def _project(self, out: dict[str, np.ndarray], rects: np.ndarray, m: np.ndarray | None) -> LandmarkOutput:
        n = len(rects)
        kps = project(out["landmarks"].reshape(n, 21, 3), rects, self.size, m)
        world = rotate_world(out["world"].reshape(n, 21, 3), rects)
        return LandmarkOutput(kps, world, out["presence"].reshape(n), out["handedness"].reshape(n))

    def __call__(self, image: np.ndarray, rects: np.ndarray, bgr: bool = False) -> LandmarkOutput:
        if len(rects) == 0:
            z = np.zeros((0, 21, 3), np.float32)
            return LandmarkOutput(z, z.copy(), np.zeros(0, np.float32), np.zeros(0, np.float32))
        return self.infer(image, rects, bgr)
