"""One way in for every command: a path, folder, glob, video, camera index or URL to the :class:`Source` that reads
it, with a clear error for anything else."""

from __future__ import annotations

import glob as globlib
import itertools
import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..errors import InputError
from .base import IMAGE_EXTS, STREAM_SCHEMES, VIDEO_EXTS, Source
from .images import ImageFiles, ImageUrl
from .live import LiveSource
from .video import VideoFile, VideoFiles


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


SOURCE_OPTIONS = ("reconnect_s", "open_timeout_s", "size", "fps", "start", "end")
KIND_NAMES = {"images": "images", "video": "a video", "videos": "videos", "camera": "a camera",
              "stream": "a live stream"}


def open_source(source: Any, **options: Any) -> Source:
    """Open a source, ultralytics-style: a path, folder, glob, video, camera index or URL. ``options`` go to a
    camera or stream (:class:`LiveSource`: ``reconnect_s``, ``open_timeout_s``; a camera's ``size``, ``fps``);
    ``fps`` also gives a folder or glob of frames the rate they were taken at (25 by default); ``start`` and ``end``
    (seconds) read a part of a video file, or of each video of a folder or glob. Options a source cannot use are
    refused, not ignored (the connection timeouts are only waited on by live sources)."""
    unknown = sorted(set(options) - set(SOURCE_OPTIONS))
    if unknown:
        raise TypeError(f"unknown source option {', '.join(unknown)}; the options are {', '.join(SOURCE_OPTIONS)}")
    if isinstance(source, Source):
        if any(v is not None for v in options.values()):
            raise TypeError(f"{source.name} is open already: options are for a source to open")
        return source
    part = options.pop("start", None), options.pop("end", None)
    text = str(source).strip()
    live = text.isdigit() or (url_kind(text) == "live" and not text.lower().startswith(("http://", "https://")))
    if part != (None, None) and live:  # refused before a camera is opened (an http URL may be a video file)
        raise InputError(f"a start or end time reads a part of a video file; {source} is a camera or a live stream")
    src = _open(source, options)
    if src.live:
        if part != (None, None):
            src.close()
            raise InputError(f"a start or end time reads a part of a video file; {source} is a live stream")
        return src
    size, fps = options.get("size"), options.get("fps")
    try:
        if part != (None, None):
            if not isinstance(src, (VideoFile, VideoFiles)):
                raise InputError(f"a start or end time reads a part of a video file; {src.name} is "
                                 f"{KIND_NAMES.get(src.kind, src.kind)}")
            src.between(part[0] or 0.0, part[1])
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
