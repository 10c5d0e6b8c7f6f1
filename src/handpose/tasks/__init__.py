"""A drop-in for MediaPipe's Tasks API hand tasks (``HandLandmarker``, ``GestureRecognizer``), run by handpose:
code written for them runs with its imports changed.

    # import mediapipe as mp                          # before
    # from mediapipe.tasks import python
    # from mediapipe.tasks.python import vision
    import handpose.tasks as mp                       # after
    from handpose.tasks import python, vision

``mp.Image``, ``mp.ImageFormat``, ``mp.tasks.BaseOptions``, ``mp.tasks.vision...``, ``python.BaseOptions`` resolve
as in MediaPipe. A ``hand_landmarker.task`` or ``gesture_recognizer.task`` bundle is read for its hand models;
without one, handpose's own copy of Google's models is used.
"""

import sys

from .. import solutions  # `mp.solutions` of `import mediapipe as mp`, now `import handpose.tasks as mp`
from . import components, vision
from .core import BaseOptions
from .image import Image, ImageFormat

# MediaPipe reaches these through `mp.tasks` and `mediapipe.tasks.python`; here both are this package.
tasks = python = sys.modules[__name__]

__all__ = ["BaseOptions", "Image", "ImageFormat", "components", "python", "solutions", "tasks", "vision"]
