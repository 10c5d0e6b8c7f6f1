"""Dynamic gestures from hand trajectories: swipes, circles, and two-hand zoom.

Distances are in hand sizes and speeds in hand sizes per second, so the same parameters work for near and far
hands. Directions are as seen in the image (x right, y down): with a mirrored selfie view that is also the
user's own left and right. Every detector needs both a minimum distance and a minimum speed, so slow drift and
jitter never fire.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, fields

import numpy as np

from ..errors import HandposeError


@dataclass
class DynamicParams:
    swipe_window_ms: float = 700.0
    swipe_min_distance: float = 1.5  # hand sizes
    swipe_min_speed: float = 2.5  # hand sizes / s
    swipe_min_straightness: float = 0.8  # net displacement / path length
    swipe_max_off_axis_deg: float = 35.0
    circle_window_ms: float = 2500.0
    circle_min_turn_deg: float = 320.0
    circle_min_radius: float = 0.35  # hand sizes
    circle_min_speed: float = 1.0
    zoom_window_ms: float = 1000.0
    zoom_min_ratio: float = 1.5  # distance between the hands grows (or shrinks) by at least this factor
    zoom_min_move: float = 0.4  # each hand moves at least this many hand sizes
    cooldown_ms: float = 500.0

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            ok, need = _RULES.get(f.name, (lambda x: x > 0, "> 0"))
            if not ok(v):
                raise HandposeError(f"DynamicParams.{f.name} must be {need}, got {v}")


_RULES = {"cooldown_ms": (lambda x: x >= 0, ">= 0"), "zoom_min_ratio": (lambda x: x > 1, "> 1"),
          "swipe_min_straightness": (lambda x: 0 < x <= 1, "in (0, 1]"),
          "swipe_max_off_axis_deg": (lambda x: 0 < x <= 90, "in (0, 90]")}


@dataclass
class Motion:
    """A detected dynamic gesture."""

    label: str
    score: float
    start_ms: float
    end_ms: float
    track_ids: tuple[int, ...]


@dataclass
class _Trail:
    t: deque = field(default_factory=lambda: deque(maxlen=256))
    palm: deque = field(default_factory=lambda: deque(maxlen=256))
    tip: deque = field(default_factory=lambda: deque(maxlen=256))
    size: deque = field(default_factory=lambda: deque(maxlen=256))
    cooldown_until: float = -1e18

    def add(self, t: float, keypoints: np.ndarray, horizon_ms: float) -> None:
        """Append a frame's hand and forget what is older than ``horizon_ms`` (no detector looks further back)."""
        self.t.append(t)
        self.palm.append(palm_centre(keypoints))
        self.tip.append(keypoints[8, :2].copy())
        self.size.append(max(hand_size(keypoints), 1.0))
        while self.t[0] < t - horizon_ms:
            for trail in (self.t, self.palm, self.tip, self.size):
                trail.popleft()

    def rest(self, until: float) -> None:
        """Forget the motion so far (it has been reported) and stay quiet until ``until``."""
        self.t.clear()
        self.palm.clear()
        self.tip.clear()
        self.size.clear()
        self.cooldown_until = until

    def recent(self, now: float, ms: float, points: deque) -> tuple[np.ndarray, np.ndarray, float]:
        """The last ``ms`` of a point trail: positions, times and the median hand size over that window."""
        t = np.asarray(self.t)
        start = int(np.searchsorted(t, now - ms))
        sizes = list(self.size)[start:]
        return np.asarray(points)[start:], t[start:], float(np.median(sizes)) if sizes else 1.0


def hand_size(keypoints: np.ndarray) -> float:
    """Palm length (wrist to middle-finger base) plus knuckle width (index to pinky base): stable while the
    fingers move."""
    k = keypoints[:, :2]
    return float(np.linalg.norm(k[9] - k[0]) + np.linalg.norm(k[5] - k[17]))


def palm_centre(keypoints: np.ndarray) -> np.ndarray:
    return keypoints[[0, 5, 9, 13, 17], :2].mean(0)


