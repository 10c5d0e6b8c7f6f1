"""``mediapipe.framework.formats``: ``landmark_pb2`` and ``classification_pb2``, the messages MediaPipe's own
Tasks examples build to draw a result with ``solutions.drawing_utils``::

    # from mediapipe.framework.formats import landmark_pb2      # before
    from handpose.framework.formats import landmark_pb2          # after

    proto = landmark_pb2.NormalizedLandmarkList()
    proto.landmark.extend([landmark_pb2.NormalizedLandmark(x=p.x, y=p.y, z=p.z) for p in hand_landmarks])
"""

from . import classification_pb2, landmark_pb2

__all__ = ["classification_pb2", "landmark_pb2"]
