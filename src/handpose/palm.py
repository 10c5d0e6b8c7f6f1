"""Palm detection: letterbox, SSD anchors, box + keypoint decoding, weighted NMS, back to image pixels."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from .engines import Engine
from .geometry import boxes_iou
from .imaging import letterbox, to_float

NUM_KEYPOINTS = 7
SURE_SCORE = 0.5  # MediaPipe's palm threshold; a palm scored under it needs the landmark model's word (pipeline)


@lru_cache(maxsize=4)
def ssd_anchors(size: int = 192, strides: tuple[int, ...] = (8, 16, 16, 16), offset: float = 0.5) -> np.ndarray:
    """Anchor centres (A, 2) in [0, 1], row-major per feature map; layers of one stride share a map.

    Fixed anchor size (w = h = 1): only centres matter. For 192 this is 24x24x2 + 12x12x6 = 2016 anchors.
    """
    out = []
    i = 0
    while i < len(strides):
        stride, count = strides[i], 0
        while i < len(strides) and strides[i] == stride:
            count += 2  # each layer has two aspect ratios (1.0 and the interpolated scale)
            i += 1
        n = int(np.ceil(size / stride))
        yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
        centres = np.stack([(xx + offset) / n, (yy + offset) / n], -1).reshape(-1, 1, 2)
        out.append(np.repeat(centres, count, axis=1).reshape(-1, 2))
    return np.concatenate(out)


@dataclass
class Palms:
    """Palm detections in image pixels: boxes (n, 4) xyxy, keypoints (n, 7, 2), scores (n,)."""

    boxes: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)

    def __getitem__(self, idx: int | slice | np.ndarray) -> Palms:
        if isinstance(idx, int):
            idx = slice(idx, idx + 1)
        return Palms(self.boxes[idx], self.keypoints[idx], self.scores[idx])

    def shifted(self, dx: float, dy: float) -> Palms:
        """The same palms moved by (dx, dy) pixels: from a tile's coordinates to the frame's."""
        return Palms(self.boxes + np.array((dx, dy, dx, dy), np.float32),
                     self.keypoints + np.array((dx, dy), np.float32), self.scores)

    @classmethod
    def concat(cls, parts: list[Palms]) -> Palms:
        if not parts:
            return cls.empty()
        return cls(np.concatenate([p.boxes for p in parts]), np.concatenate([p.keypoints for p in parts]),
                   np.concatenate([p.scores for p in parts]))

    @classmethod
    def empty(cls) -> Palms:
        return cls(np.zeros((0, 4), np.float32), np.zeros((0, NUM_KEYPOINTS, 2), np.float32),
                   np.zeros((0,), np.float32))


def weighted_nms(boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, iou: float = 0.3,
                 max_out: int = 0, sure: float = SURE_SCORE) -> Palms:
    """Blend each cluster of overlapping candidates into their score-weighted average (BlazeFace style).

    The cluster keeps the best candidate's score. Candidates are few (tens) after the score threshold. Those
    scored under ``sure`` join a cluster that a surer one leads without moving it, so the sure palms come out
    as MediaPipe's threshold of 0.5 would give them; unsure ones away from them follow, best first.
    """
    order = np.argsort(-scores, kind="stable")
    boxes, keypoints, scores = boxes[order], keypoints[order], scores[order]
    alive = np.ones(len(scores), bool)
    trusted = scores >= sure
    out_b, out_k, out_s = [], [], []
    for i in range(len(scores)):
        if not alive[i]:
            continue
        members = alive & (boxes_iou(boxes[i : i + 1], boxes)[0] > iou)
        members[i] = True
        blend = members & trusted if trusted[i] else members
        w = scores[blend][:, None]
        out_b.append((boxes[blend] * w).sum(0) / w.sum())
        out_k.append((keypoints[blend].reshape(-1, NUM_KEYPOINTS * 2) * w).sum(0) / w.sum())
        out_s.append(scores[i])
        alive &= ~members
        if max_out and len(out_s) >= max_out:
            break
    if not out_s:
        return Palms.empty()
    return Palms(np.array(out_b, np.float32), np.array(out_k, np.float32).reshape(-1, NUM_KEYPOINTS, 2),
                 np.array(out_s, np.float32))


@lru_cache(maxsize=4)
def _anchor_pixels(size: int) -> np.ndarray:
    return ssd_anchors(size) * np.float32(size)


def decode(regressors: np.ndarray, logits: np.ndarray, size: int = 192, threshold: float = 0.5,
           iou: float = 0.3) -> Palms:
    """Raw outputs (2016, 18) and (2016,) to palms in input-canvas pixels (0..size)."""
    # Threshold the raw logits (sigmoid is monotonic): only the few candidates get a sigmoid and decoding.
    limit = np.inf if threshold >= 1 else (-np.inf if threshold <= 0 else np.log(threshold / (1 - threshold)))
    keep = np.flatnonzero(logits >= limit)
    if keep.size == 0:
        return Palms.empty()
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits[keep], -100.0, 100.0)))
    r = regressors[keep]
    anchors = _anchor_pixels(size)[keep]
    centre, half = r[:, :2] + anchors, r[:, 2:4] * 0.5
    boxes = np.concatenate([centre - half, centre + half], 1)
    kps = r[:, 4:].reshape(-1, NUM_KEYPOINTS, 2) + anchors[:, None, :]
    return weighted_nms(boxes, kps, scores, iou)


class PalmDetector:
    """Finds palms in an RGB image with a palm model (``palm_full`` / ``palm_lite``) on any engine."""

    def __init__(self, engine: Engine, score_threshold: float = 0.5, nms_iou: float = 0.3):
        self.engine = engine
        self.size = engine.spec.input_size[0]
        self.score_threshold = score_threshold
        self.nms_iou = nms_iou
        self._canvas = np.empty((self.size, self.size, 3), np.uint8)
        self._rgb = np.empty_like(self._canvas)

    def detect(self, image: np.ndarray, bgr: bool = False, clock: Any = None) -> Palms:
        """Palms of a 3-channel uint8 image; the letterbox is written straight into the model's input."""
        geo: list[Any] = []

        def fill(buf: np.ndarray) -> None:
            canvas, scale, pad = letterbox(image, (self.size, self.size), self._canvas)
            to_float(canvas, bgr, out=buf[0], tmp=self._rgb)
            geo.extend((scale, pad))
            if clock is not None:
                clock.lap("palm_pre")

        out = self.engine.run_filled(1, fill)
        if clock is not None:
            clock.lap("palm_model")
        return self.postprocess(out, geo[0], geo[1])

    def preprocess(self, image: np.ndarray, bgr: bool = False) -> tuple[np.ndarray, float, tuple[float, float]]:
        """The model input (1, size, size, 3) letterboxed, with the letterbox's scale and (x, y) padding."""
        canvas, scale, pad = letterbox(image, (self.size, self.size))
        return to_float(canvas[None], bgr), scale, pad

    def postprocess(self, out: dict[str, np.ndarray], scale: float, pad: tuple[float, float]) -> Palms:
        """Decoded, merged palms of the model's raw outputs, in the pixels of the image before the letterbox."""
        palms = decode(out["regressors"][0], out["scores"][0, :, 0], self.size, self.score_threshold, self.nms_iou)
        if len(palms):
            px, py = pad
            palms.boxes -= (px, py, px, py)
            palms.boxes /= scale
            palms.keypoints -= (px, py)
            palms.keypoints /= scale
        return palms

    def __call__(self, image: np.ndarray, bgr: bool = False) -> Palms:
        """Palms of a 3-channel uint8 image (RGB, or BGR with ``bgr=True``)."""
        return self.detect(image, bgr)
