"""How time grows with more hands: landmark batches of 1-8 real crops, and scenes of 1, 2, 4 real hands."""

from __future__ import annotations

import time
from typing import Any

import cv2
import numpy as np

from ..errors import HandposeError
from ..pipeline import HandTracker
from ..registry import VARIANTS
from .config import BenchConfig, engine_tracker_args, stats


def real_crops(cfg: BenchConfig, frames: list[np.ndarray], n: int = 8) -> np.ndarray:
    tracker = HandTracker(cfg.model, mode="image", max_hands=1)
    crops = []
    for f in frames[:: max(1, len(frames) // (n * 2))]:
        hands = tracker.process(f)
        if len(hands):
            crops.append(tracker.landmarks.preprocess(f, hands.rects[:1], True)[0])
        if len(crops) == n:
            break
    if not crops:
        raise HandposeError("no hand found in the benchmark frames to build landmark crops from")
    while len(crops) < n:
        crops.append(crops[len(crops) % len(crops)][:, ::-1].copy())
    return np.stack(crops)


def landmark_batches(cfg: BenchConfig, crops: np.ndarray) -> list[dict]:
    from ..engines import create_engine

    rows = []
    hand = VARIANTS[cfg.model][1]
    for engine in cfg.engines:
        args = engine_tracker_args(engine, cfg.model)
        name = args.get("landmark_model", hand)
        eng = create_engine(name, args["engine"], threads=cfg.threads, providers=args.get("providers"))
        for b in cfg.batches:
            x = crops[:b]
            for _ in range(3):
                eng.run(x)
            t = []
            for _ in range(30):
                t0 = time.perf_counter()
                eng.run(x)
                t.append((time.perf_counter() - t0) * 1e3)
            med = float(np.median(t))
            rows.append({"engine": engine, "batch": b, "ms": med, "ms_per_hand": med / b})
    return rows


def largest_hands(cfg: BenchConfig, frames: list[np.ndarray], looked_at: int) -> list[tuple[float, float, float, int]]:
    """(size, centre x, centre y, frame index) of the hand in about ``looked_at`` evenly spread frames, largest
    first (image mode, one hand a frame)."""
    tracker = HandTracker(cfg.model, mode="image", max_hands=1)
    found = []
    for i in range(0, len(frames), max(1, len(frames) // looked_at)):
        hands = tracker.process(frames[i])
        if len(hands):
            x1, y1, x2, y2 = hands.boxes[0]
            found.append((float(max(x2 - x1, y2 - y1)), float(x1 + x2) / 2, float(y1 + y2) / 2, i))
    return sorted(found, key=lambda h: -h[0])


def _scene(tile: np.ndarray, hands: int, cells: int) -> np.ndarray:
    """A grey grid of ``cells`` x ``cells`` tiles, the first ``hands`` of them the hand (every second mirrored)."""
    t = tile.shape[0]
    canvas = np.full((t * cells, t * cells, 3), 110, np.uint8)
    for j in range(hands):
        r, c = divmod(j, cells)
        canvas[r * t : (r + 1) * t, c * t : (c + 1) * t] = tile if j % 2 == 0 else tile[:, ::-1]
    return canvas


def _cells(hands: int) -> int:
    return int(np.ceil(np.sqrt(hands)))


def hand_tiles(cfg: BenchConfig, frames: list[np.ndarray], n: int = 60, tile: int = 320, looked_at: int = 120,
               hands: int = 4) -> list[np.ndarray]:
    """Square cut-outs of the real hand of up to ``n`` frames (its box with a margin), resized to ``tile`` pixels.

    The frames with the largest hands are tried first, and a cut-out is kept only when all ``hands`` copies of it
    in a scene are found: a small or out-of-focus hand blown up to a tile is blurred, the palm detector misses it,
    and its scenes would be timed with fewer hands than the count they are reported for."""
    cells = _cells(hands)
    checker = HandTracker(cfg.model, mode="image", max_hands=hands)
    tiles: list[np.ndarray] = []
    for size, cx, cy, i in largest_hands(cfg, frames, looked_at):
        f = frames[i]
        side = size * 2.0
        m = np.array([[tile / side, 0, tile / 2 - cx * tile / side], [0, tile / side, tile / 2 - cy * tile / side]])
        cut = cv2.warpAffine(f, m, (tile, tile), borderMode=cv2.BORDER_REPLICATE)
        if len(checker.process(_scene(cut, hands, cells))) == hands:
            tiles.append(cut)
            if len(tiles) == n:
                break
    return tiles


def hand_scaling(cfg: BenchConfig, frames: list[np.ndarray], fps: float) -> list[dict]:
    """Frames with 1, 2, 4 real hands: a 2x2 grid of hand tiles, k of them filled (the rest plain grey); none
    when no hand of the source can be found as a tile."""
    rows: list[dict[str, Any]] = []
    engine = cfg.engines[0]
    tiles = hand_tiles(cfg, frames, hands=max(cfg.hand_counts))
    if not tiles:
        return rows
    cells = _cells(max(cfg.hand_counts))  # one frame size for every count: only the hands differ
    for k in cfg.hand_counts:
        scenes = [_scene(tile, k, cells) for tile in tiles]
        tr = HandTracker(cfg.model, mode="video", max_hands=k, threads=cfg.threads,
                         **engine_tracker_args(engine, cfg.model))
        times, lm, found = [], [], []
        for i, f in enumerate(scenes):
            t0 = time.perf_counter()
            hands = tr.process(f, i * 1000.0 / fps)
            times.append((time.perf_counter() - t0) * 1e3)
            lm.append(tr.clock.times.get("landmark_model", 0.0))
            found.append(len(hands))
        w = min(cfg.warmup, len(times) // 2)
        rows.append({"engine": engine, "hands": k, "frame_size": f"{scenes[0].shape[1]}x{scenes[0].shape[0]}",
                     "total_ms": stats(times[w:]), "landmark_ms": stats(lm[w:]),
                     "hands_found": float(np.mean(found[w:]))})
    return rows
