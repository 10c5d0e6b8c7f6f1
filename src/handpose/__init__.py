"""handpose: real-time hand pose estimation and gesture recognition.

    import cv2, handpose
    tracker = handpose.HandTracker()              # Google's hand models, fastest engine on this machine
    hands = tracker(cv2.imread("hand.jpg"))       # typed result: keypoints (n, 21, 3), handedness, ids, ...
"""

from ._version import __version__
from .camera import Camera, place_in_camera
from .draw import EventBanner, draw_hands, draw_skeleton, draw_world
from .engines import Engine, available_engines, create_engine
from .errors import ConversionError, EngineError, FetchError, HandposeError, InputError, ModelError, OutputError
from .geometry import rects_from_palms
from .landmarks import LandmarkModel, LandmarkOutput
from .palm import PalmDetector, Palms
from .pipeline import HandTracker
from .registry import ModelSpec, get_model, list_models, register_model
from .replay import read_jsonl
from .results import KEYPOINT_NAMES, SKELETON, Gesture, Hand, Hands
from .sinks import Preview
from .smoothing import OneEuroFilter, OneEuroParams
from .sources import Frame, open_source

__all__ = [
    "KEYPOINT_NAMES",
    "SKELETON",
    "Camera",
    "ConversionError",
    "Engine",
    "EngineError",
    "EventBanner",
    "FetchError",
    "Frame",
    "Gesture",
    "Hand",
    "HandTracker",
    "HandposeError",
    "Hands",
    "InputError",
    "LandmarkModel",
    "LandmarkOutput",
    "ModelError",
    "ModelSpec",
    "OneEuroFilter",
    "OneEuroParams",
    "OutputError",
    "PalmDetector",
    "Palms",
    "Preview",
    "__version__",
    "available_engines",
    "create_engine",
    "draw_hands",
    "draw_skeleton",
    "draw_world",
    "get_model",
    "list_models",
    "open_source",
    "place_in_camera",
    "read_jsonl",
    "rects_from_palms",
    "register_model",
]
