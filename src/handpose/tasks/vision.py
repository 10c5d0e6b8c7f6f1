"""``HandLandmarker`` and ``GestureRecognizer`` of MediaPipe's Tasks API, run by handpose."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, ClassVar

import numpy as np

from ..errors import HandposeError
from ..gestures.classifier import GestureClassifier
from ..gestures.recognizer import GestureRecognizer as _Recognizer
from ..gestures.recognizer import load_classifier
from ..gestures.rules import Rule, RuleClassifier, load_rules
from ..pipeline import HandTracker
from ..results import Hands
from ..solutions import drawing_styles, drawing_utils  # where newer MediaPipe wheels keep them
from ..solutions.hands import HandLandmark
from .components.containers import Category, Landmark, NormalizedLandmark
from .components.processors import ClassifierOptions
from .core import (
    BaseOptions,
    HandModels,
    ImageProcessingOptions,
    RunningMode,
    VisionTask,
    hand_models,
    rotation_turns,
    turn_back,
    turned,
)
from .image import Image


@dataclass(frozen=True)
class HandConnection:
    """Two landmarks joined by a bone (``HandLandmarksConnections.Connection``)."""

    start: int
    end: int


def _chain(*points: int) -> list[HandConnection]:
    return [HandConnection(a, b) for a, b in pairwise(points)]


class HandLandmarksConnections:
    """The hand skeleton's connections, grouped as MediaPipe's task groups them (its palm joins the thumb base to
    the index base where the legacy solution joins the wrist); ``HAND_CONNECTIONS`` is all of them."""

    Connection = HandConnection
    HAND_PALM_CONNECTIONS: ClassVar[list[HandConnection]] = [
        Connection(0, 1), Connection(1, 5), Connection(9, 13), Connection(13, 17), Connection(5, 9),
        Connection(0, 17)]
    HAND_THUMB_CONNECTIONS: ClassVar[list[HandConnection]] = _chain(1, 2, 3, 4)
    HAND_INDEX_FINGER_CONNECTIONS: ClassVar[list[HandConnection]] = _chain(5, 6, 7, 8)
    HAND_MIDDLE_FINGER_CONNECTIONS: ClassVar[list[HandConnection]] = _chain(9, 10, 11, 12)
    HAND_RING_FINGER_CONNECTIONS: ClassVar[list[HandConnection]] = _chain(13, 14, 15, 16)
    HAND_PINKY_FINGER_CONNECTIONS: ClassVar[list[HandConnection]] = _chain(17, 18, 19, 20)
    HAND_CONNECTIONS: ClassVar[list[HandConnection]] = (
        HAND_PALM_CONNECTIONS + HAND_THUMB_CONNECTIONS + HAND_INDEX_FINGER_CONNECTIONS
        + HAND_MIDDLE_FINGER_CONNECTIONS + HAND_RING_FINGER_CONNECTIONS + HAND_PINKY_FINGER_CONNECTIONS)


@dataclass
class HandLandmarkerResult:
    """Per hand: its handedness, 21 normalized landmarks and 21 world landmarks (metres); empty lists when no
    hand is found."""

    handedness: list[list[Category]]
    hand_landmarks: list[list[NormalizedLandmark]]
    hand_world_landmarks: list[list[Landmark]]


@dataclass
class GestureRecognizerResult:
    """:class:`HandLandmarkerResult` plus each hand's gesture (one :class:`Category`, index -1, as MediaPipe)."""

    gestures: list[list[Category]]
    handedness: list[list[Category]]
    hand_landmarks: list[list[NormalizedLandmark]]
    hand_world_landmarks: list[list[Landmark]]


@dataclass
class HandLandmarkerOptions:
    """MediaPipe's options. ``min_tracking_confidence`` is checked and kept, but handpose decides whether a
    tracked hand is still there by its presence score (``min_hand_presence_confidence``), not by box overlap."""

    base_options: BaseOptions = field(default_factory=BaseOptions)
    running_mode: RunningMode = RunningMode.IMAGE
    num_hands: int = 1
    min_hand_detection_confidence: float = 0.5
    min_hand_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    result_callback: Callable[[HandLandmarkerResult, Image, int], None] | None = None