class DynamicDetector:
    """Feed it each frame's tracked hands; it returns the motions completed on that frame."""

    labels = ("swipe_left", "swipe_right", "swipe_up", "swipe_down", "circle_cw", "circle_ccw", "zoom_in", "zoom_out")

    def __init__(self, params: DynamicParams | None = None):
        self.params = params or DynamicParams()
        self.trails: dict[int, _Trail] = {}
        self._pair: deque = deque(maxlen=256)  # (t, ids, distance, centres)
        self._pair_cooldown = -1e18

    def reset(self) -> None:
        self.trails.clear()
        self._pair.clear()

    def update(self, track_ids: list[int], keypoints: np.ndarray, t_ms: float) -> list[Motion]:
        out: list[Motion] = []
        live = set(track_ids)
        horizon = max(self.params.swipe_window_ms, self.params.circle_window_ms)
        for tid in list(self.trails):
            if tid not in live:
                del self.trails[tid]
        for tid, kp in zip(track_ids, keypoints, strict=True):
            trail = self.trails.setdefault(tid, _Trail())
            trail.add(t_ms, kp, horizon)
            if t_ms < trail.cooldown_until:
                continue
            motion = self._swipe(tid, trail, t_ms) or self._circle(tid, trail, t_ms)
            if motion:
                out.append(motion)
                trail.rest(t_ms + self.params.cooldown_ms)
        zoom = self._zoom(track_ids, keypoints, t_ms)
        if zoom:
            # the two hands' motion was the zoom: it must not also end as two swipes
            out = [m for m in out if not set(m.track_ids) & set(zoom.track_ids)]
            for tid in zoom.track_ids:
                self.trails[tid].rest(t_ms + self.params.cooldown_ms)
            out.append(zoom)
        return out

    def _swipe(self, tid: int, tr: _Trail, now: float) -> Motion | None:
        p = self.params
        pts, t, size = tr.recent(now, p.swipe_window_ms, tr.palm)
        if len(pts) < 3:
            return None
        d = pts[-1] - pts[0]
        dist = float(np.linalg.norm(d)) / size
        duration = max((t[-1] - t[0]) / 1000.0, 1e-3)
        path = float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum()) / size
        if dist < p.swipe_min_distance or dist / duration < p.swipe_min_speed:
            return None
        if dist / max(path, 1e-9) < p.swipe_min_straightness:
            return None
        angle = np.degrees(np.arctan2(d[1], d[0]))  # image: y down
        for label, centre in (("swipe_right", 0.0), ("swipe_down", 90.0), ("swipe_left", 180.0),
                              ("swipe_up", -90.0)):
            off = abs((angle - centre + 180) % 360 - 180)
            if off <= p.swipe_max_off_axis_deg:
                score = float(min(1.0, dist / (2 * p.swipe_min_distance)) * (1 - off / 90))
                return Motion(label, score, float(t[0]), float(t[-1]), (tid,))
        return None

    def _circle(self, tid: int, tr: _Trail, now: float) -> Motion | None:
        p = self.params
        pts, t, size = tr.recent(now, p.circle_window_ms, tr.tip)
        if len(pts) < 8:
            return None
        steps = np.diff(pts, axis=0)
        moving = np.linalg.norm(steps, axis=1) > 0.02 * size
        if moving.sum() < 6:
            return None
        heading = np.arctan2(steps[moving, 1], steps[moving, 0])
        turn = float(np.degrees(((np.diff(heading) + np.pi) % (2 * np.pi) - np.pi).sum()))
        radius = float(np.ptp(pts, axis=0).mean()) / 2 / size
        path = float(np.linalg.norm(steps, axis=1).sum()) / size
        speed = path / max((t[-1] - t[0]) / 1000.0, 1e-3)
        if abs(turn) < p.circle_min_turn_deg or radius < p.circle_min_radius or speed < p.circle_min_speed:
            return None
        # y points down in images: an increasing heading turns clockwise on screen
        label = "circle_cw" if turn > 0 else "circle_ccw"
        return Motion(label, float(min(1.0, abs(turn) / 360.0)), float(t[0]), float(t[-1]), (tid,))

    def _zoom(self, track_ids: list[int], keypoints: np.ndarray, now: float) -> Motion | None:
        p = self.params
        if len(track_ids) < 2:
            self._pair.clear()
            return None
        order = np.argsort(track_ids)[:2]
        ids = tuple(int(track_ids[i]) for i in order)
        centres = np.stack([palm_centre(keypoints[i]) for i in order])
        size = float(np.mean([hand_size(keypoints[i]) for i in order]))
        if self._pair and self._pair[-1][1] != ids:
            self._pair.clear()
        self._pair.append((now, ids, float(np.linalg.norm(centres[1] - centres[0])), centres, size))
        if now < self._pair_cooldown:
            return None
        while self._pair and now - self._pair[0][0] > p.zoom_window_ms:
            self._pair.popleft()
        t0, _, d0, c0, s0 = self._pair[0]
        _, _, d1, c1, s1 = self._pair[-1]
        ratio = d1 / max(d0, 1e-6)
        moved = np.linalg.norm(c1 - c0, axis=1) / max((s0 + s1) / 2, 1.0)
        if moved.min() < p.zoom_min_move:
            return None
        label = "zoom_in" if ratio >= p.zoom_min_ratio else ("zoom_out" if ratio <= 1 / p.zoom_min_ratio else None)
        if label is None:
            return None
        self._pair.clear()
        self._pair_cooldown = now + p.cooldown_ms
        score = float(min(1.0, abs(np.log(ratio)) / (2 * np.log(p.zoom_min_ratio))))
        return Motion(label, score, t0, now, ids)
