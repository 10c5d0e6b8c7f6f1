"""MediaPipe's classification messages (handedness), as the dataclasses of :mod:`handpose.solutions.hands`."""

from ...solutions.hands import Classification, ClassificationList

__all__ = ["Classification", "ClassificationList"]
