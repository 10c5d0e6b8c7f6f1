"""Jitter of a still hand (ours raw and smoothed, and MediaPipe's) and the lag smoothing adds to a moving one."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..pipeline import HandTracker
from ..stability import jitter, lag, noisy_copies, palm_size
from .config import BenchConfig, engine_tracker_args
from .frames import save_rgb
from .scaling import largest_hands


def _one_hand(tracker: HandTracker, frames: list[np.ndarray], fps: float) -> np.ndarray:
    """(T, 21, 3) keypoints of the first hand of every frame; NaN where none was found."""
    out = np.full((len(frames), 21, 3), np.nan)
    for i, f in enumerate(frames):
        hands = tracker.process(f, i * 1000.0 / fps)
        if len(hands):
            out[i] = hands.keypoints[0]
    return out


def _longest_found_run(*tracks: np.ndarray) -> slice:
    found = np.all([~np.isnan(t).any(axis=(1, 2)) for t in tracks], axis=0)
    best, start = slice(0, 0), None
    for i, ok in enumerate([*found, False]):
        if ok and start is None:
            start = i
        elif not ok and start is not None:
            best = max(best, slice(start, i), key=lambda r: r.stop - r.start)
            start = None
    return best


def measure_stability(cfg: BenchConfig, frames: list[np.ndarray], fps: float, worker: Any, tmp: str) -> dict[str, Any]:
    """Jitter of a still hand (the source's largest, repeated with fresh pixel noise), unsmoothed, smoothed and
    MediaPipe's; and how far smoothing trails the source's moving hand."""
    largest = largest_hands(cfg, frames, 40)
    if not largest:
        return {"note": "no hand found in the source to measure stability on"}
    args = engine_tracker_args(cfg.engines[0], cfg.model)
    still = noisy_copies(frames[largest[0][3]], cfg.still_frames, sigma=4.0)
    settle = min(10, cfg.still_frames // 4)  # the filters' first frames are left out
    runs = {smooth: _one_hand(HandTracker(cfg.model, mode="video", max_hands=1, smooth=smooth, threads=cfg.threads,
                                          **args), still, fps)[settle:] for smooth in (False, True)}
    report: dict[str, Any] = {"still": {"frames": len(still) - settle, "noise_sigma": 4.0}}
    for name, k in (("raw", runs[False]), ("smoothed", runs[True])):
        k = k[~np.isnan(k).any(axis=(1, 2))]
        report["still"][name] = jitter(k) if len(k) >= 2 else None
        report["still"].setdefault("palm_px", palm_size(k) if len(k) else float("nan"))
    if worker is not None:
        path = os.path.join(tmp, "still.npy")
        save_rgb(path, still)
        worker.call("load", frames=path)
        worker.call("open", key="still", api="solutions", mode="video", max_hands=1, complexity=1)
        found = [np.asarray(h[0], np.float64) for h in
                 worker.call("run", key="still", start=0, end=len(still), keypoints=True)["keypoints"][settle:] if h]
        report["still"]["mediapipe"] = jitter(np.stack(found)) if len(found) >= 2 else None
    moving = {smooth: _one_hand(HandTracker(cfg.model, mode="video", max_hands=1, smooth=smooth,
                                            threads=cfg.threads, **args), frames, fps) for smooth in (False, True)}
    run = _longest_found_run(moving[False], moving[True])
    if run.stop - run.start < 12:  # what lag() needs to search 4 frames of delay
        report["moving"] = None
    else:
        raw, smoothed = moving[False][run], moving[True][run]
        report["moving"] = {"frames": run.stop - run.start, "palm_px": palm_size(raw), **lag(raw, smoothed, fps)}
    return report
