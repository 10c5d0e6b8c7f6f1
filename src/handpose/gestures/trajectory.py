"""Trajectory features for dynamic gestures: a fixed-length history of one keypoint or several, normalized."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

from ..errors import HandposeError
from ..results import KEYPOINT_NAMES
from .dynamic import LOST_HAND_MS

if TYPE_CHECKING:
    from ..results import Hands
    from .classifier import GestureClassifier

TRAJECTORY_VERSION = 2  # 2: teleporting points are dropped (drop_teleports) before the features are taken
HISTORY = 16
TRAJECTORY_KEYPOINT = 8  # the index fingertip, unless a dataset is recorded with another
TELEPORT = 0.2  # a step longer than this (frame sizes per frame) and than 4 median steps is not a hand moving


def keypoint_index(keypoint: int | str) -> int:
    """0..20 from a keypoint's index or name (``"index_tip"``, ``"wrist"``, ...; see ``handpose.KEYPOINT_NAMES``)."""
    text = str(keypoint).strip()
    if text.isdigit() and 0 <= int(text) < len(KEYPOINT_NAMES):
        return int(text)
    if text in KEYPOINT_NAMES:
        return KEYPOINT_NAMES.index(text)
    raise HandposeError(f"unknown keypoint {keypoint!r}: give 0-20 or one of {', '.join(KEYPOINT_NAMES)}")


def keypoint_indices(keypoints: int | str | Sequence[int | str]) -> tuple[int, ...]:
    """The keypoints a trajectory follows, from one index or name, several joined by ``,`` or ``+``
    (``"thumb_tip,index_tip"``; a dataset's ``keypoint`` column writes ``4+8``), or a sequence of them."""
    if isinstance(keypoints, str):
        parts: Sequence[int | str] = [k for k in keypoints.replace("+", ",").split(",") if k.strip()]
    elif isinstance(keypoints, (int, np.integer)):
        parts = [int(keypoints)]
    else:
        parts = list(keypoints)
    found = tuple(dict.fromkeys(keypoint_index(k) for k in parts))
    if not found:
        raise HandposeError(f"no keypoint given in {keypoints!r}: give 0-20 or names such as index_tip")
    return found


def keypoints_text(keypoints: tuple[int, ...]) -> str:
    """How a dataset's ``keypoint`` column writes them: ``8``, or ``4+8``."""
    return "+".join(str(k) for k in keypoints)


def trajectory_keypoints(model: GestureClassifier | None) -> tuple[int, ...]:
    """The keypoints a trained trajectory model follows (no model, or none recorded: the index fingertip)."""
    if model is None:
        return (TRAJECTORY_KEYPOINT,)
    return keypoint_indices(model.metadata.get("keypoint", TRAJECTORY_KEYPOINT))


