"""Hand-made keypoints: a right hand, palm to the camera, built from finger curls and a thumb pose."""

from __future__ import annotations

import numpy as np

# finger base positions (x, y) relative to the wrist, y up; segment lengths (proximal, middle, distal)
_BASES = {"index": (0.32, 0.95), "middle": (0.05, 1.0), "ring": (-0.2, 0.93), "pinky": (-0.42, 0.82)}
_LENGTHS = {"index": (0.45, 0.28, 0.22), "middle": (0.5, 0.32, 0.24), "ring": (0.46, 0.3, 0.22),
            "pinky": (0.36, 0.22, 0.2)}
_SPLAY = {"index": 8.0, "middle": 0.0, "ring": -8.0, "pinky": -16.0}


def _finger(base: np.ndarray, direction_deg: float, lengths: tuple[float, ...], curl: float) -> list[np.ndarray]:
    """Joints after the base: each joint bends by ``curl`` * 100 degrees towards the palm (-z)."""
    pts, p = [], base.copy()
    a = np.radians(direction_deg)
    heading = np.array([np.sin(a), np.cos(a), 0.0])  # in-plane direction, y up
    bend = 0.0
    for seg in lengths:
        bend += np.radians(100.0 * curl)
        d = heading * np.cos(bend) + np.array([0, 0, -1.0]) * np.sin(bend)
        p = p + seg * d
        pts.append(p)
    return pts


def make_hand(curls: dict[str, float] | None = None, thumb: str = "out", spread: dict[str, float] | None = None,
              rotate_deg: float = 0.0, scale: float = 100.0, offset: tuple[float, float] = (320, 240),
              pinch: bool = False) -> np.ndarray:
    """(21, 3) image keypoints (x right, y down, z relative depth, in pixels).

    ``curls``: 0 straight .. 1 fully curled, per finger. ``thumb``: ``out`` (away from the palm), ``in`` (folded
    across the palm), ``up`` / ``down`` (out, for a fist turned sideways use ``rotate_deg``), ``l`` (at a right
    angle to the index). ``spread``: extra degrees between neighbours, e.g. {"middle-ring": 20}.
    ``pinch``: bend index and thumb so that their tips touch.
    """
    curls = {"index": 0.0, "middle": 0.0, "ring": 0.0, "pinky": 0.0, **(curls or {})}
    spread = spread or {}
    k = np.zeros((21, 3))
    extra = {"index": spread.get("index-middle", 0.0), "middle": 0.0, "ring": -spread.get("middle-ring", 0.0),
             "pinky": -spread.get("middle-ring", 0.0) - spread.get("ring-pinky", 0.0)}
    for name, first in zip(_BASES, (5, 9, 13, 17), strict=True):
        base = np.array([*_BASES[name], 0.0])
        k[first] = base
        k[first + 1 : first + 4] = _finger(base, _SPLAY[name] + extra[name], _LENGTHS[name], curls[name])
    # thumb: CMC, MCP, IP, tip
    k[1] = [0.3, 0.25, 0.0]
    if thumb == "in":
        k[2], k[3], k[4] = [0.42, 0.5, -0.15], [0.2, 0.6, -0.3], [-0.05, 0.6, -0.35]
    elif thumb == "l":
        k[2], k[3], k[4] = [0.6, 0.35, 0.0], [0.85, 0.38, 0.0], [1.05, 0.4, 0.0]
    else:  # out, up, down: away from the palm, diagonally
        k[2], k[3], k[4] = [0.55, 0.45, 0.0], [0.72, 0.65, 0.0], [0.85, 0.85, 0.0]
    if pinch:
        k[6:9] = _finger(k[5], _SPLAY["index"], _LENGTHS["index"], 0.45)
        tip = k[8]
        k[2], k[3] = [0.5, 0.45, -0.05], (k[2] + tip) / 2 + [0.05, 0, 0]
        k[4] = tip + [0.03, -0.02, 0.0]
    a = np.radians(rotate_deg)  # counter-clockwise on screen
    c, s = np.cos(a), np.sin(a)
    xy = k[:, :2] @ np.array([[c, s], [-s, c]])
    out = np.empty((21, 3))
    out[:, 0] = offset[0] + xy[:, 0] * scale
    out[:, 1] = offset[1] - xy[:, 1] * scale  # image y points down
    out[:, 2] = k[:, 2] * scale
    return out.astype(np.float32)


CURLED = {"index": 1.0, "middle": 1.0, "ring": 1.0, "pinky": 1.0}

# Every label of the built-in vocabulary, built by hand.
EXAMPLES = {
    "open_palm": make_hand(thumb="out"),
    "vulcan_salute": make_hand(thumb="out", spread={"middle-ring": 22, "index-middle": -6, "ring-pinky": -8}),
    "four": make_hand(thumb="in"),
    "fist": make_hand(CURLED, thumb="in"),
    "thumbs_up": make_hand(CURLED, thumb="out", rotate_deg=37),  # the thumb (at 53 degrees) turned to point up
    "thumbs_down": make_hand(CURLED, thumb="out", rotate_deg=-143),
    "point": make_hand({"middle": 1, "ring": 1, "pinky": 1}, thumb="in"),
    "finger_gun": make_hand({"middle": 1, "ring": 1, "pinky": 1}, thumb="l"),
    "victory": make_hand({"ring": 1, "pinky": 1}, thumb="in", spread={"index-middle": 14}),
    "three": make_hand({"pinky": 1}, thumb="in"),
    "horns": make_hand({"middle": 1, "ring": 1}, thumb="in"),
    "ily": make_hand({"middle": 1, "ring": 1}, thumb="out"),
    "pinky": make_hand({"index": 1, "middle": 1, "ring": 1}, thumb="in"),
    "call": make_hand({"index": 1, "middle": 1, "ring": 1}, thumb="out"),
    "ok": make_hand(thumb="out", pinch=True),
}
