"""Trajectory features for dynamic gestures: a fixed-length history of one keypoint, normalized."""

from __future__ import annotations

import numpy as np

from ..errors import HandposeError

TRAJECTORY_VERSION = 1
HISTORY = 16


def resample(points: np.ndarray, n: int = HISTORY) -> np.ndarray:
    """A trajectory (T, 2) resampled to ``n`` points evenly spaced in time (index)."""
    p = np.asarray(points, np.float64)
    if len(p) == n:
        return p
    t = np.linspace(0, len(p) - 1, n)
    return np.stack([np.interp(t, np.arange(len(p)), p[:, i]) for i in range(2)], 1)


def trajectory_features(points: np.ndarray) -> np.ndarray:
    """Features of a trajectory (T >= 3, 2) given relative to its first point and in frame-size units.

    Raw offsets (32), the shape normalized by its extent (32), steps (30), turning angles (14), and the total
    signed turn, path length, net displacement, extent and straightness (6). Absolute scale is kept on purpose:
    a still hand (tiny path) must not look like a small circle.
    """
    p = np.asarray(points, np.float64)
    if p.ndim != 2 or p.shape[1] != 2 or len(p) < 3 or not np.all(np.isfinite(p)):
        raise HandposeError(f"expected a trajectory of shape (T>=3, 2), got {p.shape}")
    p = resample(p - p[0])
    centre = p - p.mean(0)
    extent = float(np.abs(centre).max()) or 1e-6
    steps = np.diff(p, axis=0)
    heading = np.arctan2(steps[:, 1], steps[:, 0])
    turns = (np.diff(heading) + np.pi) % (2 * np.pi) - np.pi
    moving = np.linalg.norm(steps, axis=1)
    turns = turns * (np.minimum(moving[1:], moving[:-1]) > 1e-4)  # no direction while still
    path = float(moving.sum())
    net = float(np.linalg.norm(p[-1] - p[0]))
    span = np.ptp(p, axis=0)
    summary = [turns.sum() / (2 * np.pi), path, net, span[0], span[1], net / max(path, 1e-6)]
    return np.concatenate([p.ravel(), (centre / extent).ravel(), steps.ravel() * 4, turns, summary]).astype(np.float32)


TRAJECTORY_SIZE = 32 + 32 + 30 + 14 + 6
