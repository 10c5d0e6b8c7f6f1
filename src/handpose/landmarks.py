"""The landmark stage: a batch of rotated hand crops -> keypoints, world points, presence, handedness."""

from __future__ import annotations

from dataclasses import dataclass

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

    def preprocess(self, image: np.ndarray, rects: np.ndarray, bgr: bool = False) -> np.ndarray:
        self._matrices = crop_matrices(rects, self.size)  # reused by postprocess for the same rects
        self._rects = rects
        return crop(image, rects, self.size, bgr, self._matrices)

    def postprocess(self, out: dict[str, np.ndarray], rects: np.ndarray) -> LandmarkOutput:
        n = len(rects)
        m = self._matrices if getattr(self, "_rects", None) is rects else None
        kps = project(out["landmarks"].reshape(n, 21, 3), rects, self.size, m)
        world = rotate_world(out["world"].reshape(n, 21, 3), rects)
        return LandmarkOutput(kps, world, out["presence"].reshape(n), out["handedness"].reshape(n))

    def __call__(self, image: np.ndarray, rects: np.ndarray, bgr: bool = False) -> LandmarkOutput:
        if len(rects) == 0:
            z = np.zeros((0, 21, 3), np.float32)
            return LandmarkOutput(z, z.copy(), np.zeros(0, np.float32), np.zeros(0, np.float32))
        return self.postprocess(self.engine.run(self.preprocess(image, rects, bgr)), rects)
