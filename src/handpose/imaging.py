"""Image preparation: input checks, colour handling and the letterbox the palm detector expects."""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np

from .errors import InputError

MAX_PIXELS = 80_000_000  # 8.9k x 8.9k; larger frames are refused instead of exhausting memory
GRAY_MODES = ("skin", "plain")
# A mid skin tone (sRGB). The hand models were trained on colour pictures and miss most hands in gray ones; shown
# each gray level as this colour at the same luminance, they find most of them again (README, "Gray and infrared").
SKIN_RGB = (198, 134, 66)
GRAY_TOLERANCE = 4  # channel differences a gray frame gains from a video's YUV -> BGR rounding (3 measured, MPEG-4)


def _skin_lut() -> np.ndarray:
    luminance = 0.299 * SKIN_RGB[0] + 0.587 * SKIN_RGB[1] + 0.114 * SKIN_RGB[2]
    gains = np.array(SKIN_RGB, np.float64) / luminance
    return np.clip(np.arange(256)[:, None] * gains[None] + 0.5, 0, 255).astype(np.uint8).reshape(256, 1, 3)


SKIN_LUT = _skin_lut()  # (256, 1, 3) RGB, as cv2.applyColorMap takes it


def looks_gray(image: np.ndarray) -> bool:
    """Whether a 3-channel image is gray (equal channels, as infrared and monochrome cameras give), judged on
    every 16th pixel of every 16th row: a few microseconds on any frame."""
    s = image[::16, ::16]
    middle = s[..., 1].astype(np.int16)
    return bool(np.abs(s[..., 0] - middle).max() <= GRAY_TOLERANCE
                and np.abs(s[..., 2] - middle).max() <= GRAY_TOLERANCE)


def in_skin_tone(image: np.ndarray, bgr: bool) -> tuple[np.ndarray, bool]:
    """A gray 3-channel uint8 image (what :func:`prepare` makes of any gray one) in a skin tone, RGB, as the hand
    models see gray frames best; any other image as it is. Returns the image and whether it is in BGR order."""
    if looks_gray(image):
        # its channels are equal: any order is RGB; applyColorMap takes their luminance, 4x faster than cv2.LUT
        return cv2.applyColorMap(image, SKIN_LUT), False
    return image, bgr


def gray_copy(image: np.ndarray) -> np.ndarray:
    """A picture as a monochrome camera would take it: one channel of its luminance (BGR or BGRA in)."""
    if image.ndim == 2 or image.shape[2] == 1:
        return image
    return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY)


_FLIPPABLE = tuple(np.dtype(t) for t in (np.uint8, np.uint16, np.float16, np.float32, np.float64))


def mirror(image: Any) -> Any:
    """A picture mirrored left to right (``flip``); anything that is no picture is left as it is, for
    :func:`prepare` to refuse with its reason."""
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or image.size == 0:
        return image
    if image.dtype in _FLIPPABLE:
        return cv2.flip(image, 1)
    # floats OpenCV lacks (float128) by NumPy's slower copy; other types are refused by prepare() anyway
    return np.ascontiguousarray(image[:, ::-1]) if np.issubdtype(image.dtype, np.floating) else image


def prepare(image: np.ndarray, color: str = "bgr") -> tuple[np.ndarray, bool]:
    """Any common image (gray, BGR, BGRA, RGB, RGBA; uint8, uint16 or float) as 3-channel uint8.

    Returns the image and whether its channels are in BGR order. A 3-channel uint8 image is passed through
    untouched: the channel swap is done later on the small model inputs instead of on the whole frame.
    """
    if not isinstance(image, np.ndarray):
        raise InputError(f"expected an image as a numpy array, got {type(image).__name__}")
    if image.size == 0 or image.ndim not in (2, 3) or min(image.shape[:2]) < 1:
        raise InputError(f"empty or malformed image of shape {image.shape}")
    if image.shape[0] * image.shape[1] > MAX_PIXELS:
        raise InputError(f"image of {image.shape[1]}x{image.shape[0]} pixels is larger than the "
                         f"{MAX_PIXELS // 1_000_000} megapixel limit; resize it first")
    color = color.lower()
    if color not in ("bgr", "rgb"):
        raise InputError(f"color must be 'bgr' or 'rgb', got {color!r}")
    if image.dtype != np.uint8:
        if image.dtype == np.uint16:
            image = (image >> 8).astype(np.uint8)
        elif np.issubdtype(image.dtype, np.floating):
            peak = float(image.max())
            if not math.isfinite(peak):  # the range is judged on the finite pixels; an inf one no longer darkens all
                finite = image[np.isfinite(image)]
                peak = float(finite.max()) if finite.size else 0.0
            hi = 1.0 if peak <= 1.0 else 255.0
            scaled = np.nan_to_num(image, nan=0.0, posinf=hi, neginf=0.0)  # the one copy, then worked in place
            if hi != 255.0:
                scaled *= 255.0 / hi
            image = np.clip(scaled, 0, 255, out=scaled).astype(np.uint8)
        else:
            raise InputError(f"unsupported image dtype {image.dtype}")
    channels = 1 if image.ndim == 2 else image.shape[2]
    if channels == 1:
        return cv2.cvtColor(image.reshape(image.shape[:2]), cv2.COLOR_GRAY2RGB), False
    if channels == 3:
        return image, color == "bgr"
    if channels == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR), color == "bgr"
    raise InputError(f"unsupported number of channels: {channels}")


def to_float(images: np.ndarray, bgr: bool, out: np.ndarray | None = None, tmp: np.ndarray | None = None
             ) -> np.ndarray:
    """uint8 (h, w, 3) or (1, h, w, 3) -> float32 RGB in [0, 1]; the BGR swap is done on the small input
    (into ``tmp`` when given, to avoid an allocation)."""
    if bgr:
        # cvtColor on the uint8 image is ~5x faster than a strided [..., ::-1] view in the float multiply
        images = cv2.cvtColor(images.reshape(images.shape[-3:]), cv2.COLOR_BGR2RGB, dst=tmp).reshape(images.shape)
    return np.multiply(images, np.float32(1 / 255), out=out, dtype=np.float32)


def letterbox(image: np.ndarray, size: tuple[int, int], dst: np.ndarray | None = None
              ) -> tuple[np.ndarray, float, tuple[float, float]]:
    """Resize keeping the aspect ratio, centred on a zero canvas of ``size`` (w, h) (written into ``dst``).

    Returns the canvas, the scale (canvas px per image px) and the (x, y) padding in canvas px.
    """
    w, h = size
    ih, iw = image.shape[:2]
    scale = min(w / iw, h / ih)
    px, py = (w - iw * scale) / 2.0, (h - ih * scale) / 2.0
    # One affine warp both resizes and pads (no intermediate image). Like MediaPipe, image edges map to canvas
    # edges with bilinear sampling, so decoded coordinates map back exactly with (x - px) / scale.
    m = np.array([[scale, 0, px], [0, scale, py]], np.float64)
    out = cv2.warpAffine(image, m, (w, h), dst=dst, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=0)
    return out, scale, (px, py)
