"""MediaPipe's landmark messages, as the dataclasses of :mod:`handpose.solutions.hands` (no protobuf)."""

from ...solutions.hands import Landmark, LandmarkList, NormalizedLandmark, NormalizedLandmarkList

__all__ = ["Landmark", "LandmarkList", "NormalizedLandmark", "NormalizedLandmarkList"]
