"""Drawing: skeleton with a colour per finger, keypoints, box, track id, handedness, gesture, recent motions, and a
3D view of the world landmarks."""

from __future__ import annotations

import os
import sys
from typing import Any

import cv2
import numpy as np

from .errors import InputError
from .results import FINGERS, SKELETON, Hands

# handpose depends on the headless OpenCV (it installs on servers); windows need the GUI build instead.
GUI_FIX = "pip uninstall -y opencv-python-headless && pip install opencv-python"


def no_display() -> str | None:
    """Why no window can open here (a Linux server or an SSH session has no display), or None when one may.

    OpenCV's Qt build (the Linux opencv-python wheels) does not fail there: Qt aborts the whole process. So it is
    asked before any window is opened."""
    if sys.platform.startswith(("win", "darwin")) or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    if os.environ.get("QT_QPA_PLATFORM", "xcb").split(":")[0] not in ("xcb", ""):  # offscreen, vnc, eglfs...
        return None
    return "no display (DISPLAY is not set: a server, a container, or an SSH session without -X)"


def open_window(name: str, what: str) -> None:
    """Open an OpenCV window for ``what`` (e.g. ``--show``), or say how to get an OpenCV that can."""
    reason = no_display()
    if reason is not None:
        raise InputError(f"{what} cannot open: {reason}; write the frames to a video file instead")
    try:
        cv2.namedWindow(name, cv2.WINDOW_NORMAL)
    except cv2.error as e:
        raise InputError(f"{what} needs OpenCV with GUI support ({GUI_FIX}) and a display") from e

# BGR, one per finger (thumb, index, middle, ring, pinky) and the palm.
FINGER_COLORS = {"thumb": (66, 135, 245), "index": (80, 200, 120), "middle": (230, 190, 40),
                 "ring": (200, 90, 230), "pinky": (60, 200, 240), "palm": (220, 220, 220)}
EDGE_COLORS = []
for a, b in SKELETON:
    finger = next((f for f, ids in FINGERS.items() if b in ids and (a in ids or a == 0)), "palm")
    EDGE_COLORS.append(FINGER_COLORS[finger])
POINT_COLORS = [FINGER_COLORS["palm"]] + [FINGER_COLORS[f] for f in FINGERS for _ in range(4)]


def draw_skeleton(image: np.ndarray, keypoints: np.ndarray, thickness: int = 2, radius: int = 3,
                  color: tuple[int, int, int] | None = None, visible: np.ndarray | None = None) -> None:
    """Draw one hand's 21 keypoints (pixels, x and y first) and its bones into a BGR image, in place: each finger
    in its colour, or all in ``color`` (an annotation under a prediction, say); ``visible`` (21 bools) leaves out
    the points not annotated and their bones."""
    pts = np.round(np.asarray(keypoints)[:, :2]).astype(np.int32)
    shown = np.ones(len(pts), bool) if visible is None else np.asarray(visible, bool)
    for (a, b), edge in zip(SKELETON, EDGE_COLORS, strict=True):
        if shown[a] and shown[b]:
            cv2.line(image, tuple(pts[a]), tuple(pts[b]), color or edge, thickness, cv2.LINE_AA)
    for p, dot, on in zip(pts, POINT_COLORS, shown, strict=True):
        if on:
            cv2.circle(image, tuple(p), radius, color or dot, -1, cv2.LINE_AA)
            cv2.circle(image, tuple(p), radius, (40, 40, 40), 1, cv2.LINE_AA)


