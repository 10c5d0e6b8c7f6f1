"""``Hands(...).process(rgb)`` with the results of MediaPipe's legacy ``solutions.hands``, run by handpose."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

import numpy as np

from ..errors import HandposeError
from ..results import SKELETON


class HandLandmark(enum.IntEnum):
    """The 21 hand landmarks, in MediaPipe's names."""

    WRIST = 0
    THUMB_CMC = 1
    THUMB_MCP = 2
    THUMB_IP = 3
    THUMB_TIP = 4
    INDEX_FINGER_MCP = 5
    INDEX_FINGER_PIP = 6
    INDEX_FINGER_DIP = 7
    INDEX_FINGER_TIP = 8
    MIDDLE_FINGER_MCP = 9
    MIDDLE_FINGER_PIP = 10
    MIDDLE_FINGER_DIP = 11
    MIDDLE_FINGER_TIP = 12
    RING_FINGER_MCP = 13
    RING_FINGER_PIP = 14
    RING_FINGER_DIP = 15
    RING_FINGER_TIP = 16
    PINKY_MCP = 17
    PINKY_PIP = 18
    PINKY_DIP = 19
    PINKY_TIP = 20


HAND_CONNECTIONS = frozenset(SKELETON)


@dataclass
class _Point:
    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    visibility: float = 0.0
    presence: float = 0.0


class NormalizedLandmark(_Point):
    """x, y in fractions of the image width and height, z depth on the scale of x (smaller: nearer)."""


class Landmark(_Point):
    """World coordinates in metres, centred on the hand."""


T = TypeVar("T")


class Repeated(list[T]):
    """A list that also makes its next item, as a protobuf repeated field does: ``hand.landmark.add(x=.5, y=.5)``."""

    def __init__(self, kind: type[T], items: Iterable[T] = ()):
        super().__init__(items)
        self.kind = kind

    def add(self, **fields: Any) -> T:
        item = self.kind(**fields)
        self.append(item)
        return item


@dataclass
class NormalizedLandmarkList:
    landmark: list[NormalizedLandmark] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.landmark = Repeated(NormalizedLandmark, self.landmark)


@dataclass
class LandmarkList:
    landmark: list[Landmark] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.landmark = Repeated(Landmark, self.landmark)


@dataclass
class Classification:
    index: int = 0
    score: float = 0.0
    label: str = ""
    display_name: str = ""


@dataclass
class ClassificationList:
    classification: list[Classification] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.classification = Repeated(Classification, self.classification)


class SolutionOutputs(NamedTuple):
    """``None`` in every field when no hand is found, as in MediaPipe."""

    multi_hand_landmarks: list[NormalizedLandmarkList] | None
    multi_hand_world_landmarks: list[LandmarkList] | None
    multi_handedness: list[ClassificationList] | None


class Hands:
    """MediaPipe's legacy hand solution, on handpose's pipeline.

    ``static_image_mode``: every image on its own (else tracked as a video); ``model_complexity`` 0 (lite) or 1
    (full); ``min_tracking_confidence`` is the hand-presence score below which a tracked hand is dropped. Like the
    legacy solution, ``process`` takes RGB images, does not smooth the landmarks and names handedness for a
    mirrored (selfie) image. ``tracker`` is the :class:`~handpose.HandTracker` underneath, for everything else."""

    def __init__(self, static_image_mode: bool = False, max_num_hands: int = 2, model_complexity: int = 1,
                 min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5):
        from ..pipeline import HandTracker

        if model_complexity not in (0, 1):
            raise HandposeError(f"model_complexity must be 0 or 1, got {model_complexity}")
        self.tracker = HandTracker("lite" if model_complexity == 0 else "full", mode="image" if static_image_mode
                                   else "video", max_hands=max_num_hands, color="rgb", mirrored=True, smooth=False,
                                   min_detection_confidence=min_detection_confidence,
                                   min_presence=0.5 if static_image_mode else min_tracking_confidence)

    def process(self, image: np.ndarray) -> SolutionOutputs:
        """The hands of an RGB image (height, width, 3, uint8)."""
        hands = self.tracker.process(image)
        if len(hands) == 0:
            return SolutionOutputs(None, None, None)
        norm = hands.keypoints_norm.tolist()
        world = hands.world.tolist()
        return SolutionOutputs(
            [NormalizedLandmarkList([NormalizedLandmark(*p) for p in hand]) for hand in norm],
            [LandmarkList([Landmark(*p) for p in hand]) for hand in world],
            [ClassificationList([Classification(int(side == "right"), float(score), side.capitalize())])
             for side, score in zip(hands.handedness.tolist(), hands.handedness_scores.tolist(), strict=True)])

    def reset(self) -> None:
        self.tracker.reset()

    def close(self) -> None:
        """Kept for the legacy API; nothing is held that Python does not free."""

    def __enter__(self) -> Hands:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
