"""Hands in the camera's 3D frame: the metric world landmarks placed where the image says they are.

The landmark model's world points are in metres but centred on the hand, so they say nothing about where the hand
is. Given the camera's intrinsics, the rigid pose (rotation + translation) of those metric points that best fits
the 2D keypoints (Perspective-n-Point) places the hand in front of the camera: how far away it is, and where.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .errors import HandposeError


@dataclass(frozen=True)
class Camera:
    """A pinhole camera: focal lengths ``fx``, ``fy`` and principal point ``cx``, ``cy`` in pixels (from a
    calibration), or only ``fov``, the horizontal field of view in degrees (square pixels, principal point at the
    frame's centre: good to a few percent of depth for most webcams, whose data sheets give it).
    A missing ``fy`` is ``fx``; a missing ``cx`` / ``cy`` is the frame's centre."""

    fx: float | None = None
    fy: float | None = None
    cx: float | None = None
    cy: float | None = None
    fov: float | None = None

    def __post_init__(self) -> None:
        if (self.fx is None) == (self.fov is None):
            raise HandposeError("a Camera needs either a focal length fx (pixels) or a horizontal field of view "
                                "fov (degrees), not both")
        if self.fov is not None and not 0 < self.fov < 180:
            raise HandposeError(f"the field of view is in degrees between 0 and 180, got {self.fov}")
        for name in ("fx", "fy"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise HandposeError(f"the focal length {name} must be a positive number of pixels, got {value}")
        for name in ("cx", "cy"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise HandposeError(f"the principal point {name} must be a number of pixels, got {value}")

    @classmethod
    def parse(cls, text: str) -> Camera:
        """``"70"`` (horizontal field of view in degrees) or ``"fx,fy,cx,cy"`` (pixels), as ``--camera`` takes."""
        parts = [p.strip() for p in text.split(",")]
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(values) == 1:
            return cls(fov=values[0])
        if len(values) == 4:
            return cls(*values)
        raise HandposeError(f"a camera is a horizontal field of view in degrees ('70') or 'fx,fy,cx,cy' in pixels, "
                            f"got {text!r}")

    def matrix(self, width: int, height: int) -> np.ndarray:
        """The 3x3 intrinsic matrix for frames of this size."""
        fx = self.fx if self.fx is not None else width / (2 * math.tan(math.radians(self.fov or 0) / 2))
        fy = self.fy if self.fy is not None else fx
        cx = self.cx if self.cx is not None else width / 2
        cy = self.cy if self.cy is not None else height / 2
        return np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1]], np.float64)


def place_in_camera(keypoints: np.ndarray, world: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Each hand's world points (n, 21, 3, metres) moved by the rigid pose that best projects them onto its 2D
    keypoints (n, 21, 2+, pixels): (n, 21, 3) metres in the camera's frame (x right, y down, z away from the
    camera, as the image is; a mirrored view stays mirrored). A hand that cannot be placed in front of the
    camera is NaN."""
    out = np.full((len(keypoints), 21, 3), np.nan, np.float32)
    for i in range(len(keypoints)):
        w = np.ascontiguousarray(world[i], np.float64)
        p = np.ascontiguousarray(keypoints[i, :, :2], np.float64)
        if not (np.isfinite(w).all() and np.isfinite(p).all()):
            continue
        # SQPnP finds the global optimum without a starting guess (iterative PnP can flip a flat hand)
        ok, rvec, tvec = cv2.solvePnP(w, p, matrix, None, flags=cv2.SOLVEPNP_SQPNP)
        if not ok:
            continue
        pts = w @ cv2.Rodrigues(rvec)[0].T + tvec.reshape(1, 3)
        if (pts[:, 2] > 0).all():
            out[i] = pts
    return out
