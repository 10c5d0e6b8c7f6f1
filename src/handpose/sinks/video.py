"""Annotated videos and animated GIFs."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputError, OutputError
from ..outputs import check_writable, writing
from ..quiet import quiet_stderr

# OpenCV's wheels have no H.264 encoder: an .mp4 is MPEG-4 part 2, which players show and browsers do not; a .webm
# (VP8, about 12x slower to write) plays in browsers.
VIDEO_FOURCC = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "XVID", ".webm": "VP80"}


class VideoSink:
    """An annotated video of the same size and frame rate as the input."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int], overwrite: bool = False):
        check_writable(path, overwrite)
        fourcc = VIDEO_FOURCC.get(path.suffix.lower())
        if fourcc is None:
            raise InputError(f"unsupported video format {path.suffix}: use one of {', '.join(VIDEO_FOURCC)}")
        self.path, self.size, self.fps = path, size, fps
        with quiet_stderr():  # FFmpeg notes that WebM stores no codec tag
            self.writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, size)
        if not self.writer.isOpened():
            raise InputError(f"cannot write video {path} (codec {fourcc} unavailable?)")
        self.backend = self.writer.getBackendName()
        self.count = 0
        self._t0: float | None = None
        self._last: np.ndarray | None = None

    def write(self, image: np.ndarray, name: str | None = None, timestamp_ms: float | None = None) -> None:
        """Add a frame. With ``timestamp_ms`` (a live source, whose frames come when processing allows) the video
        plays back in real time: the last frame is held over the slots of frames that were dropped (a gap longer
        than 5 s is shortened to 5 s), and a frame that comes before its slot, from a source faster than its
        stated frame rate, is left out."""
        if (image.shape[1], image.shape[0]) != self.size:
            image = cv2.resize(image, self.size, interpolation=cv2.INTER_AREA)
        if timestamp_ms is not None:
            self._t0 = timestamp_ms if self._t0 is None else self._t0
            due = round((timestamp_ms - self._t0) * self.fps / 1000.0)  # this frame's slot
            if due - self.count > 5 * self.fps:
                self._t0 += (due - self.count - round(5 * self.fps)) * 1000.0 / self.fps
                due = self.count + round(5 * self.fps)
            while self._last is not None and self.count < due:
                self.writer.write(self._last)
                self.count += 1
            self._last = image
            if due < self.count:  # its slot is taken; it may still be held over the next gap
                return
        self.writer.write(image)
        self.count += 1

    def close(self) -> None:
        self.writer.release()
        self._check_written()

    def _check_written(self) -> None:
        """OpenCV's writer says nothing when the disk fills: the file is read back to see that it holds every
        frame (its header, and its last frame found by seeking: 1–20 ms). Only a file FFmpeg wrote (OpenCV's
        wheels write with it on every desktop system) is read back, by FFmpeg: another backend might write what
        it cannot read."""
        if self.count == 0 or not self.path.is_file() or self.backend != "FFMPEG":  # a named pipe: not read back
            return
        with quiet_stderr():  # FFmpeg's own complaints about a cut file
            capture = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
            frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if capture.isOpened() else 0
            # containers that count frames by their duration may round; Matroska states its length up front
            whole = frames >= max(self.count - 1, 1) and capture.set(cv2.CAP_PROP_POS_FRAMES, frames - 1) \
                and capture.read()[0]
            capture.release()
        if whole:
            return
        try:
            full = shutil.disk_usage(self.path.parent).free == 0
        except OSError:
            full = False
        why = "No space left on device" if full else "the file is cut short (a full disk or a size limit?)"
        raise OutputError(f"cannot write {self.path}: {why}; it does not hold all {self.count} frames given to "
                          "the encoder")


def can_write_gif() -> bool:
    """Whether this OpenCV encodes GIFs (4.11 reads them and writes other animations, but has no GIF encoder)."""
    return hasattr(cv2, "imwriteanimation") and cv2.haveImageWriter("x.gif")


def check_movie_format(path: Path) -> None:
    """Refuse, before any work, a video or GIF output that this OpenCV cannot write."""
    if path.suffix.lower() == ".gif" and not can_write_gif():
        raise InputError(f"cannot write {path}: this OpenCV ({cv2.__version__}) writes no GIF; 4.12 and newer do "
                         "(pip install -U opencv-python-headless, which needs numpy 2), or write .webm or .mp4")


class GifSink:
    """An animated GIF (frames downscaled to at most ``max_width`` to keep it small).

    A GIF is written in one go at the end, so its frames are held in memory; a long input keeps at most
    ``max_frames`` of them by dropping every other frame (and doubling each one's duration) whenever the limit is
    passed: the GIF still covers the whole input, at a lower frame rate.
    """

    def __init__(self, path: Path, fps: float, overwrite: bool = False, max_width: int = 480,
                 max_frames: int = 300):
        check_writable(path, overwrite)
        check_movie_format(path)
        self.path, self.fps, self.max_width, self.max_frames = path, fps, max_width, max(2, max_frames)
        self.frames: list[np.ndarray] = []
        self.times: list[float | None] = []  # the kept frames' timestamps (live sources)
        self.step, self._seen = 1, 0  # keep every step-th input frame

    def write(self, image: np.ndarray, name: str | None = None, timestamp_ms: float | None = None) -> None:
        """Add a frame; with ``timestamp_ms`` (a live source) each frame is shown until the next one came."""
        self._seen += 1
        if (self._seen - 1) % self.step:
            return
        if image.shape[1] > self.max_width:
            h = round(image.shape[0] * self.max_width / image.shape[1])
            image = cv2.resize(image, (self.max_width, h), interpolation=cv2.INTER_AREA)
        if self.frames and image.shape != self.frames[0].shape:
            image = cv2.resize(image, (self.frames[0].shape[1], self.frames[0].shape[0]))
        self.frames.append(image)
        self.times.append(timestamp_ms)
        if len(self.frames) > self.max_frames:
            del self.frames[1::2]
            del self.times[1::2]
            self.step *= 2

    def close(self) -> None:
        if not self.frames:
            return
        anim = cv2.Animation()
        anim.frames = self.frames
        period = 1000 * self.step / self.fps
        if all(t is not None for t in self.times):
            times = np.array(self.times, np.float64)
            anim.durations = [max(20, round(d)) for d in (*np.diff(times), period)]
        else:
            anim.durations = [max(20, round(period))] * len(self.frames)
        anim.loop_count = 0
        ok, data = cv2.imencodeanimation(".gif", anim) if hasattr(cv2, "imencodeanimation") else (False, None)
        if ok:  # bytes written by Python reach any path (see write_image)
            with writing(self.path):
                self.path.write_bytes(np.ascontiguousarray(data).data)
        elif not cv2.imwriteanimation(str(self.path), anim):
            raise InputError(f"cannot write GIF {self.path}")


def is_movie(path: Path) -> bool:
    """Whether ``path`` names a video file or a GIF (what :func:`movie_sink` writes)."""
    return path.suffix.lower() in VIDEO_FOURCC or path.suffix.lower() == ".gif"


def movie_sink(path: Path, fps: float, size: tuple[int, int], overwrite: bool = False) -> VideoSink | GifSink:
    """A :class:`GifSink` for a ``.gif``, else a :class:`VideoSink` (which names an unsupported suffix)."""
    return GifSink(path, fps, overwrite) if path.suffix.lower() == ".gif" else VideoSink(path, fps, size, overwrite)
