"""Dynamic gestures from hand trajectories: swipes, circles, waves, push / pull, and two-hand zoom and rotate.

Distances are in hand sizes and speeds in hand sizes per second, so the same parameters work for near and far
hands; towards and away from the camera, in how many times nearer or farther the hand gets. Directions are as seen
in the image (x right, y down): with a mirrored selfie view that is also the user's own left and right. Every
detector needs both a minimum distance and a minimum speed (a push: its ratio within a short window), so slow
drift and jitter never fire. A swipe, push, pull, zoom or rotate is reported once per stroke, and the opposite one
that follows at once (the hands going back to where they were) not at all.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from ..errors import HandposeError


def _param(default: float, what: str) -> Any:
    return field(default=default, metadata={"help": what})


@dataclass
class DynamicParams:
    """What makes each motion, by name (``handpose gestures list`` prints them; ``--tune NAME=VALUE`` sets them)."""

    swipe_window_ms: float = _param(700.0, "ms of the palm's path a swipe is looked for in")
    swipe_min_distance: float = _param(1.5, "hand sizes the palm travels in a swipe")
    swipe_min_speed: float = _param(2.5, "hand sizes a second it travels at, at least")
    swipe_min_straightness: float = _param(0.8, "its net travel over its path's length (1: dead straight)")
    swipe_max_off_axis_deg: float = _param(35.0, "degrees it may stray from left, right, up or down")
    circle_window_ms: float = _param(2500.0, "ms of the index fingertip's path a circle is looked for in")
    circle_min_turn_deg: float = _param(320.0, "degrees its heading turns through")
    circle_min_radius: float = _param(0.35, "hand sizes the circle's radius spans, at least")
    circle_min_speed: float = _param(1.0, "hand sizes a second the fingertip moves at, at least")
    wave_window_ms: float = _param(2000.0, "ms a wave's strokes happen within")
    wave_min_strokes: int = _param(4, "side-to-side strokes of the index fingertip (a whole number)")
    wave_min_amplitude: float = _param(0.4, "hand sizes each stroke spans")
    wave_max_vertical: float = _param(0.7, "up-and-down travel over side-to-side travel (a circle: 1)")
    wave_max_curl: float = _param(0.5, "how far the fingertip may near or leave the palm, in strokes (a grab: ~1)")
    zoom_window_ms: float = _param(1000.0, "ms a two-hand zoom or rotate happens within")
    zoom_min_ratio: float = _param(1.5, "times the hands' distance grows (zoom_in) or shrinks (zoom_out)")
    zoom_min_move: float = _param(0.4, "hand sizes each hand moves in a zoom or rotate")
    zoom_min_own_move: float = _param(0.2, "hand sizes each moves its own way: apart or together (zoom), across "
                                           "the line between the hands (rotate)")
    rotate_min_deg: float = _param(60.0, "degrees the line between the hands turns (a steering wheel)")
    push_window_ms: float = _param(400.0, "ms a push or pull happens within")
    push_min_ratio: float = _param(1.3, "times nearer (push) or farther (pull) the hand gets")
    push_max_sideways: float = _param(1.0, "hand sizes the palm may move across the image meanwhile")
    cooldown_ms: float = _param(500.0, "ms a hand rests after a motion before the next one is looked for")
    return_ms: float = _param(600.0, "ms after a stroke in which the opposite motion is the way back, not "
                                     "reported (0: it is)")

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            ok, need = _RULES.get(f.name, (lambda x: x > 0, "> 0"))
            if not ok(v):
                raise HandposeError(f"DynamicParams.{f.name} must be {need}, got {v}")


_RULES = {"cooldown_ms": (lambda x: x >= 0, ">= 0"), "return_ms": (lambda x: x >= 0, ">= 0"),
          "zoom_min_ratio": (lambda x: x > 1, "> 1"),
          "push_min_ratio": (lambda x: x > 1, "> 1"),
          "wave_min_strokes": (lambda x: isinstance(x, (int, np.integer)) and not isinstance(x, bool) and x >= 2,
                               "a whole number >= 2"),
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


class _Stroke:
    """A hand's (or two hands') motion in progress, and the way back from the last one. A motion is one stroke,
    reported once however long it goes on; the opposite motion beginning soon after the stroke ended is the hand
    going back to where it was, not another gesture."""

    def __init__(self) -> None:
        self.label: str | None = None  # the motion whose stroke is going on (reported, or a way back)
        self.reported = False
        self.since = -1e18  # motions are looked for in the frames from here on: when the last stroke ended
        self.back: tuple[str, float] | None = None  # the way back from the last motion, and until when it may begin

    def begin(self, label: str, began: Callable[[], float]) -> bool:
        """A motion ``label`` found: its stroke begins. Whether to report it: not when it is the way back from the
        last one, that is when it ``began()`` (measured from the last stroke's end) soon enough after it."""
        back = self.back is not None and self.back[0] == label and began() <= self.back[1]
        self.start(label, reported=not back)
        return not back

    def start(self, label: str, reported: bool) -> None:
        """The stroke of a motion ``label`` begins (if ``reported``, the way back from it will not be)."""
        self.label, self.reported, self.back = label, reported, None

    def follow(self, rate: float, slowest: float, now: float, return_ms: float) -> bool:
        """The stroke goes on at ``rate`` (the motion's own units a second): under ``slowest`` it has ended (True)."""
        if self.label is None or rate >= slowest:
            return False
        if self.reported:
            self.back = (RETURNS[self.label], now + return_ms)
        self.label, self.since = None, now
        return True


class _Trail:
    """A hand's recent frames, oldest first, as rows of one array: time, palm centre (x, y), index tip (x, y), hand
    size and pixels per metre (NaN without world landmarks). An array rather than deques of points: the detectors
    read windows of it every frame."""

    PALM, TIP, BOTH = slice(1, 3), slice(3, 5), slice(1, 5)
    MIN_STEP_MS = 20.0

    def __init__(self, capacity: int = 1024):  # the longest window (2.5 s) at 400 fps
        self.rows = np.empty((capacity, 7))
        self.n = 0
        self.cooldown_until = -1e18
        self.stroke = _Stroke()  # of a swipe, push or pull
        self.last_seen = -math.inf

    def add(self, t: float, keypoints: np.ndarray, world: np.ndarray | None, horizon_ms: float) -> None:
        """Append a frame's hand and forget what is older than ``horizon_ms`` (no detector looks further back)."""
        if self.n == len(self.rows):
            self._drop(1)
        palm_x, palm_y = palm_centre(keypoints)
        scale = pixels_per_metre(keypoints, world) if world is not None else math.nan
        self.rows[self.n] = (t, palm_x, palm_y, keypoints[8, 0], keypoints[8, 1], max(hand_size(keypoints), 1.0),
                             scale)
        self.n += 1
        self.last_seen = t
        old = int(np.searchsorted(self.rows[:self.n, 0], t - horizon_ms))
        if old:
            self._drop(old)

    def _drop(self, count: int) -> None:
        self.rows[:self.n - count] = self.rows[count:self.n].copy()
        self.n -= count

    def since_stroke(self, points: slice) -> tuple[np.ndarray, np.ndarray, float]:
        """Like :meth:`recent`, every frame since the last stroke ended (all frames kept)."""
        rows = self.rows[int(np.searchsorted(self.rows[:self.n, 0], self.stroke.since)):self.n]
        return rows[:, points], rows[:, 0], _median(rows[:, 5])

    def rest(self, until: float) -> None:
        """Forget the motion so far (it has been reported) and stay quiet until ``until``."""
        self.n = 0
        self.cooldown_until = until

    def recent(self, now: float, ms: float, points: slice) -> tuple[np.ndarray, np.ndarray, float]:
        """The last ``ms`` of a point trail (``PALM`` or ``TIP``): positions, times and the median hand size over
        that window."""
        rows = self.rows[:self.n]
        window = rows[int(np.searchsorted(rows[:, 0], now - ms)):]
        t = window[:, 0]
        if len(t) > 2 and 0 < t[-1] - t[0] < (len(t) - 1) * self.MIN_STEP_MS:
            # a fast camera: one frame per MIN_STEP_MS, so steps stay long enough to give the hand's heading
            # (at 240 fps a brisk circle moves 3 px a frame, less than the jitter allowance); at 50 fps and
            # below every frame is kept
            keep = np.unique(np.searchsorted(t, np.arange(t[0], t[-1], self.MIN_STEP_MS)))
            window = window[np.append(keep, len(t) - 1) if keep[-1] != len(t) - 1 else keep]
        return window[:, points], window[:, 0], _median(window[:, 5]) if len(window) else 1.0


def _onset(pts: np.ndarray, t: np.ndarray, size: float, away: float = 0.1) -> float:
    """When a motion began within its window: the last time the point was still within ``away`` hand sizes of
    where the window starts. A hand held still before a swipe is not part of it (its event would start up to the
    whole window early)."""
    left = np.flatnonzero(np.hypot(*(pts - pts[0]).T) > away * size)
    return float(t[max(int(left[0]) - 1, 0)]) if len(left) else float(t[0])


def _axis(dx: float, dy: float) -> str:
    """The swipe whose direction is nearest to a move by (dx, dy) in the image."""
    return max(SWIPE_DIRECTIONS, key=lambda k: dx * SWIPE_DIRECTIONS[k][0] + dy * SWIPE_DIRECTIONS[k][1])


def _own_way(c0: np.ndarray, c1: np.ndarray, size: float, label: str) -> float:
    """How far the hand that did less of a two-hand motion moved its own way, in hand sizes: apart (``zoom_in``) or
    together (``zoom_out``) along the line between the hands where they started, or across that line the way it
    turns (``rotate_*``). A hand drifting while the other swipes moves across the line or the other way, if at all."""
    u = (c0[1] - c0[0]) / max(float(np.linalg.norm(c0[1] - c0[0])), 1e-6)
    if label.startswith("rotate"):
        u = np.array([-u[1], u[0]])  # a clockwise turn (y down) moves the second hand along it, the first against
    sign = 1.0 if label in ("zoom_in", "rotate_cw") else -1.0
    moves = (c1 - c0) @ u / max(size, 1.0)
    return min(-sign * float(moves[0]), sign * float(moves[1]))


def _median(values: np.ndarray) -> float:
    """np.median of a short array without its generic machinery (a tenth of the time)."""
    v = np.sort(values)
    half = len(v) // 2
    return float(v[half]) if len(v) % 2 else float(v[half - 1] + v[half]) / 2


def turning_points(x: np.ndarray, amplitude: float) -> list[int]:
    """The strokes of a back-and-forth path ``x`` (1D), as indices: where the first stroke begins, every turn
    after which the path goes back by at least ``amplitude`` (smaller wiggles are part of a stroke), and the
    farthest point of the last stroke; so ``len - 1`` strokes, each spanning ``amplitude`` or more. ``[]`` when the
    path never moved that far."""
    points: list[int] = []
    low = high = 0
    rising = 0  # 1 up, -1 down, 0 not yet moved by ``amplitude``
    xs = x.tolist()  # a few dozen points: plain floats are quicker than indexing the array
    for i, v in enumerate(xs):
        if rising >= 0 and v > xs[high]:
            high = i
        if rising <= 0 and v < xs[low]:
            low = i
        if rising <= 0 and v - xs[low] >= amplitude:
            points.append(low)
            rising, high = 1, i
        elif rising >= 0 and xs[high] - v >= amplitude:
            points.append(high)
            rising, low = -1, i
    if points:
        points.append(high if rising == 1 else low)
    return points


def strides(pts: np.ndarray, step: float) -> np.ndarray:
    """A path (N, 2) taken in strides of at least ``step``: each point at least that far from the last one taken.
    The strides (K, 2) keep the path's direction and turns, but not jitter smaller than ``step``, which turns single
    frame-to-frame steps every way."""
    xy = pts.tolist()  # a few dozen points: plain floats are quicker than indexing the array
    taken = [xy[0]]
    for x, y in xy[1:]:
        if math.hypot(x - taken[-1][0], y - taken[-1][1]) >= step:
            taken.append([x, y])
    return np.diff(np.array(taken), axis=0)


# Plain float arithmetic: for one hand's few points, several times cheaper than numpy calls (every frame, every hand).
def hand_size(keypoints: np.ndarray) -> float:
    """Palm length (wrist to middle-finger base) plus knuckle width (index to pinky base): stable while the
    fingers move."""
    k = keypoints
    return math.hypot(k[9, 0] - k[0, 0], k[9, 1] - k[0, 1]) + math.hypot(k[5, 0] - k[17, 0], k[5, 1] - k[17, 1])


def palm_centre(keypoints: np.ndarray) -> tuple[float, float]:
    """Mean of the wrist and the four finger bases (x, y)."""
    k = keypoints
    return ((k[0, 0] + k[5, 0] + k[9, 0] + k[13, 0] + k[17, 0]) / 5,
            (k[0, 1] + k[5, 1] + k[9, 1] + k[13, 1] + k[17, 1]) / 5)


def pixels_per_metre(keypoints: np.ndarray, world: np.ndarray) -> float:
    """How many image pixels a metre spans at the hand (the focal length over the hand's distance): the spread of
    its keypoints in x, y over that of its world landmarks. The world landmarks are turned as the hand is seen, so
    turning the hand foreshortens both alike and the ratio follows only the distance (on the shared clip it gives
    the distance Perspective-n-Point gives to 1-3 %). NaN when the world landmarks are missing (all zero)."""
    k, w = _CENTRE @ keypoints[:, :2], _CENTRE @ world[:, :2]  # each minus its mean
    spread = float(np.vdot(w, w))
    return math.sqrt(float(np.vdot(k, k)) / spread) if spread > 1e-8 else math.nan


_CENTRE = (np.eye(21) - 1 / 21).astype(np.float32)


CIRCLE_STRIDE = 0.15  # hand sizes: the strides a circle's turn is measured over (see strides)
# a stride turned round by more than this is the path going back on itself, not part of a circle (whose strides turn
# by about CIRCLE_STRIDE / radius radians: 25 degrees at the smallest radius)
CIRCLE_MAX_STRIDE_TURN = np.radians(120.0)


SWIPE_DIRECTIONS = {"swipe_right": (1.0, 0.0), "swipe_down": (0.0, 1.0), "swipe_left": (-1.0, 0.0),
                    "swipe_up": (0.0, -1.0)}  # in the image: y points down
RETURNS = {a: b for pair in (("swipe_right", "swipe_left"), ("swipe_up", "swipe_down"), ("push", "pull"),
                             ("zoom_in", "zoom_out"), ("rotate_cw", "rotate_ccw")) for a, b in (pair, pair[::-1])}
# a motion's stroke ends when, over the last STROKE_END_MS, it goes on at under STROKE_END_SPEED times the least
# speed it is found at (a swipe: 1 hand size a second)
STROKE_END_SPEED = 0.4
STROKE_END_MS = 100.0
# a hand missing for up to this long (a detection missed while it moved fast) keeps its trail, and two hands their
# history, should the tracker give it back its id (as it does, at the same place, for as long by default)
LOST_HAND_MS = 500.0


# The motions and what each means (``handpose gestures list`` prints them).
MOTIONS = {
    "swipe_left": "the palm moves left, fast and straight", "swipe_right": "the palm moves right",
    "swipe_up": "the palm moves up", "swipe_down": "the palm moves down",
    "circle_cw": "the index fingertip draws a circle, clockwise on screen", "circle_ccw": "... anticlockwise",
    "wave": "the hand waves side to side (4 strokes of the fingertips)",
    "push": "the hand moves towards the camera, fast", "pull": "... away from the camera",
    "zoom_in": "two hands move apart", "zoom_out": "two hands move together",
    "rotate_cw": "two hands turn like a steering wheel, clockwise on screen", "rotate_ccw": "... anticlockwise",
}


class DynamicDetector:
    """Feed it each frame's tracked hands; it returns the motions completed on that frame."""

    labels = tuple(MOTIONS)

    def __init__(self, params: DynamicParams | None = None):
        self.params = params or DynamicParams()
        self.trails: dict[int, _Trail] = {}
        self._pair: deque = deque(maxlen=1024)  # (t, ids, distance, centres, size): 1 s up to 1000 fps
        self._pair_cooldown = -1e18
        self._pair_stroke = _Stroke()  # of a zoom or rotate
        self._last_t = -math.inf

    def reset(self) -> None:
        """Forget every hand (``update`` does it when the time goes back: a video started again)."""
        self.trails.clear()
        self._pair.clear()
        self._pair_stroke = _Stroke()
        self._pair_cooldown = -1e18
        self._last_t = -math.inf

    def update(self, track_ids: list[int], keypoints: np.ndarray, t_ms: float, world: np.ndarray | None = None
               ) -> list[Motion]:
        """The motions completed at ``t_ms`` by hands (keypoints (n, 21, 2+) in pixels); push and pull also need
        the hands' world landmarks (n, 21, 3)."""
        if t_ms < self._last_t:
            self.reset()
        self._last_t = t_ms
        out: list[Motion] = []
        p = self.params
        horizon = max(p.swipe_window_ms, p.circle_window_ms, p.wave_window_ms, p.push_window_ms)
        for tid in [tid for tid, trail in self.trails.items() if t_ms - trail.last_seen > LOST_HAND_MS]:
            del self.trails[tid]
        for i, (tid, kp) in enumerate(zip(track_ids, keypoints, strict=True)):
            trail = self.trails.setdefault(tid, _Trail())
            trail.add(t_ms, kp, None if world is None else world[i], horizon)
            if trail.stroke.label is not None:
                self._follow_stroke(trail, trail.stroke.label, t_ms)
            if t_ms < trail.cooldown_until:
                continue
            motion = (self._swipe(tid, trail, t_ms) or self._circle(tid, trail, t_ms) or self._wave(tid, trail, t_ms)
                      or self._push(tid, trail, t_ms))
            if motion:
                out.append(motion)
                trail.rest(t_ms + self.params.cooldown_ms)
        both, strokes = self._two_hands(track_ids, keypoints, t_ms)
        if strokes:
            # the two hands' motion was one gesture (zoom, rotate; or the way back from one): not two swipes too,
            # now or as each hand goes on, and each hand going back afterwards is the way back from it
            out = [m for m in out if not set(m.track_ids) & set(strokes)]
            for tid, label in strokes.items():
                if both:
                    self.trails[tid].rest(t_ms + self.params.cooldown_ms)
                self.trails[tid].stroke.start(label, reported=both is not None)
        if both:
            out.append(both)
        return out

    def _follow_stroke(self, tr: _Trail, label: str, now: float) -> None:
        """End a swipe's, push's or pull's stroke once the hand has slowed down along it, or turned back. Until then
        no other one is looked for: the rest of a long stroke is the same motion."""
        rows = tr.rows[:tr.n]
        if len(rows) < 2:
            return
        first = rows[min(max(int(np.searchsorted(rows[:, 0], now - STROKE_END_MS, "right")) - 1, 0), len(rows) - 2)]
        last = rows[-1]
        dt = (last[0] - first[0]) / 1000.0
        if dt <= 0:
            return
        p = self.params
        if label in SWIPE_DIRECTIONS:  # hand sizes a second, along the swipe
            ax, ay = SWIPE_DIRECTIONS[label]
            rate = ((last[1] - first[1]) * ax + (last[2] - first[2]) * ay) / last[5] / dt
            slowest = p.swipe_min_speed
        else:  # how fast the hand nears (push) or leaves (pull) the camera, as a log of its distance a second
            rate = math.log(last[6] / first[6]) / dt * (1 if label == "push" else -1) if first[6] > 0 else 0.0
            slowest = math.log(p.push_min_ratio) / (p.push_window_ms / 1000.0)
        tr.stroke.follow(rate, STROKE_END_SPEED * slowest, now, p.return_ms)

    def _swipe(self, tid: int, tr: _Trail, now: float) -> Motion | None:
        p = self.params
        if tr.stroke.label is not None:
            return None
        pts, t, size = tr.recent(now, min(p.swipe_window_ms, now - tr.stroke.since), _Trail.PALM)
        if len(pts) < 3:
            return None
        d = pts[-1] - pts[0]
        dist = math.hypot(d[0], d[1]) / size
        duration = max((t[-1] - t[0]) / 1000.0, 1e-3)
        if dist < p.swipe_min_distance or dist / duration < p.swipe_min_speed:
            return None
        path = float(np.sqrt((np.diff(pts, axis=0) ** 2).sum(1)).sum()) / size
        if dist / max(path, 1e-9) < p.swipe_min_straightness:
            return None
        angle = np.degrees(np.arctan2(d[1], d[0]))  # image: y down
        for label, (ax, ay) in SWIPE_DIRECTIONS.items():
            off = abs((angle - math.degrees(math.atan2(ay, ax)) + 180) % 360 - 180)
            if off <= p.swipe_max_off_axis_deg:
                if not tr.stroke.begin(label, lambda: _onset(*tr.since_stroke(_Trail.PALM))):
                    return None
                score = float(min(1.0, dist / (2 * p.swipe_min_distance)) * (1 - off / 90))
                return Motion(label, score, _onset(pts, t, size), float(t[-1]), (tid,))
        return None

    def _circle(self, tid: int, tr: _Trail, now: float) -> Motion | None:
        p = self.params
        pts, t, size = tr.recent(now, p.circle_window_ms, _Trail.TIP)
        if len(pts) < 8:
            return None
        radius = float((pts.max(0) - pts.min(0)).mean()) / 2 / size
        if radius < p.circle_min_radius:  # most frames end here: the cheapest test first
            return None
        steps = np.diff(pts, axis=0)
        speed = float(np.sqrt((steps * steps).sum(1)).sum()) / size / max((t[-1] - t[0]) / 1000.0, 1e-3)
        legs = strides(pts, CIRCLE_STRIDE * size)
        if len(legs) < 6 or speed < p.circle_min_speed:
            return None
        heading = np.arctan2(legs[:, 1], legs[:, 0])
        bend = (np.diff(heading) + np.pi) % (2 * np.pi) - np.pi
        # where the path turns back on itself, the ~180 degrees would count with either sign (a waving hand's to
        # and fro would add up to circles): such strides are left out
        turn = float(np.degrees(bend[np.abs(bend) <= CIRCLE_MAX_STRIDE_TURN].sum()))
        if abs(turn) < p.circle_min_turn_deg:
            return None
        # y points down in images: an increasing heading turns clockwise on screen
        label = "circle_cw" if turn > 0 else "circle_ccw"
        return Motion(label, float(min(1.0, abs(turn) / 360.0)), _onset(pts, t, size), float(t[-1]), (tid,))

    def _wave(self, tid: int, tr: _Trail, now: float) -> Motion | None:
        p = self.params
        both, t, size = tr.recent(now, p.wave_window_ms, _Trail.BOTH)
        if len(t) < 2 * p.wave_min_strokes:
            return None
        pts = both[:, 2:]  # the index fingertip
        x = pts[:, 0] / size
        if float(x.max() - x.min()) < p.wave_min_amplitude:  # most frames end here
            return None
        turns = turning_points(x, p.wave_min_amplitude)[-1 - p.wave_min_strokes:]
        if len(turns) <= p.wave_min_strokes:
            return None
        travel = np.abs(np.diff(pts[turns[0]:] / size, axis=0)).sum(0)  # across, up and down
        if travel[1] > p.wave_max_vertical * travel[0]:  # a circle or a zigzag downwards, not a wave
            return None
        stroke = _median(np.abs(np.diff(x[turns])))
        reach = np.hypot(*(pts[turns[0]:] - both[turns[0]:, :2]).T) / size  # fingertip to palm centre
        if float(reach.max() - reach.min()) > p.wave_max_curl * stroke:
            return None  # the fingers curl and open (a grab, a beckon) rather than the hand sweeping them
        score = float(min(1.0, stroke / (2 * p.wave_min_amplitude)))
        return Motion("wave", score, _onset(pts[turns[0]:], t[turns[0]:], size), float(t[-1]), (tid,))

    def _push(self, tid: int, tr: _Trail, now: float) -> Motion | None:
        p = self.params
        if tr.stroke.label is not None:
            return None
        rows = tr.rows[:tr.n]
        start = int(np.searchsorted(rows[:, 0], max(now - p.push_window_ms, tr.stroke.since)))
        if tr.n - start < 3:
            return None
        first, last = rows[start], rows[-1]
        if not (first[6] > 0 and last[6] > 0):  # NaN without world landmarks
            return None
        nearer = math.log(last[6] / first[6])
        # the world landmarks alone wobble while a hand turns over, the image size alone changes as it turns:
        # both must say the hand came nearer (or went away) by the ratio
        grown = math.log(last[5] / first[5])
        amount = min(nearer, grown) if nearer > 0 else min(-nearer, -grown)
        if amount < math.log(p.push_min_ratio):  # most frames end here
            return None
        if math.hypot(last[1] - first[1], last[2] - first[2]) / _median(rows[start:, 5]) > p.push_max_sideways:
            return None
        score = float(min(1.0, amount / (2 * math.log(p.push_min_ratio))))
        # began when its size in the image or its distance had changed by 5 % (a log step of 0.05)
        began = _onset(np.log(rows[start:, 5:7]), rows[start:, 0], 1.0, away=0.05)
        label = "push" if nearer > 0 else "pull"

        def left_rest() -> float:  # after the last stroke ended
            sizes, t, _ = tr.since_stroke(slice(5, 7))
            return _onset(np.log(sizes), t, 1.0, away=0.05)

        return Motion(label, score, began, float(last[0]), (tid,)) if tr.stroke.begin(label, left_rest) else None

    def _two_hands(self, track_ids: list[int], keypoints: np.ndarray, now: float
                   ) -> tuple[Motion | None, dict[int, str]]:
        """Zoom (the hands move apart / together) or rotate (the line between them turns), within one window; and
        when one (or the way back from one) is found, which way each hand moved, as a swipe's label."""
        p = self.params
        none: tuple[None, dict[int, str]] = (None, {})
        if len(track_ids) < 2:
            if self._pair and now - self._pair[-1][0] > LOST_HAND_MS:
                self._pair.clear()
                self._pair_stroke = _Stroke()
            return none
        order = np.argsort(track_ids)[:2]
        ids = tuple(int(track_ids[i]) for i in order)
        centres = np.array([palm_centre(keypoints[i]) for i in order])
        size = sum(hand_size(keypoints[i]) for i in order) / 2
        if self._pair and self._pair[-1][1] != ids:
            self._pair.clear()
            self._pair_stroke = _Stroke()
        self._pair.append((now, ids, float(np.linalg.norm(centres[1] - centres[0])), centres, size))
        stroke = self._pair_stroke
        if stroke.label is not None and self._follow_pair(stroke.label, now):
            while len(self._pair) > 1:  # what went before the stroke's end is not looked at again
                self._pair.popleft()
        if now < self._pair_cooldown or stroke.label is not None:
            return none
        while self._pair and now - self._pair[0][0] > p.zoom_window_ms:
            self._pair.popleft()
        _, _, d0, c0, s0 = self._pair[0]
        _, _, d1, c1, s1 = self._pair[-1]
        ratio = d1 / max(d0, 1e-6)
        moved = np.linalg.norm(c1 - c0, axis=1) / max((s0 + s1) / 2, 1.0)
        if moved.min() < p.zoom_min_move:
            return none
        if ratio >= p.zoom_min_ratio or ratio <= 1 / p.zoom_min_ratio:
            label = "zoom_in" if ratio > 1 else "zoom_out"
            score = float(min(1.0, abs(np.log(ratio)) / (2 * np.log(p.zoom_min_ratio))))
        else:
            # the turn of the line between the hands, frame by frame (it may pass through +-180 degrees)
            lines = np.array([c[1] - c[0] for _, _, _, c, _ in self._pair])
            angles = np.unwrap(np.arctan2(lines[:, 1], lines[:, 0]))
            turn = float(np.degrees(angles[-1] - angles[0]))
            if abs(turn) < p.rotate_min_deg:
                return none
            label = "rotate_cw" if turn > 0 else "rotate_ccw"  # y points down: a growing angle turns clockwise
            score = float(min(1.0, abs(turn) / (2 * p.rotate_min_deg)))
        if _own_way(c0, c1, (s0 + s1) / 2, label) < p.zoom_min_own_move:
            return none
        # began when either hand left its rest: the pair's centres side by side, measured against the hands' size
        centres = np.array([c.ravel() for _, _, _, c, _ in self._pair])
        times = np.array([t for t, *_ in self._pair])
        # (the pair's frames go back to the last stroke's end at most, so this also says when a way back began)
        began = min(_onset(centres[:, 2 * k : 2 * k + 2], times, (s0 + s1) / 2) for k in range(2))
        ways = {tid: _axis(*(c1[k] - c0[k])) for k, tid in enumerate(ids)}
        if not stroke.begin(label, lambda: began):
            return None, ways
        self._pair.clear()
        self._pair_cooldown = now + p.cooldown_ms
        return Motion(label, score, began, now, ids), ways

    def _follow_pair(self, label: str, now: float) -> bool:
        """Whether the two hands' zoom or rotate has ended (as :meth:`_follow_stroke` for one hand)."""
        last = self._pair[-1]
        first = next((e for e in reversed(self._pair) if e[0] <= now - STROKE_END_MS), self._pair[0])
        dt = (last[0] - first[0]) / 1000.0
        if dt <= 0:
            return False
        p = self.params
        sign = 1 if label in ("zoom_in", "rotate_cw") else -1
        if label.startswith("zoom"):  # the log of the hands' distance, a second
            rate = sign * math.log(max(last[2], 1e-6) / max(first[2], 1e-6)) / dt
            slowest = math.log(p.zoom_min_ratio) / (p.zoom_window_ms / 1000.0)
        else:  # degrees the line between them turns, a second
            (ax, ay), (bx, by) = first[3][1] - first[3][0], last[3][1] - last[3][0]
            rate = sign * math.degrees(math.atan2(ax * by - ay * bx, ax * bx + ay * by)) / dt
            slowest = p.rotate_min_deg / (p.zoom_window_ms / 1000.0)
        return self._pair_stroke.follow(rate, STROKE_END_SPEED * slowest, now, p.return_ms)
