"""Typed results: arrays for all hands of a frame, plus metadata; sliceable, iterable, ``to_dict()``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any, overload

import numpy as np

KEYPOINT_NAMES = (
    "wrist",
    "thumb_cmc", "thumb_mcp", "thumb_ip", "thumb_tip",
    "index_mcp", "index_pip", "index_dip", "index_tip",
    "middle_mcp", "middle_pip", "middle_dip", "middle_tip",
    "ring_mcp", "ring_pip", "ring_dip", "ring_tip",
    "pinky_mcp", "pinky_pip", "pinky_dip", "pinky_tip",
)
FINGERS = {"thumb": (1, 2, 3, 4), "index": (5, 6, 7, 8), "middle": (9, 10, 11, 12), "ring": (13, 14, 15, 16),
           "pinky": (17, 18, 19, 20)}
SKELETON = (
    (0, 1), (1, 2), (2, 3), (3, 4),
    (0, 5), (5, 6), (6, 7), (7, 8),
    (5, 9), (9, 10), (10, 11), (11, 12),
    (9, 13), (13, 14), (14, 15), (15, 16),
    (13, 17), (0, 17), (17, 18), (18, 19), (19, 20),
)


def keypoint_index(name: str) -> int:
    """The row of keypoint ``name`` (e.g. ``"index_tip"``) in a hand's (21, 3) arrays."""
    try:
        return KEYPOINT_NAMES.index(name)
    except ValueError:
        raise KeyError(f"no keypoint named {name!r}; the names are {', '.join(KEYPOINT_NAMES)}") from None


def _r(a: np.ndarray | float, nd: int = 2) -> Any:
    return (np.round(np.asarray(a, dtype=np.float64), nd) + 0.0).tolist()  # + 0.0: no "-0.0" in the output


@dataclass
class Gesture:
    """A classified hand shape (or motion) with its score."""

    label: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        """``{"label", "score"}``, as in ``--json``."""
        return {"label": self.label, "score": round(float(self.score), 4)}


@dataclass
class Hand:
    """One hand of a frame (a view of one row of :class:`Hands`)."""

    keypoints: np.ndarray  # (21, 3) x, y in pixels, z relative depth in pixels (x scale)
    keypoints_norm: np.ndarray  # (21, 3) x / width, y / height, z / width
    world: np.ndarray  # (21, 3) metres, origin near the hand's centre
    score: float
    handedness: str  # "left" | "right": the person's anatomical hand
    handedness_score: float
    box: np.ndarray  # (4,) x1, y1, x2, y2 of the keypoints
    rect: np.ndarray  # (5,) crop rect cx, cy, w, h, rotation
    track_id: int | None
    gesture: Gesture | None = None
    camera: np.ndarray | None = None  # (21, 3) metres in the camera's frame, when the tracker knows the camera

    def __getitem__(self, name: str) -> np.ndarray:
        """A keypoint by name, e.g. ``hand["index_tip"]``."""
        return self.keypoints[keypoint_index(name)]

    def __repr__(self) -> str:  # the arrays (4 x 21 rows) would bury the rest
        box = [round(float(v)) for v in self.box]
        return (f"Hand(track_id={self.track_id}, handedness={self.handedness!r}, score={self.score:.3f}, "
                f"box={box}, gesture={self.gesture})")

    def describe(self) -> str:
        """``#3 right 0.99 thumbs_up 0.97 0.45 m``: track id, handedness and its score, gesture, distance (when
        known), as drawn on annotated frames."""
        parts = [f"#{self.track_id}"] if self.track_id is not None else []
        parts.append(f"{self.handedness} {self.handedness_score:.2f}")
        if self.gesture is not None:
            parts.append(f"{self.gesture.label} {self.gesture.score:.2f}")
        if self.camera is not None and np.isfinite(self.camera).all():
            parts.append(f"{self.camera[:, 2].mean():.2f} m")  # how far away the hand is
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """This hand as plain JSON-ready values, as one entry of ``--json``'s ``hands``."""
        return {
            "track_id": self.track_id,
            "score": round(float(self.score), 4),
            "handedness": self.handedness,
            "handedness_score": round(float(self.handedness_score), 4),
            "keypoints": _r(self.keypoints),
            "world": _r(self.world, 5),
            "bbox": _r(self.box),
            "gesture": self.gesture.to_dict() if self.gesture else None,
            **({} if self.camera is None else
               {"camera": _r(self.camera, 4) if np.isfinite(self.camera).all() else None}),
        }


def _empty(*shape: int) -> np.ndarray:
    return np.zeros((0, *shape), np.float32)


