"""A drop-in for MediaPipe's Tasks API hand tasks (``HandLandmarker``, ``GestureRecognizer``), run by handpose:
code written for them runs with its imports changed.

    # import mediapipe as mp                          # before
    # from mediapipe.tasks import python
    # from mediapipe.tasks.python import vision
    import handpose.tasks as mp                       # after
    from handpose.tasks import python
    from handpose.tasks.python import vision

``mp.Image``, ``mp.ImageFormat``, ``mp.tasks.BaseOptions``, ``mp.tasks.vision...``, ``python.BaseOptions`` resolve
as in MediaPipe, and so do MediaPipe's module paths under ``mediapipe.tasks`` with ``handpose.tasks`` in its place
(``handpose.tasks.python.vision.hand_landmarker``, ``handpose.tasks.python.core.base_options``, ...). A
``hand_landmarker.task`` or ``gesture_recognizer.task`` bundle is read for its hand models; without one, handpose's
own copy of Google's models is used.
"""

import sys

from .. import solutions  # `mp.solutions` of `import mediapipe as mp`, now `import handpose.tasks as mp`
from . import components, core, vision
from .components import containers, processors
from .core import BaseOptions
from .image import Image, ImageFormat

# MediaPipe reaches these through `mp.tasks` and `mediapipe.tasks.python`; here both are this package.
tasks = python = sys.modules[__name__]

# MediaPipe's module paths under `mediapipe.tasks.python`, each the module here that holds its names, so that
# `from handpose.tasks.python.vision.hand_landmarker import HandLandmarkerResult` finds the same class.
_PATHS = {
    "python": python, "python.core": core, "python.core.base_options": core,
    "python.vision": vision, "python.vision.hand_landmarker": vision, "python.vision.gesture_recognizer": vision,
    "python.vision.core": core, "python.vision.core.vision_task_running_mode": core,
    "python.vision.core.image_processing_options": core,
    "python.components": components, "python.components.containers": containers,
    "python.components.containers.category": containers, "python.components.containers.landmark": containers,
    "python.components.processors": processors, "python.components.processors.classifier_options": processors,
}
for _path, _module in _PATHS.items():
    sys.modules.setdefault(f"{__name__}.{_path}", _module)

__all__ = ["BaseOptions", "Image", "ImageFormat", "components", "core", "python", "solutions", "tasks", "vision"]
