"""Rotated hand rectangles: from a palm, from landmarks, to a crop and back.

A rect is ``(cx, cy, w, h, rotation)`` in image pixels, rotation in radians (image axes, y down). All functions
work on arrays of rects ``(n, 5)`` at once.
"""

from __future__ import annotations

import cv2
import numpy as np

from .imaging import to_float

# Landmarks that span the palm and finger bases: stable enough to place next frame's crop.
TRACKING_SUBSET = [0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18]


def _normalize_angle(a: np.ndarray) -> np.ndarray:
    return a - 2 * np.pi * np.floor((a + np.pi) / (2 * np.pi))


def _rotation(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Angle that turns the start -> end direction to point up (90 degrees) in the crop."""
    return _normalize_angle(np.pi / 2 - np.arctan2(-(end[:, 1] - start[:, 1]), end[:, 0] - start[:, 0]))


def transform_rects(rects: np.ndarray, scale: float, shift_y: float) -> np.ndarray:
    """Shift along the rect's own y axis (in units of its height), square on the long side, scale."""
    cx, cy, w, h, r = rects.T
    cx = cx - h * shift_y * np.sin(r)
    cy = cy + h * shift_y * np.cos(r)
    side = np.maximum(w, h) * scale
    return np.stack([cx, cy, side, side, r], -1).astype(np.float32)


def rects_from_palms(boxes: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    """Crop rects for the landmark model from palm boxes (n, 4) xyxy and palm keypoints (n, 7, 2)."""
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    rot = _rotation(keypoints[:, 0], keypoints[:, 2])  # wrist centre -> middle-finger base
    return transform_rects(np.stack([cx, cy, w, h, rot], -1), scale=2.6, shift_y=-0.5)


def rects_from_landmarks(keypoints: np.ndarray) -> np.ndarray:
    """Next frame's crop rects from this frame's keypoints (n, 21, >=2) in pixels."""
    pts = keypoints[:, TRACKING_SUBSET, :2]
    mcp = (keypoints[:, 5, :2] + keypoints[:, 13, :2]) / 2
    rot = _rotation(keypoints[:, 0, :2], (mcp + keypoints[:, 9, :2]) / 2)
    centre = (pts.max(1) + pts.min(1)) / 2
    c, s = np.cos(-rot)[:, None], np.sin(-rot)[:, None]
    d = pts - centre[:, None]
    px, py = d[..., 0] * c - d[..., 1] * s, d[..., 0] * s + d[..., 1] * c  # into the hand's own frame
    pc = np.stack([(px.max(1) + px.min(1)) / 2, (py.max(1) + py.min(1)) / 2], -1)
    c, s = np.cos(rot), np.sin(rot)
    cx = pc[:, 0] * c - pc[:, 1] * s + centre[:, 0]
    cy = pc[:, 0] * s + pc[:, 1] * c + centre[:, 1]
    rects = np.stack([cx, cy, px.max(1) - px.min(1), py.max(1) - py.min(1), rot], -1)
    return transform_rects(rects, scale=2.0, shift_y=-0.1)


def crop_matrices(rects: np.ndarray, size: int) -> np.ndarray:
    """Affine maps (n, 2, 3) from crop pixels (0..size) to image pixels."""
    cx, cy, w, h, r = rects.T
    c, s = np.cos(r), np.sin(r)
    m = np.empty((len(rects), 2, 3), np.float64)
    m[:, 0, 0], m[:, 0, 1] = w * c / size, -h * s / size
    m[:, 1, 0], m[:, 1, 1] = w * s / size, h * c / size
    m[:, 0, 2] = cx - (w * c - h * s) / 2
    m[:, 1, 2] = cy - (w * s + h * c) / 2
    return m


def crop(image: np.ndarray, rects: np.ndarray, size: int = 224, bgr: bool = False,
         matrices: np.ndarray | None = None, out: np.ndarray | None = None,
         scratch: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Rotated crops (n, size, size, 3) float32 RGB in [0, 1], one warp per hand, written into one batch (``out``).

    ``scratch``: two reusable (size, size, 3) uint8 buffers for the warp and the channel swap.
    """
    if out is None:
        out = np.empty((len(rects), size, size, 3), np.float32)
    patch_buf, rgb_buf = scratch if scratch is not None else (None, None)
    for i, m in enumerate(crop_matrices(rects, size) if matrices is None else matrices):
        patch = cv2.warpAffine(image, m, (size, size), dst=patch_buf, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REPLICATE)
        to_float(patch, bgr, out=out[i], tmp=rgb_buf)
    return out


# The model's depth is on a compressed scale; MediaPipe divides it by 0.4 to bring it to the x scale.
Z_SCALE = 1 / 0.4


def project(points: np.ndarray, rects: np.ndarray, size: int = 224, matrices: np.ndarray | None = None) -> np.ndarray:
    """Crop-pixel points (n, k, 3) to image pixels; z is relative depth in pixels on the x scale."""
    m = crop_matrices(rects, size) if matrices is None else matrices
    xy = np.einsum("nij,nkj->nki", m[:, :, :2], points[..., :2]) + m[:, None, :, 2]
    z = points[..., 2:3] * (rects[:, 2] * Z_SCALE / size)[:, None, None]
    return np.concatenate([xy, z], -1).astype(np.float32)


def rotate_world(world: np.ndarray, rects: np.ndarray) -> np.ndarray:
    """World landmarks (n, 21, 3) are predicted in the crop's frame: undo the crop rotation around z."""
    c, s = np.cos(rects[:, 4])[:, None], np.sin(rects[:, 4])[:, None]
    x, y = world[..., 0], world[..., 1]
    return np.stack([x * c - y * s, x * s + y * c, world[..., 2]], -1).astype(np.float32)


def rect_corners(rects: np.ndarray) -> np.ndarray:
    """The 4 corners (n, 4, 2) of rotated rects, for drawing and overlap tests."""
    unit = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]], np.float32)
    cx, cy, w, h, r = rects.T
    c, s = np.cos(r)[:, None], np.sin(r)[:, None]
    ux, uy = unit[None, :, 0] * w[:, None], unit[None, :, 1] * h[:, None]
    return np.stack([ux * c - uy * s + cx[:, None], ux * s + uy * c + cy[:, None]], -1)


def grow_box(box: np.ndarray | list[float], frac: float) -> np.ndarray:
    """An xyxy box with ``frac`` of its width and height added on each side (a box round a hand, from the box of
    its keypoints, which runs through the fingertips)."""
    box = np.asarray(box)
    pad = (box[2:] - box[:2]) * frac
    return np.concatenate([box[:2] - pad, box[2:] + pad])


def boxes_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU (len(a), len(b)) of xyxy boxes."""
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def corners_to_boxes(corners: np.ndarray) -> np.ndarray:
    return np.concatenate([corners.min(1), corners.max(1)], -1)
