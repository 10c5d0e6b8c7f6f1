"""The misclassified samples of a gesture evaluation, drawn (``errors.png``): seeing them tells a wrong label
(a recording of the wrong gesture, a garbled hand) from a real confusion faster than any table."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..draw import draw_skeleton
from ..imaging import prepare
from ..outputs import make_folder, write_image
from ..results import KEYPOINT_NAMES

TILE = 150  # pixels a side of a sample's picture; its caption goes below it
CAPTION = 50  # three lines: the sample, what it is, what it was taken for
COLUMNS = 8
MOST = 48  # samples drawn; the rest are only named in the report
FONT = cv2.FONT_HERSHEY_SIMPLEX


PATH_COLORS = [(200, 120, 40), (40, 120, 220), (160, 60, 160), (60, 160, 160), (90, 90, 90)]


def _draw(tile: np.ndarray, pts: np.ndarray, paths: int = 1) -> None:
    """A hand's 21 points as its skeleton; any other number of points as ``paths`` trajectories one after the
    other (several keypoints followed), each its own colour, each start in green."""
    if len(pts) == len(KEYPOINT_NAMES):
        draw_skeleton(tile, pts)
        return
    for k, path in enumerate(np.split(np.round(pts).astype(np.int32), paths)):
        cv2.circle(tile, tuple(path[0]), 4, (60, 180, 60), -1, cv2.LINE_AA)
        cv2.polylines(tile, [path.reshape(-1, 1, 2)], False, PATH_COLORS[k % len(PATH_COLORS)], 2, cv2.LINE_AA)


def sample_tile(keypoints: np.ndarray, caption: tuple[str, ...], image: np.ndarray | None = None, paths: int = 1
                ) -> np.ndarray:
    """One sample: its 21 keypoints (x, y), or a trajectory's points (``paths`` keypoints' one after the other),
    over the part of ``image`` around them, or on white when there is no image (a landmark dataset's row), with the
    lines of ``caption`` below."""
    tile = np.full((TILE + CAPTION, TILE, 3), 255, np.uint8)
    xy = np.asarray(keypoints, np.float64)[:, :2]
    centre = (xy.max(0) + xy.min(0)) / 2
    if image is None:
        # a hand fills the tile; a trajectory (in frame sizes) is drawn to scale, half a frame across the tile, so
        # that a hand held still looks still
        extent = float(np.ptp(xy, 0).max())
        if len(xy) == len(KEYPOINT_NAMES):
            scale = 0.85 * TILE / max(extent, 1e-6)
        else:
            scale = 0.85 * TILE / max(extent, 0.5)
            cv2.putText(tile, f"{extent:.3f} frame", (4, 12), FONT, 0.35, (120, 120, 120), 1, cv2.LINE_AA)
    else:
        image = prepare(image)[0]  # gray, BGRA or 16-bit as 8-bit colour: the warp writes into the colour tile
        side = 1.3 * max(float(np.ptp(xy, 0).max()), 8.0)  # the hand with a margin, as a square
        scale = TILE / side
        m = np.array([[scale, 0, TILE / 2 - scale * centre[0]], [0, scale, TILE / 2 - scale * centre[1]]])
        cv2.warpAffine(image, m, (TILE, TILE), dst=tile[:TILE], borderMode=cv2.BORDER_CONSTANT,
                       borderValue=(255, 255, 255))
    _draw(tile[:TILE], (xy - centre) * scale + TILE / 2, paths)
    for k, line in enumerate(caption):  # the last line, in red, says what went wrong
        color = (0, 0, 190) if k == len(caption) - 1 else (80, 80, 80)
        cv2.putText(tile, line, (4, TILE + 13 + 15 * k), FONT, 0.38, color, 1, cv2.LINE_AA)
    return tile


def gallery_png(tiles: list[np.ndarray], total: int, title: str, path: Path) -> Path:
    """The tiles in rows of ``COLUMNS`` under ``title``; ``total`` errors in all (more than drawn: said so)."""
    width = TILE * COLUMNS
    if total > len(tiles):
        title += f"; the first {len(tiles)} of {total} drawn, all in report.json"
    head = np.full((30, width, 3), 255, np.uint8)
    cv2.putText(head, title, (6, 20), FONT, 0.45, (20, 20, 20), 1, cv2.LINE_AA)
    rows = [head]
    if tiles:
        blank = np.full_like(tiles[0], 255)
        tiles = tiles + [blank] * (-len(tiles) % COLUMNS)
        rows += [np.hstack(tiles[i : i + COLUMNS]) for i in range(0, len(tiles), COLUMNS)]
    make_folder(path.parent)
    write_image(path, np.vstack(rows))
    return path
