"""Images: files (one at a time or as a sequence) and an image on a web server, decoded upright and checked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputError
from ..imaging import MAX_PIXELS
from .base import Frame, Source, common_root


def read_image(path: str | Path) -> np.ndarray:
    """Read an image file as-is (8/16-bit, 1/3/4 channels); a clear InputError when it cannot be used."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"file not found: {p}")
    if p.is_dir():
        raise InputError(f"{p} is a folder, not an image")
    if p.stat().st_size == 0:
        raise InputError(f"empty file: {p}")
    return decode_image(np.fromfile(p, np.uint8), str(p))  # imdecode also handles non-ASCII paths


MAX_IMAGE_BYTES = 200_000_000


def fetch_image(url: str, timeout_s: float = 30.0) -> np.ndarray:
    """Read the image at an http(s) URL (the input a user named) as :func:`read_image` reads a file."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            data = response.read(MAX_IMAGE_BYTES + 1)
    except urllib.error.HTTPError as e:
        raise InputError(f"cannot fetch image {url}: HTTP {e.code} {e.reason}") from e
    except (urllib.error.URLError, OSError) as e:
        raise InputError(f"cannot fetch image {url}: {getattr(e, 'reason', e)}") from e
    if len(data) > MAX_IMAGE_BYTES:
        raise InputError(f"{url}: over {MAX_IMAGE_BYTES // 1_000_000} MB, too big for an image")
    if not data:
        raise InputError(f"empty response: {url}")
    return decode_image(np.frombuffer(data, np.uint8), url)


def decode_image(data: np.ndarray, name: str) -> np.ndarray:
    """An encoded image's bytes -> the image as-is (depth, gray, alpha kept), turned upright as a phone photo's
    EXIF orientation says; a clear InputError naming ``name`` when it cannot be used."""
    # IMREAD_UNCHANGED ignores the orientation; a JPEG has no alpha to keep, so it is read with it applied
    jpeg = data[:3].tobytes() == b"\xff\xd8\xff"
    img = cv2.imdecode(data, cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR if jpeg else cv2.IMREAD_UNCHANGED)
    if img is None:
        raise InputError(f"cannot decode image {name}: corrupt, truncated or not an image format OpenCV reads")
    if img.shape[0] * img.shape[1] > MAX_PIXELS:
        raise InputError(f"{name}: {img.shape[1]}x{img.shape[0]} pixels is over the {MAX_PIXELS // 1_000_000} "
                         "megapixel limit; resize it first")
    return img


class ImageFiles(Source):
    """Images in sorted order; an unreadable one yields a Frame with an error, and the run goes on."""

    kind = "images"
    # An image sequence is timed as frames at this rate: in video mode its tracks and filters need time to pass
    # (at one timestamp for all, every image was given the first one's keypoints).
    SEQUENCE_FPS = 25.0

    def __init__(self, paths: list[Path], name: str):
        super().__init__(name)
        self.files = paths
        self.total = len(paths)
        self.fps = self.SEQUENCE_FPS
        self.root = common_root(paths)

    def __iter__(self) -> Iterator[Frame]:
        period_ms = 1000.0 / (self.fps or self.SEQUENCE_FPS)  # the rate they were taken at, when known
        for i, p in enumerate(self.files):
            try:
                yield Frame(read_image(p), i, i * period_ms, str(p))
            except InputError as e:
                yield Frame(None, i, i * period_ms, str(p), str(e))


class ImageUrl(Source):
    """One image on a web server, read once (an image URL is not a stream: it has one frame, then ends)."""

    kind = "images"

    def __init__(self, url: str):
        super().__init__(url)
        self.total = 1
        self.fps = ImageFiles.SEQUENCE_FPS
        self.root = None

    def __iter__(self) -> Iterator[Frame]:
        try:
            yield Frame(fetch_image(self.name), 0, 0.0, self.name)
        except InputError as e:
            yield Frame(None, 0, 0.0, self.name, str(e))
