"""``draw_landmarks`` and ``DrawingSpec`` of MediaPipe's legacy drawing utilities, for code written against them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from ..errors import InputError

WHITE_COLOR = (224, 224, 224)
RED_COLOR = (0, 0, 255)


@dataclass
class DrawingSpec:
    """Colour (of the image's channel order), line thickness and landmark circle radius in pixels."""

    color: tuple[int, int, int] = WHITE_COLOR
    thickness: int = 2
    circle_radius: int = 2


_RED_POINTS = DrawingSpec(color=RED_COLOR)  # legacy's default for the landmarks


def _spec(spec: DrawingSpec | Mapping[Any, DrawingSpec], key: Any) -> DrawingSpec | None:
    return spec.get(key) if isinstance(spec, Mapping) else spec


def _normalized_to_pixel_coordinates(normalized_x: float, normalized_y: float, image_width: int,
                                     image_height: int) -> tuple[int, int] | None:
    """The pixel of a normalized point, or None outside the image (legacy's helper: programs call it too)."""
    if not (0 <= normalized_x <= 1 and 0 <= normalized_y <= 1):
        return None
    return min(int(normalized_x * image_width), image_width - 1), min(int(normalized_y * image_height),
                                                                      image_height - 1)


def draw_landmarks(image: np.ndarray, landmark_list: Any,
                   connections: Iterable[Any] | None = None,
                   landmark_drawing_spec: DrawingSpec | Mapping[int, DrawingSpec] | None = _RED_POINTS,
                   connection_drawing_spec: DrawingSpec | Mapping[tuple[int, int], DrawingSpec] | None = None,
                   is_drawing_landmarks: bool = True) -> None:
    """Draw a hand's normalized landmarks (``results.multi_hand_landmarks[i]``, or a Tasks result's
    ``hand_landmarks[i]`` list) and their connections (pairs, or the Tasks API's ``Connection``s) onto a
    3-channel uint8 image, in place. A spec may be one :class:`DrawingSpec` or one per landmark / connection
    (``drawing_styles``); by default red points and light grey lines, as legacy; ``None`` for landmarks draws no
    points. Landmarks outside the image are not drawn."""
    if landmark_list is None:
        return
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise InputError(f"draw_landmarks draws on a 3-channel uint8 image, got {image.dtype} {image.shape}")
    h, w = image.shape[:2]
    points: dict[int, tuple[int, int]] = {}
    for i, lm in enumerate(getattr(landmark_list, "landmark", landmark_list)):
        p = _normalized_to_pixel_coordinates(lm.x, lm.y, w, h)
        if p is not None:
            points[i] = p
    if connections is not None:
        for c in connections:
            a, b = (c.start, c.end) if hasattr(c, "start") else c
            spec = _spec(connection_drawing_spec or DrawingSpec(), (a, b))
            if spec is not None and a in points and b in points:
                cv2.line(image, points[a], points[b], spec.color, spec.thickness, cv2.LINE_AA)
    if is_drawing_landmarks and landmark_drawing_spec is not None:
        for i, p in points.items():
            spec = _spec(landmark_drawing_spec, i)
            if spec is None:
                continue
            # a white rim keeps the points visible on any background
            rim = max(spec.circle_radius + 1, round(spec.circle_radius * 1.2))
            cv2.circle(image, p, rim, WHITE_COLOR, spec.thickness, cv2.LINE_AA)
            cv2.circle(image, p, spec.circle_radius, spec.color, -1, cv2.LINE_AA)