class TrajectoryHistory:
    """The last :data:`HISTORY` positions (in frame sizes) of the followed keypoints of every tracked hand.

    Positions are taken about every :attr:`STEP_MS` (30 fps): on a 60 fps camera every 2nd frame, at 120 fps
    every 4th (the stride follows the median of the last frame intervals, so a jittery 30 fps camera keeps every
    frame). A history then spans about half a second on any camera, and a model recorded at 30 fps sees at 60 or
    120 fps the motions it was trained on.
    """

    STEP_MS = 1000 / 30

    def __init__(self, keypoints: int | str | Sequence[int | str] = TRAJECTORY_KEYPOINT):
        self.keypoints = keypoint_indices(keypoints)
        self._rows = list(self.keypoints)
        self.tracks: dict[int, list[np.ndarray]] = {}
        self._since: dict[int, int] = {}  # frames since a track's last kept position
        self._seen: dict[int, float] = {}  # when each track was last seen
        self._intervals: deque[float] = deque(maxlen=15)
        self._prev_ms: float | None = None

    def update(self, hands: Hands) -> list[int]:
        """Add a frame's hands; tracks gone for longer than :data:`LOST_HAND_MS` are forgotten (one missed for a frame
        or two goes on where it was, should the tracker give it back its id). Returns the tracks that took a position
        (on a fast camera, the others' histories are as they were)."""
        size = np.array([max(hands.width, 1), max(hands.height, 1)], np.float32)
        t = hands.timestamp_ms
        if self._prev_ms is not None and t > self._prev_ms:
            self._intervals.append(t - self._prev_ms)
        self._prev_ms = t
        stride = 1
        if self._intervals:
            stride = max(1, round(self.STEP_MS / sorted(self._intervals)[len(self._intervals) // 2]))
        ids = hands.track_ids.tolist()
        for tid in ids:
            self._seen[tid] = t
        for tid in [i for i, seen in self._seen.items() if not 0 <= t - seen <= LOST_HAND_MS]:
            self.tracks.pop(tid, None)
            self._since.pop(tid, None)
            del self._seen[tid]
        moved = []
        for tid, kp in zip(ids, hands.keypoints, strict=True):
            since = self._since.get(tid, stride)
            if since < stride:
                self._since[tid] = since + 1
                continue
            hist = self.tracks.setdefault(tid, [])
            hist.append(kp[self._rows, :2] / size)
            del hist[:-HISTORY]
            self._since[tid] = 1
            moved.append(tid)
        return moved

    def get(self, track_id: int) -> np.ndarray | None:
        """The track's trajectory once it is :data:`HISTORY` long: (HISTORY, 2) relative to its first point; with
        K keypoints (K * HISTORY, 2), one keypoint's after the other's, all relative to the first keypoint's first
        position (so how far apart they are is kept)."""
        hist = self.tracks.get(int(track_id), [])
        if len(hist) < HISTORY:
            return None
        pts = np.asarray(hist)  # (HISTORY, K, 2)
        return (pts - pts[0, 0]).transpose(1, 0, 2).reshape(-1, 2)

    def clear(self) -> None:
        self.tracks.clear()
        self._since.clear()
        self._seen.clear()
        self._intervals.clear()
        self._prev_ms = None


def resample(points: np.ndarray, n: int = HISTORY) -> np.ndarray:
    """A trajectory (T, 2) resampled to ``n`` points evenly spaced in time (index)."""
    p = np.asarray(points, np.float64)
    if len(p) == n:
        return p
    t = np.linspace(0, len(p) - 1, n)
    return np.stack([np.interp(t, np.arange(len(p)), p[:, i]) for i in range(2)], 1)


def drop_teleports(points: np.ndarray, jump: float = TELEPORT, relative: float = 4.0) -> np.ndarray:
    """A trajectory (T, 2) without the points it could not have reached, re-interpolated in time.

    Recorders log a lost hand as a fixed point (the common point-history CSVs write (0, 0), which shows as a
    jump to minus the first point), and a tracker can glitch for a frame. Kept is the longest chain of points
    in which each is within ``max(jump, relative * median step) * frames apart`` of the one before; the
    others are interpolated from their kept neighbours (held at the ends), and the result starts at (0, 0) again
    if the input did. A fast but steady motion is left alone: its median step raises the limit with it.
    """
    p = np.asarray(points, np.float64)
    steps = np.linalg.norm(np.diff(p, axis=0), axis=1)
    if len(steps) == 0 or steps.max() <= jump:
        return p
    limit = max(jump, relative * float(np.median(steps)))
    if steps.max() <= limit:
        return p
    n = len(p)
    frames = np.arange(n)
    reach = np.linalg.norm(p[:, None] - p[None], axis=2) <= limit * np.abs(frames[:, None] - frames[None])
    length, before = np.ones(n, int), np.full(n, -1)
    for i in range(1, n):  # longest chain ending at i (n is 16: a loop over rows, not over pixels)
        candidates = np.where(reach[i, :i], length[:i], 0)
        j = int(candidates.argmax())
        if candidates[j]:
            length[i], before[i] = candidates[j] + 1, j
    kept = [int(length.argmax())]
    while before[kept[-1]] >= 0:
        kept.append(int(before[kept[-1]]))
    kept.reverse()
    q = np.stack([np.interp(frames, kept, p[kept, k]) for k in range(p.shape[1])], 1)
    return q - q[0] if np.allclose(p[0], 0) else q


def trajectory_features(points: np.ndarray) -> np.ndarray:
    """Features of a trajectory (T >= 3, 2) given relative to its first point and in frame-size units.

    Raw offsets (32), the shape normalized by its extent (32), steps (30), turning angles (14), and the total
    signed turn, path length, net displacement, extent and straightness (6). Absolute scale is kept on purpose:
    a still hand (tiny path) must not look like a small circle. Points the hand cannot have reached are
    dropped first (:func:`drop_teleports`).
    """
    p = np.asarray(points, np.float64)
    if p.ndim != 2 or p.shape[1] != 2 or len(p) < 3 or not np.all(np.isfinite(p)):
        raise HandposeError(f"expected a trajectory of shape (T>=3, 2), got {p.shape}")
    p = resample(drop_teleports(p - p[0]))
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


def trajectory_row_features(points: np.ndarray, keypoints: int = 1) -> np.ndarray:
    """Features of a trajectory row that follows ``keypoints`` keypoints, their (T, 2) trajectories one after the
    other (as :meth:`TrajectoryHistory.get` and a dataset's rows hold them): each one's :func:`trajectory_features`,
    then for each pair of keypoints how their separation changes (:func:`separation_features`: a pinch closing, a
    hand opening). One keypoint's row gives the same features as :func:`trajectory_features`."""
    p = np.asarray(points, np.float64)
    if p.ndim != 2 or keypoints < 1 or len(p) % keypoints:
        raise HandposeError(f"a trajectory row of {keypoints} keypoints needs (T * {keypoints}, 2) points, got "
                            f"{p.shape}")
    if keypoints == 1:
        return trajectory_features(p)
    parts = np.split(p, keypoints)
    own = [trajectory_features(part) for part in parts]
    pairs = [separation_features(parts[j] - parts[i]) for i, j in combinations(range(keypoints), 2)]
    return np.concatenate(own + pairs).astype(np.float32)


def separation_features(separation: np.ndarray) -> np.ndarray:
    """How the offset (T, 2) from one keypoint to another changes: its length over time relative to its longest
    (16), the log of its last length over its first, and how far it turned (in turns). All free of the hand's
    distance from the camera."""
    s = resample(drop_teleports(np.asarray(separation, np.float64)))
    d = np.linalg.norm(s, axis=1)
    floor = 1e-4  # a tenth of a pixel at 1000 px: keypoints that meet
    change = np.log(max(d[-1], floor) / max(d[0], floor))
    angle = np.arctan2(s[:, 1], s[:, 0])
    turns = (np.diff(angle) + np.pi) % (2 * np.pi) - np.pi
    turned = float((turns * (np.minimum(d[1:], d[:-1]) > 1e-3)).sum() / (2 * np.pi))  # no direction when they meet
    return np.concatenate([d / max(float(d.max()), floor), [np.clip(change, -5, 5), turned]]).astype(np.float32)
