"""A drop-in for MediaPipe's legacy ``mp.solutions.hands``, ``drawing_utils`` and ``drawing_styles``, which new
mediapipe wheels no longer ship: code written for them runs on handpose with its import changed.

    # import mediapipe as mp; mp_hands = mp.solutions.hands; mp_drawing = mp.solutions.drawing_utils
    from handpose.solutions import drawing_styles, drawing_utils as mp_drawing, hands as mp_hands

Results keep the legacy shapes and conventions (normalized landmarks, handedness named for a mirrored image).
"""

from . import drawing_styles, drawing_utils, hands

__all__ = ["drawing_styles", "drawing_utils", "hands"]
