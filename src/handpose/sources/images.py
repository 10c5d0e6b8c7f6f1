"""Images: files (one at a time or as a sequence) and an image on a web server, decoded upright and checked."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

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


def image_size(path: str | Path) -> tuple[int, int]:
    """An image's (width, height) as :func:`read_image` gives it (turned upright), from the file's header where it
    is a JPEG or PNG: thousands of files a second, where decoding takes milliseconds each. Other files are read."""
    p = Path(path)
    try:
        with open(p, "rb") as f:
            head = f.read(24)
            if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
                width, height = struct.unpack(">II", head[16:24])
                return int(width), int(height)
            if head[:3] == b"\xff\xd8\xff":
                f.seek(2)
                size = _jpeg_size(f)
                if size is not None:
                    return size
    except FileNotFoundError as e:
        raise InputError(f"file not found: {p}") from e
    except OSError as e:
        raise InputError(f"cannot read {p}: {e.strerror or e}") from e
    image = read_image(p)
    return image.shape[1], image.shape[0]


_JPEG_FRAMES = {*range(0xC0, 0xD0)} - {0xC4, 0xC8, 0xCC}  # start-of-frame markers (not DHT, JPG, DAC)


def _jpeg_size(f: BinaryIO) -> tuple[int, int] | None:
    """Walk a JPEG's marker segments to its frame header; None where the file ends or the scan begins first."""
    turned = False  # EXIF orientation 5-8: the picture is shown turned a quarter, its width and height swapped
    while True:
        byte = f.read(1)
        while byte and byte != b"\xff":  # padding between segments
            byte = f.read(1)
        marker = f.read(1)
        while marker == b"\xff":  # fill bytes
            marker = f.read(1)
        if not byte or not marker:
            return None
        code = marker[0]
        if code == 0x01 or 0xD0 <= code <= 0xD8:  # no length field
            continue
        if code in (0xD9, 0xDA):  # end of image, start of scan
            return None
        raw = f.read(2)
        if len(raw) < 2:
            return None
        length = struct.unpack(">H", raw)[0] - 2
        if code in _JPEG_FRAMES:
            header = f.read(5)
            if len(header) < 5:
                return None
            height, width = struct.unpack(">HH", header[1:5])
            return (height, width) if turned else (width, height)
        if code == 0xE1:
            turned = _exif_orientation(f.read(length)) in (5, 6, 7, 8) or turned
        else:
            f.seek(length, 1)


def _exif_orientation(segment: bytes) -> int:
    """The orientation tag of an APP1 segment's EXIF data (1, upright, when it has none)."""
    if segment[:6] != b"Exif\x00\x00" or segment[6:8] not in (b"II", b"MM"):
        return 1
    tiff = segment[6:]
    order = "<" if tiff[:2] == b"II" else ">"
    try:
        first = struct.unpack(order + "I", tiff[4:8])[0]
        (count,) = struct.unpack(order + "H", tiff[first : first + 2])
        for at in range(first + 2, first + 2 + 12 * count, 12):
            tag, kind = struct.unpack(order + "HH", tiff[at : at + 4])
            if tag == 0x0112 and kind == 3:  # Orientation, a SHORT
                return int(struct.unpack(order + "H", tiff[at + 8 : at + 10])[0])
    except struct.error:  # cut short: as if untagged
        pass
    return 1


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
