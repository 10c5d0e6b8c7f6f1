"""``Image``: a frame and its channel layout, as MediaPipe's ``mp.Image``."""

from __future__ import annotations

import enum
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputError


class ImageFormat(enum.Enum):
    """Channel layouts an :class:`Image` can hold (the 8-bit ones of MediaPipe's list)."""

    SRGB = 1
    SRGBA = 2
    GRAY8 = 3
    SBGRA = 11


_CHANNELS = {ImageFormat.SRGB: 3, ImageFormat.SRGBA: 4, ImageFormat.SBGRA: 4, ImageFormat.GRAY8: 1}


class Image:
    """An 8-bit image and its :class:`ImageFormat`. The array is kept, not copied: do not write into it while a
    task runs on it."""

    def __init__(self, image_format: ImageFormat, data: np.ndarray):
        if not isinstance(image_format, ImageFormat):
            raise InputError(f"image_format must be a handpose.tasks.ImageFormat, got {image_format!r}")
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8:
            kind = data.dtype if isinstance(data, np.ndarray) else type(data).__name__
            raise InputError(f"Image data must be a uint8 numpy array, got {kind}")
        channels = 1 if data.ndim == 2 else (data.shape[2] if data.ndim == 3 else -1)
        if channels != _CHANNELS[image_format] or min(data.shape[:2], default=0) < 1:
            raise InputError(f"{image_format.name} needs an array of shape (height, width"
                             f"{'' if image_format is ImageFormat.GRAY8 else f', {_CHANNELS[image_format]}'})"
                             f", got {data.shape}")
        self.image_format = image_format
        self._data = data

    @classmethod
    def create_from_file(cls, file_name: str | Path) -> Image:
        """Decode an image file (JPEG, PNG, ...) as MediaPipe does: SRGB, SRGBA when it has alpha, GRAY8 when it
        is gray; 16-bit files brought to 8 bits; a JPEG's EXIF orientation not applied."""
        path = Path(file_name)
        if not path.is_file():
            raise InputError(f"{file_name}: not found")
        data = np.fromfile(path, np.uint8)
        img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
        if img is None or img.dtype not in (np.uint8, np.uint16):
            raise InputError(f"{file_name}: not a readable image")
        if img.dtype == np.uint16:
            img = np.right_shift(img, 8).astype(np.uint8)
        if img.ndim == 2:
            return cls(ImageFormat.GRAY8, img)
        if img.shape[2] == 4:
            return cls(ImageFormat.SRGBA, cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA))
        return cls(ImageFormat.SRGB, cv2.cvtColor(img, cv2.COLOR_BGR2RGB))

    @property
    def width(self) -> int:
        return int(self._data.shape[1])

    @property
    def height(self) -> int:
        return int(self._data.shape[0])

    @property
    def channels(self) -> int:
        return _CHANNELS[self.image_format]

    def numpy_view(self) -> np.ndarray:
        """The pixels, read-only (no copy)."""
        view = self._data.view()
        view.flags.writeable = False
        return view

    @property
    def color(self) -> str:
        """The channel order for :class:`~handpose.HandTracker`: ``"rgb"`` or ``"bgr"``."""
        return "bgr" if self.image_format is ImageFormat.SBGRA else "rgb"