@dataclass
class Hands:
    """All hands found in one frame. Arrays are indexed by hand; ``len(hands)`` is the number of hands."""

    keypoints: np.ndarray = field(default_factory=lambda: _empty(21, 3))
    world: np.ndarray = field(default_factory=lambda: _empty(21, 3))
    scores: np.ndarray = field(default_factory=lambda: _empty())
    handedness: np.ndarray = field(default_factory=lambda: np.zeros((0,), "<U5"))
    handedness_scores: np.ndarray = field(default_factory=lambda: _empty())
    boxes: np.ndarray = field(default_factory=lambda: _empty(4))
    rects: np.ndarray = field(default_factory=lambda: _empty(5))
    track_ids: np.ndarray = field(default_factory=lambda: np.zeros((0,), np.int64))  # -1: no track (image mode)
    width: int = 0
    height: int = 0
    timestamp_ms: float = 0.0
    frame: int = 0
    gestures: list[Gesture | None] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)
    camera: np.ndarray | None = None  # (n, 21, 3) metres in the camera's frame (``HandTracker(camera=...)``)
    source: str | None = None  # the file (or camera, stream) of the frame, when it came from a source

    _PER_HAND = ("keypoints", "world", "scores", "handedness", "handedness_scores", "boxes", "rects", "track_ids")

    def __len__(self) -> int:
        return len(self.scores)

    def _scale(self) -> np.ndarray:
        return np.maximum(np.array([self.width, self.height, self.width], np.float32), 1)

    @property
    def keypoints_norm(self) -> np.ndarray:
        """Keypoints divided by the frame size: x / width, y / height, z / width."""
        return self.keypoints / self._scale()

    @overload
    def __getitem__(self, idx: int | np.integer) -> Hand: ...
    @overload
    def __getitem__(self, idx: str) -> np.ndarray: ...
    @overload
    def __getitem__(self, idx: slice | np.ndarray | list[int]) -> Hands: ...
    def __getitem__(self, idx: int | np.integer | slice | np.ndarray | list[int] | str) -> Hand | Hands | np.ndarray:
        """A hand (``hands[0]``), a subset (``hands[1:]``, ``hands[hands.handedness == "right"]``) or one keypoint
        of every hand by name (``hands["index_tip"]``: (n, 3))."""
        if isinstance(idx, str):
            return self.keypoints[:, keypoint_index(idx)]
        if isinstance(idx, (int, np.integer)):
            i = int(idx)
            tid = int(self.track_ids[i])
            return Hand(self.keypoints[i], self.keypoints[i] / self._scale(), self.world[i], float(self.scores[i]),
                        str(self.handedness[i]), float(self.handedness_scores[i]), self.boxes[i], self.rects[i],
                        None if tid < 0 else tid, self.gestures[i] if self.gestures else None,
                        None if self.camera is None else self.camera[i])
        sub = {f: getattr(self, f)[idx] for f in self._PER_HAND}
        gestures = list(np.array(self.gestures, dtype=object)[idx]) if self.gestures else []
        camera = None if self.camera is None else self.camera[idx]
        meta = {f.name: getattr(self, f.name) for f in fields(self)
                if f.name not in (*self._PER_HAND, "gestures", "camera")}
        return Hands(**sub, **meta, gestures=gestures, camera=camera)

    def __iter__(self) -> Iterator[Hand]:
        for i in range(len(self)):
            yield self[i]

    def summary(self) -> str:
        """One line for people: ``2 hands: right 0.99 thumbs_up 0.97, left 0.95 none 0.80`` (``no hand``); each
        hand as :meth:`Hand.describe` says it."""
        if not len(self):
            return "no hand"
        return f"{len(self)} hand{'s' if len(self) > 1 else ''}: {', '.join(h.describe() for h in self)}"

    def to_dict(self, source: str | None = None) -> dict[str, Any]:
        """The JSON Lines record of this frame (``source`` in place of the frame's own)."""
        d: dict[str, Any] = {}
        if (source := source if source is not None else self.source) is not None:
            d["source"] = source
        d.update({"frame": self.frame, "timestamp_ms": round(float(self.timestamp_ms), 3), "width": self.width,
                  "height": self.height, "hands": [h.to_dict() for h in self]})
        d["events"] = [e.to_dict() for e in self.events]
        return d

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Hands:
        """A frame back from its JSON Lines record (:meth:`to_dict`, ``handpose run --json``). The record holds
        no crop rects: ``rects`` are those the keypoints give (as tracking computes them for the next frame).
        The closing record of a stream (``end_of_stream``: the events of gestures still held) has ``frame`` -1."""
        from .geometry import rects_from_landmarks
        from .gestures.events import GestureEvent

        hands = record["hands"]

        def column(key: str, dtype: Any, shape: tuple[int, ...] = ()) -> np.ndarray:
            return np.array([h[key] for h in hands], dtype).reshape(len(hands), *shape)

        keypoints = column("keypoints", np.float32, (21, 3))
        gestures = [Gesture(h["gesture"]["label"], float(h["gesture"]["score"])) if h.get("gesture") else None
                    for h in hands]
        camera = None  # a "camera" key per hand only when a camera was given; null: a hand that was not placed
        if hands and all("camera" in h for h in hands):
            camera = np.array([np.full((21, 3), np.nan) if h["camera"] is None else h["camera"] for h in hands],
                              np.float32)
        return cls(keypoints=keypoints, world=column("world", np.float32, (21, 3)),
                   scores=column("score", np.float32), handedness=column("handedness", "<U5"),
                   handedness_scores=column("handedness_score", np.float32), boxes=column("bbox", np.float32, (4,)),
                   rects=rects_from_landmarks(keypoints).astype(np.float32) if hands else _empty(5),
                   track_ids=np.array([-1 if h["track_id"] is None else h["track_id"] for h in hands], np.int64),
                   width=int(record.get("width") or 0), height=int(record.get("height") or 0),
                   timestamp_ms=float(record.get("timestamp_ms") or 0.0),
                   frame=-1 if record.get("frame") is None else int(record["frame"]),
                   gestures=gestures if any(gestures) else [],
                   events=[GestureEvent.from_dict(e) for e in record.get("events", [])],
                   camera=camera, source=record.get("source"))

    def __repr__(self) -> str:
        ids = [int(t) for t in self.track_ids]
        return (f"Hands(n={len(self)}, frame={self.frame}, size={self.width}x{self.height}, "
                f"handedness={[str(h) for h in self.handedness]}, track_ids={ids})")
