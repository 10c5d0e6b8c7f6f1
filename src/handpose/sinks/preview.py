"""A script's annotated frames in a window, or in a video file instead."""

from __future__ import annotations

import contextlib
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputError
from ..outputs import check_writable
from .video import VIDEO_FOURCC, GifSink, VideoSink, check_movie_format, is_movie, movie_sink


class Preview:
    """A script's annotated frames, shown in a window or, with ``output``, written to a video or GIF file instead;
    :meth:`show` says whether to go on (False once ``q`` or Esc is pressed or the window is closed)::

        with handpose.Preview("fingers", output=args.output, fps=source.fps) as preview:
            for frame, hands in tracker.track(source):
                if not preview.show(handpose.draw_hands(frame.image, hands)):
                    break

    ``output`` is checked at once (an existing file is replaced only with ``overwrite``), and so is the window (a
    headless OpenCV is named, with its fix), before any frame is worked on; the file takes the first frame's size.
    """

    def __init__(self, window: str = "handpose", output: str | Path | None = None, fps: float | None = None,
                 overwrite: bool = False):
        self.window, self.fps, self.overwrite = window, fps or 30.0, overwrite
        self.output = Path(output) if output else None
        self._sink: VideoSink | GifSink | None = None
        self._closed = False
        self._tells_visible: bool | None = None  # does this OpenCV build say whether the window is open?
        self.key = -1  # the key pressed while the last frame was shown (-1: none), for scripts that take keys
        if self.output is None:
            from ..draw import open_window

            open_window(window, f"the {window!r} window")
            return
        if not is_movie(self.output):
            raise InputError(f"unsupported video format {self.output.suffix or 'without a suffix'} ({self.output}): "
                             f"use one of {', '.join([*VIDEO_FOURCC, '.gif'])}")
        check_movie_format(self.output)
        check_writable(self.output, overwrite, make_folders=False)

    def show(self, image: np.ndarray, timestamp_ms: float | None = None, pause: bool = False) -> bool:
        """Show or write one frame (BGR). ``timestamp_ms`` of a live source's frames keeps a written video's
        playback in real time (see :meth:`VideoSink.write`). ``pause`` keeps the frame in the window until a key
        is pressed (photos, which would otherwise flash by)."""
        if self.output is None:
            cv2.imshow(self.window, image)
            while True:
                pressed = cv2.waitKey(50 if pause else 1)
                self.key = pressed & 0xFF if pressed >= 0 else -1
                if self.key in (ord("q"), 27) or self._closed_by_user():
                    return False
                if not pause or self.key >= 0:
                    return True
        if self._sink is None:
            self._sink = movie_sink(self.output, self.fps, (image.shape[1], image.shape[0]), self.overwrite)
        self._sink.write(image, timestamp_ms=timestamp_ms)
        return True

    def _closed_by_user(self) -> bool:
        # Qt and Win32 say 1 while the window is open and less once it is closed; GTK and older Cocoa builds always
        # say -1. Only a window seen open can be seen closed, so those go on until q or Esc. Qt builds (the Linux
        # opencv-python wheels) raise instead once the window is closed: its GUI receiver is gone.
        try:
            visible = cv2.getWindowProperty(self.window, cv2.WND_PROP_VISIBLE)
        except cv2.error:
            return True
        if self._tells_visible is None:
            self._tells_visible = visible >= 1
        return self._tells_visible and visible < 1

    def close(self) -> None:
        """Finish the file, or close the window; a second call does nothing."""
        if self._sink is not None:
            self._sink.close()
            self._sink = None
        elif self.output is None and not self._closed:
            with contextlib.suppress(cv2.error):  # the user may have closed it already
                cv2.destroyWindow(self.window)
        self._closed = True

    def __enter__(self) -> Preview:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
