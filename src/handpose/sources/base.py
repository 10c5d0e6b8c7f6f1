"""What every source shares: the file types handpose reads, a :class:`Frame`, the :class:`Source` interface."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

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


def common_root(paths: list[Path]) -> Path | None:
    """The deepest folder holding every file: outputs keep the tree below it, so that a glob over several folders
    with equal file names (cam1/0001.png, cam2/0001.png) does not write one output over another."""
    return Path(os.path.commonpath([p.parent.resolve() for p in paths])) if paths else None
