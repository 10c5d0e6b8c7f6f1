"""Video files, read frame by frame to their end, past damaged frames; several in turn."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path

import cv2

from ..errors import InputError
from .base import Frame, Source, common_root

log = logging.getLogger("handpose")


def parse_time(text: str) -> float:
    """A time into a video in seconds from ``90``, ``1:30`` or ``0:01:30.5`` (hours, minutes and seconds, as
    ffmpeg takes it)."""
    parts = str(text).strip().split(":")
    try:
        if len(parts) > 3 or any(not p.strip() for p in parts):
            raise ValueError
        *bigger, last = parts
        value = float(last)
        for n, part in enumerate(reversed(bigger)):
            value += int(part) * 60 ** (n + 1)
        if len(parts) > 1 and not 0 <= float(last) < 60:
            raise ValueError
    except ValueError:
        raise InputError(f"expected seconds or [H:]M:SS such as 90, 1:30 or 0:01:30.5, got {text!r}") from None
    if not value >= 0.0:  # NaN too
        raise InputError(f"a time into a video is 0 s or later, got {text}")
    return value


def part_options(start: float | None, end: float | None) -> dict[str, float]:
    """The ``start`` / ``end`` options of :func:`~handpose.open_source` that are given (none: whole videos)."""
    return {k: v for k, v in (("start", start), ("end", end)) if v is not None}


def check_stride(stride: int) -> int:
    """A stride of 1 (every frame) or more."""
    if stride < 1:
        raise InputError(f"stride must be at least 1, got {stride}")
    return stride


def check_part(start_s: float, end_s: float | None) -> None:
    """A part of a video, from ``start_s`` to ``end_s`` seconds (None: its end), that can hold frames."""
    if not 0.0 <= start_s < (math.inf if end_s is None else end_s):  # NaN too
        end = "its end" if end_s is None else f"{end_s:g} s"
        raise InputError(f"a part of a video starts at 0 s or later and ends after it starts; got {start_s:g} s to "
                         f"{end}")


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
        self.start_ms, self.end_ms = 0.0, math.inf
        self.every(stride)

    def every(self, stride: int) -> VideoFile:
        """Yield every ``stride``-th frame only (before iterating); ``total`` counts the frames it will yield."""
        self.stride = check_stride(stride)
        self._count()
        return self

    def between(self, start_s: float = 0.0, end_s: float | None = None) -> VideoFile:
        """Yield only the frames from ``start_s`` up to, not including, ``end_s`` seconds into the video (before
        iterating): it seeks to the start instead of decoding what comes before. Frames keep their own index and
        time in the file, and ``every`` counts from the first frame of the part."""
        end = math.inf if end_s is None else end_s * 1000.0
        check_part(start_s, end_s)
        self.start_ms, self.end_ms = start_s * 1000.0, end
        self._count()
        return self

    def _count(self) -> None:
        """``total``: the frames iterating will yield, where the header gives a frame count."""
        n = self.frame_count
        if n and (self.start_ms > 0 or self.end_ms < math.inf):
            per_ms = (self.fps or 30.0) / 1000.0
            last = n if self.end_ms == math.inf else min(n, math.ceil(self.end_ms * per_ms - 1e-6))
            n = last - math.ceil(self.start_ms * per_ms - 1e-6)
        self.total = -(-n // self.stride) if n and n > 0 else None

    def __iter__(self) -> Iterator[Frame]:
        period = 1000.0 / (self.fps or 30.0)
        i, t = self._seek(period)
        began = -1  # the index of the part's first frame, once it is read
        # A frame the decoder fails on is not the end: a damaged file decodes again after it. Failures are held
        # until a later frame decodes (then each is reported as a skipped frame) or too many come in a row (the end).
        failed: list[int] = []
        while len(failed) < self.MAX_DAMAGED:
            if not self.cap.grab():
                failed.append(i)
                i += 1
                continue
            # the frame's own time in the file: a phone's variable-rate video is not index / average fps; a
            # container that gives no usable time falls back to the frame's place at the stated rate
            pts = round(self.cap.get(cv2.CAP_PROP_POS_MSEC), 3)  # to the microsecond: 8040.000000000001 is 8040
            at = pts if math.isfinite(pts) and pts > t and (pts > 0 or i == 0) else max(i * period, t + period)
            if at >= self.end_ms:
                break
            if at < self.start_ms:  # before the part (a seek that landed early, or a file that cannot seek)
                failed.clear()
                t, i = at, i + 1
                continue
            if began < 0:
                began = i
            for j in failed:
                if (j - began) % self.stride == 0:
                    yield Frame(None, j, max(t, 0.0), self.name, f"frame {j} of {self.name}: damaged, not decodable")
            failed.clear()
            t = at
            if (i - began) % self.stride == 0:
                ok, img = self.cap.retrieve()
                if ok and img is not None:
                    yield Frame(img, i, t, self.name)
                else:
                    yield Frame(None, i, t, self.name, f"frame {i} of {self.name}: damaged, not decodable")
            i += 1
        else:
            i -= len(failed)  # what never decoded after the last good frame is past the file's end
        self.frames_read = i
        if i == 0:
            raise InputError(f"cannot read any frame from video {self.name}: corrupt or truncated")
        if began < 0 and (self.start_ms > 0 or self.end_ms < math.inf):
            last = f" (its last frame is at {t / 1000.0:g} s)" if math.isfinite(t) else ""
            raise InputError(f"{self.name} has no frames from {self.start_ms / 1000.0:g} s"
                             + (f" to {self.end_ms / 1000.0:g} s" if self.end_ms < math.inf else " on") + last)
        if self.end_ms == math.inf and self.frame_count and i < self.frame_count - 1:
            log.warning("video %s ended after %d of %d frames (truncated or damaged file)", self.name, i,
                        self.frame_count)

    def _seek(self, period: float) -> tuple[int, float]:
        """Go to a frame shortly before the part's start, without decoding all that comes before it: the index of
        the next frame, and the time of the one just passed (-inf at the video's start). OpenCV seeks by the
        average frame rate, which lands late in a variable-rate video (a phone's), so a seek that lands at the start
        or after it is tried again further back: only a frame before the start shows that none of the part was
        passed."""
        back = 2.0 * period
        while self.start_ms - back > 0:
            if not self.cap.set(cv2.CAP_PROP_POS_MSEC, self.start_ms - back) or not self.cap.grab():
                break
            at = self.cap.get(cv2.CAP_PROP_POS_MSEC)
            if not math.isfinite(at):
                break
            if at < self.start_ms:
                return int(self.cap.get(cv2.CAP_PROP_POS_FRAMES)), at
            back = 2.0 * back + (at - self.start_ms)
        if self.start_ms > 0:  # cannot seek, or the start is near the beginning: read from the first frame
            self.cap.release()
            self.cap = cv2.VideoCapture(self.name)
        return 0, -math.inf

    def close(self) -> None:
        self.cap.release()


class VideoFiles(Source):
    """Several video files in turn (a folder or glob of them). Each one's timestamps start at 0, so a tracker fed
    these frames starts fresh tracks for every video; a video that cannot be read yields one Frame with the error.
    ``stride``, ``start_s`` and ``end_s`` apply to each video (:meth:`VideoFile.every`, :meth:`VideoFile.between`)."""

    kind = "videos"

    def __init__(self, paths: list[Path], name: str, stride: int = 1):
        super().__init__(name)
        self.files = paths
        self.root = common_root(paths)
        self.stride = stride
        self.start_s: float = 0.0
        self.end_s: float | None = None

    def every(self, stride: int) -> VideoFiles:
        """Yield every ``stride``-th frame of each video only (before iterating)."""
        self.stride = check_stride(stride)
        return self

    def between(self, start_s: float = 0.0, end_s: float | None = None) -> VideoFiles:
        """Read each video only from ``start_s`` up to ``end_s`` seconds (before iterating)."""
        check_part(start_s, end_s)
        self.start_s, self.end_s = start_s, end_s
        return self

    def video(self, path: Path) -> VideoFile:
        """One of the videos, opened to be read as this source reads it (its part was checked by ``between``)."""
        return VideoFile(path, self.stride).between(self.start_s, self.end_s)

    def __iter__(self) -> Iterator[Frame]:
        for p in self.files:
            try:
                with self.video(p) as video:
                    yield from video
            except InputError as e:
                yield Frame(None, 0, 0.0, str(p), str(e))
