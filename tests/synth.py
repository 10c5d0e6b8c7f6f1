"""Build test inputs from the real photos: hand cut-outs, two-hand scenes, shrunk and mirrored hands."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def hand_cutout(photo: Path, tracker, size: int = 200) -> np.ndarray:
    """The hand of a photo with a margin, scaled so its longer side is ``size`` pixels."""
    img = cv2.imread(str(photo))
    hands = tracker.process(img)
    assert len(hands) >= 1, f"no hand in {photo}"
    x1, y1, x2, y2 = hands.boxes[0]
    m = 0.25 * max(x2 - x1, y2 - y1)
    x1, y1 = int(max(0, x1 - m)), int(max(0, y1 - m))
    x2, y2 = int(min(img.shape[1], x2 + m)), int(min(img.shape[0], y2 + m))
    cut = img[y1:y2, x1:x2]
    s = size / max(cut.shape[:2])
    return cv2.resize(cut, (round(cut.shape[1] * s), round(cut.shape[0] * s)), interpolation=cv2.INTER_AREA)


def paste(canvas: np.ndarray, patch: np.ndarray, x: int, y: int) -> None:
    h, w = patch.shape[:2]
    canvas[y : y + h, x : x + w] = patch


def crossing_scene(a: np.ndarray, b: np.ndarray, frames: int = 40, width: int = 1040, height: int = 640):
    """Hand ``a`` moves left -> right along the top, ``b`` right -> left along the bottom; they pass mid-way.

    Yields (frame, centre of a, centre of b).
    """
    xa0, xa1 = 20, width - a.shape[1] - 20
    ya, yb = 20, height - b.shape[0] - 20
    for i in range(frames):
        f = i / (frames - 1)
        canvas = np.full((height, width, 3), 120, np.uint8)
        xa = round(xa0 + (xa1 - xa0) * f)
        xb = round(xa1 - (xa1 - xa0) * f)
        paste(canvas, a, xa, ya)
        paste(canvas, b, xb, yb)
        yield canvas, (xa + a.shape[1] / 2, ya + a.shape[0] / 2), (xb + b.shape[1] / 2, yb + b.shape[0] / 2)