@dataclass
class GestureRecognizerOptions(HandLandmarkerOptions):
    """:class:`HandLandmarkerOptions` plus which gestures may be reported: ``canned_gesture_classifier_options``
    for MediaPipe's eight canned names (handpose's built-in vocabulary), ``custom_gesture_classifier_options``
    when ``base_options`` name a handpose gesture model (``.npz`` from ``handpose gestures train``, or rules
    ``.toml``)."""

    canned_gesture_classifier_options: ClassifierOptions = field(default_factory=ClassifierOptions)
    custom_gesture_classifier_options: ClassifierOptions = field(default_factory=ClassifierOptions)
    result_callback: Callable[[GestureRecognizerResult, Image, int], None] | None = None  # type: ignore[assignment]


CANNED_GESTURES = ["None", "Closed_Fist", "Open_Palm", "Pointing_Up", "Thumb_Down", "Thumb_Up", "Victory",
                   "ILoveYou"]
# handpose's built-in labels that are one of MediaPipe's canned gestures; every other label is "None"
_CANNED = {"fist": "Closed_Fist", "open_palm": "Open_Palm", "vulcan_salute": "Open_Palm",
           "pointing_up": "Pointing_Up", "thumbs_down": "Thumb_Down", "thumbs_up": "Thumb_Up", "victory": "Victory",
           "ily": "ILoveYou"}
# MediaPipe's Pointing_Up is the built-in `point` with the index up; a pointing index elsewhere stays `point`
_POINTING_UP = {"description": "index finger only, pointing up", "index": "extended", "middle": "curled",
                "ring": "curled", "pinky": "curled", "index_direction": "up"}


def canned_classifier() -> RuleClassifier:
    """The built-in vocabulary plus ``pointing_up``: its labels map to MediaPipe's canned gestures."""
    rules, threshold = load_rules()
    return RuleClassifier([*rules, Rule.parse("pointing_up", _POINTING_UP, "handpose.tasks")], threshold)


def _check_options(o: HandLandmarkerOptions) -> None:
    if not isinstance(o.base_options, BaseOptions):
        raise HandposeError(f"base_options must be a handpose.tasks.BaseOptions, got {type(o.base_options).__name__}")
    if not isinstance(o.num_hands, int) or o.num_hands < 1:
        raise HandposeError(f"num_hands must be a positive integer, got {o.num_hands!r}")
    for name in ("min_hand_detection_confidence", "min_hand_presence_confidence", "min_tracking_confidence"):
        if not 0 <= getattr(o, name) <= 1:
            raise HandposeError(f"{name} is a probability in [0, 1], got {getattr(o, name)}")


