"""MediaPipe's ``mediapipe.framework`` paths that hand-tracking programs import: only the landmark and
classification messages (``framework.formats``), as plain dataclasses."""
