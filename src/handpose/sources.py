"""Frame sources: an image, a folder, a glob, a video file, a camera index or a network stream.

An http(s) URL of an image or a video file is read whole, like a file. Live sources (cameras, rtsp/http streams) are
read on a background thread that keeps only the newest frame: when processing is slower than the camera, stale
frames are dropped instead of queueing up latency.
"""

from __future__ import annotations

import contextlib
import glob as globlib
import itertools
import logging
import math
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .errors import InputError
from .imaging import MAX_PIXELS

log = logging.getLogger("handpose")

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".avif", ".jp2", ".pgm", ".ppm", ".pbm",
              ".pnm"}
VIDEO_EXTS = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv", ".gif", ".ts"}
STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://")


@dataclass
class Frame:
    """One input frame, or the reason it could not be read (``image`` is None and ``error`` says why)."""

    image: np.ndarray | None
    index: int
    timestamp_ms: float
    source: str
    error: str | None = None


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


class Source:
    """Iterable of :class:`Frame`; use as a context manager so devices are released."""

    kind = "source"
    live = False

    def __init__(self, name: str):
        self.name = name
        self.total: int | None = None
        self.fps: float | None = None
        self.size: tuple[int, int] | None = None  # (width, height) when known in advance
        self.files: list[Path] = []  # the local files it reads (an output must never be one of them)

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the device or file."""

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


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


def common_root(paths: list[Path]) -> Path | None:
    """The deepest folder holding every file: outputs keep the tree below it, so that a glob over several folders
    with equal file names (cam1/0001.png, cam2/0001.png) does not write one output over another."""
    return Path(os.path.commonpath([p.parent.resolve() for p in paths])) if paths else None


class VideoFile(Source):
    kind = "video"
    MAX_DAMAGED = 50  # frames in a row that fail to decode before the file is taken to end there

    def __init__(self, target: Path | str, stride: int = 1, cap: cv2.VideoCapture | None = None):
        """A video file, or the URL of a video file, read from start to end: every frame, or every ``stride``-th
        (the others are skipped undecoded; frames keep their own index and time). ``cap``: already opened on it."""
        super().__init__(str(target))
        if isinstance(target, Path):
            if target.stat().st_size == 0:
                raise InputError(f"empty file: {target}")
            self.files = [target]
        self.cap = cap if cap is not None else cv2.VideoCapture(str(target))
        if not self.cap.isOpened():
            raise InputError(f"cannot open video {target}: unreachable, corrupt or unsupported format")
        self.fps = float(self.cap.get(cv2.CAP_PROP_FPS)) or 30.0
        n = int(self.cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.frame_count = n if n > 0 else None
        self.size = (int(self.cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self.cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        self.frames_read = 0
        self.every(stride)

    def every(self, stride: int) -> VideoFile:
        """Yield every ``stride``-th frame only (before iterating); ``total`` counts the frames it will yield."""
        if stride < 1:
            raise InputError(f"stride must be at least 1, got {stride}")
        self.stride = stride
        self.total = -(-self.frame_count // stride) if self.frame_count else None
        return self

    def __iter__(self) -> Iterator[Frame]:
        i, t, period = 0, -math.inf, 1000.0 / (self.fps or 30.0)
        # A frame the decoder fails on is not the end: a damaged file decodes again after it. Failures are held
        # until a later frame decodes (then each is reported as a skipped frame) or too many come in a row (the end).
        failed: list[int] = []
        while len(failed) < self.MAX_DAMAGED:
            skip = i % self.stride != 0
            if skip:
                ok, img = self.cap.grab(), None
            else:
                ok, img = self.cap.read()
                ok = ok and img is not None
            if not ok:
                failed.append(i)
                i += 1
                continue
            for j in failed:
                if j % self.stride == 0:
                    yield Frame(None, j, max(t, 0.0), self.name, f"frame {j} of {self.name}: damaged, not decodable")
            failed.clear()
            if not skip:
                # the frame's own time in the file: a phone's variable-rate video is not index / average fps; a
                # container that gives no usable time falls back to the frame's place at the stated rate
                pts = round(self.cap.get(cv2.CAP_PROP_POS_MSEC), 3)  # to the microsecond: 8040.000000000001 is 8040
                t = pts if math.isfinite(pts) and pts > t and (pts > 0 or i == 0) else max(i * period, t + period)
                yield Frame(img, i, t, self.name)
            i += 1
        i -= len(failed)  # what never decoded after the last good frame is past the file's end
        self.frames_read = i
        if i == 0:
            raise InputError(f"cannot read any frame from video {self.name}: corrupt or truncated")
        if self.frame_count and i < self.frame_count - 1:
            log.warning("video %s ended after %d of %d frames (truncated or damaged file)", self.name, i,
                        self.frame_count)

    def close(self) -> None:
        self.cap.release()


class VideoFiles(Source):
    """Several video files in turn (a folder or glob of them). Each one's timestamps start at 0, so a tracker fed
    these frames starts fresh tracks for every video; a video that cannot be read yields one Frame with the error."""

    kind = "videos"

    def __init__(self, paths: list[Path], name: str, stride: int = 1):
        super().__init__(name)
        self.files = paths
        self.root = common_root(paths)
        self.stride = stride

    def __iter__(self) -> Iterator[Frame]:
        for p in self.files:
            try:
                with VideoFile(p, self.stride) as video:
                    yield from video
            except InputError as e:
                yield Frame(None, 0, 0.0, str(p), str(e))


class LiveSource(Source):
    """A camera or network stream read on its own thread; iteration yields only the newest frame, timed in ms
    since the source was opened (when it was read off the device or stream)."""

    live = True

    def __init__(self, target: int | str, name: str, kind: str, reconnect_s: float = 30.0,
                 open_timeout_s: float = 10.0, size: tuple[int, int] | None = None, fps: float | None = None):
        """``size`` (width, height) and ``fps``: what to ask a camera for (a stream's are its sender's)."""
        super().__init__(name)
        if not reconnect_s >= 0:
            raise InputError(f"reconnect_s is how long to keep reconnecting to a dropped stream, >= 0 s; got "
                             f"{reconnect_s}")
        if (size is not None or fps is not None) and kind != "camera":
            raise InputError(f"a frame size or rate is asked of a camera; {name}'s are set where it is sent from")
        if size is not None and not (len(size) == 2 and min(size) >= 1):
            raise InputError(f"size is (width, height) in pixels, got {size}")
        if fps is not None and not fps > 0:
            raise InputError(f"fps must be above 0, got {fps}")
        self.kind = kind
        self.target = target
        self.asked = (tuple(int(v) for v in size) if size is not None else None, fps)
        self.reconnect_s = reconnect_s if kind == "stream" else 0.0  # a camera that stops has gone
        self._reconnecting = False
        self.cap = self._open()
        self._opened = time.monotonic()
        self.fps = float(self.cap.get(cv2.CAP_PROP_FPS)) or None
        self._cond = threading.Condition()
        self._latest: tuple[np.ndarray, float] | None = None
        self._seq = 0
        self._stop = False
        self._error: str | None = None
        self.dropped = 0
        self._open_timeout_s = open_timeout_s
        self._thread = threading.Thread(target=self._reader, name=f"handpose-{kind}", daemon=True)
        self._thread.start()

    def _open(self) -> cv2.VideoCapture:
        cap = cv2.VideoCapture(self.target)
        if not cap.isOpened():
            what = f"camera {self.target}" if self.kind == "camera" else f"stream {self.name}"
            raise InputError(f"{what} is not available (not connected, in use, or unreachable)")
        size, fps = self.asked
        if size is not None:
            # USB webcams send large frames at full rate only compressed: uncompressed 1280x720 is often 10 fps
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, size[0])
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, size[1])
        if fps is not None:
            cap.set(cv2.CAP_PROP_FPS, fps)
        given = (round(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), round(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        if size is not None and given != size:
            log.warning("%s gives %dx%d frames, not the %dx%d asked for (the nearest size it has)", self.name,
                        *given, *size)
        if fps is not None and abs(cap.get(cv2.CAP_PROP_FPS) - fps) > 0.5:
            log.warning("%s runs at %g fps, not the %g asked for", self.name, cap.get(cv2.CAP_PROP_FPS), fps)
        return cap

    def _reader(self) -> None:
        failures, dropped_at = 0, 0.0
        while not self._stop:
            ok, img = self.cap.read()
            if not ok or img is None:
                failures += 1
                if failures == 1:
                    dropped_at = time.monotonic()
                    if self.reconnect_s > 0:
                        log.warning("%s dropped; reconnecting for up to %g s", self.name, self.reconnect_s)
                if time.monotonic() - dropped_at < self.reconnect_s:
                    self._reconnecting = True
                    self.cap.release()
                    # a short pause first (a blip), then every 2 s (a camera rebooting, a network coming back)
                    time.sleep(min(2.0, 0.25 * 2**failures, max(0.0, dropped_at + self.reconnect_s - time.monotonic())))
                    with contextlib.suppress(InputError):
                        self.cap = self._open()
                    continue
                with self._cond:
                    self._error = f"{self.name}: no more frames (the device or stream stopped)"
                    self._cond.notify_all()
                return
            if failures:
                log.warning("%s reconnected after %.1f s", self.name, time.monotonic() - dropped_at)
                failures, self._reconnecting = 0, False
            with self._cond:
                if self._latest is not None:
                    self.dropped += 1  # the consumer had not taken the previous frame: it is stale now
                self._latest = (img, (time.monotonic() - self._opened) * 1e3)
                self._seq += 1
                self._cond.notify_all()

    def _newest(self, seen: int) -> tuple[np.ndarray, float, int] | None:
        """Wait for a frame newer than ``seen``; None when the source has ended."""
        with self._cond:
            ok = False
            while not ok:
                ok = self._cond.wait_for(lambda: self._seq != seen or self._error is not None or self._stop,
                                         timeout=self._open_timeout_s)
                if not self._reconnecting:  # a stream being reconnected to may take longer
                    break
            if self._seq != seen and self._latest is not None:
                img, t = self._latest
                self._latest = None
                return img, t, self._seq
            if self._stop or self._error is not None:
                return None
            if not ok:
                raise InputError(f"{self.name}: no frame within {self._open_timeout_s:.0f} s")
            return None

    def __iter__(self) -> Iterator[Frame]:
        i, seen = 0, 0
        while (item := self._newest(seen)) is not None:
            img, t, seen = item
            yield Frame(img, i, t, self.name)
            i += 1
        if self._error is not None:
            if i == 0:
                raise InputError(self._error)
            log.warning("%s", self._error)

    def close(self) -> None:
        self._stop = True
        with self._cond:
            self._cond.notify_all()
        self._thread.join(timeout=2.0)
        self.cap.release()


def is_glob(text: str) -> bool:
    """A pattern such as ``shots/*/*.jpg`` (and not an existing file whose name has such characters)."""
    return any(c in text for c in "*?[") and not Path(text).expanduser().exists()


def glob_files(pattern: str, exts: set[str] | frozenset[str]) -> list[Path]:
    """The files matching ``pattern`` (``**`` recursive) whose extension is in ``exts``, sorted."""
    matches = map(Path, globlib.glob(pattern, recursive=True))
    return sorted(p for p in matches if p.is_file() and p.suffix.lower() in exts)


def url_kind(text: str) -> str | None:
    """``"video"`` / ``"image"`` for the URL of a video / image file on a web server (read whole, like a file),
    ``"live"`` for a stream (rtsp, rtmp, udp, tcp, or an http URL of neither), None for anything else."""
    low = text.lower()
    if not low.startswith(STREAM_SCHEMES):
        return None
    if low.startswith(("http://", "https://")):
        suffix = Path(low.split("?", 1)[0].split("#", 1)[0]).suffix
        if suffix in VIDEO_EXTS:
            return "video"
        if suffix in IMAGE_EXTS:
            return "image"
    return "live"


def _open_url(url: str, **options: Any) -> Source:
    """A URL without a telling file name: a finite image or video read once, else a live stream."""
    http = url.lower().startswith(("http://", "https://"))
    content_type, head = _peek(url) if http else ("", b"")
    finite = _finite_http(url, content_type, head) if http else None
    if finite is not None:
        return finite
    try:
        return LiveSource(url, url, "stream", **options)
    except InputError as e:
        if content_type.startswith("text/") or content_type.endswith(("/json", "/xml", "+xml")):
            raise InputError(f"{url} is a {content_type} page, not an image, a video or a stream: give the address "
                             "of the file or stream itself") from e
        raise


def _finite_http(url: str, content_type: str, head: bytes) -> Source | None:
    """An http(s) URL without a file name that serves an image (by its Content-Type, or its first bytes when the
    server says only "bytes") or a video file (it knows its frame count) all the same: read it once, like a file.
    As a live stream it would be reconnected to, and so replayed, without end."""
    if content_type.startswith("image/") or (content_type in UNTYPED and _looks_like_image(head)):
        return ImageUrl(url)
    cap = cv2.VideoCapture(url)
    if cap.isOpened() and 1 <= cap.get(cv2.CAP_PROP_FRAME_COUNT) < 2**31:
        return VideoFile(url, cap=cap)
    cap.release()
    return None


def _peek(url: str, n: int = 16, timeout_s: float = 5.0) -> tuple[str, bytes]:
    """The Content-Type an http(s) server gives for ``url`` ("" when it says none) and the first ``n`` bytes it
    sends (asked for as a range; a server that sends all, a stream, is cut off); ("", b"") when it fails."""
    import urllib.request

    try:
        request = urllib.request.Request(url, headers={"Range": f"bytes=0-{n - 1}"})
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            content_type = response.headers.get_content_type() if response.headers.get("Content-Type") else ""
            return str(content_type), bytes(response.read(n))
    except (OSError, ValueError):  # unreachable, HTTP errors: the stream's own open decides
        return "", b""


# what object stores and download links call any file
UNTYPED = ("", "application/octet-stream", "binary/octet-stream", "application/binary", "application/download")
IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"BM", b"II*\x00", b"MM\x00*", b"\x00\x00\x00\x0cjP  \r\n",
                    b"\xffO\xffQ", *(b"P%d" % k for k in range(1, 7)))


def _looks_like_image(head: bytes) -> bool:
    """Whether a file's first bytes are those of an image format handpose reads (see ``IMAGE_EXTS``)."""
    return (head.startswith(IMAGE_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
            or head[4:12] in (b"ftypavif", b"ftypavis"))


def _files_in(folder: Path, exts: set[str]) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in exts)


def _format_hint(suffix: str) -> str:
    """What to do with a common format OpenCV does not read."""
    if suffix in (".heic", ".heif"):
        return " (iPhone photos: OpenCV does not read HEIC; convert them to JPEG, or set the camera to 'Most " \
               "Compatible')"
    return ""


def _folder_hint(folder: Path) -> str:
    """Why a folder gave no images or videos, and what to pass instead."""
    if glob_files(os.path.join(globlib.escape(str(folder)), "**", "*"), IMAGE_EXTS | VIDEO_EXTS):
        return f": its subfolders hold some, pass a quoted glob such as '{folder / '**' / '*.jpg'}'"
    heic = next((p.suffix.lower() for p in folder.iterdir() if p.suffix.lower() in (".heic", ".heif")), "")
    return f" (looked for {', '.join(sorted(IMAGE_EXTS | VIDEO_EXTS))}){_format_hint(heic)}"


def _files_source(images: list[Path], videos: list[Path], name: str, what: str, example: Path) -> Source:
    """Images as one sequence, one video as itself, several videos in turn; never images and videos mixed."""
    if images and videos:
        raise InputError(f"{what} holds both images ({len(images)}) and videos ({len(videos)}): pass a quoted glob "
                         f"for one kind, such as '{example / '*.jpg'}' or '{example / '*.mp4'}'")
    if images:
        return ImageFiles(images, name)
    return VideoFile(videos[0]) if len(videos) == 1 else VideoFiles(videos, name)


def camera_request(source: Any, size: tuple[int, int] | None, fps: float | None) -> dict[str, Any]:
    """The options asking a camera for a frame ``size`` and rate (``{}`` when neither is given), refused at once
    for a source that is no camera index (a file's or a stream's are its own)."""
    asked = {k: v for k, v in (("size", size), ("fps", fps)) if v is not None}
    if asked and not str(source).strip().isdigit():
        raise InputError(f"--{' and --'.join(asked)} {'is' if len(asked) == 1 else 'are'} asked of a camera, and "
                         f"{source} is not one")
    return asked


SOURCE_OPTIONS = ("reconnect_s", "open_timeout_s", "size", "fps")
KIND_NAMES = {"images": "images", "video": "a video", "videos": "videos", "camera": "a camera",
              "stream": "a live stream"}


def open_source(source: Any, **options: Any) -> Source:
    """Open a source, ultralytics-style: a path, folder, glob, video, camera index or URL. ``options`` go to a
    camera or stream (:class:`LiveSource`: ``reconnect_s``, ``open_timeout_s``; a camera's ``size``, ``fps``);
    ``fps`` also gives a folder or glob of frames the rate they were taken at (25 by default). Options a source
    cannot use are refused, not ignored (the connection timeouts are only waited on by live sources)."""
    unknown = sorted(set(options) - set(SOURCE_OPTIONS))
    if unknown:
        raise TypeError(f"unknown source option {', '.join(unknown)}; the options are {', '.join(SOURCE_OPTIONS)}")
    if isinstance(source, Source):
        if any(v is not None for v in options.values()):
            raise TypeError(f"{source.name} is open already: options are for a source to open")
        return source
    src = _open(source, options)
    if src.live:
        return src
    size, fps = options.get("size"), options.get("fps")
    try:
        if size is not None:
            raise InputError(f"a frame size is asked of a camera, and {src.name} is not one")
        if fps is not None:
            if src.kind != "images":
                raise InputError(f"fps is asked of a camera, or gives a folder of frames its rate; {src.name} is "
                                 f"{KIND_NAMES.get(src.kind, src.kind)}, which has its own")
            if not fps > 0:
                raise InputError(f"fps must be above 0, got {fps}")
            src.fps = float(fps)
    except InputError:
        src.close()
        raise
    return src


def _open(source: Any, options: dict[str, Any]) -> Source:
    if isinstance(source, (int, np.integer)) or (isinstance(source, str) and source.strip().isdigit()):
        idx = int(source)
        return LiveSource(idx, f"camera:{idx}", "camera", **options)
    if isinstance(source, (list, tuple)):
        return ImageFiles([Path(p) for p in source], "images")
    text = str(source)
    kind = url_kind(text)
    if kind == "video":
        return VideoFile(text)
    if kind == "image":
        return ImageUrl(text)
    if kind == "live":
        return _open_url(text, **options)
    path = Path(text).expanduser()
    if path.is_dir():
        images, videos = _files_in(path, IMAGE_EXTS), _files_in(path, VIDEO_EXTS)
        if not images and not videos:
            raise InputError(f"no images or videos found in folder {path}{_folder_hint(path)}")
        return _files_source(images, videos, str(path), f"folder {path}", path)
    if is_glob(text):
        images, videos = glob_files(text, IMAGE_EXTS), glob_files(text, VIDEO_EXTS)
        if not images and not videos:
            raise InputError(f"no images or videos match {text}")
        fixed = itertools.takewhile(lambda part: not any(c in part for c in "*?["), Path(text).parts)
        return _files_source(images, videos, text, text, Path(*fixed))
    if not path.exists():
        raise InputError(f"source not found: {text} (expected an image, folder, glob, video, camera index or URL)")
    suffix = path.suffix.lower()
    if suffix in IMAGE_EXTS:
        return ImageFiles([path], str(path))
    if suffix in VIDEO_EXTS:
        return VideoFile(path)
    raise InputError(f"unsupported file type {suffix or '(none)'}: {path}{_format_hint(suffix)}")


def is_image_source(src: Source) -> bool:
    return src.kind == "images"
