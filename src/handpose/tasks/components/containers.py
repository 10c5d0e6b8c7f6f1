"""The result types of MediaPipe's Tasks API: ``Category`` and the two landmark kinds."""

from __future__ import annotations

from dataclasses import dataclass

from ...solutions.hands import Landmark, NormalizedLandmark


@dataclass
class Category:
    """One label of a classification: ``index`` in its label list, ``score``, ``display_name``, ``category_name``."""

    index: int | None = None
    score: float | None = None
    display_name: str | None = None
    category_name: str | None = None


__all__ = ["Category", "Landmark", "NormalizedLandmark"]