class HandLandmarker(VisionTask):
    """Hands and their 21 landmarks: ``detect`` (IMAGE), ``detect_for_video`` (VIDEO), ``detect_async``
    (LIVE_STREAM: returns at once; a worker thread passes each result to the callback, dropping frames that
    arrive while it is busy, all but the newest; ``close()`` or ``with`` delivers the last). Landmarks are not
    smoothed and handedness is named for the image as given, as by MediaPipe's task. ``tracker`` is the
    :class:`~handpose.HandTracker` underneath."""

    def __init__(self, options: HandLandmarkerOptions, models: HandModels | None = None):
        _check_options(options)
        super().__init__(options.running_mode, options.result_callback)
        self.options = options
        models = models or hand_models(options.base_options, gestures_allowed=False)
        gpu = options.base_options.delegate == BaseOptions.Delegate.GPU
        self.tracker = HandTracker(
            palm_model=models.palm, landmark_model=models.landmark, engine="onnxruntime" if gpu else "auto",
            providers=["CUDAExecutionProvider"] if gpu else None, max_hands=options.num_hands,
            mode="image" if options.running_mode is RunningMode.IMAGE else "video", color="rgb", smooth=False,
            min_detection_confidence=options.min_hand_detection_confidence,
            min_presence=options.min_hand_presence_confidence)
        self._turns: int | None = None

    @classmethod
    def create_from_options(cls, options: HandLandmarkerOptions) -> HandLandmarker:
        return cls(options)

    @classmethod
    def create_from_model_path(cls, model_path: str) -> HandLandmarker:
        """An IMAGE-mode landmarker on a ``hand_landmarker.task`` bundle."""
        return cls(HandLandmarkerOptions(BaseOptions(model_asset_path=model_path)))

    def detect(self, image: Image, image_processing_options: ImageProcessingOptions | None = None
               ) -> HandLandmarkerResult:
        self._check(RunningMode.IMAGE, image)
        return self._result(image, None, image_processing_options)

    def detect_for_video(self, image: Image, timestamp_ms: int,
                         image_processing_options: ImageProcessingOptions | None = None) -> HandLandmarkerResult:
        self._check(RunningMode.VIDEO, image, timestamp_ms)
        return self._result(image, timestamp_ms, image_processing_options)

    def detect_async(self, image: Image, timestamp_ms: int,
                     image_processing_options: ImageProcessingOptions | None = None) -> None:
        self._check(RunningMode.LIVE_STREAM, image, timestamp_ms)
        self._submit(image, timestamp_ms, image_processing_options)

    def _hands(self, image: Image, timestamp_ms: int | None, processing: ImageProcessingOptions | None
               ) -> tuple[Hands, np.ndarray, np.ndarray]:
        """The tracker's hands, and their keypoints (pixels) and world points in the image as given."""
        turns = rotation_turns(processing)
        if self._turns is not None and turns != self._turns:
            self.tracker.reset()  # tracked crops belong to the other orientation
        self._turns = turns
        self.tracker.color = image.color
        hands = self.tracker.process(turned(image, turns), timestamp_ms)
        keypoints, world = hands.keypoints, hands.world
        if turns:
            keypoints, world = keypoints.copy(), world.copy()
            keypoints[..., :2] = turn_back(keypoints[..., :2], turns, image.width, image.height)
            world[..., :2] = turn_back(world[..., :2], turns, 0.0, 0.0)
        return hands, keypoints, world

    def _landmarks(self, image: Image, timestamp_ms: int | None, processing: ImageProcessingOptions | None
                   ) -> tuple[Hands, HandLandmarkerResult]:
        hands, keypoints, world = self._hands(image, timestamp_ms, processing)
        norm = (keypoints / np.array([image.width, image.height, image.width], np.float32)).tolist()
        # mediapipe 0.10.21's task numbers "Right" 0 and "Left" 1 (the reverse of its own legacy solution)
        sides = [[Category(int(side != "right"), score, side.capitalize(), side.capitalize())]
                 for side, score in zip(hands.handedness.tolist(), hands.handedness_scores.tolist(), strict=True)]
        return hands, HandLandmarkerResult(sides, [[NormalizedLandmark(*p) for p in hand] for hand in norm],
                                           [[Landmark(*p) for p in hand] for hand in world.tolist()])

    def _result(self, image: Image, timestamp_ms: int | None, processing: ImageProcessingOptions | None) -> Any:
        return self._landmarks(image, timestamp_ms, processing)[1]


