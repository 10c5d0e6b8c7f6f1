"""The benchmark's frames: decoded once and held in memory, so every side processes identical pixels."""

from __future__ import annotations

import logging
import time

import cv2
import numpy as np

from ..errors import HandposeError

log = logging.getLogger("handpose")


MAX_FRAME_BYTES = 2 << 30  # decoded frames kept for the benchmark: 2 GiB is 86 4K frames, 330 at 1080p


def load_frames(source: str, limit: int | None, max_bytes: int = MAX_FRAME_BYTES,
                part: dict[str, float] | None = None) -> tuple[list[np.ndarray], float]:
    """Decode the frames once, so every side processes identical pixels; without ``limit``, as many as fit in
    ``max_bytes`` (a long or 4K video would not fit in memory). ``part``: the ``start`` / ``end`` of a video
    (:func:`~handpose.open_source`)."""
    from ..sources import open_source

    frames: list[np.ndarray] = []
    held = 0
    with open_source(source, **(part or {})) as src:
        if src.live:
            raise HandposeError("bench needs a video file or images, not a live source")
        fps = src.fps or 25.0
        for frame in src:
            if limit is not None and len(frames) >= limit:
                break
            if frame.image is None:
                continue
            img = frame.image if frame.image.ndim == 3 and frame.image.shape[2] == 3 else None
            if img is None:
                from ..imaging import prepare

                img = prepare(frame.image)[0]
            if limit is None and frames and held + img.nbytes > max_bytes:
                log.warning("bench holds the decoded frames in memory: it uses the first %d (%.1f GB); "
                            "--frames N chooses", len(frames), held / 1e9)
                break
            frames.append(img)
            held += img.nbytes
    if not frames:
        raise HandposeError(f"no frames could be read from {source}")
    if len({f.shape for f in frames}) > 1:
        h, w = frames[0].shape[:2]
        frames = [cv2.resize(f, (w, h)) if f.shape != frames[0].shape else f for f in frames]
    return frames, fps


def save_rgb(path: str, frames: list[np.ndarray]) -> None:
    """The frames as one RGB ``.npy`` (the reference's input), written a frame at a time: no second copy of
    them all in memory."""
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.uint8)), "fortran_order": False,
              "shape": (len(frames), *frames[0].shape)}
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, header)
        for frame in frames:
            f.write(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB).data)


def decode_times(source: str, n: int, part: dict[str, float] | None = None) -> list[float]:
    """ms to read and decode each of the first ``n`` frames, each let go before the next as ``handpose run`` does
    (timed while loading the frames that are kept, 4K frames took 65 instead of 11 ms: fresh memory each time)."""
    from ..sources import open_source

    times: list[float] = []
    with open_source(source, **(part or {})) as src:
        it = iter(src)
        while len(times) < n:
            t = time.perf_counter()
            if next(it, None) is None:
                break
            times.append((time.perf_counter() - t) * 1e3)
    return times
