"""How steady and how prompt keypoints are: the jitter of a still hand, and how far smoothing trails a moving one.

``handpose bench`` reports both: the still hand is the source's frame with the largest hand, repeated with fresh
camera-like pixel noise (so any movement of its keypoints is jitter), and the lag is measured on the source itself,
the smoothed keypoints against the unsmoothed ones of the same frames.
"""

from __future__ import annotations

import numpy as np

from .errors import HandposeError


def noisy_copies(image: np.ndarray, n: int, sigma: float = 4.0, seed: int = 0) -> list[np.ndarray]:
    """``n`` copies of a uint8 ``image``, each with its own Gaussian pixel noise of ``sigma`` grey levels: a still
    scene as a camera's sensor sees it frame after frame."""
    rng = np.random.default_rng(seed)
    base = image.astype(np.float32)
    return [np.clip(base + rng.normal(0.0, sigma, image.shape).astype(np.float32), 0, 255).round().astype(np.uint8)
            for _ in range(n)]


def palm_size(keypoints: np.ndarray) -> float:
    """Mean wrist to middle-finger-base distance (px) of a hand's keypoints ``(T, 21, 2+)``."""
    k = np.asarray(keypoints, np.float64)
    return float(np.linalg.norm(k[:, 9, :2] - k[:, 0, :2], axis=-1).mean())


def jitter(keypoints: np.ndarray) -> dict[str, float]:
    """Jitter of a hand that does not move, keypoints ``(T, 21, 2+)`` in px: ``rms_px``, the root mean square
    distance of the keypoints from their mean places; ``step_px``, their mean move from one frame to the next."""
    k = np.asarray(keypoints, np.float64)[..., :2]
    if k.ndim != 3 or k.shape[1] != 21 or len(k) < 2:
        raise HandposeError(f"jitter needs keypoints (T >= 2, 21, 2+), got {k.shape}")
    rms = np.sqrt((np.linalg.norm(k - k.mean(0), axis=-1) ** 2).mean())
    step = np.linalg.norm(np.diff(k, axis=0), axis=-1).mean()
    return {"rms_px": float(rms), "step_px": float(step)}


def _delayed(k: np.ndarray, s: float) -> np.ndarray:
    """``k(t - s)`` for the frames t >= floor(s) + 1, s in frames (linear between frames)."""
    i, f = int(np.floor(s)), s - np.floor(s)
    return (1 - f) * k[1 : len(k) - i] + f * k[: len(k) - i - 1]


def lag(raw: np.ndarray, smoothed: np.ndarray, fps: float, max_frames: float = 4.0, step: float = 0.05
        ) -> dict[str, float]:
    """How far ``smoothed`` keypoints trail ``raw`` ones of the same frames ``(T, 21, 2+)`` of a moving hand:
    ``lag_ms``, the delay of ``raw`` that best matches ``smoothed`` (searched up to ``max_frames``); ``offset_px``,
    their mean distance as they are; ``aligned_px``, what is left after the delay (the smoothing's own part)."""
    r, s = (np.asarray(a, np.float64)[..., :2] for a in (raw, smoothed))
    if r.shape != s.shape or r.ndim != 3 or r.shape[1] != 21:
        raise HandposeError(f"lag needs raw and smoothed keypoints of one shape (T, 21, 2+), got {r.shape}, "
                            f"{s.shape}")
    if len(r) < 2 * (int(max_frames) + 2):
        raise HandposeError(f"lag needs at least {2 * (int(max_frames) + 2)} frames, got {len(r)}")
    start = int(max_frames) + 1  # every delay is scored on the same frames
    delays = np.arange(0.0, max_frames + 1e-9, step)
    errors = [np.linalg.norm(s[start:] - _delayed(r, d)[start - int(np.floor(d)) - 1 :], axis=-1).mean()
              for d in delays]
    best = int(np.argmin(errors))
    return {"lag_ms": float(delays[best] * 1000.0 / fps), "offset_px": float(errors[0]),
            "aligned_px": float(errors[best])}