class GestureRecognizer(HandLandmarker):
    """:class:`HandLandmarker` plus a gesture per hand: ``recognize`` / ``recognize_for_video`` /
    ``recognize_async``. Without a gesture model, handpose's built-in vocabulary names MediaPipe's eight canned
    gestures (:data:`CANNED_GESTURES`; every other shape is ``"None"``); with one (``base_options`` naming an
    ``.npz`` from ``handpose gestures train`` or a rules ``.toml``), its labels, and ``"None"`` for a hand it
    rejects. The gesture models inside a MediaPipe ``gesture_recognizer.task`` are not run (its hand models are)."""

    def __init__(self, options: GestureRecognizerOptions):
        if not isinstance(options, GestureRecognizerOptions):
            raise HandposeError(f"expected GestureRecognizerOptions, got {type(options).__name__}")
        models = hand_models(options.base_options, gestures_allowed=True)
        super().__init__(options, models)
        if models.gestures is None:
            self._shapes, self._names = _Recognizer(canned_classifier(), dynamic=False), _CANNED
            filters, labels = options.canned_gesture_classifier_options, CANNED_GESTURES
        else:
            self._shapes = load_classifier(models.gestures)
            if self._shapes.trajectory is not None:
                raise HandposeError(f"{models.gestures} is a trajectory model; a GestureRecognizer classifies hand "
                                    "shapes (use handpose.HandTracker(gestures=...) for motions)")
            self._names = {label: label for label in self._shapes.static.labels if label != "none"}
            filters, labels = options.custom_gesture_classifier_options, ["None", *self._names.values()]
        filters.check(labels, "canned_gesture_classifier_options" if models.gestures is None
                      else "custom_gesture_classifier_options")
        self._filters = filters
        self.classifier: RuleClassifier | GestureClassifier = self._shapes.static

    @classmethod
    def create_from_options(cls, options: GestureRecognizerOptions) -> GestureRecognizer:  # type: ignore[override]
        return cls(options)

    @classmethod
    def create_from_model_path(cls, model_path: str) -> GestureRecognizer:
        """An IMAGE-mode recognizer on a ``gesture_recognizer.task`` bundle or a handpose gesture model."""
        return cls(GestureRecognizerOptions(BaseOptions(model_asset_path=model_path)))

    def recognize(self, image: Image, image_processing_options: ImageProcessingOptions | None = None
                  ) -> GestureRecognizerResult:
        return self.detect(image, image_processing_options)  # type: ignore[return-value]

    def recognize_for_video(self, image: Image, timestamp_ms: int,
                            image_processing_options: ImageProcessingOptions | None = None
                            ) -> GestureRecognizerResult:
        return self.detect_for_video(image, timestamp_ms, image_processing_options)  # type: ignore[return-value]

    def recognize_async(self, image: Image, timestamp_ms: int,
                        image_processing_options: ImageProcessingOptions | None = None) -> None:
        self.detect_async(image, timestamp_ms, image_processing_options)

    def gestures_of(self, keypoints: np.ndarray, handedness: list[str | None]) -> list[list[Category]]:
        """Each hand's gesture (keypoints (N, 21, 2|3) in pixels; handedness ``"left"`` / ``"right"``), as in
        :attr:`GestureRecognizerResult.gestures`."""
        out = []
        for g in self._shapes.classify(keypoints, handedness):
            # "None" scores how sure it is that no reportable gesture is shown
            name, score = self._names.get(g.label, "None"), float(g.score)
            if name != "None" and not self._filters.allowed(name):
                name = "None"
            elif name != "None" and score < (self._filters.score_threshold or 0.0):
                name, score = "None", 1.0 - score
            out.append([Category(-1, score, "", name)])
        return out

    def _result(self, image: Image, timestamp_ms: int | None, processing: ImageProcessingOptions | None) -> Any:
        hands, found = self._landmarks(image, timestamp_ms, processing)
        return GestureRecognizerResult(self.gestures_of(hands.keypoints, [str(h) for h in hands.handedness]),
                                       found.handedness, found.hand_landmarks, found.hand_world_landmarks)


__all__ = ["CANNED_GESTURES", "GestureRecognizer", "GestureRecognizerOptions", "GestureRecognizerResult",
           "HandLandmark", "HandLandmarker", "HandLandmarkerOptions", "HandLandmarkerResult",
           "HandLandmarksConnections", "ImageProcessingOptions", "RunningMode", "canned_classifier", "drawing_styles",
           "drawing_utils"]
