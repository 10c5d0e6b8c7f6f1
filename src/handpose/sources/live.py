"""Cameras and network streams, read on a thread of their own that keeps only the newest frame."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator

import cv2
import numpy as np

from ..errors import InputError
from .base import Frame, Source

log = logging.getLogger("handpose")


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
