"""Looking for far and small hands: the palm detector run on zoomed, overlapping tiles of the frame.

The detector sees the whole frame at 192 x 192, so a hand 40 pixels wide in a 1280 x 720 frame is 6 pixels to it and
is missed (a person a few metres from a kiosk or robot camera). A square tile of side ``max(h, w) / zoom`` is
seen ``zoom`` times larger. Tiles overlap by a quarter of their side, so a hand smaller than that lies whole in one.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import HandposeError
from .geometry import rects_from_palms
from .palm import Palms

MAX_TILES = 64
TILE_PRESENCE = 0.8  # landmark presence a hand only a tile found must reach (at least the tracker's min_presence)
SMALL_PALM = 1 / 8  # of the detector's input side: below it, a tile's closer look at the palm is trusted instead


def tile_windows(height: int, width: int, zoom: float, overlap: float = 0.25) -> np.ndarray:
    """Windows (n, 4) ``x0, y0, x1, y1`` in pixels, row by row, that cover a ``width`` x ``height`` frame at
    ``zoom`` times the whole-frame detection's scale: squares of side ``max(h, w) / zoom`` (cut to the frame's
    short side), evenly spaced, neighbours overlapping by at least ``overlap`` of a side; none for ``zoom <= 1``."""
    if not zoom > 1:
        return np.zeros((0, 4), np.int64)
    side = max(1, round(max(height, width) / zoom))

    def starts(length: int) -> list[int]:
        s = min(side, length)
        if length <= s:
            return [0]
        n = math.ceil((length - s) / (s * (1 - overlap))) + 1
        return [round(i * (length - s) / (n - 1)) for i in range(n)]

    tw, th = min(side, width), min(side, height)
    out = np.array([(x0, y0, x0 + tw, y0 + th) for y0 in starts(height) for x0 in starts(width)], np.int64)
    if len(out) > MAX_TILES:
        raise HandposeError(f"zoom {zoom:g} cuts a {width}x{height} frame into {len(out)} tiles (at most {MAX_TILES})")
    return out


def points_in_rects(points: np.ndarray, rects: np.ndarray) -> np.ndarray:
    """(n, m) whether point i (n, 2) lies in rotated rect j (m, 5: cx, cy, w, h, rotation)."""
    d = points[:, None, :] - rects[None, :, :2]
    c, s = np.cos(rects[:, 4]), np.sin(rects[:, 4])
    along, across = d[..., 0] * c + d[..., 1] * s, d[..., 1] * c - d[..., 0] * s
    return (np.abs(along) <= rects[:, 2] / 2) & (np.abs(across) <= rects[:, 3] / 2)


def new_hands(tiled: Palms, known: np.ndarray) -> np.ndarray:
    """Crop rects (m, 5) of the palms found in tiles that are hands not known yet, best score first. A palm whose
    centre lies in the crop of a hand known before it (``known``: rects (n, 5) of the tracked hands and the whole
    frame's palms, then each tile palm kept) is that hand, or a part of it such as its fingers, seen closer: the
    tiles add hands too small for the whole frame, and never displace the whole frame's."""
    order = np.argsort(-tiled.scores, kind="stable")
    rects = rects_from_palms(tiled.boxes[order], tiled.keypoints[order])
    centres = (tiled.boxes[order, :2] + tiled.boxes[order, 2:]) / 2
    kept = list(known.reshape(-1, 5))
    out = []
    for rect, centre in zip(rects, centres, strict=True):  # a handful of palms
        if not kept or not points_in_rects(centre[None], np.stack(kept)).any():
            kept.append(rect)
            out.append(rect)
    return np.array(out, np.float32).reshape(-1, 5)


def small_palms(palms: Palms, frame_side: int) -> np.ndarray:
    """Which palms the whole frame's detection saw smaller than ``SMALL_PALM`` of its input (the frame's long
    side ``frame_side`` maps to the input): a tile's closer look at them is tried first."""
    side = np.maximum(palms.boxes[:, 2] - palms.boxes[:, 0], palms.boxes[:, 3] - palms.boxes[:, 1])
    return side / frame_side < SMALL_PALM
