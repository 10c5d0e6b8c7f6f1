"""``draw_landmarks`` and ``DrawingSpec`` of MediaPipe's legacy drawing utilities, for code written against them."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from ..draw import world_view
from ..errors import InputError

log = logging.getLogger("handpose")

WHITE_COLOR = (224, 224, 224)
BLACK_COLOR = (0, 0, 0)
RED_COLOR = (0, 0, 255)


@dataclass
class DrawingSpec:
    """Colour (of the image's channel order), line thickness and landmark circle radius in pixels."""

    color: tuple[int, int, int] = WHITE_COLOR
    thickness: int = 2
    circle_radius: int = 2


_RED_POINTS = DrawingSpec(color=RED_COLOR)  # legacy's default for the landmarks
_PLOT_POINTS, _PLOT_BONES = DrawingSpec(color=RED_COLOR, thickness=5), DrawingSpec(color=BLACK_COLOR, thickness=5)


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
        for a, b in _pairs(connections):
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


def _pairs(connections: Iterable[Any] | None) -> list[tuple[int, int]]:
    return [(c.start, c.end) if hasattr(c, "start") else tuple(c) for c in connections or ()]


def plot_landmarks(landmark_list: Any, connections: Iterable[Any] | None = None,
                   landmark_drawing_spec: DrawingSpec = _PLOT_POINTS,
                   connection_drawing_spec: DrawingSpec = _PLOT_BONES, elevation: int = 10, azimuth: int = 10,
                   *, size: int = 480, show: bool = True
                   ) -> np.ndarray | None:
    """Legacy's 3D plot of world landmarks (``results.multi_hand_world_landmarks[i]``), drawn with OpenCV instead
    of matplotlib: the landmarks seen from ``elevation`` and ``azimuth`` degrees on a white square of ``size``
    pixels, nearer bones over farther ones. It is shown in a window until a key is pressed (where no window can
    open, a warning says so) and returned, so a script can also save it."""
    if landmark_list is None:
        return None
    points = np.array([(lm.x, lm.y, lm.z) for lm in getattr(landmark_list, "landmark", landmark_list)], float)
    if len(points) == 0:
        return None
    view = world_view(points, azimuth, elevation)
    low, high = view[:, :2].min(0), view[:, :2].max(0)
    scale = 0.8 * size / max(float((high - low).max()), 1e-9)
    xy = np.round((view[:, :2] - (low + high) / 2) * scale + size / 2).astype(np.int32)
    image = np.full((size, size, 3), 255, np.uint8)
    pairs = [(a, b) for a, b in _pairs(connections) if a < len(xy) and b < len(xy)]
    for a, b in sorted(pairs, key=lambda p: -(view[p[0], 2] + view[p[1], 2])):  # far bones first
        cv2.line(image, tuple(xy[a]), tuple(xy[b]), connection_drawing_spec.color,
                 connection_drawing_spec.thickness, cv2.LINE_AA)
    for p in xy:
        cv2.circle(image, tuple(p), landmark_drawing_spec.thickness, landmark_drawing_spec.color, -1, cv2.LINE_AA)
    if show:
        from ..sinks import Preview

        try:
            window = Preview("plot_landmarks")
        except InputError as e:
            log.warning("plot_landmarks: %s: the plot is returned as an image", e)
        else:
            with window:  # until a key is pressed or the window is closed, as matplotlib's show()
                window.show(image, pause=True)
    return image
