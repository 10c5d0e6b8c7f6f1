"""Default hand styles of MediaPipe's legacy ``drawing_styles``: a colour per finger (handpose's palette)."""

from __future__ import annotations

from ..draw import EDGE_COLORS, POINT_COLORS
from ..results import SKELETON
from .drawing_utils import DrawingSpec


def get_default_hand_landmarks_style() -> dict[int, DrawingSpec]:
    """A spec per landmark: dots coloured by finger (the wrist in the palm's colour)."""
    return {i: DrawingSpec(color=color, thickness=-1, circle_radius=4) for i, color in enumerate(POINT_COLORS)}


def get_default_hand_connections_style() -> dict[tuple[int, int], DrawingSpec]:
    """A spec per connection: the finger's colour, the bones across the palm in the palm's colour."""
    return {edge: DrawingSpec(color=color, thickness=2) for edge, color in zip(SKELETON, EDGE_COLORS, strict=True)}