def draw_hands(image: np.ndarray, hands: Hands, *, skeleton: bool = True, box: bool = True, label: bool = True,
               copy: bool = True) -> np.ndarray:
    """Annotate a BGR image (a copy unless ``copy=False``) with every hand of ``hands``."""
    out = image.copy() if copy else image
    if out.ndim == 2:
        out = cv2.cvtColor(out, cv2.COLOR_GRAY2BGR)
    scale = max(out.shape[:2]) / 640.0
    thick = max(1, round(2 * scale))
    radius = max(2, round(3 * scale))
    for hand in hands:
        if skeleton:
            draw_skeleton(out, hand.keypoints, thick, radius)
        x1, y1, x2, y2 = np.round(hand.box).astype(int)
        if box:
            cv2.rectangle(out, (x1, y1), (x2, y2), (255, 255, 255), max(1, thick // 2), cv2.LINE_AA)
        if label:
            _tag(out, hand.describe(), (x1, y1), scale)
    return out


def world_view(world: np.ndarray, yaw: float = -35.0, pitch: float = 20.0) -> np.ndarray:
    """World landmarks (..., 3) as seen by a camera turned ``yaw`` degrees about the vertical axis and ``pitch``
    about the horizontal one (0, 0: the input camera's own view): x right, y down, z away from the viewer."""
    a, b = np.radians(yaw), np.radians(pitch)
    turn = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    tilt = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    return np.asarray(world, np.float64) @ (tilt @ turn).T


def draw_world(image: np.ndarray, hands: Hands, *, size: int | None = None, yaw: float = -35.0,
               pitch: float = 20.0, span_m: float = 0.25, copy: bool = True) -> np.ndarray:
    """Each hand's 3D world landmarks (metres) in an inset at the top right, seen from the side (``yaw``,
    ``pitch`` in degrees), nearer bones over farther ones; ``span_m`` metres fill the inset's height."""
    out = image.copy() if copy else image
    h, w = out.shape[:2]
    scale = max(h, w) / 640.0
    margin = round(8 * scale)
    side = min(size or max(96, round(0.3 * min(h, w))), h - 2 * margin, w - 2 * margin)
    if side < 16:
        return out
    x0, y0 = w - side - margin, margin
    inset = out[y0 : y0 + side, x0 : x0 + side]
    inset //= 3  # darken in place, so the skeletons stand out
    n = max(1, len(hands))
    px_per_m = side / (span_m * n)
    for i, hand in enumerate(hands):
        view = world_view(hand.world, yaw, pitch)
        centre = np.array([side * (i + 0.5) / n, side / 2])
        pts = np.round(view[:, :2] * px_per_m + centre).astype(np.int32)
        depth = view[:, 2]
        for k in np.argsort([-(depth[a] + depth[b]) for a, b in SKELETON]):  # far bones first
            a, b = SKELETON[k]
            cv2.line(inset, tuple(pts[a]), tuple(pts[b]), EDGE_COLORS[k], max(1, round(2 * scale)), cv2.LINE_AA)
    cv2.rectangle(out, (x0, y0), (x0 + side - 1, y0 + side - 1), (200, 200, 200), 1)
    cv2.putText(out, "3D", (x0 + 4, y0 + side - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.4 * max(scale, 0.8),
                (200, 200, 200), 1, cv2.LINE_AA)
    return out


def _tag(img: np.ndarray, text: str, at: tuple[int, int], scale: float) -> None:
    font, fs, th = cv2.FONT_HERSHEY_SIMPLEX, 0.5 * max(scale, 0.6), max(1, round(scale))
    (w, h), base = cv2.getTextSize(text, font, fs, th)
    x, y = max(0, at[0]), max(h + base + 2, at[1] - 4)
    cv2.rectangle(img, (x, y - h - base - 2), (x + w + 4, y + 2), (30, 30, 30), -1)
    cv2.putText(img, text, (x + 2, y - base + 1), font, fs, (255, 255, 255), th, cv2.LINE_AA)


def draw_fps(image: np.ndarray, fps: float) -> None:
    _tag(image, f"{fps:.1f} fps", (8, 24), max(image.shape[:2]) / 640.0)


class EventBanner:
    """Recent motions (dynamic gesture events: swipes, circles, waves, zoom, trained trajectories, ...) written along
    the top of the frame for ``hold_ms`` each: an event lasts one frame, too short to see otherwise. Held hand
    shapes are already in each hand's tag."""

    def __init__(self, hold_ms: float = 1000.0, max_lines: int = 4):
        self.hold_ms, self.max_lines = hold_ms, max_lines
        self._shown: list[tuple[float, str]] = []  # (until, text)

    def draw(self, image: np.ndarray, hands: Hands) -> np.ndarray:
        """Add ``hands.events`` and draw those still on show onto ``image`` (in place); returns it."""
        now = hands.timestamp_ms
        for ev in hands.events:
            if ev.kind == "dynamic" and ev.phase in ("done", "start"):
                self._shown.append((now + self.hold_ms, _event_text(ev)))
        self._shown = [s for s in self._shown if s[0] > now][-self.max_lines:]
        scale = max(image.shape[:2]) / 640.0
        for i, (_, text) in enumerate(self._shown):
            _tag(image, text, (8, round((52 + 24 * i) * scale)), scale)  # under the fps readout
        return image


def _event_text(ev: Any) -> str:
    ids = ev.track_ids if len(ev.track_ids) > 1 else (() if ev.track_id is None else (ev.track_id,))
    return f"{ev.label} " + "+".join(f"#{i}" for i in ids)
