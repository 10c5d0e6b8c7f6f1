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
